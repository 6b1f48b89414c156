"""Pure Plotly builders for the loss-functions page: arrays in, a figure out (no ``st.``, no torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.ui.charts import BLUE, GREY, ORANGE, _base_layout, finite

LOSS_COLORS = {"bce": BLUE, "cce": "#2ca02c", "mse": ORANGE}
#: The y axis stops here: the clipped cross-entropy tops out near 16, far above what is worth seeing.
Y_CAP = 5.0


def loss_curve_figure(
    p: np.ndarray,
    values: np.ndarray,
    name: str,
    label: str,
    prediction: float,
    loss_at_prediction: float,
    xlabel: str = "prediction ŷ = P(class 1)",
    height: int = 300,
) -> go.Figure:
    """One loss against the prediction, with the chosen prediction marked and its loss written."""
    fig = go.Figure()
    color = LOSS_COLORS.get(name, GREY)
    fig.add_trace(
        go.Scatter(
            x=finite(p),
            y=finite(values),
            mode="lines",
            name=label,
            line=dict(color=color, width=3),
            hovertemplate="ŷ=%{x:.3f}<br>loss=%{y:.3f}<extra></extra>",
        )
    )
    y_pt = float(finite([loss_at_prediction])[0])
    fig.add_trace(
        go.Scatter(
            x=[float(prediction)],
            y=[min(y_pt, Y_CAP)],
            mode="markers+text",
            marker=dict(size=12, color=color, line=dict(color="black", width=1)),
            text=[f"L = {y_pt:.3f}"],
            textposition="top center" if prediction < 0.7 else "top left",
            name="your prediction",
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title_text=xlabel, range=[0, 1], showgrid=True, gridcolor="#eee")
    fig.update_yaxes(title_text="loss", range=[0, Y_CAP], showgrid=True, gridcolor="#eee")
    fig.update_layout(showlegend=False)
    return _base_layout(fig, height)


def risk_bars_figure(
    per_example: Mapping[str, np.ndarray],
    risk: Mapping[str, float],
    labels: Mapping[str, str],
    example_names: Sequence[str],
    height: int = 340,
) -> go.Figure:
    """Per-example losses as grouped bars, and each loss's mean (the empirical risk) as a dashed line."""
    fig = go.Figure()
    for name, values in per_example.items():
        color = LOSS_COLORS.get(name, GREY)
        fig.add_trace(
            go.Bar(
                x=list(example_names),
                y=finite(values),
                name=labels.get(name, name),
                marker_color=color,
                hovertemplate="%{x}: %{y:.3f}<extra>" + labels.get(name, name) + "</extra>",
            )
        )
        mean = float(finite([risk[name]])[0])
        fig.add_hline(
            y=mean,
            line=dict(color=color, dash="dash", width=2),
            annotation_text=f"J = {mean:.3f}",
            annotation_position="top right",
            annotation_font_color=color,
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="loss", showgrid=True, gridcolor="#eee", rangemode="tozero")
    return _base_layout(fig, height)
