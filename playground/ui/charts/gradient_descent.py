"""Pure Plotly builders for the gradient-descent page: loss surfaces, animated optimizer paths, loss curves.

Arrays in, a figure out; no ``st.`` and no torch. Paths arrive already cut where they
diverged (finite numbers only); they are sanitised again with ``finite`` all the same.
The race figure carries Plotly animation frames: the browser plays them (Play button
or the step slider) without a round trip to the server.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale

from playground import optimizers
from playground.ui.charts.base import base_layout, finite, whole_number_step

OPTIMIZER_COLORS = {n: o.colour for n, o in optimizers.REGISTRY.items()}
EXTRA_COLORS = ("#d62728", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd")
#: The animation's frame duration: 50 ms asks the browser for 20 frames a second.
FRAME_MS = 50
MAX_FRAMES = 100


class FramedFigure(go.Figure):
    """A Figure whose animation frames are plain JSON-ready dicts that Plotly does not validate.

    Building a hundred validated ``go.Frame`` objects of scatter traces takes about a second
    of server time per redraw; these dicts take milliseconds. ``to_dict``/``to_plotly_json``
    (what Streamlit and ``plotly.io`` serialise) add them as the figure's ``frames``.
    """

    def set_frame_dicts(self, frames: list[dict[str, Any]]) -> None:
        self._frame_dicts = frames

    def frame_dicts(self) -> list[dict[str, Any]]:
        return list(getattr(self, "_frame_dicts", []))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.frame_dicts():
            out["frames"] = self.frame_dicts()
        return out

    def to_plotly_json(self) -> dict[str, Any]:
        return self.to_dict()


def _contour_values(z: np.ndarray, log: bool) -> np.ndarray:
    """Colour values: log10(1 + L − min) for surfaces that span many orders (Rosenbrock), else L."""
    zz = finite(z, fill=0.0, limit=1e12).astype(np.float64)
    return np.log10(1.0 + zz - zz.min()) if log else zz


#: Viridis at the centre of each of the N_BANDS colour bands of the background.
N_BANDS = 24
_VIRIDIS = np.array(
    [
        [int(v) for v in c[4:-1].split(",")]
        for c in sample_colorscale("Viridis", list((np.arange(N_BANDS) + 0.5) / N_BANDS))
    ],
    dtype=np.uint8,
)


def contour_image(z: np.ndarray, log: bool = False) -> str:
    """The loss grid [rows along w₂, columns along w₁] as a PNG data URI of Viridis colour bands (dark = low)."""
    zz = _contour_values(z, log)
    lo, hi = float(zz.min()), float(zz.max())
    t = (zz - lo) / (hi - lo) if hi > lo else np.zeros_like(zz)
    bands = np.clip((t * N_BANDS).astype(int), 0, N_BANDS - 1)
    rgb = _VIRIDIS[bands][::-1]  # image rows run top to bottom, w₂ bottom to top
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), mode="RGB").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _clamp(x: float, y: float, domain: tuple[float, float, float, float]) -> tuple[float, float]:
    """The point pulled back inside the map (5% from its edges), where a marker and its label can be seen."""
    x0, x1, y0, y1 = domain
    mx, my = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    return min(max(x, x0 + mx), x1 - mx), min(max(y, y0 + my), y1 - my)


def _label_position(x: float, y: float, domain: tuple[float, float, float, float]) -> str:
    """A text position that keeps a label inside the map: towards its centre."""
    x0, x1, y0, y1 = domain
    vertical = "top" if y < (y0 + y1) / 2 else "bottom"
    horizontal = "right" if x < (x0 + x1) / 2 else "left"
    return f"{vertical} {horizontal}"


def race_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    labels: Sequence[str],
    paths: Sequence[np.ndarray],
    diverged_at: Sequence[int | None],
    colors: Sequence[str],
    domain: tuple[float, float, float, float],
    minima: Sequence[tuple[float, float]] = (),
    log_contours: bool = False,
    animate: bool = True,
    axis_names: tuple[str, str] = ("w₁", "w₂"),
    height: int = 520,
    title: str | None = None,
    dashes: Sequence[str] | None = None,
    lrs: Sequence[float] | None = None,
) -> go.Figure:
    """Contours of the loss with each optimizer's path; with ``animate`` the paths grow step by step.

    Each path has three traces: its line so far, its current point, and an ✕ where it
    diverged (clamped to the map's edge, shown once the animation reaches that step).
    ``lrs`` (one per path, or one for all) is written above the legend: which η each walk uses.
    """
    fig = FramedFigure()
    # The loss is a background image (colour bands: filled contours), not a trace: during a
    # Plotly animation with redraw off, heatmap and contour traces vanish; layout images stay.
    x0, x1, y0, y1 = domain
    fig.add_layout_image(
        source=contour_image(z, log_contours), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
        sizing="stretch", layer="below", opacity=0.9,
    )  # fmt: skip
    if minima:
        fig.add_trace(
            go.Scatter(
                x=[m[0] for m in minima],
                y=[m[1] for m in minima],
                mode="markers",
                marker=dict(symbol="star", size=14, color="white", line=dict(color="black", width=1)),
                name="minimum",
                hoverinfo="skip",
            )
        )
    clean = [finite(p, limit=1e6).reshape(-1, 2) for p in paths]
    first_path_trace = len(fig.data)
    per_path = list(lrs) if lrs is not None and len(lrs) == len(clean) else [None] * len(clean)
    dash_styles = dashes or ["solid"] * len(clean)
    for label, xy, color, dash, lr in zip(labels, clean, colors, dash_styles, per_path, strict=True):
        hover = label if lr is None else f"{label} (η = {lr:g})"
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode="lines" if animate else "lines+markers", name=label,
                line=dict(color=color, width=2.5, dash=dash), marker=dict(size=5, color=color),
                hovertemplate=hover + ": step %{pointNumber}<br>(%{x:.3f}, %{y:.3f})<extra></extra>",
            )
        )  # fmt: skip
    # one trace holds every path's current point: one restyle per frame instead of one per path
    fig.add_trace(
        go.Scatter(
            x=[float(xy[-1, 0]) for xy in clean], y=[float(xy[-1, 1]) for xy in clean], mode="markers",
            showlegend=False, hoverinfo="skip", name="current points",
            marker=dict(size=12, color=list(colors), line=dict(color="white", width=2)),
        )
    )  # fmt: skip
    divergence_traces: list[tuple[int, int, float, float, str]] = []
    for label, xy, div, color in zip(labels, clean, diverged_at, colors, strict=True):
        if div is None:
            continue
        dx, dy = _clamp(float(xy[-1, 0]), float(xy[-1, 1]), domain)
        # several walks often leave by the same corner: stack their marks towards the centre
        shift = 0.08 * (domain[3] - domain[2]) * len(divergence_traces)
        dy = dy + shift if dy < (domain[2] + domain[3]) / 2 else dy - shift
        divergence_traces.append((len(fig.data), len(xy) - 1, dx, dy, f"{label} diverged at step {div}"))
        fig.add_trace(
            go.Scatter(
                x=[dx], y=[dy], mode="markers+text", showlegend=False, hoverinfo="skip",
                marker=dict(symbol="x", size=16, color=color, line=dict(color="black", width=1)),
                text=[f"{label} diverged at step {div}"], textposition=_label_position(dx, dy, domain),
                textfont=dict(color="white", size=13, shadow="1px 1px 2px black"),
            )
        )  # fmt: skip
    fig.update_xaxes(range=[x0, x1], title_text=axis_names[0], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(
        range=[y0, y1],
        title_text=axis_names[1],
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
    )
    longest = max((len(xy) for xy in clean), default=1)
    base_layout(fig, height, title)
    if lrs:
        # the legend's own title, above its entries: Plotly makes room for the whole legend, so nothing overlaps
        fig.update_layout(legend_title=dict(text=lr_legend_title(labels, lrs, colors), side="top", font=dict(size=13)))
    if animate and longest > 1:
        _add_frames(fig, clean, first_path_trace, divergence_traces, longest)
    return fig


def lr_legend_title(labels: Sequence[str], lrs: Sequence[float], colors: Sequence[str], per_line: int = 3) -> str:
    """Which learning rate each walk uses: "η = 0.01 for every optimizer" when they share one, else one entry each.

    Each entry is "Adam (η = 0.2)" in its walk's colour, ``per_line`` entries to a line.
    """
    if len(set(lrs)) == 1:
        return f"η = {lrs[0]:g}" + (" for every optimizer" if len(labels) > 1 and len(lrs) > 1 else "")
    entries = [
        f"<span style='color:{color}'>{label} (η = {lr:g})</span>"
        for label, lr, color in zip(labels, lrs, colors, strict=True)
    ]
    lines = [" · ".join(entries[i : i + per_line]) for i in range(0, len(entries), per_line)]
    return "<br>".join(lines)


def typed(arr: np.ndarray, dtype: str = "<f4") -> dict[str, str]:
    """A numpy array as Plotly's base64 typed-array spec (what plotly.py sends for arrays): 4 bytes a number."""
    data = np.ascontiguousarray(arr, dtype=dtype)
    return {"dtype": data.dtype.str.lstrip("<|="), "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def _add_frames(
    fig: FramedFigure,
    clean: Sequence[np.ndarray],
    first: int,
    divergence_traces: Sequence[tuple[int, int, float, float, str]],
    longest: int,
) -> None:
    """Frames that show each path up to a step (at most MAX_FRAMES, evenly spread), a slider and Play/Pause."""
    n_frames = min(MAX_FRAMES, longest)
    steps = np.unique(np.round(np.linspace(0, longest - 1, n_frames)).astype(int))
    path_indices = list(range(first, first + len(clean) + 1))  # the paths, then their current points
    frames: list[dict[str, Any]] = []
    for s in steps:
        data: list[dict[str, object]] = []
        for xy in clean:
            k = min(int(s), len(xy) - 1)
            data.append(
                {
                    "type": "scatter",
                    "x": typed(xy[: k + 1, 0]),
                    "y": typed(xy[: k + 1, 1]),
                }
            )
        ends = [min(int(s), len(xy) - 1) for xy in clean]
        data.append({"type": "scatter", "x": typed(np.array([xy[k, 0] for xy, k in zip(clean, ends, strict=True)])),
                     "y": typed(np.array([xy[k, 1] for xy, k in zip(clean, ends, strict=True)]))})  # fmt: skip
        for _index, end, dx, dy, text in divergence_traces:
            shown = s >= end
            data.append({"type": "scatter", "x": [dx] if shown else [], "y": [dy] if shown else [],
                         "text": [text] if shown else []})  # fmt: skip
        frames.append({"name": str(int(s)), "data": data, "traces": path_indices + [d[0] for d in divergence_traces]})
    play = dict(frame=dict(duration=FRAME_MS, redraw=False), transition=dict(duration=0), mode="immediate")
    still = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        updatemenus=[
            dict(
                type="buttons", direction="left", x=0.0, y=-0.12, xanchor="left", yanchor="top", showactive=False,
                buttons=[
                    dict(label="Play", method="animate", args=[None, play]),
                    dict(label="Pause", method="animate", args=[[None], still]),
                ],
            )
        ],
        sliders=[
            dict(
                active=len(steps) - 1, x=0.2, y=-0.08, len=0.8, xanchor="left", yanchor="top",
                currentvalue=dict(prefix="step ", font=dict(size=13)), pad=dict(t=10),
                steps=[dict(label=str(int(s)), method="animate", args=[[str(int(s))], still]) for s in steps],
            )
        ],
        margin=dict(b=110),
    )  # fmt: skip
    fig.set_frame_dicts(frames)


