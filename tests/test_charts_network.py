"""The network diagram and the click layer: valid Plotly, one picture per neuron, links by sign and size."""

from __future__ import annotations

import base64
import io
import itertools
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from playground.spec import Spec
from playground.trainer import Trainer
from playground.ui.charts import base as charts
from playground.ui.charts.network import (
    add_click_grid,
    boundary_picture,
    diverging_rgb,
    network_figure,
    neuron_picture,
    png_data_uri,
    tint_rgb,
)


def _figure_for(spec: Spec, validate: bool = True) -> go.Figure:
    tr = Trainer(spec, device="cpu")
    labels = list(spec.data.features)
    return network_figure(
        tr.neuron_grids(12), tr.weights(), labels, spec.model.activation, spec.model.problem, validate=validate
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"hidden": (), "activation": ()},
        {
            "dataset": "three_class",
            "problem": "multiclass",
            "loss": "categorical_crossentropy",
            "hidden": (3,),
            "activation": ("relu",),
        },
        {
            "dataset": "plane",
            "problem": "regression",
            "loss": "mse",
            "hidden": (5, 2),
            "activation": ("relu", "sigmoid"),
        },
        {
            "features": ("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"),
            "hidden": (16,) * 6,
            "activation": ("tanh",),
        },
    ],
)
def test_figure_is_valid_plotly_with_one_picture_per_neuron(changes: dict[str, object]) -> None:
    """Built with Plotly's validation on, the diagram has a picture per neuron and a hover point per weight."""
    spec = Spec(seed=1).replace(samples=40, **changes)
    fig = _figure_for(spec, validate=True)
    outputs = 3 if spec.model.problem == "multiclass" else 1
    widths = [len(spec.data.features), *spec.model.hidden, outputs]
    assert len(fig.layout.images) == sum(widths)
    weights = next(t for t in fig.data if t.name == "weights")
    assert len(weights.x) == sum(a * b for a, b in itertools.pairwise(widths))
    biases = next(t for t in fig.data if t.name == "biases")
    assert len(biases.x) == sum(widths[1:])
    assert all(text.startswith("bias ") for text in biases.hovertext)
    # The unvalidated fast path gives the same figure.
    assert json.loads(_figure_for(spec, validate=False).to_json()) == json.loads(fig.to_json())


def test_links_coloured_by_sign_and_wider_with_magnitude() -> None:
    """A positive weight is a blue link, a negative one orange; a larger |w| draws a wider line."""
    grids = [np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), np.zeros((1, 4, 4))]
    weights = [
        (np.array([[0.1, -1.5], [2.0, -0.05]]), np.array([0.3, -0.2])),
        (np.array([[1.0, -1.0]]), np.array([0.0])),
    ]
    fig = network_figure(grids, weights, ["x₁", "x₂"], ["tanh"], "binary", validate=True)
    lines = [t for t in fig.data if t.mode == "lines" and t.line.color in (charts.BLUE, charts.ORANGE)]
    blue = sorted(t.line.width for t in lines if t.line.color == charts.BLUE)
    orange = sorted(t.line.width for t in lines if t.line.color == charts.ORANGE)
    assert len(blue) >= 2 and len(orange) >= 2  # 0.1 and 2.0 (and 1.0) land in different width bins
    assert blue[0] < blue[-1] and orange[0] < orange[-1]
    texts = next(t for t in fig.data if t.name == "weights").hovertext
    assert "weight +2.000<br>x₁ → neuron 1.2" in texts
    assert "weight -1.500<br>x₂ → neuron 1.1" in texts


def test_nan_and_infinity_never_reach_the_figure() -> None:
    """Non-finite weights, biases or neuron outputs are drawn as finite numbers."""
    grids = [np.full((2, 4, 4), np.nan), np.full((1, 4, 4), np.inf)]
    weights = [(np.array([[np.nan, np.inf]]), np.array([-np.inf]))]
    fig = network_figure(grids, weights, ["a", "b"], [], "regression", validate=True)
    text = fig.to_json()
    assert "NaN" not in text and "Infinity" not in text


