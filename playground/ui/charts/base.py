"""Pure Plotly chart builders shared by the pages: arrays in, a figure out.

No ``st.`` calls and no torch here. Every builder sanitises its input so that
no NaN or infinity ever reaches a chart (``finite``). Colours follow
TensorFlow Playground: orange for class 0 / negative, blue for class 1 /
positive, on a white midpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

ORANGE = "#f59322"
BLUE = "#0877bd"
GREY = "#888888"
#: Colours for up to ten classes (the first two as TF Playground's).
CLASS_COLORS = (ORANGE, BLUE, "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: Diverging scale for values in [-1, 1] or probabilities in [0, 1].
DIVERGING = [[0.0, ORANGE], [0.5, "#ffffff"], [1.0, BLUE]]
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"


def finite(values: np.ndarray | Sequence[float], fill: float = 0.0, limit: float = 1e6) -> np.ndarray:
    """A float32 copy with NaN replaced by ``fill`` and values clipped to ±limit."""
    arr = np.asarray(values, dtype=np.float64)
    arr = np.nan_to_num(arr, nan=fill, posinf=limit, neginf=-limit)
    return np.clip(arr, -limit, limit).astype(np.float32)


def finite_or_none(values: Sequence[float | None]) -> list[float | None]:
    """Non-finite entries become None: Plotly leaves a gap instead of drawing NaN."""
    out: list[float | None] = []
    for v in values:
        out.append(float(v) if v is not None and np.isfinite(v) else None)
    return out


def base_layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        title=dict(text=title, x=0.0, font=dict(size=15)) if title else None,
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig


def class_probability_colors(probs: np.ndarray) -> np.ndarray:
    """RGB image [h, w, 3] mixing class colours by probability ([h, w, k] input), washed towards white."""
    k = probs.shape[-1]
    palette = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in CLASS_COLORS[:k]], dtype=np.float32)
    mixed = finite(probs, 0.0, 1.0) @ palette
    confidence = finite(probs, 0.0, 1.0).max(axis=-1, keepdims=True)
    # Uncertain regions (max prob ~1/k) fade to white, confident ones take the class colour.
    strength = np.clip((confidence - 1.0 / k) / (1 - 1.0 / k), 0, 1) * 0.75
    rgb = 255 * (1 - strength) + mixed * strength
    return rgb.astype(np.uint8)


def boundary_figure(
    axis: np.ndarray,
    values: np.ndarray,
    problem: str,
    train_points: np.ndarray | None = None,
    train_labels: np.ndarray | None = None,
    val_points: np.ndarray | None = None,
    val_labels: np.ndarray | None = None,
    discretize: bool = False,
    height: int = 460,
    title: str | None = None,
) -> go.Figure:
    """The network's output over the input square, with the data points on top.

    ``values`` is [res, res] (P(class 1), or a regression value in about [-1, 1])
    or [res, res, k] class probabilities. Rows run along x2, columns along x1.
    """
    fig = go.Figure()
    axis = finite(axis)
    if values.ndim == 3:
        probs = values
        if discretize:
            probs = np.eye(values.shape[-1], dtype=np.float32)[values.argmax(-1)]
        fig.add_trace(
            go.Image(
                z=class_probability_colors(probs)[::-1],
                x0=float(axis[0]),
                dx=float(axis[1] - axis[0]),
                y0=float(axis[-1]),
                dy=-float(axis[1] - axis[0]),
                hoverinfo="skip",
            )
        )
    else:
        z = finite(values)
        if problem == "binary":
            z = (z > 0.5).astype(np.float32) if discretize else z
            zmin, zmax = 0.0, 1.0
        else:
            z = np.sign(z).astype(np.float32) if discretize else z
            zmin, zmax = -1.0, 1.0
        fig.add_trace(
            go.Heatmap(
                x=axis,
                y=axis,
                z=z,
                zmin=zmin,
                zmax=zmax,
                colorscale=DIVERGING,
                showscale=False,
                opacity=0.75,
                hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>output=%{z:.3f}<extra></extra>",
            )
        )
    for pts, labels, name, symbol in (
        (train_points, train_labels, "train", "circle"),
        (val_points, val_labels, "validation", "circle-open"),
    ):
        if pts is None or labels is None or len(pts) == 0:
            continue
        add_points(fig, pts, labels, problem, name, symbol)
    lim = float(max(abs(axis[0]), abs(axis[-1])))
    fig.update_xaxes(range=[-lim, lim], title_text="x₁", constrain="domain", showgrid=False, zeroline=False)
    fig.update_yaxes(range=[-lim, lim], title_text="x₂", scaleanchor="x", scaleratio=1, showgrid=False, zeroline=False)
    return base_layout(fig, height, title)


def add_points(fig: go.Figure, pts: np.ndarray, labels: np.ndarray, problem: str, name: str, symbol: str) -> None:
    """Scatter the data points, coloured by class (or by target value for regression)."""
    pts = finite(pts)
    if problem == "regression":
        fig.add_trace(
            go.Scatter(
                x=pts[:, 0],
                y=pts[:, 1],
                mode="markers",
                name=name,
                marker=dict(
                    symbol=symbol,
                    size=7,
                    color=finite(labels),
                    cmin=-1,
                    cmax=1,
                    colorscale=DIVERGING,
                    line=dict(color="white" if symbol == "circle" else "black", width=1),
                ),
                hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>target=%{marker.color:.2f}<extra>" + name + "</extra>",
            )
        )
        return
    labels = np.asarray(labels).astype(int)
    for cls in np.unique(labels):
        mask = labels == cls
        color = CLASS_COLORS[int(cls) % len(CLASS_COLORS)]
        fig.add_trace(
            go.Scatter(
                x=pts[mask, 0],
                y=pts[mask, 1],
                mode="markers",
                name=f"{name} · class {cls}",
                marker=dict(
                    symbol=symbol,
                    size=7,
                    color=color,
                    line=dict(color="white" if symbol == "circle" else color, width=1.5 if symbol != "circle" else 1),
                ),
                hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>" + f"{name} · class {cls}" + "</extra>",
            )
        )


def whole_number_step(span: int, max_ticks: int = 10) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that puts at most ``max_ticks`` ticks on 0..span."""
    step = 1
    while True:
        for mantissa in (1, 2, 5):
            if span <= max_ticks * mantissa * step:
                return mantissa * step
        step *= 10


