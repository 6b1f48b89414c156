"""Backpropagation page: a 2-2-1 network and one example, forward node by node, backward edge by edge.

Every number comes from ``playground.lessons.backprop`` (checked against torch.autograd in the tests);
the diagram from ``playground.ui.charts.backprop``. Step forward and back with the buttons or
the slider; at the end, one gradient-descent update and the loss before and after.

Link parameters (``playground.lessons.backprop.LINK_KEYS``): the nine parameters w11 … c, the example x1, x2, y,
lr, activation, loss, step and seed; a bad value falls back to its default with a notice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from playground.lessons import backprop as bp
from playground.spec import Spec
from playground.ui import state, widgets
from playground.ui.charts import backprop as charts_backprop

PAGE = "backprop"
WEIGHT_KEYS = {name: f"bp_{name}" for name in bp.PARAMS}
LR_OPTIONS = bp.LR_OPTIONS
PHASE_TITLE = {"forward": "Forward pass", "backward": "Backward pass", "update": "Update"}


def fill_weights(net: bp.Network) -> None:
    for name, value in net.params().items():
        state.put(WEIGHT_KEYS[name], round(value, 4))


def on_worked_example() -> None:
    fill_weights(bp.Network())
    state.put("bp_x1", bp.Example().x1)
    state.put("bp_x2", bp.Example().x2)
    state.put("bp_y", 1)


def on_random() -> None:
    fill_weights(bp.random_network(int(state.get("bp_seed", lambda: 0))))


def read_link() -> None:
    """On the first visit, take the page's settings from the link; each bad value becomes a notice."""
    if state.get(f"{PAGE}:link_read", lambda: False):
        return
    values, notices = bp.parse_link(state.query_params())
    for name, value in values.items():
        state.put(f"bp_{name}", value)  # every link name is its widget's key without "bp_"
    state.put(f"notices:{PAGE}", notices)
    state.put(f"{PAGE}:link_read", True)


def move(delta: int | None = None, to: int | None = None) -> None:
    """Step through the walkthrough (clamped to its length)."""
    total = state.get(f"{PAGE}:total", lambda: bp.WALK_STEPS)
    current = int(state.get("bp_step", lambda: 0))
    target = to if to is not None else current + (delta or 0)
    state.put("bp_step", max(0, min(total, target)))


def control(key: str, default: Any, draw: Callable[[], Any]) -> Any:
    """Draw the widget unless classroom mode hides it; either way return its value."""
    state.get(key, lambda: default)
    return draw() if state.visible(key) else state.get(key, lambda: default)


def number(key: str, label: str, default: float, limit: float = bp.WEIGHT_LIMIT) -> float:
    return float(control(key, default, partial(st.number_input, label, -limit, limit, step=0.05, key=key,
                                               format="%.4g")))  # fmt: skip


read_link()
st.title("Backpropagation")
widgets.page_header(PAGE)
st.write(
    "How does the network find ∂L/∂w for every weight? The chain rule, applied from the loss backwards: each "
    "gradient is the gradient one step closer to the loss times a local derivative. Step through it with the numbers."
)

with st.expander("The network and the example", icon=":material/edit:", expanded=False):
    b1, b2, b3, b4 = st.columns(4)
    b1.button("Worked example", key="bp_example", on_click=on_worked_example, icon=":material/school:")
    with b2:
        control("bp_seed", 0, partial(st.number_input, "Seed", 0, 9999, step=1, key="bp_seed"))
    b3.button("Random weights", key="bp_random", on_click=on_random, icon=":material/casino:")
    with b4:
        activation = control("bp_activation", "sigmoid", partial(st.selectbox, "Hidden activation g", bp.ACTIVATIONS,
                                                                 key="bp_activation"))  # fmt: skip
        loss_kind = control("bp_loss", "squared", partial(
            st.selectbox, "Loss", bp.LOSSES, key="bp_loss",
            format_func=lambda k: "squared error ½(ŷ − y)²" if k == "squared" else "binary cross-entropy"))  # fmt: skip
    cols = st.columns(9)
    defaults = bp.Network().params()
    weights = {}
    for col, name in zip(cols, bp.PARAMS, strict=True):
        with col:
            weights[name] = number(WEIGHT_KEYS[name], charts_backprop.WEIGHT_NAME.get(name, name), defaults[name])
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        x1 = number("bp_x1", "input x₁", bp.Example().x1)
    with c2:
        x2 = number("bp_x2", "input x₂", bp.Example().x2)
    with c3:
        y = control("bp_y", 1, partial(st.radio, "target y", [0, 1], key="bp_y", horizontal=True))
    with c4:
        lr = control("bp_lr", 0.5, partial(st.select_slider, "learning rate η", LR_OPTIONS, key="bp_lr"))

