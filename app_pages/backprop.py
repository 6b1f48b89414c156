"""Backpropagation page: a 2-2-1 network and one example, forward node by node, backward edge by edge.

Every number comes from ``playground.lessons.backprop`` (checked against torch.autograd in the tests);
the controls and views from ``playground.ui.backprop_views``, the diagram from
``playground.ui.charts.backprop``. Step forward and back with the buttons or the slider; at the end,
one gradient-descent update and the loss before and after.

Link parameters (``playground.lessons.backprop.LINK_KEYS``): the nine parameters w11 … c, the example x1, x2, y,
lr, activation, loss, step and seed; a bad value falls back to its default with a notice.
"""

from __future__ import annotations

import streamlit as st

from playground.lessons import backprop as bp
from playground.spec import Spec
from playground.ui import backprop_views as views
from playground.ui import state, widgets
from playground.ui.backprop_views import PAGE, BackpropState

# 1. This user's state; the link is read on the first visit.
pg = state.page_state(PAGE, BackpropState)
views.read_link(pg)

st.title("Backpropagation")
widgets.page_header(PAGE)
st.write(
    "How does the network find ∂L/∂w for every weight? The chain rule, applied from the loss backwards: each "
    "gradient is the gradient one step closer to the loss times a local derivative. Step through it with the numbers."
)

# 2. The network and the example.
with st.expander("The network and the example", icon=":material/edit:", expanded=False):
    net, example, lr = views.setup_controls()

# 3. The lesson: forward, backward and one update.
walk = bp.walkthrough(net, example, lr)
st.latex(
    r"z_j = w_{1j}x_1 + w_{2j}x_2 + b_j,\;\; h_j = g(z_j),\;\; z = v_1h_1 + v_2h_2 + c,\;\; \hat y = \sigma(z),\;\; "
    + "L = " + bp.LOSS_LATEX[net.loss]
)  # fmt: skip

# 4. The walkthrough up to the chosen step.
k = views.step_controls(pg, len(walk.steps))
views.diagram(walk, k)
views.current_step(walk, k)
views.steps_so_far(walk, k)
if k == len(walk.steps):
    views.update_summary(walk)

state.write_url(Spec(), Spec(), bp.link_params(bp.link_values(net, example, lr, k, views.seed())))
