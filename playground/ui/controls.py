"""The one sidebar renderer: draws a lesson's ``Control`` tuple and returns the values.

Each control's widget key is its setting's name. A control hidden in classroom
mode (``?hide=``) or whose ``when`` flag is off is not drawn and not returned, so
its setting keeps the spec's value. Section headers appear where the section changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

from playground.controls import Control
from playground.ui import state


def draw_control(
    c: Control,
    value: Any,
    key: str | None = None,
    on_change: Callable[..., None] | None = None,
    args: tuple[Any, ...] = (),
    where: Any = None,
) -> Any:
    """The sidebar widget for ``c``, showing ``value``; returns what it holds now.

    With ``key`` the widget is bound to a session-state key the caller keeps (and fills): it
    shows that key's value, and ``on_change(*args)`` runs when the user moves it (the network
    playground validates the whole spec there). Without, the key is the setting's name and
    ``value`` is what it shows. ``where`` is the container (the sidebar by default; ``st`` inside
    a ``with`` block such as an expander).
    """
    sb = st.sidebar if where is None else where
    bound = key is not None
    args_: dict[str, Any] = {"key": key or c.name, "help": c.help}
    if on_change is not None:
        args_ |= {"on_change": on_change, "args": args}
    shown = lambda v: {} if bound else {"value": v}  # a bound widget takes its value from its key
    names = c.labels or {}
    label_of: Callable[[Any], str] = (lambda v: names.get(v, str(v))) if names else _number
    if c.kind == "selectbox":
        options = list(c.options_with(value))
        if bound:
            return sb.selectbox(c.label, options, format_func=label_of, **args_)
        return sb.selectbox(c.label, options, index=options.index(value), format_func=label_of, **args_)
    if c.kind == "select_slider":
        return sb.select_slider(c.label, c.options_with(value), format_func=label_of, **shown(value), **args_)
    if c.kind == "slider":
        kind = type(value)
        # A link may bring a value beyond the slider's range: the range grows to show it.
        lo, hi = kind(min(c.lo or 0, value)), kind(max(c.hi or 0, value))
        return sb.slider(c.label, lo, hi, step=kind(c.step or 1), format=c.format, **shown(value), **args_)
    if c.kind in ("toggle", "checkbox"):
        return getattr(sb, c.kind)(c.label, **shown(bool(value)), **args_)
    if c.kind == "number":
        kind = type(c.lo) if c.lo is not None else int
        step = None if c.step is None else kind(c.step)
        return sb.number_input(c.label, kind(c.lo or 0), kind(c.hi or 0), step=step, format=c.format,
                               **shown(kind(value)), **args_)  # fmt: skip
    return sb.text_input(c.label, **shown(str(value)), **args_)


def widget(key: str, default: Any, draw: Callable[[], Any]) -> Any:
    """A hand-drawn widget under classroom mode: ``draw()`` it unless ``?hide=`` names ``key``;
    either way its value (``default`` the first time)."""
    state.get(key, lambda: default)
    return draw() if state.visible(key) else state.get(key, lambda: default)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def draw_controls(
    controls: Iterable[Control],
    shown: Mapping[str, Any],
    after: Callable[[Control, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Draw every control in order (headers, ``when`` flags, classroom mode); returns name -> value.

    ``after(control, values)``, when given, runs after each control is drawn (a caption under it).
    """
    values: dict[str, Any] = {}
    section = ""
    for c in controls:
        if c.section and c.section != section:
            section = c.section
            st.sidebar.header(section, divider="gray")
        if c.when is not None and not values.get(c.when, shown[c.when]):
            continue  # its flag is off: a remedy's settings show while the remedy is on
        if not state.visible(c.name):
            continue  # classroom mode: the spec's value stays
        values[c.name] = draw_control(c, shown[c.name])
        if after is not None:
            after(c, values)
    return values
