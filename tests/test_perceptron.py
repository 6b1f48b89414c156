"""The perceptron engine against the lecture's numbers, torch.autograd and the shared trainer."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.lessons import activations as act
from playground.lessons import perceptron as pc
from playground.trainer import Trainer
from playground.ui.charts import perceptron as cp

# -- the lecture's worked example --------------------------------------------------


def test_lecture_example_z_is_9_and_y_hat_is_0_99988() -> None:
    """x = (4, 2), W = (3, -2), w0 = 1: z = 1 + 12 - 4 = 9 and σ(9) = 0.99988 to 5 places."""
    n = pc.Neuron()
    assert (n.x1, n.x2, n.w0, n.w1, n.w2, n.g) == (4, 2, 1, 3, -2, "sigmoid")
    assert n.z == 9
    assert round(n.y_hat, 5) == 0.99988
    assert pc.fmt(n.z) == "9"
    assert pc.fmt_output(n.y_hat) == "0.9999"


def test_forward_latex_substitutes_the_numbers() -> None:
    z_line, y_line = pc.forward_latex(pc.Neuron())
    assert z_line.endswith(r"= 1 + 4 \cdot 3 + 2 \cdot (-2) = 9")
    assert r"\sigma(9)" in y_line and y_line.endswith(r"\approx 0.9999")
    _, relu_line = pc.forward_latex(pc.Neuron(g="relu"))
    assert relu_line.endswith("= 9")  # exact: no ≈


@pytest.mark.parametrize("g", pc.ACTIVATIONS)
def test_forward_pass_matches_torch(g: str) -> None:
    n = pc.Neuron(x1=-1.5, x2=2.5, w0=0.3, w1=-2.0, w2=0.7, g=g)
    layer = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[n.w1, n.w2]]))
        layer.bias.copy_(torch.tensor([n.w0]))
    with torch.no_grad():
        z = layer(torch.tensor([[n.x1, n.x2]], dtype=torch.float64))
    expected = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "step": lambda t: torch.heaviside(t, torch.ones_like(t)),
        "linear": lambda t: t,
    }[g](z)
    assert n.z == pytest.approx(float(z))
    assert n.y_hat == pytest.approx(float(expected))


def test_output_formatting() -> None:
    assert pc.fmt_output(1 / (1 + math.exp(-11))) == "0.99998"  # 4 places would say 1
    assert pc.fmt_output(1.0) == "1"
    assert pc.fmt(-0.00001) == "0"
    assert pc.fmt(2.5) == "2.5" and pc.fmt_factor(-2) == "(-2)"


# -- activations and their derivatives ---------------------------------------------


@pytest.mark.parametrize("name", [*act.PLOT_ACTIVATIONS, "step"])
def test_curve_derivatives_match_closed_forms(name: str) -> None:
    z = np.linspace(-5, 5, 101)
    z = z[np.abs(z) > 1e-9]  # ReLU-like kinks at 0
    values, d = act.curve(name, z, slope=0.1)
    s = 1 / (1 + np.exp(-z))
    expected = {
        "sigmoid": (s, s * (1 - s)),
        "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
        "relu": (np.maximum(z, 0), (z > 0).astype(float)),
        "leaky_relu": (np.where(z > 0, z, 0.1 * z), np.where(z > 0, 1.0, 0.1)),
        "linear": (z, np.ones_like(z)),
        "step": ((z >= 0).astype(float), np.zeros_like(z)),
    }[name]
    np.testing.assert_allclose(values, expected[0], atol=1e-12)
    np.testing.assert_allclose(d, expected[1], atol=1e-12)
    assert name in act.FACTS


def test_sigmoid_derivative_peaks_at_a_quarter() -> None:
    _, d = act.curve("sigmoid", np.linspace(-6, 6, 241))
    assert d.max() == pytest.approx(0.25)


# -- the boundary line -------------------------------------------------------------


def test_boundary_line_of_the_lecture_weights() -> None:
    """1 + 3·x1 - 2·x2 = 0, i.e. x2 = (1 + 3·x1) / 2, clipped to [-10, 10]²."""
    seg = pc.boundary_segment(1, 3, -2, 10)
    assert seg is not None
    for x1, x2 in seg:
        assert 1 + 3 * x1 - 2 * x2 == pytest.approx(0, abs=1e-9)
        assert max(abs(x1), abs(x2)) == pytest.approx(10) or max(abs(x1), abs(x2)) < 10
    np.testing.assert_allclose(sorted(seg.tolist()), [[-7.0, -10.0], [19 / 3, 10.0]])


@settings(max_examples=200, deadline=None)
@given(
    w0=st.floats(-10, 10),
    w1=st.floats(-10, 10),
    w2=st.floats(-10, 10),
)
def test_boundary_segment_lies_on_the_line_inside_the_square(w0: float, w1: float, w2: float) -> None:
    seg = pc.boundary_segment(w0, w1, w2, 6.0)
    if seg is None:
        # No line, or the line misses the square: every corner is on the same side.
        corners = [w0 + w1 * a + w2 * b for a in (-6, 6) for b in (-6, 6)]
        assert (w1 == 0 and w2 == 0) or all(c >= -1e-9 for c in corners) or all(c <= 1e-9 for c in corners)
        return
    assert seg.shape == (2, 2) and np.all(np.abs(seg) <= 6 + 1e-9)
    scale = max(abs(w0), abs(w1), abs(w2), 1.0)
    for x1, x2 in seg:
        assert abs(w0 + w1 * x1 + w2 * x2) <= 1e-9 * scale * 10


def test_no_line_when_both_weights_are_zero() -> None:
    assert pc.boundary_segment(1, 0, 0, 6) is None


def test_line_through_two_corners_is_kept() -> None:
    seg = pc.boundary_segment(0.0, 5.58731095209737, 5.58731095209737, 6.0)
    assert seg is not None
    np.testing.assert_allclose(sorted(seg.tolist()), [[-6.0, 6.0], [6.0, -6.0]])


def test_output_grid_is_y_hat_everywhere_and_changes_sign_on_the_line() -> None:
    n = pc.Neuron()
    axis, y = pc.output_grid(n, 10, resolution=41)
    assert y.shape == (41, 41)
    # rows run along x2, columns along x1
    i, j = 30, 5
    assert y[i, j] == pytest.approx(1 / (1 + math.exp(-(1 + 3 * axis[j] - 2 * axis[i]))))
    assert pc.shading_range("sigmoid", y) == (0.0, 1.0)
    lo, hi = pc.shading_range("linear", pc.output_grid(dataclasses.replace(n, g="linear"), 10)[1])
    assert lo == -hi and hi > 0


# -- learning ----------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    x1=st.floats(-6, 6),
    x2=st.floats(-6, 6),
    y=st.sampled_from([0.0, 1.0]),
    w=st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3)),
)
def test_perceptron_gradient_matches_autograd(x1: float, x2: float, y: float, w: tuple[float, float, float]) -> None:
    """∂L/∂w = (ŷ - y)·(1, x1, x2) equals what torch.autograd finds for binary cross-entropy."""
    weights = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    z = weights[0] + x1 * weights[1] + x2 * weights[2]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    assert weights.grad is not None
    np.testing.assert_allclose(pc.bce_gradient(x1, x2, y, *w), weights.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_trainer_gradient_is_the_perceptron_gradient() -> None:
    """The shared trainer's no-hidden-layer network is exactly this perceptron (same gradient)."""
    trainer = Trainer(pc.default_training_spec(), device="cpu")
    model = trainer.model
    n = pc.trained_neuron(trainer.weights())
    x = torch.tensor([[1.5, -2.0]])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(-1), torch.tensor([1.0]))
    loss.backward()
    layer = model.layers[0]
    assert isinstance(layer, torch.nn.Linear)
    assert layer.bias.grad is not None and layer.weight.grad is not None
    got = [float(layer.bias.grad[0]), *layer.weight.grad[0].tolist()]
    np.testing.assert_allclose(got, pc.bce_gradient(1.5, -2.0, 1.0, n.w0, n.w1, n.w2), rtol=1e-5)


