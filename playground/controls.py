"""The one way to declare a page's controls: ``Control``, a spec setting as data.

A lesson lists its sidebar as a tuple of ``Control``: which flat spec setting
(``Spec.to_dict()``'s names), which widget, the label, its section and bounds,
and ``when`` (a flag setting: the control shows only while that flag is on, so a
remedy's or a callback's settings appear when it is switched on).
``playground.ui.controls.draw_controls`` is the one renderer. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The widgets a control can be.
KINDS = ("slider", "select_slider", "selectbox", "toggle", "checkbox", "number", "text")


@dataclass(frozen=True)
class Control:
    """One sidebar control: a flat spec setting, its widget, its label and its bounds."""

    name: str
    kind: str  # one of KINDS
    label: str
    section: str = ""  # a header above the first control of each section ("" for none)
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple[Any, ...] = ()
    help: str | None = None
    when: str | None = None
    format: str | None = None  # a slider's or number field's printf-style format ("%.0f", "%.1e")
    labels: Mapping[Any, str] | None = None  # what each option is called on screen (else the option itself)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"control {self.name}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")

    def options_with(self, value: Any) -> tuple[Any, ...]:
        """The control's options, with ``value`` added when a link brought one the list lacks."""
        if value in self.options:
            return self.options
        return tuple(sorted({*self.options, value})) if self.kind == "select_slider" else (*self.options, value)
