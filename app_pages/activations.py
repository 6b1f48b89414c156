"""The Activation-functions page: each activation with its derivative, and vanishing gradients.

1. Sigmoid, tanh, ReLU, leaky ReLU and linear plotted with their derivatives
   (derivatives by autograd), with the lecture's facts for each.
2. The vanishing-gradient demonstration: the gradient's size at each layer of a
   deep stack, sigmoid against tanh and ReLU, computed by the engine.
"""

import numpy as np
import streamlit as st

from playground.lessons import activations as lesson
from playground.lessons.perceptron import fmt
from playground.spec import Spec
from playground.ui import activations_views as views
from playground.ui import state, widgets
from playground.ui.charts.perceptron import activation_figure, gradient_figure

PAGE = views.PAGE
Z = np.linspace(-6.0, 6.0, 241)  # the z axis of every activation chart

ps = state.page_state(PAGE, views.ActivationsState)
views.read_link(ps)

st.title("2 · Activation functions")
widgets.page_header(PAGE)
views.link_warnings(ps)
st.markdown(
    "The activation $g$ makes a neuron non-linear: $\\hat y = g(z)$. Without it, any stack of layers is one "
    "linear function. Training needs its **derivative** $g'(z)$: backpropagation multiplies one of them per layer."
)

# -- 1. One activation in detail.
st.subheader("The functions and their derivatives")
name = "sigmoid"
if state.visible("activation"):
    name = st.radio(
        "Activation",
        lesson.PLOT_ACTIVATIONS,
        format_func=lesson.LABELS.__getitem__,
        horizontal=True,
        key="act_name",
    )
slope = lesson.LEAKY_SLOPE
if name == "leaky_relu" and state.visible("slope"):
    slope = st.slider("Leaky ReLU slope α for z < 0", 0.01, 0.5, lesson.LEAKY_SLOPE, step=0.01, key="act_slope")
values, derivatives = lesson.curve(name, Z, slope)
facts = lesson.FACTS[name]
chart_col, facts_col = st.columns([3, 2], gap="large")
chart_col.plotly_chart(
    activation_figure(Z, values, derivatives, name, lesson.LABELS[name]),
    key="act_chart",
    config={"displayModeBar": False},
)
with facts_col:
    st.latex(facts.formula)
    st.latex(facts.derivative)
    st.markdown(
        f"- **Output range:** {facts.output_range}\n"
        f"- **Zero-centred:** {'yes' if facts.zero_centred else 'no'}\n"
        f"- **Sparse (exact zeros):** {'yes' if facts.sparse else 'no'}\n"
        f"- **Largest derivative:** {fmt(float(np.max(derivatives)), 3)}\n\n"
        f"{facts.note}"
    )

with st.expander("All five side by side", icon=":material/table_chart:"):
    rows = []
    for other in lesson.PLOT_ACTIVATIONS:
        f = lesson.FACTS[other]
        _v, d = lesson.curve(other, Z, slope)
        rows.append(
            {
                "activation": lesson.LABELS[other],
                "output range": f.output_range,
                "zero-centred": "yes" if f.zero_centred else "no",
                "sparse": "yes" if f.sparse else "no",
                "largest derivative": round(float(np.max(d)), 3),
                "saturates (g′ → 0)": "yes" if float(min(d[0], d[-1])) < 0.01 else "no",
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")

# -- 2. Vanishing gradients: the chain rule multiplies one g'(z) per layer.
st.divider()
st.subheader("Vanishing gradients")
st.markdown(
    "Backpropagation reaches layer $k$ through every layer above it, multiplying one derivative $g'(z)$ per "
    "layer. With sigmoid each factor is at most 0.25, so the gradient shrinks geometrically on its way to the "
    "first layers, and they barely learn. ReLU's derivative is exactly 1 where the unit is active."
)
state.get("act_depth", lambda: ps.link_depth)
depth = ps.link_depth
if state.visible("depth"):
    depth = st.slider("Number of layers", lesson.DEPTH_MIN, lesson.DEPTH_MAX, step=1, key="act_depth")
norms = {act: lesson.gradient_per_layer(act, depth) for act in ("sigmoid", "tanh", "relu")}
st.plotly_chart(gradient_figure(norms, lesson.LABELS), key="act_gradients", config={"displayModeBar": False})
ratio = {act: float(v[0] / v[-1]) if v[-1] > 0 else 0.0 for act, v in norms.items()}
c1, c2, c3 = st.columns(3)
for col, act in zip((c1, c2, c3), norms, strict=True):
    col.metric(f"{lesson.LABELS[act]}: first layer / last layer", f"{ratio[act]:.1e}")
st.caption(
    f"{depth} dense layers of 32 units with the same glorot-uniform weights (Keras's default) and 128 random "
    "inputs; the size is the norm of ∂L/∂W for each layer's weights, computed by autograd."
)
state.write_url(Spec(), Spec(), extra={"depth": str(depth)} if depth != lesson.DEPTH_DEFAULT else None)
