"""Pure Plotly builder for the backpropagation page: the 2-2-1 network with the numbers known so far.

Arrays and dicts in, a figure out; no ``st.`` and no torch. Nodes show their value once
the forward pass has reached them and their gradient ∂L/∂node once the backward pass has;
edges show their weight and, once computed, ∂L/∂weight. The current step is highlighted.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from playground.ui.charts.base import base_layout

NODE_POS = {
    "x1": (0.0, 1.0),
    "x2": (0.0, -1.0),
    "h1": (1.0, 1.0),
    "h2": (1.0, -1.0),
    "out": (2.0, 0.0),
    "loss": (3.0, 0.0),
}
NODE_NAME = {"x1": "x₁", "x2": "x₂", "h1": "h₁", "h2": "h₂", "out": "ŷ", "loss": "L"}
#: The value and gradient keys of each node (the output node shows ŷ, and ∂L/∂z next to it).
NODE_VALUE = {"h1": "h1", "h2": "h2", "out": "y_hat", "loss": "loss"}
NODE_GRAD = {"h1": "h1", "h2": "h2", "out": "y_hat"}
#: The edges with their weights: (from, to, parameter).
EDGES = (
    ("x1", "h1", "w11"), ("x2", "h1", "w21"), ("x1", "h2", "w12"), ("x2", "h2", "w22"),
    ("h1", "out", "v1"), ("h2", "out", "v2"), ("out", "loss", ""),
)  # fmt: skip
#: Every parameter's name with Unicode subscripts (the number inputs use these too).
WEIGHT_NAME = {
    "w11": "w₁₁", "w21": "w₂₁", "b1": "b₁", "w12": "w₁₂", "w22": "w₂₂", "b2": "b₂", "v1": "v₁", "v2": "v₂", "c": "c",
}  # fmt: skip
SUBSCRIPT = {"1": "₁", "2": "₂"}
HIGHLIGHT = "#f59322"
FORWARD_COLOR = "#0877bd"
BACKWARD_COLOR = "#d62728"


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def network_figure(
    inputs: Mapping[str, float],
    weights: Mapping[str, float],
    values: Mapping[str, float],
    grads: Mapping[str, float],
    highlight: tuple[str, str],
    phase: str,
    height: int = 470,
) -> go.Figure:
    """The network; ``values``/``grads`` hold only what has been computed so far.

    ``inputs`` has x1, x2 and y; ``weights`` all nine parameters; keys of ``values`` are
    node names (z1, h1, ..., loss), keys of ``grads`` nodes or parameters.
    """
    fig = go.Figure()
    accent = BACKWARD_COLOR if phase == "backward" else FORWARD_COLOR
    for a, b, param in EDGES:
        (xa, ya), (xb, yb) = NODE_POS[a], NODE_POS[b]
        hot = highlight == (a, b)
        fig.add_trace(
            go.Scatter(
                x=[xa, xb], y=[ya, yb], mode="lines", hoverinfo="skip", showlegend=False,
                line=dict(color=HIGHLIGHT if hot else "#bbbbbb", width=7 if hot else 2),
            )
        )  # fmt: skip
        if not param:
            continue
        # label a third of the way along the edge (so the labels of crossing edges do not meet)
        t = 0.5 if param in ("w11", "w22") else (0.27 if b in ("h1", "h2") else 0.42)
        lx, ly = xa + t * (xb - xa), ya + t * (yb - ya)
        ly += (0.16 if ya >= yb else -0.16) if b == "out" else 0.0
        text = f"{WEIGHT_NAME[param]} = {_fmt(weights[param])}"
        if param in grads:
            text += f"<br><span style='color:{BACKWARD_COLOR}'>∂L/∂{WEIGHT_NAME[param]} = {_fmt(grads[param])}</span>"
        fig.add_annotation(
            x=lx, y=ly + (0.12 if ya >= yb else -0.12), text=text, showarrow=False, font=dict(size=12),
            bgcolor="rgba(255,255,255,0.85)", bordercolor=HIGHLIGHT if hot else "rgba(0,0,0,0)", borderwidth=2,
        )  # fmt: skip
    xs, ys, texts, colors, sizes = [], [], [], [], []
    for node, (x, y) in NODE_POS.items():
        xs.append(x)
        ys.append(y)
        hot = highlight == (node, node) or (node == "out" and highlight[1] == "loss" and phase == "backward")
        colors.append(HIGHLIGHT if highlight == (node, node) else ("#e8f1f8" if node.startswith("x") else "white"))
        sizes.append(70 if hot else 62)
        lines = [f"<b>{NODE_NAME[node]}</b>"]
        if node in ("x1", "x2"):
            lines.append(_fmt(inputs[node]))
        elif NODE_VALUE.get(node) in values:
            lines.append(_fmt(values[NODE_VALUE[node]]))
        texts.append("<br>".join(lines))
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="markers+text", text=texts, textposition="middle center", hoverinfo="skip",
            showlegend=False, textfont=dict(size=14, color="#222222"),
            marker=dict(size=sizes, color=colors, opacity=1.0, line=dict(color=accent, width=2)),
        )
    )  # fmt: skip
    # what sits beside each node: z and ∂L/∂(node), ∂L/∂z, the bias and its gradient, the target
    for node, (x, y) in NODE_POS.items():
        notes = []
        if node in ("h1", "h2"):
            j = node[1]
            sub = SUBSCRIPT[j]  # b₁, z₁, ∂L/∂h₁ for neuron 1
            notes.append(f"b{sub} = {_fmt(weights['b' + j])}")
            if "z" + j in values:
                notes.append(f"z{sub} = {_fmt(values['z' + j])}")
            if "b" + j in grads:
                notes.append(f"<span style='color:{BACKWARD_COLOR}'>∂L/∂b{sub} = {_fmt(grads['b' + j])}</span>")
            if "z" + j in grads:
                notes.append(f"<span style='color:{BACKWARD_COLOR}'>∂L/∂z{sub} = {_fmt(grads['z' + j])}</span>")
            if node in grads:
                notes.append(f"<span style='color:{BACKWARD_COLOR}'>∂L/∂h{sub} = {_fmt(grads[node])}</span>")
        elif node == "out":
            notes.append(f"c = {_fmt(weights['c'])}")
            if "z" in values:
                notes.append(f"z = {_fmt(values['z'])}")
            if "c" in grads:
                notes.append(f"<span style='color:{BACKWARD_COLOR}'>∂L/∂c = {_fmt(grads['c'])}</span>")
            if "z" in grads:
                notes.append(f"<span style='color:{BACKWARD_COLOR}'>∂L/∂z = {_fmt(grads['z'])}</span>")
            if "y_hat" in grads:
                notes.append(f"<span style='color:{BACKWARD_COLOR}'>∂L/∂ŷ = {_fmt(grads['y_hat'])}</span>")
        elif node == "loss":
            notes.append(f"target y = {_fmt(inputs['y'])}")
        if notes:
            fig.add_annotation(
                x=x, y=y - 0.36 if y <= 0 else y + 0.36, text="<br>".join(notes), showarrow=False,
                yanchor="top" if y <= 0 else "bottom", font=dict(size=12),
                bgcolor="rgba(255,255,255,0.9)",
            )  # fmt: skip
    fig.update_xaxes(range=[-0.35, 4.3], visible=False)
    fig.update_yaxes(range=[-2.2, 2.3], visible=False)
    fig.update_layout(plot_bgcolor="white", dragmode=False)
    return base_layout(fig, height)