def whole_epoch_ticks(fig: go.Figure, last_epoch: int) -> go.Figure:
    """Ticks on the x axis at whole epochs (or steps) only: 0, 1, 2 or 0, 10, 20, …, never 0.5."""
    fig.update_xaxes(tickmode="linear", tick0=0, dtick=whole_number_step(max(int(last_epoch), 1)), tickformat="d")
    return fig


def curves_figure(
    epochs: Sequence[int],
    train: Sequence[float | None],
    val: Sequence[float | None],
    ylabel: str = "loss",
    best_epoch: int | None = None,
    stop_epoch: int | None = None,
    height: int = 300,
    title: str | None = None,
    log_y: bool = False,
) -> go.Figure:
    """Training and validation curves over the epochs, with optional best/stop markers."""
    fig = go.Figure()
    x = list(epochs)
    fig.add_trace(go.Scatter(x=x, y=finite_or_none(train), name=f"train {ylabel}", line=dict(color=TRAIN_COLOR)))
    fig.add_trace(go.Scatter(x=x, y=finite_or_none(val), name=f"validation {ylabel}", line=dict(color=VAL_COLOR)))
    if best_epoch is not None:
        fig.add_vline(x=best_epoch, line=dict(color="green", dash="dot"), annotation_text=f"best {best_epoch}")
    if stop_epoch is not None:
        fig.add_vline(x=stop_epoch, line=dict(color="red", dash="dash"), annotation_text=f"stop {stop_epoch}")
    fig.update_xaxes(title_text="epoch", rangemode="tozero", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(title_text=ylabel, type="log" if log_y else "linear", showgrid=True, gridcolor="#eee")
    whole_epoch_ticks(fig, max(x, default=1))
    return base_layout(fig, height, title)
