"""Pure Plotly builders for the loss-functions page: arrays in, a figure out (no ``st.``, no torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.ui.charts.base import BLUE, GREY, ORANGE, base_layout, finite

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
    return base_layout(fig, height)


def risk_bars_figure(
    per_example: Mapping[str, np.ndarray],
    risk: Mapping[str, float],
    labels: Mapping[str, str],
    example_names: Sequence[str],
    height: int = 340,
) -> go.Figure:
    """Per-example losses as grouped bars, and each loss's mean (the empirical risk) as a dashed line.

    Each line's label "J = …" sits at the right end above its line. Risks closer than a label's
    height share one label (equal ones say so once: with two classes CCE is exactly BCE), so no
    two labels ever cover each other.
    """
    fig = go.Figure()
    means = {name: float(finite([risk[name]])[0]) for name in per_example}
    tallest = 0.0
    for name, values in per_example.items():
        color = LOSS_COLORS.get(name, GREY)
        bars = finite(values)
        tallest = max(tallest, float(bars.max(initial=0.0)))
        fig.add_trace(
            go.Bar(
                x=list(example_names),
                y=bars,
                name=labels.get(name, name),
                marker_color=color,
                hovertemplate="%{x}: %{y:.3f}<extra>" + labels.get(name, name) + "</extra>",
            )
        )
        fig.add_hline(y=means[name], line=dict(color=color, dash="dash", width=2))
    # A fixed range makes a label's height known in data units: LABEL_PX of a plot about plot_px tall
    # (the figure less its margins and the legend above it).
    plot_px = height - 20 - LEGEND_PX
    top = max(1.08 * tallest, max(means.values(), default=0.0) / (1.0 - 1.5 * LABEL_PX / plot_px), 0.05)
    for group in _label_groups(means, gap=top * LABEL_PX / plot_px):
        fig.add_annotation(
            x=1.0, xref="paper", xanchor="right", y=max(means[n] for n in group), yref="y", yanchor="bottom",
            text="\u00a0\u00a0\u00a0".join(_label_text(same, means[same[0]], labels) for same in _same_value(group, means)),
            showarrow=False, font=dict(size=12, color=GREY), bgcolor="rgba(255,255,255,0.8)",
        )  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="loss", showgrid=True, gridcolor="#eee", range=[0.0, top])
    return base_layout(fig, height)


#: A risk label's height in pixels (12 px text and its padding), and the legend's above the plot.
LABEL_PX = 18
LEGEND_PX = 30


def _label_groups(means: Mapping[str, float], gap: float) -> list[list[str]]:
    """The losses by risk, bottom up; a risk within ``gap`` of the group below joins that group's label."""
    groups: list[list[str]] = []
    for name in sorted(means, key=lambda n: means[n]):
        if groups and means[name] - means[groups[-1][-1]] < gap:
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def _same_value(group: list[str], means: Mapping[str, float]) -> list[list[str]]:
    """The group's losses gathered by the value their label shows (3 decimals), highest first."""
    shown: dict[str, list[str]] = {}
    for name in sorted(group, key=lambda n: -means[n]):
        shown.setdefault(f"{means[name]:.3f}", []).append(name)
    return list(shown.values())


def _label_text(names: list[str], mean: float, labels: Mapping[str, str]) -> str:
    """One risk's label: "J = 0.140" in its loss's colour; for equal risks "J = 0.419 · BCE = CCE", names coloured."""
    if len(names) == 1:
        return f"<span style='color:{LOSS_COLORS.get(names[0], GREY)}'>J = {mean:.3f}</span>"
    same = " = ".join(f"<span style='color:{LOSS_COLORS.get(n, GREY)}'>{labels.get(n, n)}</span>" for n in names)
    return f"J = {mean:.3f} · {same}"
