"""Network playground: build a dense network on 2-D data and watch it learn, live.

Everything TensorFlow Playground does, on the engine: the sidebar holds the
data, features, network and training settings (``network_controls``). The
buttons and the live views form one fragment (``live_area``), so Play, Step
and Reset rerun that part of the page only: the sidebar, the presets and the
code are not sent again, and the browser draws the answer to Play in a few
messages. Play gives the two views timers. The fast one redraws the decision
boundary and the numbers, then trains a few epochs; the slower one redraws the
network diagram and the curves. Pause reruns the whole page, which stops the
timers. While training runs the boundary is a picture swapped in place
(``charts_network.boundary_picture``); paused, it is the interactive Plotly
chart (hover, clicks). Every setting is in the URL. The drawing pieces
(boundary, curves, code export) are in ``network_views``.
"""

from __future__ import annotations

import time

import streamlit as st

from playground.spec import FEATURE_LABELS
from playground.ui import live, state, widgets
from playground.ui import network_controls as controls
from playground.ui import network_views as views
from playground.ui.charts import network as charts_network

#: The boundary redraws up to 10 times a second while training.
FRAME_SECONDS = controls.LIVE_FRAME_SECONDS
#: The diagram and the curves redraw once a second: the browser's drawing, not the server, limits the frame rate.
DIAGRAM_SECONDS = 1.0
#: Beyond this refresh interval (a busy server), the page says how often the diagram refreshes.
BUSY_REFRESH_SECONDS = 3.0
#: Points plotted on the curves: longer histories are thinned evenly.
CURVE_POINTS = 400

st.title("Network playground")
spec = controls.spec()  # reads the link on the first visit, so its notices exist before the header shows them
st.caption(
    "Pick the data and the network in the sidebar, press **Play**, and watch every neuron learn. "
    f"{views.colour_words(spec)}; links are as thick as their weights."
)
widgets.page_header(controls.PAGE)
for notice in state.get("pg:notices", list[str]):
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")
controls.sidebar(spec)
controls.trainer(spec)
state.put("pg:points_drawn", controls.points().version)


def live_boundary() -> None:
    """Redraw the epoch counter, the boundary and the numbers, then train for one tick."""
    with live.frame_turn():
        boundary_frame()


def boundary_frame() -> None:
    if controls.points().version != state.get("pg:points_drawn", lambda: None):
        st.rerun()  # a click added a point: redraw the whole page (point count, buttons)
    tr = controls.trainer(controls.spec())
    st.markdown(f"#### Epoch {tr.epoch if tr else 0}")
    discretize, show_val = controls.view_toggles()
    views.boundary_chart(controls.spec(), tr, discretize, show_val)
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
    if controls.running() and tr is not None:
        if live.acquire():
            live.keep_pace(FRAME_SECONDS)
            now = time.perf_counter()
            since = now - state.get("pg:last_tick", lambda: now)
            state.put("pg:last_tick", now)
            wanted = min(max(0.6 * since, controls.TRAIN_SECONDS[0]), controls.TRAIN_SECONDS[1])
            tr.train(epochs=10_000, max_seconds=live.train_seconds(FRAME_SECONDS, wanted))
        else:
            st.info(live.queued_message(), icon=":material/hourglass_top:")
        if tr.done:
            controls.stop()
            st.rerun()


def live_network() -> None:
    """The network diagram and the loss and accuracy curves (they do not train)."""
    with live.frame_turn():
        network_frame()


def network_frame() -> None:
    """Draw the diagram and the curves: fresh in the diagram's own frames and while paused.

    While training runs, a full page run (Play, a changed setting) draws the snapshot of the
    diagram's last frame again: identical figures cost the browser nothing, where new ones
    cost every student's browser a redraw of three charts at once. So does every other frame of
    the diagram's own while other students' clicks keep coming (``live.costly_frame_due``).
    """
    current = controls.spec()
    tr = controls.trainer(current)
    if tr is None:
        return
    if controls.running():
        live.keep_pace(DIAGRAM_SECONDS)
    drawn_for = state.get("pg:trainer_key", lambda: None)
    snapshot = state.get("pg:network_snapshot", lambda: None)
    if not controls.running() or live.costly_frame_due() or snapshot is None or snapshot[0] != drawn_for:
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
    if controls.running() and refresh >= BUSY_REFRESH_SECONDS:
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
        views.curves_chart("loss", history, "train_loss", "val_loss")
    if current.model.problem != "regression":
        with cols[1]:
            views.curves_chart("accuracy", history, "train_acc", "val_acc")


@st.fragment(key="pg_live")
def live_area() -> None:
    """The buttons and the two live views, each view a fragment of its own on a timer while training runs.

    The views are declared here, in this fragment's run, so that Play (which reruns this fragment)
    gives them their timers; they are drawn as part of this run, as the answer to the click.
    """
    tr = controls.trainer(controls.spec())
    if message := state.get("pg:message", lambda: None):
        st.error(message, icon=":material/error:")
    if tr is not None:
        state.pop("pg:play_refused")
    elif state.get("pg:play_refused", lambda: False):
        st.error(state.get("pg:data_problem", lambda: "There is no data to train on yet."), icon=":material/error:")
    controls.buttons(tr is not None)
    running = controls.running()
    left, right = st.columns([3, 2], gap="medium")
    with live.views_answer_a_click():
        with right:
            st.fragment(live_boundary, run_every=live.frame_interval(FRAME_SECONDS) if running else None)()
        with left:
            st.fragment(live_network, run_every=live.frame_interval(DIAGRAM_SECONDS) if running else None)()


live_area()

if state.visible("export"):
    with st.expander("This network as code: PyTorch and Keras", icon=":material/code:"):
        views.export_tabs(spec)
