"""The 2-D loss surfaces of the gradient-descent page: each a formula, its gradient by hand, and its map.

A surface is a loss L(w) of two weights w = (w₁, w₂), written once so that it
evaluates on numpy arrays (the map) and on torch tensors (the tests' autograd
reference). Its gradient ∇L(w) is a closed form, checked against
``torch.autograd`` and ``gradcheck`` in the tests.

Every surface is an empirical risk over n = ``N_EXAMPLES`` examples,
L(w) = (1/n) Σ_i L_i(w):

* the analytic surfaces use L_i(w) = f(w) + a_i·w with Σ_i a_i = 0, so the
  full-batch gradient is exactly ∇f while a mini-batch of B examples adds the
  noise mean_{i∈B} a_i — a real mini-batch, not noise added by hand;
* the tiny network ŷ = w₂·tanh(w₁·x) uses its real per-example squared errors.

The walks over these surfaces (torch.optim's updates) are in
``playground.lessons.gradient_descent``. No Streamlit or Plotly here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from playground import optimizers

SURFACES = ("bowl", "valley", "rosenbrock", "saddle", "network")
#: A walk that gets this many map sizes away from the map's centre has diverged.
ESCAPE_SPANS = 10.0
#: Examples in every surface's empirical risk (the mini-batch slider runs 1..N_EXAMPLES).
N_EXAMPLES = 64

Array = Any  # numpy array or torch tensor: the formulas below work on both


def _bowl(x: Array, y: Array, xp: Any) -> Array:
    return x**2 + y**2


def _valley(x: Array, y: Array, xp: Any) -> Array:
    # condition number 50: steep across the valley, almost flat along it
    return 0.1 * x**2 + 5.0 * y**2


def _rosenbrock(x: Array, y: Array, xp: Any) -> Array:
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _saddle(x: Array, y: Array, xp: Any) -> Array:
    # a saddle at (0, 0) between two valleys at (0, ±1); bounded below by −1/4
    return x**2 + 0.25 * y**4 - 0.5 * y**2


def _grad_bowl(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x, 2.0 * y


def _grad_valley(x: float, y: float) -> tuple[float, float]:
    return 0.2 * x, 10.0 * y


def _grad_rosenbrock(x: float, y: float) -> tuple[float, float]:
    # ∂/∂x = −2(1 − x) − 400·x·(y − x²),  ∂/∂y = 200·(y − x²)
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


def _grad_saddle(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x, y**3 - y


def _network_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """64 points of y = 1.5·tanh(x) + noise, x in [−2, 2]: what the tiny network fits."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(N_EXAMPLES, generator=gen, dtype=torch.float64) * 4 - 2
    y = 1.5 * torch.tanh(x) + 0.1 * torch.randn(N_EXAMPLES, generator=gen, dtype=torch.float64)
    return x.numpy(), y.numpy()


NET_X, NET_Y = _network_data()


def network_loss(w1: Array, w2: Array, xp: Any = np, x: np.ndarray = NET_X, y: np.ndarray = NET_Y) -> Array:
    """MSE of the 1-1-1 network ŷ = w₂·tanh(w₁·x) on its data, for weights of any shape (broadcast)."""
    xs = xp.as_tensor(x) if xp is torch else x
    ys = xp.as_tensor(y) if xp is torch else y
    w1e = w1[..., None] if hasattr(w1, "ndim") and w1.ndim > 0 else w1
    w2e = w2[..., None] if hasattr(w2, "ndim") and w2.ndim > 0 else w2
    residual = w2e * xp.tanh(w1e * xs) - ys
    return (residual**2).mean(-1)


