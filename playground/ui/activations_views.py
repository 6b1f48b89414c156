"""The Activation-functions page's per-user state: what its link asked for.

``ActivationsState`` is everything the page remembers for a user besides its
widgets' values; the page gets it with ``state.page_state`` and reads the link
into it once. The numbers are in ``playground.lessons.activations``, the figures in
``playground.ui.charts.perceptron``. This is the Streamlit side, not a lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from playground.lessons import activations as lesson
from playground.ui import state

PAGE = "activations"


@dataclass
class ActivationsState:
    """What the Activation-functions page keeps for one user, besides its widgets' values."""

    link_read: bool = False  # the first visit has read the link
    link_depth: int = lesson.DEPTH_DEFAULT  # the depth slider starts here on every visit
    link_notices: list[str] = field(default_factory=list)  # one per link parameter that was ignored


def read_link(ps: ActivationsState) -> None:
    """On the first visit, take ``depth`` from the link; a bad value falls back to the default with a notice."""
    if ps.link_read:
        return
    ps.link_depth, ps.link_notices = lesson.parse_depth(state.query_params())
    ps.link_read = True


def link_warnings(ps: ActivationsState) -> None:
    for notice in ps.link_notices:
        st.warning(f"Link setting ignored: {notice}", icon=":material/link_off:")
