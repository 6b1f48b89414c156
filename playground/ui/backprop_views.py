"""The backpropagation page's pieces: its per-user state, its controls and callbacks, and its drawing.

What this module is: ``BackpropState`` (what the page remembers apart from its widgets'
values), ``read_link`` (the first visit's link, through ``backprop.parse_link``), the
network-and-example controls, the step buttons, and the views of one point of the
walkthrough (the diagram, the current step, the steps so far, the update at the end).
Every widget keeps its key ``bp_<name>``; every link name is its widget's key without ``bp_``.

What it is not: the numbers, which all come from ``playground.lessons.backprop``, or the
diagram's figure (``playground.ui.charts.backprop``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from playground.lessons import backprop as bp
from playground.ui import state
from playground.ui.charts import backprop as charts_backprop

PAGE = "backprop"
WEIGHT_KEYS = {name: f"bp_{name}" for name in bp.PARAMS}
PHASE_TITLE = {"forward": "Forward pass", "backward": "Backward pass", "update": "Update"}


@dataclass
class BackpropState:
    """What the backprop page remembers per user, apart from its widgets' values."""

    #: The link was read on the first visit (later visits keep the widgets' values).
    link_read: bool = False
    #: Steps of the walkthrough last drawn: the step buttons stop there.
    total: int = bp.WALK_STEPS


def read_link(pg: BackpropState) -> None:
    """On the first visit, take the page's settings from the link; each bad value becomes a notice."""
    if pg.link_read:
        return
    values, notices = bp.parse_link(state.query_params())
    for name, value in values.items():
        state.put(f"bp_{name}", value)
    state.put(f"notices:{PAGE}", notices)  # shown by ``widgets.page_header``
    pg.link_read = True


def seed() -> int:
    """The seed of "Random weights" (its widget's value)."""
    return int(state.get("bp_seed", lambda: 0))


# -- callbacks ---------------------------------------------------------------------------------------


def _fill_weights(net: bp.Network) -> None:
    for name, value in net.params().items():
        state.put(WEIGHT_KEYS[name], round(value, 4))


def _on_worked_example() -> None:
    _fill_weights(bp.Network())
    state.put("bp_x1", bp.Example().x1)
    state.put("bp_x2", bp.Example().x2)
    state.put("bp_y", 1)


def _on_random() -> None:
    _fill_weights(bp.random_network(seed()))


def _move(pg: BackpropState, delta: int | None = None, to: int | None = None) -> None:
    """Step through the walkthrough (clamped to its length)."""
    current = int(state.get("bp_step", lambda: 0))
    target = to if to is not None else current + (delta or 0)
    state.put("bp_step", max(0, min(pg.total, target)))


# -- controls --------------------------------------------------------------------------------------


def _control(key: str, default: Any, draw: Callable[[], Any]) -> Any:
    """Draw the widget unless classroom mode hides it; either way return its value."""
    state.get(key, lambda: default)
    return draw() if state.visible(key) else state.get(key, lambda: default)


def _number(key: str, label: str, default: float, limit: float = bp.WEIGHT_LIMIT) -> float:
    return float(_control(key, default, partial(st.number_input, label, -limit, limit, step=0.05, key=key,
                                                format="%.4g")))  # fmt: skip


def setup_controls() -> tuple[bp.Network, bp.Example, float]:
    """The network's nine numbers, its activation and loss, the example and η; returns them."""
    b1, b2, b3, b4 = st.columns(4)
    b1.button("Worked example", key="bp_example", on_click=_on_worked_example, icon=":material/school:")
    with b2:
        _control("bp_seed", 0, partial(st.number_input, "Seed", 0, 9999, step=1, key="bp_seed"))
    b3.button("Random weights", key="bp_random", on_click=_on_random, icon=":material/casino:")
    with b4:
        activation = _control("bp_activation", "sigmoid", partial(st.selectbox, "Hidden activation g", bp.ACTIVATIONS,
                                                                  key="bp_activation"))  # fmt: skip
        loss_kind = _control("bp_loss", "squared", partial(
            st.selectbox, "Loss", bp.LOSSES, key="bp_loss",
            format_func=lambda k: "squared error ½(ŷ − y)²" if k == "squared" else "binary cross-entropy"))  # fmt: skip
    defaults = bp.Network().params()
    weights = {}
    for col, name in zip(st.columns(9), bp.PARAMS, strict=True):
        with col:
            weights[name] = _number(WEIGHT_KEYS[name], charts_backprop.WEIGHT_NAME.get(name, name), defaults[name])
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        x1 = _number("bp_x1", "input x₁", bp.Example().x1)
    with c2:
        x2 = _number("bp_x2", "input x₂", bp.Example().x2)
    with c3:
        y = _control("bp_y", 1, partial(st.radio, "target y", [0, 1], key="bp_y", horizontal=True))
    with c4:
        lr = _control("bp_lr", 0.5, partial(st.select_slider, "learning rate η", bp.LR_OPTIONS, key="bp_lr"))
    return bp.Network(activation=activation, loss=loss_kind, **weights), bp.Example(x1, x2, float(y)), float(lr)


