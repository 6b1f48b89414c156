"""The single neuron of the lecture's first half: forward pass, activations, training set-up.

A perceptron computes

    z = w0 + x1·w1 + x2·w2        (the weighted sum plus the bias w0)
    ŷ = g(z)                      (a non-linear activation g)

and its decision boundary is the line where z = 0. This module owns every
number the Perceptron page shows (the activations themselves are in
``playground.lessons.activations``, the Activation-functions page's lesson):

* ``Neuron`` (the page's settings, defaulting to the lecture's worked example
  "will I pass this class?") and its forward pass;
* the boundary line clipped to the drawn square, and ŷ over the plane;
* the gradient of binary cross-entropy for one example, by hand (the test
  checks it against autograd);
* parsing of the page's own link parameters, and the Keras / PyTorch code
  listings with the current weights filled in.

Training itself is the shared ``playground.trainer.Trainer`` with a spec that
has no hidden layer (``perceptron_spec``). No Streamlit or Plotly here.

It runs a little over 400 lines and stays one module on purpose: every part is
about the same ``Neuron`` (its numbers, its link, its code listings), and the
page asks this one module for all of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from playground.lessons.activations import activate, g_of
from playground.spec import (
    Choice,
    FloatRange,
    Spec,
    SpecError,
    from_query_lenient,
    last_value,
    parse_link_values,
    spec_for_dataset,
)

#: Activations the perceptron page offers (step is the historical perceptron's).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "step", "linear")
#: Bounds of every number a user can set on the perceptron page (sliders and links).
WEIGHT_LIMIT = 10.0
#: Data sets the training section offers (name -> label): separable ones first, then ones a line cannot split.
TRAIN_DATASETS = {"gauss": "gauss (two clouds)", "moons": "moons", "xor": "xor", "circle": "circle"}
#: Epochs of one training run: enough for the line to settle on the separable sets.
TRAIN_EPOCHS = 60
#: The largest learning rate the perceptron page offers (its slider's top): one sigmoid neuron
#: already overshoots there, and a link asking for more is brought down with a notice.
MAX_LR = 1.0
_NUMBER_RULE = FloatRange("a number", -WEIGHT_LIMIT, WEIGHT_LIMIT)
_G_RULE = Choice("activation", ACTIVATIONS)


# ---------------------------------------------------------------------------
# The neuron of the perceptron page.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Neuron:
    """Inputs, weights and activation; the defaults are the lecture's worked example.

    "Will I pass this class?" x1 = lectures attended (4), x2 = hours spent
    procrastinating (2), W = [3, -2], bias w0 = 1, sigmoid: z = 9, ŷ ≈ 0.9999.
    """

    x1: float = 4.0
    x2: float = 2.0
    w0: float = 1.0
    w1: float = 3.0
    w2: float = -2.0
    g: str = "sigmoid"

    @property
    def z(self) -> float:
        """The weighted sum plus bias: z = w0 + x1·w1 + x2·w2."""
        return self.w0 + self.x1 * self.w1 + self.x2 * self.w2

    @property
    def y_hat(self) -> float:
        return g_of(self.g, self.z)

    def params(self) -> dict[str, str]:
        """The link parameters that differ from the lecture's example."""
        default = Neuron()
        out: dict[str, str] = {}
        for name in NUMBER_PARAMS:
            value = getattr(self, name)
            if value != getattr(default, name):
                out[name] = fmt(value)
        if self.g != default.g:
            out["g"] = self.g
        return out


NUMBER_PARAMS = ("x1", "x2", "w0", "w1", "w2")


def _notice(name: str, exc: SpecError) -> str:
    return f"{name}: {exc.reason} (using the default instead)"


def parse_neuron(params: Mapping[str, Any]) -> tuple[Neuron, list[str]]:
    """The neuron a link describes (x1, x2, w0, w1, w2, g); bad values fall back with a notice.

    Never raises: each bad parameter gives one sentence in the returned notices.
    """
    values, notices = parse_link_values(params, {**dict.fromkeys(NUMBER_PARAMS, _NUMBER_RULE), "g": _G_RULE})
    return replace(Neuron(), **values), notices


