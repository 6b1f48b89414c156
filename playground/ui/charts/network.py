"""Pure Plotly builders for the network playground: the network diagram and the click layer.

Arrays in, a figure out: no ``st.`` calls, no torch.

``network_figure`` draws the network as TensorFlow Playground does: one column
per layer, each neuron a small picture of its own output over the input square
(from ``Trainer.neuron_grids``), links coloured by the sign of their weight
(blue positive, orange negative) with a width that grows with its magnitude,
each neuron's bias as a small square at its corner. Hovering a link's middle or
a bias square shows its value.

``add_click_grid`` lays an invisible dense grid of points over a 2-D chart so a
click on empty space selects the nearest grid point (the way clicks reach
Python with ``st.plotly_chart(on_select=...)``).

``boundary_picture`` draws the decision boundary and the points as a plain
picture, for the frames of a running training (see its docstring for why).

It is over 400 lines because the diagram and the boundary share one geometry and one
colour mapping (diverging_rgb, the frame constants): split, the live picture and the paused
chart would drift apart again.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from playground.ui.charts import base as charts
from playground.ui.charts.base import BLUE, CLASS_COLORS, DIVERGING, ORANGE, finite

_WHITE = np.array([255.0, 255.0, 255.0], dtype=np.float32)
_ORANGE_RGB = np.array([int(ORANGE[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)
_BLUE_RGB = np.array([int(BLUE[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)

# Layout of the diagram, in data units: columns 3 apart, neurons 1.25 apart, pictures 1 wide.
COLUMN_GAP = 3.0
ROW_GAP = 1.25
NODE = 1.0
#: Link widths are binned (one trace per bin and sign) so a big network stays a few traces.
WIDTH_BINS = 8
MAX_LINK_WIDTH = 6.0


def _hex_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] -> RGB uint8: orange for -1, white for 0, blue for +1."""
    v = np.clip(finite(values), -1.0, 1.0)[..., None]
    rgb = _WHITE + np.where(v < 0, -v * (_ORANGE_RGB - _WHITE), v * (_BLUE_RGB - _WHITE))
    return rgb.astype(np.uint8)


def tint_rgb(values01: np.ndarray, color: str) -> np.ndarray:
    """Values in [0, 1] -> RGB uint8 from white to ``color`` (a class's probability)."""
    v = np.clip(finite(values01), 0.0, 1.0)[..., None]
    return (_WHITE + v * (_hex_rgb(color) - _WHITE)).astype(np.uint8)


def png_bytes(rgb: np.ndarray) -> bytes:
    """An RGB uint8 picture as PNG bytes (fast compression: it is redrawn many times a second)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), mode="RGB").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def png_data_uri(rgb: np.ndarray) -> str:
    """An RGB uint8 picture as a PNG data URI (a few hundred bytes for 24x24)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")


def neuron_picture(values: np.ndarray, kind: str, class_index: int = 0) -> np.ndarray:
    """One neuron's output over the input square [res, res] as RGB, top row = largest x2.

    ``kind``: "hidden" (any activation: scaled by max(1, max|v|) so relu and raw
    features fit), "binary" (a probability p drawn as 2p - 1), "class" (a class
    probability, white to that class's colour) or "regression" (a value ~[-1, 1]).
    """
    v = finite(values)
    if kind == "binary":
        rgb = diverging_rgb(2.0 * v - 1.0)
    elif kind == "class":
        rgb = tint_rgb(v, CLASS_COLORS[class_index % len(CLASS_COLORS)])
    else:
        scale = max(1.0, float(np.abs(v).max(initial=0.0)))
        rgb = diverging_rgb(v / scale)
    return rgb[::-1]  # row 0 of the grid is the smallest x2: it goes to the bottom


def _column_ys(width: int) -> np.ndarray:
    # Neurons centred on y = 0, the first one on top.
    return (np.arange(width)[::-1] - (width - 1) / 2.0) * ROW_GAP


def _link_width(magnitude: np.ndarray) -> np.ndarray:
    # Width grows linearly with |w| and saturates at |w| = 2 (TF Playground saturates at 1).
    return 0.5 + (MAX_LINK_WIDTH - 0.5) * np.clip(magnitude / 2.0, 0.0, 1.0)