def step_controls(pg: BackpropState, total: int) -> int:
    """Start over, Back, Next step, To the end and the step slider; returns the step shown (0 to ``total``)."""
    pg.total = total
    state.put("bp_step", min(int(state.get("bp_step", lambda: 0)), total))
    at_start, at_end = state.get("bp_step", lambda: 0) == 0, state.get("bp_step", lambda: 0) == total
    n1, n2, n3, n4, n5 = st.columns([1, 1, 1, 1, 3])
    n1.button("Start over", key="bp_restart", on_click=_move, args=(pg,), kwargs={"to": 0},
              icon=":material/first_page:", disabled=at_start)  # fmt: skip
    n2.button("Back", key="bp_prev", on_click=_move, args=(pg,), kwargs={"delta": -1},
              icon=":material/chevron_left:", disabled=at_start)  # fmt: skip
    n3.button("Next step", key="bp_next", on_click=_move, args=(pg,), kwargs={"delta": 1},
              icon=":material/chevron_right:", type="primary", disabled=at_end)  # fmt: skip
    n4.button("To the end", key="bp_end", on_click=_move, args=(pg,), kwargs={"to": total},
              icon=":material/last_page:", disabled=at_end)  # fmt: skip
    with n5:
        return int(_control("bp_step", 0, partial(st.slider, "Step", 0, total, key="bp_step")))


# -- the walkthrough at step k ---------------------------------------------------------------------------


def diagram(walk: bp.Walkthrough, k: int) -> None:
    """The network with every number known after ``k`` steps, the current step highlighted."""
    values, grads = bp.known_at(walk, k)
    current = walk.steps[k - 1] if k else None
    ex = walk.example
    fig = charts_backprop.network_figure(
        {"x1": ex.x1, "x2": ex.x2, "y": ex.y}, walk.net.params(), values, grads,
        current.highlight if current else ("", ""), current.phase if current else "forward",
    )  # fmt: skip
    st.plotly_chart(fig, key="bp_network", config={"displayModeBar": False, "staticPlot": True})


def current_step(walk: bp.Walkthrough, k: int) -> None:
    """The step just taken: its formula with the numbers (the update: every parameter before and after)."""
    with st.container(border=True):
        if not k:
            st.info("Press **Next step** to start the forward pass.", icon=":material/play_arrow:")
            return
        current = walk.steps[k - 1]
        st.markdown(f"**Step {k} of {len(walk.steps)} · {PHASE_TITLE[current.phase]}**")
        if current.phase == "update":
            # the rule with η, then every parameter before → after, then the loss before → after
            for line in bp.update_lines(walk):
                st.latex(line)
            st.caption("Every parameter moves against its gradient, by η times it; then the same example again.")
        else:
            st.latex(f"{current.symbol} = {current.formula} = {current.numbers} = {current.value:.5g}")
        if current.phase == "backward":
            st.caption("Chain rule: the gradient one step closer to the loss × the local derivative of this edge.")


def steps_so_far(walk: bp.Walkthrough, k: int) -> None:
    """The forward and the backward steps computed so far, side by side."""
    done = walk.steps[:k]
    for column, phase in zip(st.columns(2), ("forward", "backward"), strict=True):
        shown = [s for s in done if s.phase == phase]
        with column:
            of = sum(s.phase == phase for s in walk.steps)
            st.markdown(f"**{PHASE_TITLE[phase]}** · {len(shown)} of {of} computed")
            for s in shown:
                st.latex(f"{s.symbol} = {s.numbers} = {s.value:.5g}")


def update_summary(walk: bp.Walkthrough) -> None:
    """The end: the loss before and after the update, every parameter's change, and whether it went downhill."""
    st.subheader("One gradient-descent step")
    m1, m2 = st.columns(2)
    m1.metric("Loss before the update", f"{walk.fwd.loss:.6f}")
    m2.metric("Loss after the update", f"{walk.loss_after:.6f}", delta=f"{walk.loss_after - walk.fwd.loss:.6f}",
              delta_color="inverse")  # fmt: skip
    st.dataframe(pd.DataFrame(bp.update_table(walk)), key="bp_update_table")
    if walk.loss_after > walk.fwd.loss:
        st.warning("The loss went up: the step overshot. Try a smaller learning rate.", icon=":material/trending_up:")
    else:
        st.success("Walkthrough complete: one step downhill.", icon=":material/check_circle:")