def fmt(value: float, digits: int = 4) -> str:
    """A short human number: 9, 0.5, -2.25, 0.9999 (no trailing zeros, no "-0")."""
    if not math.isfinite(value):
        return "∞" if value > 0 else ("-∞" if value < 0 else "undefined")
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_output(value: float) -> str:
    """ŷ with 4 decimals, or more when 4 would round a non-integer to one (σ(11) = 0.99998, not 1)."""
    for digits in range(4, 10):
        text = fmt(value, digits)
        if "." in text or float(value).is_integer():
            return text
    return fmt(value, 10)


def fmt_factor(value: float) -> str:
    """A number inside a product: negative ones in parentheses, as in 2·(-2)."""
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


# ---------------------------------------------------------------------------
# The input plane: boundary line and ŷ everywhere.
# ---------------------------------------------------------------------------


def boundary_segment(w0: float, w1: float, w2: float, domain: float) -> np.ndarray | None:
    """The part of the line w0 + w1·x1 + w2·x2 = 0 inside the square [-domain, domain]².

    Returns two points [[x1, x2], [x1, x2]], or None when the line misses the
    square or there is no line (w1 = w2 = 0: the whole plane is on one side).
    """
    if w1 == 0 and w2 == 0:
        return None
    found: list[tuple[float, float]] = []
    d = domain
    eps = 1e-9 * d  # a line through a corner must not be lost to rounding
    # Intersections with the vertical sides x1 = ±d and the horizontal sides x2 = ±d.
    if w2 != 0:
        for x1 in (-d, d):
            x2 = -(w0 + w1 * x1) / w2
            if -d - eps <= x2 <= d + eps:
                found.append((x1, min(max(x2, -d), d)))
    if w1 != 0:
        for x2 in (-d, d):
            x1 = -(w0 + w2 * x2) / w1
            if -d - eps <= x1 <= d + eps:
                found.append((min(max(x1, -d), d), x2))
    unique: list[tuple[float, float]] = []
    for p in found:
        if all(abs(p[0] - q[0]) > 1e-9 or abs(p[1] - q[1]) > 1e-9 for q in unique):
            unique.append(p)
    if len(unique) < 2:
        return None
    # The two points farthest apart (a corner can be found twice).
    best = max(
        ((a, b) for i, a in enumerate(unique) for b in unique[i + 1 :]),
        key=lambda ab: (ab[0][0] - ab[1][0]) ** 2 + (ab[0][1] - ab[1][1]) ** 2,
    )
    return np.array(best, dtype=np.float64)


