"""Pure Plotly builders for the overfitting lab: arrays in, a figure out.

* ``gap_figure``: training and validation curves with the gap between them
  shaded, markers at the best, early-stop and restored epochs and at the onset
  of overfitting, and (optionally) the learning rate on a second, logarithmic
  axis with a marker at each drop;
* ``overlay_figure``: several runs on one chart (validation solid, training
  dashed, one colour per run), each early stop marked with an ×;
* ``small_boundary``: one run's decision boundary, small, to put side by side
  (``charts.boundary_figure`` underneath).

No ``st.`` calls and no torch. Every value passes ``charts.finite`` /
``finite_or_none``: no NaN reaches a chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from playground.ui.charts.base import (
    TRAIN_COLOR,
    VAL_COLOR,
    base_layout,
    boundary_figure,
    finite,
    finite_or_none,
    whole_epoch_ticks,
)

GAP_FILL = "rgba(255, 127, 14, 0.18)"
BEST_COLOR = "#2ca02c"
STOP_COLOR = "#d62728"
RESTORED_COLOR = "#9467bd"
ONSET_COLOR = "#8c564b"
LR_COLOR = "#7f7f7f"
#: One colour per kept run (the page keeps up to ten).
RUN_COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#7f7f7f",
)


def _marker(fig: go.Figure, epoch: int, text: str, color: str, dash: str, row: int) -> None:
    """A vertical line at ``epoch`` with its label at the top, stacked by ``row`` so labels never overlap."""
    fig.add_vline(x=epoch, line=dict(color=color, dash=dash, width=1.5))
    fig.add_annotation(
        x=epoch,
        y=1.0 - 0.09 * row,
        yref="paper",
        text=text,
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font=dict(color=color, size=12),
        bgcolor="rgba(255,255,255,0.8)",
    )


def gap_figure(
    epochs: Sequence[int],
    train: Sequence[float | None],
    val: Sequence[float | None],
    ylabel: str = "loss",
    best_epoch: int | None = None,
    stop_epoch: int | None = None,
    restored_epoch: int | None = None,
    onset_epoch: int | None = None,
    lr: Sequence[float] | None = None,
    lr_drops: Sequence[int] = (),
    height: int = 340,
    title: str | None = None,
    x_max: int | None = None,
) -> go.Figure:
    """Train and validation curves, the gap between them shaded, and the run's markers.

    ``x_max`` fixes the epoch axis (the planned number of epochs), so live curves
    grow across a still axis. Accuracy is drawn on [0, 1].

    ``lr`` (one value per epoch) adds the learning rate on a second, logarithmic
    y axis; each epoch in ``lr_drops`` (1-based, the epoch after which the rate
    was cut) gets a triangle on that line.
    """
    fig = go.Figure()
    x = list(epochs)
    fig.add_trace(go.Scatter(x=x, y=finite_or_none(train), name=f"train {ylabel}", line=dict(color=TRAIN_COLOR)))
    # fill="tonexty" shades between this trace and the previous one: the generalization gap.
    fig.add_trace(
        go.Scatter(
            x=x,
            y=finite_or_none(val),
            name=f"validation {ylabel}",
            line=dict(color=VAL_COLOR),
            fill="tonexty",
            fillcolor=GAP_FILL,
        )
    )
    row = 0
    if onset_epoch is not None and onset_epoch != best_epoch:
        _marker(fig, onset_epoch, f"rising from {onset_epoch}", ONSET_COLOR, "dot", row)
        row += 1
    if best_epoch is not None:
        label = f"best {best_epoch}" + (" = restored" if restored_epoch == best_epoch else "")
        _marker(fig, best_epoch, label, BEST_COLOR, "dot", row)
        row += 1
    if restored_epoch is not None and restored_epoch != best_epoch:
        _marker(fig, restored_epoch, f"restored {restored_epoch}", RESTORED_COLOR, "dashdot", row)
        row += 1
    if stop_epoch is not None:
        _marker(fig, stop_epoch, f"stop {stop_epoch}", STOP_COLOR, "dash", row)
    if lr is not None and len(lr) == len(x) and len(x) > 0:
        lr_values = np.clip(finite(lr, fill=1e-12), 1e-12, None)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=lr_values,
                name="learning rate",
                yaxis="y2",
                line=dict(color=LR_COLOR, width=1.5, shape="hv"),
                hovertemplate="epoch %{x}<br>lr %{y:.3g}<extra></extra>",
            )
        )
        drops = [e for e in lr_drops if e in set(x)]
        if drops:
            index = {e: i for i, e in enumerate(x)}
            # The cut takes effect from the next epoch: mark the new, lower rate there when it exists.
            y_drop = [float(lr_values[min(index[e] + 1, len(x) - 1)]) for e in drops]
            fig.add_trace(
                go.Scatter(
                    x=drops,
                    y=y_drop,
                    mode="markers",
                    name="LR drop",
                    yaxis="y2",
                    marker=dict(symbol="triangle-down", size=10, color=LR_COLOR),
                    hovertemplate="learning rate cut after epoch %{x}<extra></extra>",
                )
            )
        fig.update_layout(
            yaxis2=dict(
                title_text="learning rate", type="log", overlaying="y", side="right", showgrid=False, tickformat=".0e"
            )
        )
    # Loss and accuracy charts of one run share their epoch axis: 0 to the planned (or last) epoch.
    right = max([*x, x_max or 0]) or 1
    fig.update_xaxes(title_text="epoch", range=[0, right], showgrid=True, gridcolor="#eee")
    whole_epoch_ticks(fig, right)
    y_range = [0, 1.02] if ylabel == "accuracy" else (None if x else [0, 1])
    fig.update_layout(yaxis=dict(title_text=ylabel, rangemode="tozero", range=y_range, showgrid=True, gridcolor="#eee"))
    return base_layout(fig, height, title)


@dataclass(frozen=True)
class RunCurves:
    """What the overlay needs of one run."""

    name: str
    epochs: Sequence[int]
    train: Sequence[float | None]
    val: Sequence[float | None]
    stop_epoch: int | None = None
    best_epoch: int | None = None


def overlay_figure(
    runs: Sequence[RunCurves], ylabel: str = "loss", height: int = 380, title: str | None = None
) -> go.Figure:
    """Several runs on one chart: validation solid, training dashed, one colour per run.

    A run stopped early gets an × and "stop N" on its validation curve; the best
    epoch a small circle.
    """
    fig = go.Figure()
    for i, run in enumerate(runs):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        x = list(run.epochs)
        val = finite_or_none(run.val)
        fig.add_trace(
            go.Scatter(x=x, y=val, name=f"{run.name} · validation", legendgroup=run.name, line=dict(color=color))
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=finite_or_none(run.train),
                name=f"{run.name} · train",
                legendgroup=run.name,
                line=dict(color=color, dash="dash", width=1.2),
                opacity=0.7,
            )
        )
        index = {e: k for k, e in enumerate(x)}
        if run.best_epoch in index and val[index[run.best_epoch]] is not None:
            fig.add_trace(
                go.Scatter(
                    x=[run.best_epoch],
                    y=[val[index[run.best_epoch]]],
                    mode="markers",
                    legendgroup=run.name,
                    showlegend=False,
                    marker=dict(symbol="circle", size=9, color=color, line=dict(color="white", width=1)),
                    hovertemplate=f"{run.name}<br>best epoch %{{x}}<extra></extra>",
                )
            )
        if run.stop_epoch in index and val[index[run.stop_epoch]] is not None:
            fig.add_trace(
                go.Scatter(
                    x=[run.stop_epoch],
                    y=[val[index[run.stop_epoch]]],
                    mode="markers+text",
                    text=[f"stop {run.stop_epoch}"],
                    textposition="top center",
                    textfont=dict(color=color),
                    legendgroup=run.name,
                    showlegend=False,
                    marker=dict(symbol="x", size=12, color=color),
                    hovertemplate=f"{run.name}<br>early stop at epoch %{{x}}<extra></extra>",
                )
            )
    fig.update_xaxes(title_text="epoch", rangemode="tozero", showgrid=True, gridcolor="#eee")
    whole_epoch_ticks(fig, max((max(r.epochs, default=1) for r in runs), default=1))
    fig.update_yaxes(title_text=ylabel, rangemode="tozero", showgrid=True, gridcolor="#eee")
    fig = base_layout(fig, height, title)
    # Run names are long: the legend goes below the chart, one run per line.
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=-0.2, xanchor="left", x=0.0))
    return fig


def small_boundary(
    axis: np.ndarray,
    values: np.ndarray,
    problem: str,
    train_points: np.ndarray | None,
    train_labels: np.ndarray | None,
    title: str,
    height: int = 280,
) -> go.Figure:
    """A run's decision boundary with its training points, small and without a legend."""
    wrapped = "<br>".join(textwrap.wrap(title, 34)[:3]) or " "
    fig = boundary_figure(axis, values, problem, train_points, train_labels, height=height, title=wrapped)
    fig.update_layout(showlegend=False, margin=dict(l=5, r=5, t=20 + 18 * wrapped.count("<br>") + 20, b=5))
    fig.update_layout(title=dict(font=dict(size=13)))
    fig.update_xaxes(title_text=None, showticklabels=False)
    fig.update_yaxes(title_text=None, showticklabels=False)
    return fig
