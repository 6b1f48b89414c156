"""The Loss-functions page's per-user state and its link: the Streamlit side of ``playground.lessons.losses``.

``LossesState`` is what the page remembers for a user besides its widgets'
values (whether the link was read); the page gets it with ``state.page_state``.
The figures are in ``playground.ui.charts.losses``.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.lessons import losses as lf
from playground.ui import state
from playground.ui.controls import widget

PAGE = "losses"


@dataclass
class LossesState:
    """What the Loss-functions page keeps for one user, besides its widgets' values."""

    link_read: bool = False  # the first visit has taken ``target`` from the link


def read_link(ps: LossesState) -> None:
    """On the first visit, take ``target`` from the link into its radio; a bad value becomes a notice."""
    if ps.link_read:
        return
    notices = []
    raw = state.query_params().get("target")
    if raw is not None:
        target, notice = lf.parse_target(raw)
        state.put("target", target)
        notices += [notice] if notice else []
    state.put(f"notices:{PAGE}", notices)
    ps.link_read = True


#: Draw a widget unless classroom mode hides it (the one helper, in ``playground.ui.controls``).
control = widget