def surface3d_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    labels: Sequence[str],
    paths: Sequence[np.ndarray],
    losses: Sequence[np.ndarray],
    colors: Sequence[str],
    log_contours: bool = False,
    axis_names: tuple[str, str] = ("w₁", "w₂"),
    height: int = 520,
) -> go.Figure:
    """The loss as a 3-D surface with the paths lying on it (log10(1 + L) for wide-ranging surfaces)."""
    zz = _contour_values(z, log_contours).astype(np.float32)
    z_min = float(finite(z, limit=1e12).min())
    fig = go.Figure(go.Surface(x=finite(xs), y=finite(ys), z=zz, colorscale="Viridis", opacity=0.85, showscale=False))
    for label, xy, loss, color in zip(labels, paths, losses, colors, strict=True):
        lz = finite(loss, limit=1e12).astype(np.float64)
        lz = np.log10(1.0 + lz - z_min) if log_contours else lz
        lz = lz + 0.01 * float(np.ptp(zz))  # a hair above the surface, so the path is not hidden in it
        xy = finite(xy, limit=1e6).reshape(-1, 2)
        fig.add_trace(
            go.Scatter3d(
                x=xy[:, 0], y=xy[:, 1], z=finite(lz), mode="lines+markers", name=label,
                line=dict(color=color, width=7), marker=dict(size=3, color=color),
            )
        )  # fmt: skip
    fig.update_layout(
        scene=dict(
            xaxis_title=axis_names[0], yaxis_title=axis_names[1], zaxis_title="log₁₀(1+L)" if log_contours else "L"
        ),
        height=height,
        margin=dict(l=0, r=0, t=10, b=0),
    )
    return fig


