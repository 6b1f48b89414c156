"""Pure Plotly builders for the MNIST page: arrays in, a figure out.

Confusion matrix, per-class accuracy, a gallery of digits with captions, the
first layer's weights as 28x28 images, class probabilities, and the training
curves with the learning-rate drops and the early-stopping epoch marked. No
``st.`` calls and no torch; every input passes through ``finite`` first.
Images are sent as uint8 / float32 arrays, not Python lists (smaller, faster).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.ui.charts.base import BLUE, GREY, ORANGE, base_layout, curves_figure, finite, whole_epoch_ticks

GAP = 2  # pixels between tiles of a mosaic


def mosaic(images: np.ndarray, columns: int, fill: float = 0.0) -> np.ndarray:
    """Tile [n, h, w] images into one [rows*(h+GAP), columns*(w+GAP)] array (row-major)."""
    imgs = finite(images)
    n, h, w = imgs.shape
    rows = max(1, -(-n // columns))
    out = np.full((rows * (h + GAP), columns * (w + GAP)), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + GAP) : r * (h + GAP) + h, c * (w + GAP) : c * (w + GAP) + w] = imgs[i]
    return out


def confusion_figure(confusion: np.ndarray, class_names: Sequence[str], height: int = 430) -> go.Figure:
    """Rows: true class; columns: predicted class; counts written in each cell."""
    cm = finite(confusion).astype(np.int64)
    names = [str(n) for n in class_names]
    # Colour by share of the true class, so small classes are as readable as big ones.
    share = (cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)).astype(np.float32)
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=names,
            y=names,
            text=cm.astype(str),
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            customdata=cm,
            hovertemplate="true %{y}, predicted %{x}: %{customdata} images<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="predicted class", side="bottom", type="category")
    fig.update_yaxes(title_text="true class", autorange="reversed", type="category")
    return base_layout(fig, height, "Confusion matrix (test set)")


def per_class_figure(accuracy: np.ndarray, class_names: Sequence[str], height: int = 300) -> go.Figure:
    """Bars of each class's test accuracy (recall); the worst class in orange."""
    acc = np.clip(finite(accuracy), 0.0, 1.0)
    names = [str(n) for n in class_names]
    colors = [ORANGE if i == int(np.argmin(acc)) else BLUE for i in range(len(acc))]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=acc * 100,
            marker_color=colors,
            text=[f"{a * 100:.1f}" for a in acc],
            textposition="outside",
            hovertemplate="class %{x}: %{y:.2f} %<extra></extra>",
        )
    )
    low = float(max(0.0, acc.min() * 100 - 5)) if len(acc) else 0.0
    fig.update_yaxes(title_text="accuracy (%)", range=[low, 101], gridcolor="#eee")
    fig.update_xaxes(title_text="true class", type="category")
    return base_layout(fig, height, "Accuracy per class (test set)")


