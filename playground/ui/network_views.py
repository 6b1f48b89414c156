"""The network playground's drawing pieces: the two live views, the boundary, the curves and the code export.

Each draws with ``st.`` from the user's ``PlaygroundState`` and spec; the figures come
from the pure builders in ``charts`` and ``charts_network``, cached in the state so a
redraw only swaps the numbers. ``live_boundary`` (the epoch counter, the boundary and
the numbers, then one tick of training) and ``live_network`` (the diagram and the curves)
are the page's two live fragments: Play gives them timers, the fast one and the slow one.
While training runs the boundary is a picture swapped in place
(``charts_network.boundary_picture``); paused, it is the interactive Plotly chart.

What it is not: the widgets (``network_sidebar``, ``network_controls``) or the state (``network_state``).
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from playground import datasets, export
from playground.spec import FEATURE_LABELS, Spec
from playground.trainer import EpochRecord, Trainer
from playground.ui import live
from playground.ui import network_controls as controls
from playground.ui import network_sidebar as sidebar
from playground.ui.charts import base as charts
from playground.ui.charts import network as charts_network
from playground.ui.network_state import PlaygroundState, current_spec, stop, sync_trainer

#: The boundary redraws up to 10 times a second while training.
FRAME_SECONDS = controls.LIVE_FRAME_SECONDS
#: The diagram and the curves redraw once a second: the browser's drawing, not the server, limits the frame rate.
DIAGRAM_SECONDS = 1.0
#: Beyond this refresh interval (a busy server), the page says how often the diagram refreshes.
BUSY_REFRESH_SECONDS = 3.0
#: Points plotted on the curves: longer histories are thinned evenly.
CURVE_POINTS = 400

#: The names of the class colours (``charts.CLASS_COLORS``), in order.
COLOUR_NAMES = ("orange", "blue", "green", "purple", "red", "brown", "pink", "grey", "olive", "cyan")


def class_words(classes: int) -> str:
    """'orange is class 0, blue class 1, green class 2' for as many classes as the data has."""
    words = [f"{COLOUR_NAMES[c]} class {c}" for c in range(max(2, min(classes, len(COLOUR_NAMES))))]
    return words[0].replace(" class", " is class", 1) + ", " + ", ".join(words[1:])


def colour_words(pg: PlaygroundState, spec: Spec) -> str:
    """The colours of the page's pictures, naming every class the data has (a third one is green)."""
    if spec.model.problem == "regression":
        return "Blue is positive, orange negative"
    custom = spec.data.dataset == "custom"
    classes = pg.points.num_classes if custom else (datasets.DATASET_CLASSES.get(spec.data.dataset) or 2)
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


def messages(pg: PlaygroundState) -> None:
    """The message for this run (a rejected value, a bad file), and why Play found nothing to train."""
    if pg.message:
        st.error(pg.message, icon=":material/error:")
    if pg.trainer is not None:
        pg.play_refused = False
    elif pg.play_refused:
        st.error(pg.data_problem or "There is no data to train on yet.", icon=":material/error:")


# -- the fast live view: the epoch, the boundary, the numbers, then training ------------------------


def live_boundary(pg: PlaygroundState) -> None:
    """Redraw the epoch counter, the boundary and the numbers, then train for one tick."""
    with live.frame_turn():
        _boundary_frame(pg)


def _boundary_frame(pg: PlaygroundState) -> None:
    if pg.points.version != pg.points_drawn:
        st.rerun()  # a click added a point: redraw the whole page (point count, buttons)
    tr = sync_trainer(pg, current_spec())
    st.markdown(f"#### Epoch {tr.epoch if tr else 0}")
    discretize, show_val = controls.view_toggles()
    boundary_chart(pg, current_spec(), discretize, show_val)
    if tr is None:
        st.info(pg.data_problem or "No data yet.", icon=":material/touch_app:")
        return
    if tr.history:
        r = tr.history[-1]
        words = f"Train loss **{r.train_loss:.4f}** · validation loss **{r.val_loss:.4f}**"
        if r.train_acc is not None and r.val_acc is not None:
            words += f"  \nTrain accuracy **{r.train_acc:.1%}** · validation accuracy **{r.val_acc:.1%}**"
        st.markdown(words)
    else:
        st.caption("Epoch 0: the initial weights. Press Play or Step.")
    for line in [tr.status_text(), *tr.notices]:
        if line:
            (st.error if tr.stop_reason == "diverged" else st.info)(line)
    if pg.running:
        _keep_training(pg, tr)


def _keep_training(pg: PlaygroundState, tr: Trainer) -> None:
    """Tell the training service this browser still watches (it trains in the background); stop at the end."""
    pg.run.tick(tr, FRAME_SECONDS)
    if tr.done:
        stop(pg)
        st.rerun()