def loss_steps_figure(
    labels: Sequence[str],
    losses: Sequence[np.ndarray],
    diverged_at: Sequence[int | None],
    colors: Sequence[str],
    floor: float,
    height: int = 320,
    title: str | None = None,
) -> go.Figure:
    """Loss above the surface's minimum against the step, on a log scale; ✕ where a walk diverged."""
    fig = go.Figure()
    for label, loss, div, color in zip(labels, losses, diverged_at, colors, strict=True):
        gap = np.maximum(finite(loss, limit=1e12).astype(np.float64) - floor, 1e-12)
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(gap)), y=gap.astype(np.float32), mode="lines", name=label,
                line=dict(color=color, width=2),
                hovertemplate=label + "<br>step %{x}: %{y:.3g}<extra></extra>",
            )
        )  # fmt: skip
        if div is not None and len(gap):
            fig.add_trace(
                go.Scatter(
                    x=[len(gap) - 1], y=[float(gap[-1])], mode="markers+text", showlegend=False,
                    marker=dict(symbol="x", size=14, color=color), text=[f"diverged at step {div}"],
                    textposition="top left", hoverinfo="skip",
                )
            )  # fmt: skip
    longest = max((len(loss) for loss in losses), default=1)
    # whole steps only: ticks every 1, 2, 5, 10, … steps, at most about ten of them
    fig.update_xaxes(
        title_text="step", rangemode="tozero", showgrid=True, gridcolor="#eee",
        tickmode="linear", tick0=0, dtick=whole_number_step(longest - 1), tickformat="d",
    )  # fmt: skip
    # powers of ten (10⁻¹²), never SI prefixes (1p, 1n, 1μ): a loss is not a quantity with units
    fig.update_yaxes(
        title_text="loss − minimum (log scale)", type="log", showgrid=True, gridcolor="#eee",
        exponentformat="power", showexponent="all",
    )  # fmt: skip
    return base_layout(fig, height, title)
