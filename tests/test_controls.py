"""The one Control type: its kinds, and options that grow to show a value a link brought."""

from __future__ import annotations

import pytest

from playground.controls import KINDS, Control
from playground.lessons import mnist as mt
from playground.lessons import overfitting as of


def test_a_link_value_the_options_lack_is_added_where_it_belongs() -> None:
    rates = Control("lr", "select_slider", "Learning rate", options=(0.001, 0.01, 0.1))
    assert rates.options_with(0.01) == (0.001, 0.01, 0.1)
    assert rates.options_with(0.05) == (0.001, 0.01, 0.05, 0.1)  # sorted into the slider's scale
    names = Control("activation", "selectbox", "Activation", options=("tanh", "relu"))
    assert names.options_with("sigmoid") == ("tanh", "relu", "sigmoid")  # appended to the list


def test_an_unknown_kind_is_refused_and_every_page_uses_known_kinds() -> None:
    with pytest.raises(ValueError, match="unknown kind 'dial'"):
        Control("lr", "dial", "Learning rate")
    for c in (*of.CONTROLS, *mt.CONTROLS):
        assert c.kind in KINDS and isinstance(c, Control)
        assert c.when is None or c.when in {d.name for d in (*of.CONTROLS, *mt.CONTROLS)}
