"""Pure Plotly builders for the Perceptron and Activation-functions pages: arrays in, a figure out.

* ``plane_figure``: the input plane shaded by ŷ, the boundary line
  w0 + w1·x1 + w2·x2 = 0, the current input point and/or data points;
* ``activation_figure``: an activation and its derivative;
* ``gradient_figure``: the gradient's size per layer, one line per activation;
* ``loss_figure``: the training curves from 0 up, over whole epochs
  (``charts.curves_figure`` ticks at whole epochs).

No ``st.`` calls and no torch. Everything passes through ``charts.finite`` so
no NaN or infinity reaches a chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.ui.charts.base import BLUE, DIVERGING, ORANGE, add_points, base_layout, curves_figure, finite

LINE_COLOR = "#222222"
DERIVATIVE_COLOR = "#d62728"
ACTIVATION_COLORS = {
    "sigmoid": "#9467bd",
    "tanh": "#2ca02c",
    "relu": BLUE,
    "leaky_relu": "#17becf",
    "linear": "#7f7f7f",
    "step": ORANGE,
}


def plane_figure(
    axis: np.ndarray,
    y_hat: np.ndarray,
    zrange: tuple[float, float],
    segment: np.ndarray | None,
    point: tuple[float, float] | None = None,
    point_label: str = "",
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    height: int = 460,
    title: str | None = None,
) -> go.Figure:
    """ŷ over the square (heatmap), the boundary line, the input point and data points.

    ``y_hat`` is [res, res] with rows along x2; ``zrange`` is the colour range
    (centred on the value ŷ takes on the line); ``segment`` is the line's two
    end points inside the square, or None when there is no line.
    """
    axis = finite(axis)
    lo, hi = float(zrange[0]), float(zrange[1])
    fig = go.Figure(
        go.Heatmap(
            x=axis,
            y=axis,
            z=finite(y_hat),
            zmin=lo,
            zmax=hi,
            colorscale=DIVERGING,
            opacity=0.7,
            colorbar=dict(title=dict(text="ŷ"), thickness=12, len=0.8),
            hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>ŷ=%{z:.4f}<extra></extra>",
            name="ŷ",
        )
    )
    if points is not None and labels is not None and len(points):
        add_points(fig, points, labels, "binary", "data", "circle")
    if segment is not None:
        seg = finite(segment)
        fig.add_trace(
            go.Scatter(
                x=seg[:, 0],
                y=seg[:, 1],
                mode="lines",
                line=dict(color=LINE_COLOR, width=3),
                name="boundary z = 0",
                hoverinfo="skip",
            )
        )
    if point is not None:
        px, py = (float(v) for v in finite(np.asarray(point)))
        fig.add_trace(
            go.Scatter(
                x=[px],
                y=[py],
                mode="markers",
                marker=dict(symbol="star", size=18, color="#ffd700", line=dict(color="black", width=1.5)),
                name="your input x",
                hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>your input</extra>",
            )
        )
        if point_label:
            fig.add_annotation(
                x=px,
                y=py,
                text=point_label,
                showarrow=False,
                yshift=20,
                bgcolor="rgba(255,255,255,0.85)",
                font=dict(size=13),
            )
    lim = float(max(abs(axis[0]), abs(axis[-1])))
    fig.update_xaxes(range=[-lim, lim], title_text="x₁", constrain="domain", showgrid=False, zeroline=True)
    fig.update_yaxes(range=[-lim, lim], title_text="x₂", scaleanchor="x", scaleratio=1, showgrid=False, zeroline=True)
    return base_layout(fig, height, title)


def activation_figure(
    z: np.ndarray, values: np.ndarray, derivatives: np.ndarray, name: str, label: str, height: int = 340
) -> go.Figure:
    """g(z) and g'(z) on one chart."""
    fig = go.Figure()
    zz = finite(z)
    fig.add_trace(
        go.Scatter(
            x=zz, y=finite(values), name=f"{label} g(z)", line=dict(color=ACTIVATION_COLORS.get(name, BLUE), width=3)
        )
    )
    fig.add_trace(
        go.Scatter(x=zz, y=finite(derivatives), name="derivative g′(z)", line=dict(color=DERIVATIVE_COLOR, dash="dash"))
    )
    fig.update_xaxes(title_text="z", showgrid=True, gridcolor="#eee", zeroline=True, zerolinecolor="#999")
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=True, zerolinecolor="#999")
    return base_layout(fig, height, label)


def gradient_figure(norms: Mapping[str, np.ndarray], labels: Mapping[str, str], height: int = 380) -> go.Figure:
    """The gradient's size ‖∂L/∂W‖ at each layer (log scale), one line per activation."""
    fig = go.Figure()
    for name, values in norms.items():
        v = finite(values, fill=1e-30)
        v = np.clip(v, 1e-30, None)  # a log axis cannot show 0
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(v) + 1),
                y=v,
                mode="lines+markers",
                name=labels.get(name, name),
                line=dict(color=ACTIVATION_COLORS.get(name, BLUE), width=3),
                hovertemplate="layer %{x}<br>gradient size %{y:.2e}<extra>" + labels.get(name, name) + "</extra>",
            )
        )
    fig.update_xaxes(
        title_text="layer (1 = nearest the input)", dtick=1 if max(map(len, norms.values()), default=0) <= 15 else 2
    )
    # Log axis labels as 1e-12, never with SI prefixes (1p, 1n, 1µ).
    fig.update_yaxes(
        title_text="gradient size ‖∂L/∂W‖", type="log", showgrid=True, gridcolor="#eee", exponentformat="e"
    )
    return base_layout(fig, height)


def loss_figure(
    epochs: Sequence[int], train: Sequence[float | None], val: Sequence[float | None], height: int = 420
) -> go.Figure:
    """Training and validation loss over the epochs, from 0 up: a stuck loss (xor: ln 2 ≈ 0.693) looks flat."""
    fig = curves_figure(epochs, train, val, height=height)
    fig.update_yaxes(rangemode="tozero")
    return fig
