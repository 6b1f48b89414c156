"""The network playground's drawing pieces: the decision boundary, the curves and the code export.

Each draws with ``st.`` from the user's trainer and spec; the figures come from
the pure builders in ``charts`` and ``charts_network``, cached in the session so
a redraw only swaps the numbers.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import streamlit as st

from playground import datasets, export
from playground.spec import Spec
from playground.trainer import EpochRecord, Trainer
from playground.ui import network_controls as controls
from playground.ui import state
from playground.ui.charts import base as charts
from playground.ui.charts import network as charts_network

#: The names of the class colours (``charts.CLASS_COLORS``), in order.
COLOUR_NAMES = ("orange", "blue", "green", "purple", "red", "brown", "pink", "grey", "olive", "cyan")


def class_words(classes: int) -> str:
    """'orange is class 0, blue class 1, green class 2' for as many classes as the data has."""
    words = [f"{COLOUR_NAMES[c]} class {c}" for c in range(max(2, min(classes, len(COLOUR_NAMES))))]
    return words[0].replace(" class", " is class", 1) + ", " + ", ".join(words[1:])


def colour_words(spec: Spec) -> str:
    """The colours of the page's pictures, naming every class the data has (a third one is green)."""
    if spec.model.problem == "regression":
        return "Blue is positive, orange negative"
    custom = spec.data.dataset == "custom"
    classes = controls.points().num_classes if custom else (datasets.DATASET_CLASSES.get(spec.data.dataset) or 2)
    if classes > 2:
        return class_words(classes).capitalize()
    return "Blue is positive (class 1), orange negative (class 0)"


def boundary_caption(problem: str, classes: int, custom: bool, running: bool) -> str:
    """What the colours and markers mean: the same words while playing and paused (no layout jump)."""
    if problem == "regression":
        colours = "Colour is the output: blue +1, white 0, orange −1"
    else:
        colours = "Colour is the predicted class: " + class_words(classes)
    markers = "dots are training points, rings validation points"
    action = (
        "Pause to add points or read values."
        if custom and running
        else ("Click to add a point; hover to read values." if custom else "Hover to read values while paused.")
    )
    return f"{colours}; {markers}. {action}"


def boundary_chart(spec: Spec, tr: Trainer | None, discretize: bool, show_val: bool) -> None:
    """The output over the input square with the points; the figure is reused, only z changes."""
    axis, _pts = datasets.grid(100)
    custom = spec.data.dataset == "custom"
    # The user's own points are few: show every one of them, the validation ones as rings.
    show_val = show_val or custom
    if tr is not None and controls.running():  # live frames: a picture, swapped in place (own points too)
        d = tr.data
        picture = charts_network.boundary_picture(
            tr.predict_grid(100), spec.model.problem, d.x_train.cpu().numpy(), d.y_train.cpu().numpy(),
            d.x_val.cpu().numpy() if show_val else None, d.y_val.cpu().numpy() if show_val else None,
            discretize=discretize,
        )  # fmt: skip
        # Inline (a data URI in the frame's message), not a media-file URL: on a busy server the
        # browser may fetch a URL after the next frame has already replaced (deleted) it.
        with st.container(key="pgchart_live"):
            st.image(
                charts_network.png_data_uri(charts_network.framed_picture(picture)), width=charts_network.FRAME_WIDTH
            )
        st.caption(boundary_caption(spec.model.problem, tr.data.num_classes, custom, running=True))
        return
    if tr is None:  # the user's points so far, on a blank plane
        pts, labels = controls.points().arrays()
        fig = charts.boundary_figure(axis, np.full((100, 100), 0.5 if spec.model.problem == "binary" else 0.0), spec.model.problem,
                                     pts, labels, height=430)  # fmt: skip
    else:
        cache_key = (state.get("pg:trainer_key", lambda: None), discretize, show_val, custom)
        cached = state.get("pg:boundary_fig", lambda: (None, None))
        values = tr.predict_grid(100)
        if cached[0] == cache_key and values.ndim == 2:
            fig = cached[1]
            z = charts.finite(values)
            fig.data[0].z = (
                ((z > 0.5) if spec.model.problem == "binary" else np.sign(z)).astype(np.float32) if discretize else z
            )
        else:
            d = tr.data
            fig = charts.boundary_figure(
                axis, values, spec.model.problem, d.x_train.cpu().numpy(), d.y_train.cpu().numpy(),
                d.x_val.cpu().numpy() if show_val else None, d.y_val.cpu().numpy() if show_val else None,
                discretize=discretize, height=430,
            )  # fmt: skip
            fig.update_layout(uirevision="keep")
            if custom:  # once, when the figure is built: the cached figure is reused frame after frame
                charts_network.add_click_grid(fig, datasets.DOMAIN)
            state.put("pg:boundary_fig", (cache_key, fig))
        fig.layout.meta = tr.epoch  # lets the browser test count redraws
    charts_network.fit_boundary_frame(fig)
    if custom:
        if tr is None:
            charts_network.add_click_grid(fig, datasets.DOMAIN)
        chart_key = f"pgchart_click_{controls.points().version}"
        st.plotly_chart(
            fig, key=chart_key, on_select=functools.partial(controls.add_clicked_point, chart_key), selection_mode="points",
            width="content", config={"displayModeBar": False},
        )  # fmt: skip
    else:
        st.plotly_chart(fig, key="pgchart_boundary", width="content", config={"displayModeBar": False})
    classes = tr.data.num_classes if tr is not None else controls.points().num_classes
    st.caption(boundary_caption(spec.model.problem, classes, custom, running=False))


def curves_chart(ylabel: str, history: list[EpochRecord], train: str, val: str) -> None:
    """Train and validation curves; the figure is reused, only x and y change (values are finite)."""
    epochs = np.array([r.epoch for r in history], dtype=np.int32)
    ys = [np.array([getattr(r, name) for r in history], dtype=np.float32) for name in (train, val)]
    cache_key = state.get("pg:trainer_key", lambda: None)
    cached: tuple[object, Any] = state.get(f"pg:curves_fig_{ylabel}", lambda: (None, None))
    if cached[0] == cache_key:
        fig = cached[1]
        with fig.batch_update():
            for trace, y in zip(fig.data, ys, strict=True):
                trace.x, trace.y = epochs, y
    else:
        fig = charts.curves_figure(epochs.tolist(), ys[0].tolist(), ys[1].tolist(), ylabel=ylabel, height=260)
        fig.update_layout(uirevision="keep")
        if ylabel == "accuracy":
            fig.update_yaxes(range=[0, 1.02])
        state.put(f"pg:curves_fig_{ylabel}", (cache_key, fig))
    st.plotly_chart(fig, key=f"pgchart_{ylabel}", config={"displayModeBar": False})


def export_tabs(current: Spec) -> None:
    """The spec as a PyTorch script and as the lecture's Keras code, each with a download."""
    classes = controls.points().num_classes if current.data.dataset == "custom" else None
    tabs = st.tabs(["PyTorch script", "Keras (the lecture's Sequential)"])
    exports = (
        (export.pytorch_script, "train_playground.py", "torch"),
        (export.keras_code, "keras_playground.py", "keras"),
    )
    for tab, (make, file_name, name) in zip(tabs, exports, strict=True):
        with tab:
            code = make(current, classes)
            st.download_button(
                f"Download {file_name}", code, file_name, key=f"pg_dl_{name}", icon=":material/download:"
            )
            st.code(code, language="python")