def network_figure(
    grids: Sequence[np.ndarray],
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    input_labels: Sequence[str],
    activations: Sequence[str],
    problem: str,
    height: int | None = None,
    validate: bool = False,
) -> go.Figure:
    """The network as neurons (pictures of their outputs) and weighted links.

    ``grids``: [inputs, hidden 1, ..., output] as [width, res, res] arrays
    (``Trainer.neuron_grids``); ``weights``: (W [out, in], b [out]) per layer
    (``Trainer.weights``); ``activations``: one name per hidden layer.

    The figure is assembled as plain dicts and built without Plotly's
    per-property validation (40 ms -> 9 ms a frame); ``validate=True`` builds it
    with validation, as the tests do, to prove every property is valid.
    """
    widths = [int(g.shape[0]) for g in grids]
    columns = len(widths)
    xs = [j * COLUMN_GAP for j in range(columns)]
    ys = [_column_ys(w) for w in widths]
    traces: list[dict[str, object]] = []
    half = NODE / 2

    # 1. Links: one trace per (sign, width bin), segments separated by None.
    seg_x: dict[tuple[int, int], list[float | None]] = {}
    seg_y: dict[tuple[int, int], list[float | None]] = {}
    mid_x: list[float] = []
    mid_y: list[float] = []
    mid_text: list[str] = []
    names = [_neuron_names(j, widths[j], columns, input_labels) for j in range(columns)]
    for j, (w, _b) in enumerate(weights[: columns - 1]):
        w = finite(w)
        bins = np.minimum((_link_width(np.abs(w)) / MAX_LINK_WIDTH * WIDTH_BINS).astype(int), WIDTH_BINS - 1)
        x0, x1 = xs[j] + half, xs[j + 1] - half
        for out in range(w.shape[0]):
            for inp in range(w.shape[1]):
                key = (1 if w[out, inp] >= 0 else -1, int(bins[out, inp]))
                y0, y1 = float(ys[j][inp]), float(ys[j + 1][out])
                seg_x.setdefault(key, []).extend([x0, x1, None])
                seg_y.setdefault(key, []).extend([y0, y1, None])
                # Hover target a third of the way along, so links into one neuron do not overlap there.
                mid_x.append(x0 + (x1 - x0) / 3)
                mid_y.append(y0 + (y1 - y0) / 3)
                mid_text.append(f"weight {w[out, inp]:+.3f}<br>{names[j][inp]} → {names[j + 1][out]}")
    for (sign, level), sx in sorted(seg_x.items()):
        traces.append(
            dict(
                type="scatter",
                x=sx,
                y=seg_y[(sign, level)],
                mode="lines",
                line=dict(color=BLUE if sign > 0 else ORANGE, width=(level + 0.5) * MAX_LINK_WIDTH / WIDTH_BINS),
                opacity=0.75,
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if mid_x:
        traces.append(
            dict(
                type="scatter",
                x=mid_x,
                y=mid_y,
                mode="markers",
                marker=dict(size=9, color="rgba(0,0,0,0)"),
                hovertext=mid_text,
                hoverinfo="text",
                showlegend=False,
                name="weights",
            )
        )

    # 2. Biases: a small square at the bottom-left corner of each computing neuron.
    bx: list[float] = []
    by: list[float] = []
    bval: list[float] = []
    btext: list[str] = []
    for j, (_w, b) in enumerate(weights[: columns - 1]):
        for out, value in enumerate(finite(b)):
            bx.append(xs[j + 1] - half)
            by.append(float(ys[j + 1][out]) - half)
            bval.append(float(value))
            btext.append(f"bias {value:+.3f}<br>{names[j + 1][out]}")
    if bx:
        traces.append(
            dict(
                type="scatter",
                x=bx,
                y=by,
                mode="markers",
                marker=dict(
                    symbol="square",
                    size=9,
                    color=bval,
                    cmin=-1,
                    cmax=1,
                    colorscale=DIVERGING,
                    line=dict(color="#555", width=1),
                ),
                hovertext=btext,
                hoverinfo="text",
                showlegend=False,
                name="biases",
            )
        )

    # 3. Neurons: each one's output over the input square, as a picture.
    images = []
    for j, grid in enumerate(grids):
        for k in range(widths[j]):
            kind = "hidden"
            if j == columns - 1:
                kind = {"binary": "binary", "multiclass": "class"}.get(problem, "regression")
            rgb = neuron_picture(grid[k], kind, k)
            images.append(
                dict(
                    source=png_data_uri(rgb),
                    xref="x",
                    yref="y",
                    x=xs[j] - half,
                    y=float(ys[j][k]) + half,
                    sizex=NODE,
                    sizey=NODE,
                    xanchor="left",
                    yanchor="top",
                    sizing="stretch",
                    layer="above",
                )
            )
    # A thin frame around every picture, and the input features' names on the left.
    frame_x: list[float | None] = []
    frame_y: list[float | None] = []
    for j in range(columns):
        for y in ys[j]:
            cx, cy = xs[j], float(y)
            frame_x.extend([cx - half, cx + half, cx + half, cx - half, cx - half, None])
            frame_y.extend([cy - half, cy - half, cy + half, cy + half, cy - half, None])
    traces.append(
        dict(
            type="scatter",
            x=frame_x,
            y=frame_y,
            mode="lines",
            line=dict(color="#999", width=1),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    traces.append(
        dict(
            type="scatter",
            x=[xs[0] - half - 0.1] * widths[0],
            y=list(ys[0]),
            mode="text",
            text=list(input_labels),
            textposition="middle left",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    titles = _column_titles(widths, activations, problem)
    top = max(float(y[0]) for y in ys) + half
    annotations = [
        dict(x=x, y=top + 0.45, text=t, showarrow=False, xref="x", yref="y", font=dict(size=12))
        for x, t in zip(xs, titles, strict=True)
    ]
    rows = max(widths)
    bottom = -top
    layout = dict(
        images=images,
        annotations=annotations,
        height=height or int(min(900, max(280, 70 + rows * 48))),
        margin=dict(l=10, r=10, t=10, b=10),
        plot_bgcolor="white",
        showlegend=False,
        hovermode="closest",
        dragmode=False,
        xaxis=dict(visible=False, range=[xs[0] - half - 1.6, xs[-1] + half + 0.3], fixedrange=True),
        yaxis=dict(visible=False, range=[bottom - 0.3, top + 0.8], fixedrange=True, scaleanchor="x", scaleratio=1),
    )
    return go.Figure(dict(data=traces, layout=layout), _validate=validate)


def _neuron_names(column: int, width: int, columns: int, input_labels: Sequence[str]) -> list[str]:
    if column == 0:
        return list(input_labels)
    if column == columns - 1:
        return ["output"] if width == 1 else [f"output {k}" for k in range(width)]
    return [f"neuron {column}.{k + 1}" for k in range(width)]


def _column_titles(widths: Sequence[int], activations: Sequence[str], problem: str) -> list[str]:
    output = {"binary": "sigmoid", "multiclass": "softmax"}.get(problem, "linear")
    titles = ["Input"]
    for j, act in enumerate(activations):
        titles.append(f"Layer {j + 1}<br>{widths[j + 1]} × {act}")
    titles.append(f"Output<br>{output}")
    return titles


def add_click_grid(fig: go.Figure, domain: float, n: int = 50) -> go.Figure:
    """An invisible n x n grid of clickable points over [-domain, domain]².

    A click on empty chart space selects the nearest grid point, which
    ``st.plotly_chart(on_select=...)`` reports. The data traces keep full
    opacity when unselected.
    """
    fig.update_traces(unselected=dict(marker=dict(opacity=1)), selector=dict(type="scatter"))
    axis = np.linspace(-domain, domain, n, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    fig.add_trace(
        go.Scatter(
            x=xx.ravel(),
            y=yy.ravel(),
            mode="markers",
            name="click",
            marker=dict(size=4, opacity=0, color="black"),
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            hoverinfo="none",
            showlegend=False,
        )
    )
    fig.update_layout(clickmode="event+select", dragmode=False)
    return fig


def boundary_picture(
    values: np.ndarray,
    problem: str,
    train_points: np.ndarray | None = None,
    train_labels: np.ndarray | None = None,
    val_points: np.ndarray | None = None,
    val_labels: np.ndarray | None = None,
    discretize: bool = False,
    domain: float = 6.0,
    size: int = 400,
) -> np.ndarray:
    """The decision boundary as a picture (RGB uint8 [size, size, 3]) for live frames.

    The same colours as ``charts.boundary_figure`` (a 0.75-opaque heatmap on
    white, class colours for the points: train filled, validation open) without
    Plotly: Streamlit replaces a Plotly chart whose figure changed by a new one
    (the old one vanishes until the new one is drawn, a flicker at every frame),
    while a changed picture is swapped in place. Top row = largest x2.
    """
    if values.ndim == 3:
        probs = finite(values, 0.0, 1.0)
        if discretize:
            probs = np.eye(values.shape[-1], dtype=np.float32)[probs.argmax(-1)]
        rgb = charts.class_probability_colors(probs)
    else:
        z = finite(values)
        if problem == "binary":
            z = 2.0 * ((z > 0.5).astype(np.float32) if discretize else z) - 1.0
        elif discretize:
            z = np.sign(z)
        rgb = (0.25 * 255 + 0.75 * diverging_rgb(z).astype(np.float32)).astype(np.uint8)
    resample = Image.Resampling.NEAREST if discretize else Image.Resampling.BILINEAR
    picture = Image.fromarray(np.ascontiguousarray(rgb[::-1]), mode="RGB").resize((size, size), resample)
    draw = ImageDraw.Draw(picture)
    scale = size / (2 * domain)
    radius = max(3.0, size / 110)
    for pts, labels, filled in ((train_points, train_labels, True), (val_points, val_labels, False)):
        if pts is None or labels is None or len(pts) == 0:
            continue
        pts = finite(pts)
        if problem == "regression":
            colours = [tuple(int(c) for c in rgb) for rgb in diverging_rgb(finite(labels))]
        else:
            palette = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in CLASS_COLORS]
            colours = [palette[int(label) % len(palette)] for label in np.asarray(labels).astype(int)]
        for (x1, x2), colour in zip(pts, colours, strict=True):
            cx, cy = (x1 + domain) * scale, (domain - x2) * scale
            box = (cx - radius, cy - radius, cx + radius, cy + radius)
            if filled:
                draw.ellipse(box, fill=colour, outline=(255, 255, 255), width=1)
            else:
                draw.ellipse(box, outline=colour, width=2)
    draw.rectangle((0, 0, size - 1, size - 1), outline=(200, 200, 200))
    return np.asarray(picture)


#: The playground's boundary has one geometry whether it is the live picture or the paused
#: interactive chart, so nothing on the page moves when training starts or stops: a figure
#: ``FRAME_WIDTH`` x ``FRAME_HEIGHT`` px whose square plot area (``FRAME_PLOT`` px) sits at
#: (``FRAME_LEFT``, ``FRAME_TOP``), ticks every 2 units on both axes, no legend.
#: 340 px fits the page's right column from a 1400 px wide window up; narrower, both shrink.
FRAME_WIDTH, FRAME_HEIGHT = 340, 350
FRAME_LEFT, FRAME_TOP, FRAME_PLOT = 50, 14, 276
FRAME_TICKS = (-6, -4, -2, 0, 2, 4, 6)


def fit_boundary_frame(fig: go.Figure) -> go.Figure:
    """Give a ``charts.boundary_figure`` the live picture's geometry: fixed size, margins and ticks."""
    right = FRAME_WIDTH - FRAME_LEFT - FRAME_PLOT
    bottom = FRAME_HEIGHT - FRAME_TOP - FRAME_PLOT
    fig.update_layout(
        width=FRAME_WIDTH, height=FRAME_HEIGHT, autosize=False, showlegend=False,
        margin=dict(l=FRAME_LEFT, r=right, t=FRAME_TOP, b=bottom, pad=0),
    )  # fmt: skip
    fig.update_xaxes(tickvals=list(FRAME_TICKS), ticks="outside", ticklen=4, constrain="domain", automargin=False)
    fig.update_yaxes(tickvals=list(FRAME_TICKS), ticks="outside", ticklen=4, constrain="domain", automargin=False)
    return fig


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def framed_picture(plot: np.ndarray, domain: float = 6.0) -> np.ndarray:
    """The boundary picture with the axes, ticks and titles of the paused chart (RGB uint8).

    ``plot`` is a ``boundary_picture`` (any size, resized to the plot area). The result is
    FRAME_HEIGHT x FRAME_WIDTH; the chart it stands in for has no legend (the caption says
    what the markers mean), so the two line up pixel for pixel.
    """
    canvas = Image.new("RGB", (FRAME_WIDTH, FRAME_HEIGHT), (255, 255, 255))
    inner = Image.fromarray(np.ascontiguousarray(plot)).resize((FRAME_PLOT, FRAME_PLOT), Image.Resampling.BILINEAR)
    canvas.paste(inner, (FRAME_LEFT, FRAME_TOP))
    draw = ImageDraw.Draw(canvas)
    grey, ink, small = (68, 68, 68), (42, 63, 95), _font(12)
    bottom = FRAME_TOP + FRAME_PLOT
    for tick in FRAME_TICKS:
        # Data coordinate -> pixel: x grows to the right, x2 grows upwards.
        px = FRAME_LEFT + (tick + domain) / (2 * domain) * (FRAME_PLOT - 1)
        py = FRAME_TOP + (domain - tick) / (2 * domain) * (FRAME_PLOT - 1)
        label = str(tick)  # a plain hyphen: Pillow's bundled font has no minus sign nor subscripts
        draw.line((px, bottom, px, bottom + 4), fill=grey)
        draw.text((px, bottom + 6), label, fill=ink, font=small, anchor="mt")
        draw.line((FRAME_LEFT - 4, py, FRAME_LEFT, py), fill=grey)
        draw.text((FRAME_LEFT - 7, py), label, fill=ink, font=small, anchor="rm")
    title, sub = _font(14), _font(10)
    for (x, y), index in (
        ((FRAME_LEFT + FRAME_PLOT / 2 - 4, bottom + 24), "1"),
        ((10, FRAME_TOP + FRAME_PLOT / 2 - 8), "2"),
    ):
        draw.text((x, y), "x", fill=ink, font=title, anchor="lt")  # x₁ and x₂, the subscript drawn smaller and lower
        draw.text((x + draw.textlength("x", font=title) + 1, y + 6), index, fill=ink, font=sub, anchor="lt")
    return np.asarray(canvas)
