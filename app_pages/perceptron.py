"""The Perceptron page: one neuron to touch, then train, then watch it fail on xor.

1. Inputs, weights and activation (defaults: the lecture's "will I pass this class?").
2. The forward pass with the numbers, and the input plane with the boundary line.
3. Training a perceptron live (Play / Pause / Step / Reset) on a 2-D data set.
4. The code: the lecture's Keras and the same in PyTorch, with the current weights.

The controls, callbacks and live view are in ``playground.ui.perceptron_views``; the numbers in
``playground.lessons.perceptron``.
"""

import streamlit as st

from playground.lessons import perceptron as lesson
from playground.ui import perceptron_views as views
from playground.ui import state, widgets

PAGE = views.PAGE
DEFAULT = lesson.default_training_spec()

ps = state.page_state(PAGE, views.PerceptronState)
views.read_link(ps, DEFAULT)
spec = state.page_spec(PAGE, DEFAULT)

st.title("1 · The perceptron")
widgets.page_header(PAGE)
views.link_warnings(ps)
st.markdown(
    "A perceptron multiplies each input by a weight, adds a bias $w_0$ and passes the sum through a "
    "non-linear **activation** $g$. The lecture's example: *will I pass this class?* from "
    "$x_1$ = lectures attended and $x_2$ = hours spent procrastinating."
)

# -- 1. Controls, and 2. the forward pass with the numbers and the plane.
left, right = st.columns([1, 2], gap="large")
with left:
    st.subheader("Inputs and weights")
    neuron = views.neuron_controls(ps)
with right:
    st.subheader("Forward pass")
    views.forward_pass(neuron)

# -- 3. Training: the shared trainer with no hidden layer (sigmoid output, cross-entropy).
st.divider()
st.subheader("Train the perceptron")
st.markdown(
    "Gradient descent moves the weights to lower the binary cross-entropy; watch the line move epoch by epoch. "
    "Training always uses the sigmoid output, as the lecture's `Dense(units=1, activation='sigmoid')`."
)
spec, _ = lesson.perceptron_spec(views.training_controls(ps, spec))
state.set_page_spec(PAGE, spec, DEFAULT, extra=neuron.params())
views.sync_trainer(ps, spec)
views.training_buttons(ps)
views.why_one_line_fails(spec.data.dataset)
views.live_training(ps, spec)

# -- 4. The code, with the current weights.
with st.expander("Show the code", icon=":material/code:"):
    keras_tab, torch_tab = st.tabs(["Keras (the lecture)", "PyTorch"])
    keras_tab.code(lesson.keras_code(neuron), language="python")
    torch_tab.code(lesson.pytorch_code(neuron), language="python")