def output_grid(neuron: Neuron, domain: float, resolution: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """(axis, ŷ [res, res]) over the square; rows run along x2, columns along x1."""
    axis = np.linspace(-domain, domain, resolution)
    xx, yy = np.meshgrid(axis, axis)
    z = neuron.w0 + neuron.w1 * xx + neuron.w2 * yy
    y_hat = activate(neuron.g, torch.from_numpy(z)).numpy()
    return axis, y_hat


def shading_range(g: str, values: np.ndarray) -> tuple[float, float]:
    """Colour range for ŷ, centred on g(0) (the value on the boundary line)."""
    if g in ("sigmoid", "step"):
        return 0.0, 1.0
    if g == "tanh":
        return -1.0, 1.0
    finite = values[np.isfinite(values)]
    top = float(np.max(np.abs(finite))) if finite.size else 1.0
    top = max(top, 1e-6)
    return -top, top


# ---------------------------------------------------------------------------
# Learning: the gradient of one example, and the training spec.
# ---------------------------------------------------------------------------


def bce_gradient(x1: float, x2: float, y: float, w0: float, w1: float, w2: float) -> np.ndarray:
    """∂L/∂(w0, w1, w2) of L = -[y log σ(z) + (1 - y) log(1 - σ(z))] for one example.

    The chain rule gives ∂L/∂z = σ(z) - y = ŷ - y, and ∂z/∂(w0, w1, w2) = (1, x1, x2).
    """
    y_hat = 1.0 / (1.0 + math.exp(-(w0 + x1 * w1 + x2 * w2)))
    return (y_hat - y) * np.array([1.0, x1, x2])


def perceptron_spec(base: Spec, dataset: str | None = None) -> tuple[Spec, list[str]]:
    """``base`` made into a perceptron: no hidden layer, inputs (x1, x2), sigmoid output, cross-entropy.

    A data set the page does not offer falls back to gauss, and a learning rate
    above ``MAX_LR`` comes down to it, each with a notice.
    """
    notices: list[str] = []
    if base.train.lr > MAX_LR:
        notices.append(f"lr: got {base.train.lr:g}; expected at most {MAX_LR:g} on this page (using {MAX_LR:g})")
        base = base.replace(lr=MAX_LR)
    name = base.data.dataset if dataset is None else dataset
    if name not in TRAIN_DATASETS:
        notices.append(f"dataset: got {name!r}; expected one of {', '.join(TRAIN_DATASETS)} (using gauss instead)")
        name = "gauss"
    spec = spec_for_dataset(name, base).replace(
        hidden=(),
        activation=(),
        problem="binary",
        loss="binary_crossentropy",
        features=("x1", "x2"),
        dropout=0.0,
    )
    return spec, notices


def link_spec(params: Mapping[str, Any], base: Spec) -> tuple[Spec, list[str]]:
    """The training spec a link asks for (``dataset``, ``lr``, ``optimizer``, ...), with a notice per bad value.

    The data set is checked against this page's own sets, so its notice names
    only those (a generic link check would list every data set of the app).
    Never raises.
    """
    others = dict(params)
    asked: str | None = None
    for key in [k for k in others if str(k).strip() == "dataset"]:
        asked = str(last_value(others.pop(key))).strip()
    spec, notices = from_query_lenient(others, base)
    spec, more = perceptron_spec(spec, asked)
    return spec, notices + more


def why_one_line_fails(dataset: str) -> str | None:
    """Why a perceptron cannot solve this data set (None when one line is enough, or nearly)."""
    line = "A perceptron's boundary is a straight line; "
    if dataset == "xor":
        return (
            "**One line cannot separate xor.** " + line + "xor's class 1 sits in two opposite quadrants, so any line "
            "leaves a quadrant on the wrong side and the accuracy stays at or below 0.75. "
            "One hidden layer bends the boundary."
        )
    if dataset == "circle":
        return (
            "**One line cannot separate circle.** " + line + "the circle's class 1 is surrounded by class 0, which "
            "no line can cut out. One hidden layer bends the boundary."
        )
    return None


def default_training_spec() -> Spec:
    """The training section's defaults: gauss, plain SGD at 0.03, batch 10, 60 epochs."""
    spec, _ = perceptron_spec(Spec().replace(epochs=TRAIN_EPOCHS), "gauss")
    return spec


def weight_value(value: float) -> float:
    """A learned weight as a slider value: exact, inside [-WEIGHT_LIMIT, WEIGHT_LIMIT], and never -0."""
    return min(max(float(value), -WEIGHT_LIMIT), WEIGHT_LIMIT) + 0.0  # -0.0 + 0.0 is +0.0 in IEEE arithmetic


def trained_neuron(weights: list[tuple[np.ndarray, np.ndarray]]) -> Neuron:
    """The sigmoid neuron a trainer holds (``Trainer.weights()`` of a no-hidden-layer network)."""
    w, b = weights[-1]
    return Neuron(x1=0.0, x2=0.0, w0=float(b[0]), w1=float(w[0, 0]), w2=float(w[0, 1]), g="sigmoid")


# ---------------------------------------------------------------------------
# "Show the code": the lecture's Keras and the same in PyTorch, current weights filled in.
# ---------------------------------------------------------------------------

_KERAS_ACTIVATION = {
    "sigmoid": ("'sigmoid'", "tf.math.sigmoid(z)"),
    "tanh": ("'tanh'", "tf.math.tanh(z)"),
    "relu": ("'relu'", "tf.nn.relu(z)"),
    "linear": ("'linear'", "z"),
    "step": ("lambda z: tf.cast(z >= 0, z.dtype)", "tf.cast(z >= 0, z.dtype)"),
}
_TORCH_ACTIVATION = {
    "sigmoid": "torch.sigmoid(z)",
    "tanh": "torch.tanh(z)",
    "relu": "torch.relu(z)",
    "linear": "z",
    "step": "(z >= 0).float()",
}


def _f(value: float) -> str:
    """A number in the code listings, in full (Python's shortest round-trip form); -0.0 is written 0.0."""
    return repr(float(value) + 0.0)


def keras_code(n: Neuron) -> str:
    """The lecture's Keras code for this neuron: a Dense unit, then the same as a custom layer."""
    act_arg, act_call = _KERAS_ACTIVATION[n.g]
    return f"""import numpy as np
import tensorflow as tf

x = np.array([[{_f(n.x1)}, {_f(n.x2)}]])  # x1, x2

# 1. The perceptron is one Dense unit: y_hat = g(w0 + x1*w1 + x2*w2)
layer = tf.keras.layers.Dense(units=1, activation={act_arg})
layer.build((None, 2))
layer.set_weights([np.array([[{_f(n.w1)}], [{_f(n.w2)}]]), np.array([{_f(n.w0)}])])  # W = [w1, w2], bias w0
print(layer(x).numpy())  # y_hat = {fmt_output(n.y_hat)}


# 2. The same perceptron written out as a custom layer
class MyDenseLayer(tf.keras.layers.Layer):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        # Initialize weights and bias
        self.W = self.add_weight(shape=(input_dim, output_dim))
        self.b = self.add_weight(shape=(1, output_dim))

    def call(self, inputs):
        # Forward propagate the inputs: z = w0 + sum_i x_i * w_i
        z = tf.matmul(inputs, self.W) + self.b
        # Feed through a non-linear activation
        return {act_call}


custom = MyDenseLayer(2, 1)
custom.set_weights([np.array([[{_f(n.w1)}], [{_f(n.w2)}]]), np.array([[{_f(n.w0)}]])])
print(custom(x).numpy())  # z = {fmt(n.z)}, y_hat = {fmt_output(n.y_hat)}
"""


def pytorch_code(n: Neuron) -> str:
    """The same neuron in PyTorch: ``nn.Linear(2, 1)`` with these weights, then g."""
    return f"""import torch
from torch import nn

x = torch.tensor([[{_f(n.x1)}, {_f(n.x2)}]])  # x1, x2

layer = nn.Linear(in_features=2, out_features=1)
with torch.no_grad():
    layer.weight.copy_(torch.tensor([[{_f(n.w1)}, {_f(n.w2)}]]))  # W = [w1, w2]
    layer.bias.copy_(torch.tensor([{_f(n.w0)}]))  # w0

z = layer(x)  # z = w0 + x1*w1 + x2*w2 = {fmt(n.z)}
y_hat = {_TORCH_ACTIVATION[n.g]}  # {fmt_output(n.y_hat)}
print(z.item(), y_hat.item())
"""


# ---------------------------------------------------------------------------
# The forward pass written out with the numbers (LaTeX for the page).
# ---------------------------------------------------------------------------

_G_LATEX = {
    "sigmoid": (r"\sigma", lambda z: rf"\frac{{1}}{{1 + e^{{-{fmt_factor(float(z))}}}}}"),
    "tanh": (r"\tanh", lambda z: rf"\tanh({z})"),
    "relu": (r"\mathrm{ReLU}", lambda z: rf"\max(0,\ {z})"),
    "step": (r"\mathrm{step}", lambda z: rf"[\,{z} \ge 0\,]"),
    "linear": (r"g", lambda z: str(z)),
}


def forward_latex(n: Neuron) -> tuple[str, str]:
    """The two lines of the forward pass with the numbers substituted.

    ``z = w_0 + x_1 w_1 + x_2 w_2 = 1 + 4·3 + 2·(-2) = 9`` and
    ``ŷ = σ(z) = σ(9) = 1 / (1 + e^-9) ≈ 0.9999``.
    """
    z_line = (
        r"z = w_0 + x_1 w_1 + x_2 w_2 = "
        rf"{fmt(n.w0)} + {fmt_factor(n.x1)} \cdot {fmt_factor(n.w1)} + {fmt_factor(n.x2)} \cdot {fmt_factor(n.w2)}"
        rf" = {fmt(n.z)}"
    )
    name, expand = _G_LATEX[n.g]
    z_text = fmt(n.z)
    y_text = fmt_output(n.y_hat)
    exact = abs(float(y_text) - n.y_hat) < 1e-12
    middle = f" = {expand(z_text)}" if n.g in ("sigmoid", "relu", "step") else ""
    relation = "=" if exact else r"\approx"
    y_line = rf"\hat{{y}} = {name}(z) = {name}({z_text}){middle} {relation} {y_text}"
    return z_line, y_line