net = bp.Network(activation=activation, loss=loss_kind, **weights)
example = bp.Example(x1, x2, float(y))
walk = bp.walkthrough(net, example, float(lr))
total = len(walk.steps)
state.put(f"{PAGE}:total", total)

st.latex(
    r"z_j = w_{1j}x_1 + w_{2j}x_2 + b_j,\;\; h_j = g(z_j),\;\; z = v_1h_1 + v_2h_2 + c,\;\; \hat y = \sigma(z),\;\; "
    + "L = " + bp.LOSS_LATEX[net.loss]
)  # fmt: skip
state.put("bp_step", min(int(state.get("bp_step", lambda: 0)), total))
at_start, at_end = state.get("bp_step", lambda: 0) == 0, state.get("bp_step", lambda: 0) == total
n1, n2, n3, n4, n5 = st.columns([1, 1, 1, 1, 3])
n1.button("Start over", key="bp_restart", on_click=move, kwargs={"to": 0}, icon=":material/first_page:",
          disabled=at_start)  # fmt: skip
n2.button("Back", key="bp_prev", on_click=move, kwargs={"delta": -1}, icon=":material/chevron_left:",
          disabled=at_start)  # fmt: skip
n3.button("Next step", key="bp_next", on_click=move, kwargs={"delta": 1}, icon=":material/chevron_right:",
          type="primary", disabled=at_end)  # fmt: skip
n4.button("To the end", key="bp_end", on_click=move, kwargs={"to": total}, icon=":material/last_page:",
          disabled=at_end)  # fmt: skip
with n5:
    k = int(control("bp_step", 0, partial(st.slider, "Step", 0, total, key="bp_step")))

done = walk.steps[:k]
values = {s.key: s.value for s in done if s.phase == "forward"}
grads = {s.key.removeprefix("d_"): s.value for s in done if s.phase == "backward"}
current = done[-1] if done else None
fig = charts_backprop.network_figure(
    {"x1": x1, "x2": x2, "y": float(y)}, weights, values, grads,
    current.highlight if current else ("", ""), current.phase if current else "forward",
)  # fmt: skip
st.plotly_chart(fig, key="bp_network", config={"displayModeBar": False, "staticPlot": True})
with st.container(border=True):
    if current is None:
        st.info("Press **Next step** to start the forward pass.", icon=":material/play_arrow:")
    else:
        st.markdown(f"**Step {k} of {total} · {PHASE_TITLE[current.phase]}**")
        if current.phase == "update":
            # the rule with η, then every parameter before → after, then the loss before → after
            for line in bp.update_lines(walk):
                st.latex(line)
            st.caption("Every parameter moves against its gradient, by η times it; then the same example again.")
        else:
            st.latex(f"{current.symbol} = {current.formula} = {current.numbers} = {current.value:.5g}")
        if current.phase == "backward":
            st.caption("Chain rule: the gradient one step closer to the loss × the local derivative of this edge.")
for column, phase in zip(st.columns(2), ("forward", "backward"), strict=True):
    shown = [s for s in done if s.phase == phase]
    with column:
        st.markdown(f"**{PHASE_TITLE[phase]}** · {len(shown)} of {sum(s.phase == phase for s in walk.steps)} computed")
        for s in shown:
            st.latex(f"{s.symbol} = {s.numbers} = {s.value:.5g}")

if k == total:
    st.subheader("One gradient-descent step")
    m1, m2 = st.columns(2)
    m1.metric("Loss before the update", f"{walk.fwd.loss:.6f}")
    m2.metric("Loss after the update", f"{walk.loss_after:.6f}", delta=f"{walk.loss_after - walk.fwd.loss:.6f}",
              delta_color="inverse")  # fmt: skip
    st.dataframe(
        pd.DataFrame(
            {"before": net.params(), "∂L/∂w": {p: walk.grads[p] for p in bp.PARAMS}, "after": walk.updated.params()}
        ),
        key="bp_update_table",
    )
    if walk.loss_after > walk.fwd.loss:
        st.warning("The loss went up: the step overshot. Try a smaller learning rate.", icon=":material/trending_up:")
    else:
        st.success("Walkthrough complete: one step downhill.", icon=":material/check_circle:")
link = {"activation": activation, "loss": loss_kind, "lr": float(lr), "x1": x1, "x2": x2, "y": int(y), "step": k,
        "seed": int(state.get("bp_seed", lambda: 0)), **weights}  # fmt: skip
state.write_url(Spec(), Spec(), bp.link_params(link))