def test_colours_and_orientation_of_neuron_pictures() -> None:
    """-1 is orange, 0 white, +1 blue; the top row of a picture is the largest x2."""
    rgb = diverging_rgb(np.array([-1.0, 0.0, 1.0]))
    assert (
        rgb[0].tolist() == [0xF5, 0x93, 0x22]
        and rgb[1].tolist() == [255, 255, 255]
        and rgb[2].tolist() == [0x08, 0x77, 0xBD]
    )
    assert tint_rgb(np.array([0.0]), charts.CLASS_COLORS[2])[0].tolist() == [255, 255, 255]
    values = np.repeat(np.linspace(-1, 1, 5)[:, None], 5, axis=1)  # row i = x2 index i
    pic = neuron_picture(values, "hidden")
    assert pic[0, 0].tolist() == [0x08, 0x77, 0xBD]  # top: x2 largest, value +1: blue
    big = neuron_picture(values * 6, "hidden")  # raw x1 in [-6, 6] is scaled into [-1, 1]
    assert big[0, 0].tolist() == pic[0, 0].tolist()
    assert neuron_picture(np.full((2, 2), 0.5), "binary")[0, 0].tolist() == [255, 255, 255]


def test_png_data_uri_decodes_to_the_picture() -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (24, 24, 3), dtype=np.uint8)
    uri = png_data_uri(rgb)
    assert uri.startswith("data:image/png;base64,")
    back = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    np.testing.assert_array_equal(back, rgb)


def test_click_grid_is_invisible_clickable_and_keeps_points_opaque() -> None:
    """The grid covers the square with n² invisible points that can be clicked (hoverinfo none, not skip)."""
    axis = np.linspace(-6, 6, 10, dtype=np.float32)
    pts = np.array([[1.0, 1.0], [-1.0, -1.0]], dtype=np.float32)
    fig = charts.boundary_figure(axis, np.zeros((10, 10)), "binary", pts, np.array([0, 1]))
    add_click_grid(fig, 6.0, n=20)
    grid = fig.data[-1]
    assert len(grid.x) == 400 and grid.hoverinfo == "none" and grid.marker.opacity == 0
    assert min(grid.x) == -6 and max(grid.y) == 6
    points = [t for t in fig.data[:-1] if t.type == "scatter"]
    assert points and all(t.unselected.marker.opacity == 1 for t in points)
    json.loads(fig.to_json())


def test_boundary_picture_matches_the_chart_colours_and_orientation() -> None:
    """Live frames: P(class 1) = 1 at the top is blue (washed as the 0.75-opaque heatmap); points in class colours."""
    values = np.repeat(np.linspace(0, 1, 10)[:, None], 10, axis=1)  # rows run along x2: P rises with x2
    pic = boundary_picture(values, "binary", size=100)
    assert pic.shape == (100, 100, 3) and pic.dtype == np.uint8
    blue = 0.25 * 255 + 0.75 * np.array([0x08, 0x77, 0xBD])
    orange = 0.25 * 255 + 0.75 * np.array([0xF5, 0x93, 0x22])
    assert np.abs(pic[2, 50].astype(float) - blue).max() < 12  # top: x2 = 6, P = 1
    assert np.abs(pic[97, 50].astype(float) - orange).max() < 12  # bottom: x2 = -6, P = 0
    blank = boundary_picture(np.full((10, 10), 0.5), "binary", size=100)
    dotted = boundary_picture(np.full((10, 10), 0.5), "binary", np.array([[0.0, 0.0]]), np.array([1]), size=100)
    assert (dotted != blank).any(axis=2)[45:55, 45:55].any() and not (dotted != blank).any(axis=2)[:20].any()
    assert tuple(dotted[50, 50]) == (0x08, 0x77, 0xBD)  # a class-1 training point at the centre
    three = boundary_picture(np.tile([0.1, 0.1, 0.8], (10, 10, 1)), "multiclass", discretize=True, size=50)
    assert three.shape == (50, 50, 3)
    wild = boundary_picture(
        np.full((10, 10), np.nan), "regression", np.array([[np.inf, 0.0]]), np.array([np.nan]), size=50
    )
    assert wild.shape == (50, 50, 3)
