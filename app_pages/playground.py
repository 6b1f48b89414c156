"""Network playground: build a dense network on 2-D data and watch it learn, live.

Everything TensorFlow Playground does, on the engine: the sidebar holds the
data, features, network and training settings (``playground_controls``); Play
starts two fragments on timers. The fast one redraws the decision boundary and
the numbers, then trains a few epochs; the slower one redraws the network
diagram and the curves. While training runs the boundary is a picture swapped
in place (``charts_network.boundary_picture``); paused, it is the interactive
Plotly chart (hover, clicks). Every setting is in the URL.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np
import streamlit as st

from playground import datasets, export
from playground.spec import FEATURE_LABELS, Spec
from playground.trainer import EpochRecord, Trainer
from playground.ui import charts, charts_network, live, state, widgets
from playground.ui import playground_controls as pc

#: The boundary redraws up to 10 times a second while training.
FRAME_SECONDS = pc.LIVE_FRAME_SECONDS
#: The diagram and the curves redraw once a second: the browser's drawing, not the server, limits the frame rate.
DIAGRAM_SECONDS = 1.0
LIVE_CAPTION = "x₁ runs from -6 (left) to 6 (right), x₂ from -6 (bottom) to 6 (top). Hovering shows values while training is stopped."
#: Beyond this refresh interval (a busy server), the page says how often the diagram refreshes.
BUSY_REFRESH_SECONDS = 3.0
#: Points plotted on the curves: longer histories are thinned evenly.
CURVE_POINTS = 400

st.title("Network playground")
st.caption(
    "Pick the data and the network in the sidebar, press **Play**, and watch every neuron learn. "
    "Blue is positive (class 1), orange negative (class 0); links are as thick as their weights."
)
spec = pc.spec()  # reads the link on the first visit, so its notices exist before the header shows them
widgets.page_header(pc.PAGE)
for notice in state.get("pg:notices", list[str]):
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")
pc.sidebar(spec)
trainer = pc.trainer(spec)
if message := state.get("pg:message", lambda: None):
    st.error(message, icon=":material/error:")
pc.buttons(trainer is not None)
state.put("pg:points_drawn", pc.points().version)


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


@st.fragment(run_every=live.frame_interval(FRAME_SECONDS) if pc.running() else None)
def live_boundary() -> None:
    """Redraw the epoch counter, the boundary and the numbers, then train for one tick."""
    with live.frame_turn():
        boundary_frame()


def boundary_frame() -> None:
    if pc.points().version != state.get("pg:points_drawn", lambda: None):
        st.rerun()  # a click added a point: redraw the whole page (point count, buttons)
    tr = pc.trainer(pc.spec())
    st.markdown(f"#### Epoch {tr.epoch if tr else 0}")
    discretize, show_val = pc.view_toggles()
    boundary_chart(pc.spec(), tr, discretize, show_val)
    if tr is None:
        st.info(state.get("pg:data_problem", lambda: "No data yet."), icon=":material/touch_app:")
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
    # Train after drawing: the elements above are already replaced, so Streamlit never shows them
    # faded as stale while the epochs run; the next tick draws what this one trained.
    if pc.running() and tr is not None:
        if live.acquire():
            live.keep_pace(FRAME_SECONDS)
            now = time.perf_counter()
            since = now - state.get("pg:last_tick", lambda: now)
            state.put("pg:last_tick", now)
            wanted = min(max(0.6 * since, pc.TRAIN_SECONDS[0]), pc.TRAIN_SECONDS[1])
            tr.train(epochs=10_000, max_seconds=live.train_seconds(FRAME_SECONDS, wanted))
        else:
            st.info(live.queued_message(), icon=":material/hourglass_top:")
        if tr.done:
            pc.stop()
            st.rerun()


@st.fragment(run_every=live.frame_interval(DIAGRAM_SECONDS) if pc.running() else None)
def live_network() -> None:
    """The network diagram and the loss and accuracy curves (they do not train)."""
    with live.frame_turn():
        network_frame()


def network_frame() -> None:
    """Draw the diagram and the curves: fresh in the diagram's own frames and while paused.

    While training runs, a full page run (Play, a changed setting) draws the snapshot of the
    diagram's last frame again: identical figures cost the browser nothing, where new ones
    cost every student's browser a redraw of three charts at once.
    """
    current = pc.spec()
    tr = pc.trainer(current)
    if tr is None:
        return
    if pc.running():
        live.keep_pace(DIAGRAM_SECONDS)
    drawn_for = state.get("pg:trainer_key", lambda: None)
    snapshot = state.get("pg:network_snapshot", lambda: None)
    if not pc.running() or live.in_timer_frame() or snapshot is None or snapshot[0] != drawn_for:
        labels = [FEATURE_LABELS[f] for f in current.data.features]
        res = 24 if sum(current.model.hidden) <= 48 else 16
        fig = charts_network.network_figure(
            tr.neuron_grids(res), tr.weights(), labels, current.model.activation, current.model.problem
        )
        snapshot = (drawn_for, fig, tr.history[:: max(1, len(tr.history) // CURVE_POINTS)])
        state.put("pg:network_snapshot", snapshot)
    _, fig, history = snapshot
    st.plotly_chart(fig, key="pgchart_network", config={"displayModeBar": False})
    refresh = live.interval_in_use(DIAGRAM_SECONDS)
    if pc.running() and refresh >= BUSY_REFRESH_SECONDS:
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
        curves_chart("loss", history, "train_loss", "val_loss")
    if current.model.problem != "regression":
        with cols[1]:
            curves_chart("accuracy", history, "train_acc", "val_acc")


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


left, right = st.columns([3, 2], gap="medium")
with right:
    live_boundary()
with left:
    live_network()


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


if state.visible("export"):
    with st.expander("This network as code: PyTorch and Keras", icon=":material/code:"):
        if pc.running():  # the code does not change while training, and drawing it slows every redraw
            st.caption("Pause the training to see this network's code and download it.")
        else:
            export_tabs(spec)