def gallery_figure(
    images: np.ndarray, captions: Sequence[str], columns: int = 8, title: str | None = None, tile_px: int = 84
) -> go.Figure:
    """Digits (white ink on black, values in [0, 1]) in a grid, each with a caption below it."""
    imgs = np.clip(finite(images), 0.0, 1.0)
    n = len(imgs)
    if n == 0:
        fig = go.Figure()
        fig.add_annotation(text="Nothing to show", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return base_layout(fig, 120, title)
    columns = min(columns, n)
    side = imgs.shape[1]
    caption_px = 18  # room for two lines of caption (use "<br>" between them)
    # Each tile: the digit, then a white band for its caption; white gaps between tiles.
    tiles = np.stack([np.pad(im, ((0, caption_px), (0, 0)), constant_values=1.0) for im in imgs])
    grid = mosaic(tiles, columns, fill=1.0)
    rgb = np.repeat((grid * 255).astype(np.uint8)[..., None], 3, axis=-1)
    fig = go.Figure(go.Image(z=rgb, hoverinfo="skip"))
    step_y, step_x = side + caption_px + GAP, side + GAP
    for i, caption in enumerate(captions[:n]):
        r, c = divmod(i, columns)
        fig.add_annotation(
            x=c * step_x + side / 2,
            y=r * step_y + side + caption_px / 2,
            text=caption,
            showarrow=False,
            font=dict(size=10, color="black"),
            align="center",
        )
    rows = -(-n // columns)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    height = int(rows * tile_px * (side + caption_px) / side) + (40 if title else 10)
    return base_layout(fig, height, title)


def mistakes_figure(
    images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, probs: np.ndarray, class_names: Sequence[str]
) -> go.Figure:
    """Misclassified digits captioned "true → predicted" and the probabilities of both classes."""
    names = [str(n)[:8] for n in class_names]
    p = np.clip(finite(probs), 0.0, 1.0)
    captions = [
        f"{names[t]} → {names[q]}<br>P({names[q]}) {100 * pr[q]:.0f}% · P({names[t]}) {100 * pr[t]:.0f}%"
        for t, q, pr in zip(np.asarray(labels, int), np.asarray(predicted, int), p, strict=True)
    ]
    return gallery_figure(images, captions, columns=8, tile_px=100)


def weights_figure(
    first_layer: np.ndarray, columns: int = 16, limit: int = 128, height: int | None = None
) -> go.Figure:
    """Each first-layer neuron's 784 weights as a 28x28 image: blue positive, orange negative.

    Each neuron is scaled by its own largest |w| so faint and strong neurons are both visible.
    At most ``limit`` neurons are drawn; the title gives the layer's true width either way.
    """
    units = len(first_layer)
    w = finite(first_layer)[:limit]
    peak = np.abs(w).reshape(len(w), -1).max(axis=1).reshape(-1, 1, 1) if len(w) else np.ones((0, 1, 1))
    scaled = w / np.maximum(peak, 1e-12)
    columns = max(1, min(columns, len(w)))
    grid = mosaic(scaled, columns, fill=0.0)
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            zmin=-1,
            zmax=1,
            colorscale=[[0.0, ORANGE], [0.5, "#ffffff"], [1.0, BLUE]],
            showscale=False,
            hoverinfo="skip",
        )
    )
    rows = -(-len(w) // columns)
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", scaleratio=1)
    shown = f"{units} neurons" if len(w) == units else f"the first {len(w)} of its {units} neurons"
    return base_layout(fig, height or max(160, 55 * rows + 50), f"What the first layer learned ({shown})")


def probability_figure(
    probs: np.ndarray, class_names: Sequence[str], true_label: int | None = None, height: int = 280
) -> go.Figure:
    """Class probabilities as bars; the predicted class in blue, the true one outlined."""
    p = np.clip(finite(probs), 0.0, 1.0).reshape(-1)
    names = [str(n) for n in class_names][: len(p)]
    best = int(np.argmax(p)) if len(p) else -1
    colors = [BLUE if i == best else GREY for i in range(len(p))]
    outline = ["#2ca02c" if i == true_label else "rgba(0,0,0,0)" for i in range(len(p))]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=p * 100,
            marker=dict(color=colors, line=dict(color=outline, width=3)),
            text=[f"{v * 100:.0f}" for v in p],
            textposition="outside",
            hovertemplate="%{x}: %{y:.2f} %<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="probability (%)", range=[0, 112], gridcolor="#eee")
    fig.update_xaxes(type="category")
    title = f"Prediction: {names[best]}" if best >= 0 else None
    return base_layout(fig, height, title)


def digit_figure(image: np.ndarray, title: str | None = None, height: int = 220) -> go.Figure:
    """One 28x28 digit, white ink on black, as the network sees it."""
    img = (np.clip(finite(image), 0.0, 1.0) * 255).astype(np.uint8)
    fig = go.Figure(go.Image(z=np.repeat(img[..., None], 3, axis=-1), hoverinfo="skip"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(width=height)
    return base_layout(fig, height, title)


def _mark_epochs(fig: go.Figure, lr_drops: Sequence[int], stop_epoch: int | None) -> go.Figure:
    # A drop decided after epoch k acts from epoch k + 1: the line sits between them.
    for i, epoch in enumerate(lr_drops):
        label = dict(annotation_text="lr ↓", annotation_position="top left") if i == 0 else {}
        fig.add_vline(x=epoch + 0.5, line=dict(color="#9467bd", dash="dot", width=1), **label)
    if stop_epoch is not None:
        fig.add_vline(
            x=stop_epoch,
            line=dict(color="red", dash="dash"),
            annotation_text=f"early stop {stop_epoch}",
            annotation_position="bottom left",
        )
    return fig


def training_figures(
    epochs: Sequence[int],
    train_loss: Sequence[float],
    val_loss: Sequence[float],
    train_acc: Sequence[float | None],
    val_acc: Sequence[float | None],
    lr: Sequence[float],
    lr_drops: Sequence[int] = (),
    best_epoch: int | None = None,
    stop_epoch: int | None = None,
    height: int = 300,
) -> tuple[go.Figure, go.Figure, go.Figure]:
    """Loss, accuracy (%) and learning-rate curves; lr drops (after epoch k) and the early stop marked."""
    loss = curves_figure(epochs, train_loss, val_loss, "loss", best_epoch=best_epoch, height=height, title="Loss")
    pct = [[None if a is None else 100 * a for a in seq] for seq in (train_acc, val_acc)]
    acc = curves_figure(epochs, pct[0], pct[1], "accuracy", height=height, title="Accuracy")
    acc.update_yaxes(title_text="accuracy (%)")
    for fig in (loss, acc):
        _mark_epochs(fig, lr_drops, stop_epoch)
    rate = go.Figure(
        go.Scatter(
            x=list(epochs),
            y=finite(lr, fill=0.0),
            mode="lines+markers",
            line=dict(shape="hv", color="#9467bd"),
            marker=dict(size=4),
            name="learning rate",
            hovertemplate="epoch %{x}: lr %{y:.2e}<extra></extra>",
        )
    )
    rate.update_xaxes(title_text="epoch", rangemode="tozero", showgrid=True, gridcolor="#eee")
    # Log axis labels as 1e-4, never with SI prefixes (100µ).
    rate.update_yaxes(title_text="learning rate", type="log", exponentformat="e", showgrid=True, gridcolor="#eee")
    _mark_epochs(rate, lr_drops, stop_epoch)
    last = max(epochs, default=1)
    for fig in (loss, acc, rate):
        whole_epoch_ticks(fig, last)  # an epoch is a whole number: no 0.5 ticks after one or two epochs
    return loss, acc, base_layout(rate, height, "Learning rate (drops marked)")