def boundary_chart(pg: PlaygroundState, spec: Spec, discretize: bool, show_val: bool) -> None:
    """The output over the input square with the points; the figure is reused, only z changes."""
    tr = pg.trainer
    axis, _pts = datasets.grid(100)
    custom = spec.data.dataset == "custom"
    # The user's own points are few: show every one of them, the validation ones as rings.
    show_val = show_val or custom
    if tr is not None and pg.running:  # live frames: a picture, swapped in place (own points too)
        d = tr.data
        with pg.run.reading():
            values = tr.predict_grid(100)
        picture = charts_network.boundary_picture(
            values, spec.model.problem, d.x_train.cpu().numpy(), d.y_train.cpu().numpy(),
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
        pts, labels = pg.points.arrays()
        fig = charts.boundary_figure(axis, np.full((100, 100), 0.5 if spec.model.problem == "binary" else 0.0), spec.model.problem,
                                     pts, labels, height=430)  # fmt: skip
    else:
        cache_key = (pg.trainer_key, discretize, show_val, custom)
        with pg.run.reading():
            values = tr.predict_grid(100)
        if pg.boundary_fig is not None and pg.boundary_fig[0] == cache_key and values.ndim == 2:
            fig = pg.boundary_fig[1]
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
            pg.boundary_fig = (cache_key, fig)
        fig.layout.meta = tr.epoch  # lets the browser test count redraws
    charts_network.fit_boundary_frame(fig)
    if custom:
        if tr is None:
            charts_network.add_click_grid(fig, datasets.DOMAIN)
        chart_key = f"pgchart_click_{pg.points.version}"
        on_select = functools.partial(sidebar.add_clicked_point, pg, chart_key)
        st.plotly_chart(fig, key=chart_key, on_select=on_select, selection_mode="points", width="content",
                        config={"displayModeBar": False})  # fmt: skip
    else:
        st.plotly_chart(fig, key="pgchart_boundary", width="content", config={"displayModeBar": False})
    classes = tr.data.num_classes if tr is not None else pg.points.num_classes
    st.caption(boundary_caption(spec.model.problem, classes, custom, running=False))


# -- the slow live view: the network diagram and the curves ------------------------------------------


def live_network(pg: PlaygroundState) -> None:
    """The network diagram and the loss and accuracy curves (they do not train)."""
    with live.frame_turn():
        _network_frame(pg)


def _network_frame(pg: PlaygroundState) -> None:
    """Draw the diagram and the curves: fresh in the diagram's own frames and while paused.

    While training runs, a full page run (Play, a changed setting) draws the snapshot of the
    diagram's last frame again: identical figures cost the browser nothing, where new ones
    cost every student's browser a redraw of three charts at once. So does every other frame of
    the diagram's own while other students' clicks keep coming (``live.costly_frame_due``).
    """
    current = current_spec()
    tr = sync_trainer(pg, current)
    if tr is None:
        return
    if pg.running:
        live.keep_pace(DIAGRAM_SECONDS)
    snapshot = pg.network_snapshot
    if not pg.running or live.costly_frame_due() or snapshot is None or snapshot[0] != pg.trainer_key:
        labels = [FEATURE_LABELS[f] for f in current.data.features]
        res = 24 if sum(current.model.hidden) <= 48 else 16
        with pg.run.reading():  # one epoch's weights and pictures, never half of the next
            grids, weights, history = tr.neuron_grids(res), tr.weights(), list(tr.history)
        fig = charts_network.network_figure(grids, weights, labels, current.model.activation, current.model.problem)
        snapshot = (pg.trainer_key, fig, history[:: max(1, len(history) // CURVE_POINTS)])
        pg.network_snapshot = snapshot
    _, fig, history = snapshot
    st.plotly_chart(fig, key="pgchart_network", config={"displayModeBar": False})
    refresh = live.interval_in_use(DIAGRAM_SECONDS)
    if pg.running and refresh >= BUSY_REFRESH_SECONDS:
        st.caption(
            f":material/schedule: {live.active_count()} trainings share this server: the diagram and the curves "
            f"refresh every {refresh:.0f} s, the picture on the right every {live.interval_in_use(FRAME_SECONDS):.1f} s."
        )
    if not history:
        st.caption(
            "The loss and accuracy curves appear at the diagram's next refresh."
            if tr.history
            else "The loss and accuracy curves start with the first epoch."
        )
        return
    cols = st.columns(2)
    with cols[0]:
        curves_chart(pg, "loss", history, "train_loss", "val_loss")
    if current.model.problem != "regression":
        with cols[1]:
            curves_chart(pg, "accuracy", history, "train_acc", "val_acc")


def curves_chart(pg: PlaygroundState, ylabel: str, history: list[EpochRecord], train: str, val: str) -> None:
    """Train and validation curves; the figure is reused, only x and y change (values are finite)."""
    epochs = np.array([r.epoch for r in history], dtype=np.int32)
    ys = [np.array([getattr(r, name) for r in history], dtype=np.float32) for name in (train, val)]
    cached = pg.curves_figs.get(ylabel)
    if cached is not None and cached[0] == pg.trainer_key:
        fig = cached[1]
        with fig.batch_update():
            for trace, y in zip(fig.data, ys, strict=True):
                trace.x, trace.y = epochs, y
            # The tick spacing follows the epochs: spaced for the first few, it put a label on every
            # one of 1,000 epochs.
            charts.whole_epoch_ticks(fig, int(epochs[-1]) if len(epochs) else 1)
    else:
        fig = charts.curves_figure(epochs.tolist(), ys[0].tolist(), ys[1].tolist(), ylabel=ylabel, height=260)
        fig.update_layout(uirevision="keep")
        if ylabel == "accuracy":
            fig.update_yaxes(range=[0, 1.02])
        pg.curves_figs[ylabel] = (pg.trainer_key, fig)
    st.plotly_chart(fig, key=f"pgchart_{ylabel}", config={"displayModeBar": False})


# -- the code -------------------------------------------------------------------------------------------


def export_tabs(pg: PlaygroundState, current: Spec) -> None:
    """The spec as a PyTorch script and as the lecture's Keras code, each with a download."""
    classes = pg.points.num_classes if current.data.dataset == "custom" else None
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
