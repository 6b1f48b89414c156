"""Overfitting & regularization lab: watch the gap open, then close it.

The sidebar holds the data, the network and each remedy of the lecture
(dropout, L2/L1, early stopping, reduce-LR-on-plateau); every setting is in the
URL. Play trains live in a fragment: the loss curves with the gap shaded and
the decision boundary beside them. Each finished run is kept (up to ten) to
overlay, to compare boundaries and to download as CSV. All numbers come from
``playground.lessons.overfitting`` and ``overfitting_runs``; the drawing pieces
and the page's state (``OverfittingState``) are in ``playground.ui.overfitting_views``.
"""

from __future__ import annotations

import streamlit as st

from playground.lessons import overfitting as of
from playground.spec import SpecError
from playground.ui import live, state, widgets
from playground.ui import overfitting_views as views
from playground.ui.controls import draw_controls

# -- 1. this user's state, and the link -------------------------------------------------------------
st.title("Overfitting & regularization")
ps = state.page_state(of.PAGE, views.OverfittingState)
# Read the link first: page_header shows the notices about its bad values.
spec, limit_notices = of.fit_to_page(state.page_spec(of.PAGE, of.link_base(state.query_params())))
widgets.page_header(of.PAGE)
st.caption(
    "Few noisy points and a big network: the training loss falls towards zero while the validation loss turns up. "
    "Press **Play**, watch the gap open, then switch on a remedy and train again: the data and the initial "
    "weights stay the same, so only the remedy differs."
)
for notice in limit_notices:
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")

# -- 2. the sidebar: data, network, remedies --------------------------------------------------------
shown = of.control_values(spec)
new = draw_controls(of.CONTROLS, shown, after=views.split_caption(shown))
if state.visible("speed"):
    st.sidebar.slider(
        "Epochs per frame", 1, 50, views.SPEED, key="speed", help="How many epochs each live frame trains."
    )
try:
    spec = of.fit_to_page(of.spec_for_controls(spec, new))[0]
except SpecError as exc:
    st.error(f"That setting cannot be used: {exc}", icon=":material/error:")
state.set_page_spec(of.PAGE, spec, of.DEFAULT_SPEC)

# -- 3. train live: the curves with the gap, and the decision boundary ------------------------------
views.buttons(ps)
st.fragment(views.live_view, run_every=live.frame_interval(views.FRAME_SECONDS) if ps.running else None)(ps)

# -- 4. compare the kept runs -----------------------------------------------------------------------
st.header("Compare runs", divider="gray")
if not ps.runs:
    st.info("Each finished run is kept here (up to ten), named by its settings: overlay them, compare their "
            "boundaries and download their histories.", icon=":material/compare_arrows:")  # fmt: skip
    st.stop()
chosen = views.runs_to_overlay(ps)
views.overlay(ps.runs, chosen, views.overlay_metric())
views.small_boundaries(chosen)
views.runs_table(ps)
