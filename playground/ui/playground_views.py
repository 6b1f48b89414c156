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
from playground.ui import charts, charts_network, state
from playground.ui import playground_controls as pc

LIVE_CAPTION = "x₁ runs from -6 (left) to 6 (right), x₂ from -6 (bottom) to 6 (top). Hovering shows values while training is stopped."


def boundary_chart(spec: Spec, tr: Trainer | None, discretize: bool, show_val: bool) -> None:
    """The output over the input square with the points; the figure is reused, only z changes."""
    axis, _pts = datasets.grid(100)
    custom = spec.data.dataset == "custom"
    if tr is not None and pc.running() and not custom:  # live frames: a picture, swapped in place
        d = tr.data
        picture = charts_network.boundary_picture(
            tr.predict_grid(100), spec.model.problem, d.x_train.cpu().numpy(), d.y_train.cpu().numpy(),
            d.x_val.cpu().numpy() if show_val else None, d.y_val.cpu().numpy() if show_val else None,
            discretize=discretize,
        )  # fmt: skip
        # Inline (a data URI in the frame's message), not a media-file URL: on a busy server the
        # browser may fetch a URL after the next frame has already replaced (deleted) it.
        with st.container(key="pgchart_live"):
            st.image(charts_network.png_data_uri(picture), width=400, caption=LIVE_CAPTION)
        return
    if tr is None:  # the user's points so far, on a blank plane
        pts, labels = pc.points().arrays()
        fig = charts.boundary_figure(axis, np.full((100, 100), 0.5 if spec.model.problem == "binary" else 0.0), spec.model.problem,
                                     pts, labels, height=430)  # fmt: skip
    else:
        cache_key = (state.get("pg:trainer_key", lambda: None), discretize, show_val)
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
            state.put("pg:boundary_fig", (cache_key, fig))
        fig.layout.meta = tr.epoch  # lets the browser test count redraws
    if custom:
        chart_key = f"pgchart_click_{pc.points().version}"
        charts_network.add_click_grid(fig, datasets.DOMAIN)
        st.plotly_chart(
            fig, key=chart_key, on_select=functools.partial(pc.add_clicked_point, chart_key), selection_mode="points"
        )
    else:
        st.plotly_chart(fig, key="pgchart_boundary", config={"displayModeBar": False})


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
    classes = pc.points().num_classes if current.data.dataset == "custom" else None
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
