"""Network playground: build a dense network on 2-D data and watch it learn, live.

Everything TensorFlow Playground does, on the engine: the sidebar holds the data,
features, network and training settings (``network_sidebar``). The buttons and the
live views form one fragment (``live_area``), so Play, Step and Reset rerun that part
of the page only: the sidebar, the presets and the code are not sent again, and the
browser draws the answer to Play in a few messages. Play gives the two views timers:
the fast one redraws the decision boundary and the numbers, then trains a few epochs;
the slower one redraws the network diagram and the curves (``network_views``). Pause
reruns the whole page, which stops the timers. Every setting is in the URL. What the
page remembers per user is one ``PlaygroundState`` (``network_state``).
"""

from __future__ import annotations

import streamlit as st

from playground.ui import live, network_state, state, widgets
from playground.ui import network_controls as controls
from playground.ui import network_sidebar as sidebar
from playground.ui import network_views as views
from playground.ui.network_state import PAGE, PlaygroundState

# 1. This user's state and spec: the link is read on the first visit, so its notices exist before the header.
pg = state.page_state(PAGE, PlaygroundState)
spec = network_state.read_link(pg)

st.title("Network playground")
st.caption(
    "Pick the data and the network in the sidebar, press **Play**, and watch every neuron learn. "
    f"{views.colour_words(pg, spec)}; links are as thick as their weights."
)
widgets.page_header(PAGE)
for notice in pg.notices:
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")

# 2. The sidebar, then the trainer brought in step with what it set.
sidebar.sidebar(pg, spec)
network_state.sync_trainer(pg, spec)
pg.points_drawn = pg.points.version


# 3. The buttons and the two live views.
@st.fragment(key="pg_live")
def live_area(pg: PlaygroundState) -> None:
    """The buttons and the two live views, each view a fragment of its own on a timer while training runs.

    The views are declared here, in this fragment's run, so that Play (which reruns this fragment)
    gives them their timers; they are drawn as part of this run, as the answer to the click.
    """
    network_state.sync_trainer(pg, network_state.current_spec())
    views.messages(pg)
    controls.buttons(pg)
    left, right = st.columns([3, 2], gap="medium")
    with live.views_answer_a_click():
        with right:
            every = live.frame_interval(views.FRAME_SECONDS) if pg.running else None
            st.fragment(views.live_boundary, run_every=every)(pg)
        with left:
            every = live.frame_interval(views.DIAGRAM_SECONDS) if pg.running else None
            st.fragment(views.live_network, run_every=every)(pg)


live_area(pg)

# 4. The code.
if state.visible("export"):
    with st.expander("This network as code: PyTorch and Keras", icon=":material/code:"):
        views.export_tabs(pg, spec)