def test_perceptron_learns_gauss() -> None:
    trainer = Trainer(pc.default_training_spec(), device="cpu")
    records = trainer.train(epochs=15)
    assert records[-1].train_acc is not None and records[-1].train_acc >= 0.98
    assert records[-1].train_loss < records[0].train_loss


@pytest.mark.parametrize(("seed", "optimizer"), [(0, "sgd"), (1, "sgd"), (2, "adam")])
def test_perceptron_cannot_learn_xor(seed: int, optimizer: str) -> None:
    """One line cannot separate xor: accuracy stays at or below 0.75 in every epoch."""
    spec, notices = pc.perceptron_spec(pc.default_training_spec().replace(seed=seed, optimizer=optimizer), "xor")
    assert not notices and spec.model.hidden == ()
    trainer = Trainer(spec, device="cpu")
    records = trainer.train(epochs=pc.TRAIN_EPOCHS)
    assert len(records) == pc.TRAIN_EPOCHS
    assert max(r.train_acc or 0 for r in records) <= 0.75
    assert max(r.val_acc or 0 for r in records) <= 0.75


def test_perceptron_spec_forces_one_neuron_and_refuses_other_sets() -> None:
    base = pc.default_training_spec().replace(hidden=(8, 8), activation=("relu",), features=("x1_sq",))
    spec, notices = pc.perceptron_spec(base, "spiral")
    assert spec.data.dataset == "gauss" and notices and "spiral" in notices[0]
    assert spec.model.hidden == () and spec.data.features == ("x1", "x2")
    assert spec.model.loss == "binary_crossentropy"


