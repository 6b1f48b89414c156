"""The Activation-functions lesson: each activation with its derivative, and vanishing gradients.

* ``activate`` / ``g_of`` / ``curve``: sigmoid, tanh, ReLU, leaky ReLU, step and linear,
  values by torch and derivatives by ``torch.autograd``; ``FACTS``: what the lecture says of each;
* ``gradient_per_layer``: the vanishing-gradient demonstration, the gradient's size at each
  layer of a deep stack (sigmoid against tanh and ReLU);
* ``parse_depth``: the page's link parameter.

The perceptron lesson uses the same activations. No Streamlit or Plotly here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from playground.spec import IntRange, parse_link_values

#: Activations the Activation-functions page plots.
PLOT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
LABELS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "step": "Step",
    "linear": "Linear",
}
#: Negative slope of leaky ReLU: PyTorch's default is 0.01, Keras 3's 0.2; 0.1 is visible on a chart.
LEAKY_SLOPE = 0.1

#: Depth of the vanishing-gradient stack: bounds and default.
DEPTH_MIN, DEPTH_MAX, DEPTH_DEFAULT = 2, 30, 10

_DEPTH_RULE = IntRange("number of layers", DEPTH_MIN, DEPTH_MAX)


# ---------------------------------------------------------------------------
# Activations: values by torch, derivatives by autograd.
# ---------------------------------------------------------------------------


def activate(name: str, z: torch.Tensor, slope: float = LEAKY_SLOPE) -> torch.Tensor:
    """g(z) for one of the names above (``slope`` is leaky ReLU's negative slope)."""
    if name == "sigmoid":
        return torch.sigmoid(z)  # 1 / (1 + e^-z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "relu":
        return torch.relu(z)  # max(0, z)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, slope)  # max(slope·z, z)
    if name == "step":
        return (z >= 0).to(z.dtype)  # 1 if z ≥ 0 else 0: flat, so no gradient anywhere
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}")


def g_of(name: str, z: float) -> float:
    """g(z) for a single number (in double precision)."""
    return float(activate(name, torch.tensor(z, dtype=torch.float64)))


def curve(name: str, z: np.ndarray, slope: float = LEAKY_SLOPE) -> tuple[np.ndarray, np.ndarray]:
    """(g(z), g'(z)) over the points ``z``; the derivative comes from autograd.

    The step function has derivative 0 wherever it is defined (and none at 0):
    this is why a step perceptron cannot be trained by gradient descent.
    """
    t = torch.tensor(np.asarray(z, dtype=np.float64), requires_grad=True)
    out = activate(name, t, slope)
    if not out.requires_grad:  # step: built from a comparison, flat everywhere
        return out.detach().numpy(), np.zeros_like(out.detach().numpy())
    # Each output depends only on its own input, so the gradient of the sum is g'(z) elementwise.
    (grad,) = torch.autograd.grad(out.sum(), t)
    return out.detach().numpy(), grad.numpy()


@dataclass(frozen=True)
class Facts:
    """What the lecture says about one activation."""

    formula: str  # LaTeX of g(z)
    derivative: str  # LaTeX of g'(z)
    output_range: str
    zero_centred: bool
    sparse: bool
    note: str


FACTS: dict[str, Facts] = {
    "sigmoid": Facts(
        r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) \le 0.25",
        "(0, 1): reads as a probability",
        False,
        False,
        "Saturates at both ends, where the derivative is almost 0; even at its peak it is 0.25, so the gradient "
        "shrinks at least fourfold per layer: the vanishing gradient. Outputs are all positive (not zero-centred).",
    ),
    "tanh": Facts(
        r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        r"\tanh'(z) = 1 - \tanh^2(z) \le 1",
        "(-1, 1)",
        True,
        False,
        "Zero-centred, with a derivative up to 1 at z = 0, but it still saturates for large |z|, "
        "so gradients vanish there too.",
    ),
    "relu": Facts(
        r"\mathrm{ReLU}(z) = \max(0, z)",
        r"\mathrm{ReLU}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z < 0 \end{cases}",
        "[0, ∞)",
        False,
        True,
        "Derivative exactly 1 for z > 0: gradients pass through deep stacks without shrinking. "
        "Negative inputs give 0 (sparse activations, cheap to compute); a neuron stuck below 0 stops learning (dying ReLU).",
    ),
    "leaky_relu": Facts(
        r"\mathrm{LeakyReLU}(z) = \max(\alpha z, z)",
        r"\mathrm{LeakyReLU}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z < 0 \end{cases}",
        "(-∞, ∞)",
        False,
        False,
        "ReLU with a small slope α for z < 0, so no neuron dies: the gradient never is exactly 0.",
    ),
    "linear": Facts(
        r"g(z) = z",
        r"g'(z) = 1",
        "(-∞, ∞)",
        True,
        False,
        "No non-linearity: a stack of linear layers is still one linear function, so it can only draw straight "
        "boundaries. Used for regression outputs.",
    ),
    "step": Facts(
        r"g(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}",
        r"g'(z) = 0 \ (z \ne 0)",
        "{0, 1}",
        False,
        True,
        "Rosenblatt's original perceptron. Its derivative is 0 everywhere, so gradient descent cannot train it.",
    ),
}


def parse_depth(params: Mapping[str, Any]) -> tuple[int, list[str]]:
    """The vanishing-gradient depth a link asks for (``depth``), bounded; never raises."""
    values, notices = parse_link_values(params, {"depth": _DEPTH_RULE})
    return int(values.get("depth", DEPTH_DEFAULT)), notices


# ---------------------------------------------------------------------------
# Vanishing gradients: a deep stack, sigmoid against ReLU, by autograd.
# ---------------------------------------------------------------------------


def gradient_per_layer(activation: str, depth: int, width: int = 32, batch: int = 128, seed: int = 0) -> np.ndarray:
    """‖∂L/∂W_k‖ for each hidden layer k = 1..depth (layer 1 nearest the input).

    The stack is ``depth`` dense layers of ``width`` units with the same
    activation, then one linear output; L is the mean squared error against
    random targets. Weights are Keras's default glorot-uniform with zero
    biases, drawn from a generator seeded by ``seed``, so every activation is
    measured on the very same weights and inputs. By the chain rule the
    gradient at layer k is a product of one factor g'(z) per layer above it;
    σ' ≤ 0.25 makes that product shrink geometrically, ReLU' = 1 does not.
    """
    if not DEPTH_MIN <= depth <= DEPTH_MAX:
        raise ValueError(f"depth must be from {DEPTH_MIN} to {DEPTH_MAX}")
    gen = torch.Generator().manual_seed(seed)
    dtype = torch.float64  # gradients down to 1e-20 stay exact
    x = torch.randn(batch, width, generator=gen, dtype=dtype)
    target = torch.randn(batch, 1, generator=gen, dtype=dtype)
    bound = math.sqrt(6.0 / (width + width))  # glorot-uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    weights = [
        ((torch.rand(width, width, generator=gen, dtype=dtype) * 2 - 1) * bound).requires_grad_() for _ in range(depth)
    ]
    out_bound = math.sqrt(6.0 / (width + 1))
    w_out = (torch.rand(1, width, generator=gen, dtype=dtype) * 2 - 1) * out_bound
    h = x
    for w in weights:
        h = activate(activation, h @ w.T)
    loss = torch.mean((h @ w_out.T - target) ** 2)
    grads = torch.autograd.grad(loss, weights)
    return np.array([float(g.norm()) for g in grads])