def network_grad(w1: float, w2: float, idx: np.ndarray | None = None) -> tuple[float, float]:
    """∇ of the mean squared error over examples ``idx`` (all when None).

    With t = tanh(w₁x) and r = w₂t − y: ∂L/∂w₂ = mean(2r·t), ∂L/∂w₁ = mean(2r·w₂·(1 − t²)·x).
    """
    x = NET_X if idx is None else NET_X[idx]
    y = NET_Y if idx is None else NET_Y[idx]
    t = np.tanh(w1 * x)
    r = w2 * t - y
    return float(np.mean(2.0 * r * w2 * (1.0 - t * t) * x)), float(np.mean(2.0 * r * t))


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: its formula, gradient, map, start point and a learning rate that works."""

    name: str
    title: str
    latex: str
    formula: Callable[[Array, Array, Any], Array]
    gradient: Callable[[float, float], tuple[float, float]]
    domain: tuple[float, float, float, float]  # x min, x max, y min, y max of the map
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    tuned_lr: dict[str, float] = field(compare=False)  # per optimizer: an η that shows its character here
    noise: float  # spread of the per-example gradients a_i (analytic surfaces)
    log_contours: bool = False
    axis_names: tuple[str, str] = ("w₁", "w₂")
    # per-example gradient perturbations a_i (mean zero), filled in __post_init__
    offsets: np.ndarray = field(default_factory=lambda: np.zeros((N_EXAMPLES, 2)), compare=False, repr=False)

    def lr_for(self, optimizer: str) -> float:
        """The η this surface starts ``optimizer`` on: its tuned one, or the lecture's for one added later."""
        return self.tuned_lr.get(optimizer, optimizers.get(optimizer).lecture_lr)

    @property
    def default_lr(self) -> float:
        """The shared learning rate the page starts with (plain SGD's tuned one)."""
        return self.tuned_lr["sgd"]

    def __post_init__(self) -> None:
        gen = torch.Generator().manual_seed(1234)
        a = torch.randn(N_EXAMPLES, 2, generator=gen, dtype=torch.float64).numpy() * self.noise
        object.__setattr__(self, "offsets", a - a.mean(axis=0))  # Σ a_i = 0: the full batch is exact

    def value(self, x: Array, y: Array) -> Array:
        """L(w₁, w₂) on numpy arrays (any shape) or torch tensors."""
        xp = torch if isinstance(x, torch.Tensor) else np
        return self.formula(x, y, xp)

    def grad(self, x: float, y: float) -> tuple[float, float]:
        """The full-batch gradient ∇L at (x, y), by its closed form."""
        return self.gradient(x, y)

    def batch_grad(self, x: float, y: float, idx: np.ndarray) -> tuple[float, float]:
        """The gradient of the mini-batch loss (1/B) Σ_{i∈idx} L_i at (x, y)."""
        if self.name == "network":
            return network_grad(x, y, idx)
        gx, gy = self.gradient(x, y)
        ax, ay = self.offsets[idx].mean(axis=0)
        return gx + float(ax), gy + float(ay)

    def grid(self, res: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs [res], ys [res], L on the grid [res (y), res (x)] (computed once per surface and size; read-only)."""
        return _grid(self.name, res)

    def minimum_value(self) -> float:
        """The lowest loss on the map (the floor of the loss-gap chart)."""
        return _minimum(self.name)

    def in_bounds(self, x: float, y: float) -> bool:
        """Whether (x, y) is still within ESCAPE_SPANS map sizes of the map's centre."""
        x0, x1, y0, y1 = self.domain
        span = max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return abs(x - cx) <= ESCAPE_SPANS * span and abs(y - cy) <= ESCAPE_SPANS * span


def _lrs(sgd: float, momentum: float, rmsprop: float, adagrad: float, adam: float) -> dict[str, float]:
    return {"sgd": sgd, "momentum": momentum, "rmsprop": rmsprop, "adagrad": adagrad, "adam": adam}


SURFACE_TABLE: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            "bowl", "Round bowl", r"L(w) = w_1^2 + w_2^2", _bowl, _grad_bowl,
            (-3.0, 3.0, -3.0, 3.0), (-2.5, 2.0), ((0.0, 0.0),), _lrs(0.05, 0.05, 0.05, 0.5, 0.05), 2.0,
        ),
        Surface(
            "valley", "Long narrow valley", r"L(w) = 0.1\,w_1^2 + 5\,w_2^2", _valley, _grad_valley,
            (-3.0, 3.0, -3.0, 3.0), (-2.8, 1.5), ((0.0, 0.0),), _lrs(0.05, 0.05, 0.02, 0.5, 0.1), 2.0,
        ),
        Surface(
            "rosenbrock", "Rosenbrock's function", r"L(w) = (1 - w_1)^2 + 100\,(w_2 - w_1^2)^2",
            _rosenbrock, _grad_rosenbrock, (-2.0, 2.0, -1.0, 3.0), (-1.2, 1.0), ((1.0, 1.0),),
            _lrs(0.002, 0.001, 0.02, 1.0, 0.2), 20.0,
            log_contours=True,
        ),
        Surface(
            "saddle", "Saddle point", r"L(w) = w_1^2 + \tfrac14 w_2^4 - \tfrac12 w_2^2", _saddle, _grad_saddle,
            (-2.5, 2.5, -2.0, 2.0), (-2.2, 0.01), ((0.0, 1.0), (0.0, -1.0)), _lrs(0.05, 0.05, 0.02, 0.5, 0.05), 1.0,
        ),
        Surface(
            "network", "Tiny network's real loss", r"L(w) = \tfrac1n \sum_i \big(w_2 \tanh(w_1 x_i) - y_i\big)^2",
            lambda x, y, xp: network_loss(x, y, xp), network_grad,
            (-3.0, 3.0, -3.0, 3.0), (-2.5, 0.3), ((1.0, 1.5), (-1.0, -1.5)), _lrs(0.1, 0.05, 0.02, 0.5, 0.05), 0.0,
        ),
    )
}  # fmt: skip


@lru_cache(maxsize=32)
def _grid(name: str, res: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # the surfaces are constants, so their grids are shared by every user (read-only arrays)
    surface = SURFACE_TABLE[name]
    x0, x1, y0, y1 = surface.domain
    xs, ys = np.linspace(x0, x1, res), np.linspace(y0, y1, res)
    gx, gy = np.meshgrid(xs, ys)
    z = np.asarray(surface.value(gx, gy), dtype=np.float64)
    for arr in (xs, ys, z):
        arr.setflags(write=False)
    return xs, ys, z


@lru_cache(maxsize=8)
def _minimum(name: str) -> float:
    surface = SURFACE_TABLE[name]
    known = [float(surface.value(np.float64(a), np.float64(b))) for a, b in surface.minima]
    return min([*known, float(_grid(name, 160)[2].min())])


def get_surface(name: str) -> Surface:
    if name not in SURFACE_TABLE:
        raise ValueError(f"unknown surface {name!r}; use one of {', '.join(SURFACES)}")
    return SURFACE_TABLE[name]