def test_perceptron_spec_brings_a_large_learning_rate_down_with_a_notice() -> None:
    spec, notices = pc.perceptron_spec(pc.default_training_spec().replace(lr=5.0), "xor")
    assert spec.train.lr == pc.MAX_LR
    assert notices == [f"lr: got 5; expected at most {pc.MAX_LR:g} on this page (using {pc.MAX_LR:g})"]
    assert pc.perceptron_spec(pc.default_training_spec().replace(lr=0.3), "xor")[1] == []


# -- vanishing gradients -----------------------------------------------------------


def test_sigmoid_gradient_vanishes_relu_does_not() -> None:
    sig = act.gradient_per_layer("sigmoid", 10)
    relu = act.gradient_per_layer("relu", 10)
    assert sig.shape == relu.shape == (10,)
    assert sig[0] / sig[-1] < 1e-3  # shrinks by orders of magnitude towards the input
    assert 0.1 < relu[0] / relu[-1] < 10  # stays the same size
    np.testing.assert_array_equal(sig, act.gradient_per_layer("sigmoid", 10))  # seeded


def test_gradient_per_layer_matches_a_torch_nn_stack() -> None:
    """The hand-built stack gives the gradients an nn.Sequential with the same weights gets."""
    depth, width = 4, 32
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(128, width, generator=gen, dtype=torch.float64)
    target = torch.randn(128, 1, generator=gen, dtype=torch.float64)
    bound = math.sqrt(6.0 / (2 * width))
    layers: list[torch.nn.Module] = []
    for _ in range(depth):
        lin = torch.nn.Linear(width, width, bias=False).double()
        with torch.no_grad():
            lin.weight.copy_((torch.rand(width, width, generator=gen, dtype=torch.float64) * 2 - 1) * bound)
        layers += [lin, torch.nn.Sigmoid()]
    out = torch.nn.Linear(width, 1, bias=False).double()
    with torch.no_grad():
        out.weight.copy_((torch.rand(1, width, generator=gen, dtype=torch.float64) * 2 - 1) * math.sqrt(6.0 / 33))
    net = torch.nn.Sequential(*layers, out)
    torch.nn.functional.mse_loss(net(x), target).backward()
    expected = [float(m.weight.grad.norm()) for m in layers if isinstance(m, torch.nn.Linear)]  # type: ignore[union-attr]
    np.testing.assert_allclose(act.gradient_per_layer("sigmoid", depth, width=width), expected, rtol=1e-10)


def test_gradient_per_layer_is_bounded() -> None:
    with pytest.raises(ValueError):
        act.gradient_per_layer("relu", act.DEPTH_MAX + 1)


# -- link parameters ---------------------------------------------------------------


def test_parse_neuron_reads_good_values_and_refuses_bad_ones() -> None:
    n, notices = pc.parse_neuron({"x1": "2.5", "w2": "-1", "g": "TANH"})
    assert (n.x1, n.w2, n.g) == (2.5, -1.0, "tanh") and notices == []
    n, notices = pc.parse_neuron({"x1": "11", "w0": "nan", "w1": "abc", "g": "softmax", "x2": ["1", "3"]})
    assert n == dataclasses.replace(pc.Neuron(), x2=3.0)
    assert len(notices) == 4 and all("using the default" in m for m in notices)
    assert pc.Neuron(w1=3.5).params() == {"w1": "3.5"} and pc.Neuron().params() == {}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["x1", "x2", "w0", "w1", "w2", "g", "depth", "other"]), st.text(max_size=12)))
def test_link_parsers_never_raise_and_stay_bounded(params: dict[str, str]) -> None:
    n, _ = pc.parse_neuron(params)
    for name in pc.NUMBER_PARAMS:
        value = getattr(n, name)
        assert math.isfinite(value) and -pc.WEIGHT_LIMIT <= value <= pc.WEIGHT_LIMIT
    assert n.g in pc.ACTIVATIONS and math.isfinite(n.y_hat)
    depth, notices = act.parse_depth(params)
    assert act.DEPTH_MIN <= depth <= act.DEPTH_MAX
    assert notices == [] or depth == act.DEPTH_DEFAULT


# -- code listings -----------------------------------------------------------------


@pytest.mark.parametrize("g", pc.ACTIVATIONS)
def test_pytorch_code_runs_and_gives_the_page_numbers(g: str, capsys: pytest.CaptureFixture[str]) -> None:
    n = pc.Neuron(w1=3.5, g=g)
    exec(pc.pytorch_code(n), {})
    z, y = map(float, capsys.readouterr().out.split())
    assert z == pytest.approx(n.z, abs=1e-5) and y == pytest.approx(n.y_hat, abs=1e-5)


def test_keras_code_has_the_lecture_layers_and_the_weights() -> None:
    code = pc.keras_code(pc.Neuron())
    assert "Dense(units=1, activation='sigmoid')" in code
    assert "class MyDenseLayer(tf.keras.layers.Layer)" in code
    assert "[[3.0], [-2.0]]" in code and "np.array([1.0])" in code
    compile(code, "keras_code", "exec")
    compile(pc.keras_code(pc.Neuron(g="step")), "keras_code", "exec")


# -- chart builders ----------------------------------------------------------------


def test_plane_figure_has_line_point_and_no_nan() -> None:
    n = pc.Neuron()
    axis, y = pc.output_grid(n, 10)
    y[0, 0] = np.nan
    fig = cp.plane_figure(axis, y, (0, 1), pc.boundary_segment(1, 3, -2, 10), point=(4, 2), point_label="ŷ")
    names = [t.name for t in fig.data]
    assert "boundary z = 0" in names and "your input x" in names
    assert np.isfinite(np.asarray(fig.data[0].z, dtype=float)).all()
    fig2 = cp.plane_figure(axis, y, (0, 1), None, points=np.zeros((4, 2)), labels=np.array([0, 1, 0, 1]))
    assert "boundary z = 0" not in [t.name for t in fig2.data]


def test_activation_and_gradient_figures() -> None:
    z = np.linspace(-6, 6, 11)
    v, d = act.curve("tanh", z)
    fig = cp.activation_figure(z, v, d, "tanh", "Tanh")
    assert len(fig.data) == 2
    g = cp.gradient_figure({"sigmoid": np.array([1e-40, 0.0, 1.0])}, act.LABELS)
    assert g.layout.yaxis.type == "log" and np.all(np.asarray(g.data[0].y) > 0)
