"""Gradient descent on 2-D loss surfaces: optimizer paths with torch.optim's own updates.

A surface is a loss L(w) of two weights w = (w₁, w₂). Each optimizer starts at the
same point and takes ``steps`` updates; the update is always ``torch.optim``'s own
(``SGD``, ``SGD(momentum=β)``, ``RMSprop``, ``Adagrad``, ``Adam``) on a 2-element
parameter, never re-derived here. Only the gradient ∇L(w) is written by hand (a
closed form per surface, checked against ``torch.autograd`` and ``gradcheck`` in
the tests); this keeps 200 steps of five optimizers well under 100 ms.

Every surface is an empirical risk over n = 64 examples, L(w) = (1/n) Σ_i L_i(w):

* the analytic surfaces use L_i(w) = f(w) + a_i·w with Σ_i a_i = 0, so the
  full-batch gradient is exactly ∇f while a mini-batch of B examples adds the
  noise mean_{i∈B} a_i — a real mini-batch, not noise added by hand;
* the tiny network ŷ = w₂·tanh(w₁·x) uses its real per-example squared errors.

A walk *diverges* when the loss or the weights stop being finite, or the weights
leave the map by more than ``ESCAPE_SPANS`` times its size; the path is cut at
the last point before that, so no NaN or overflow ever leaves this module.
No Streamlit or Plotly here.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from playground import optimizers
from playground.optimizers import NAMES as OPTIMIZERS  # the registry: the same five as the trainer's

# torch.optim's own update functions (what the Optimizer classes' ``step`` calls)
_sgd = importlib.import_module("torch.optim.sgd").sgd
_rmsprop = importlib.import_module("torch.optim.rmsprop").rmsprop
_adagrad = importlib.import_module("torch.optim.adagrad").adagrad
_adam = importlib.import_module("torch.optim.adam").adam

OPTIMIZER_TITLES = {n: o.title for n, o in optimizers.REGISTRY.items()}
SURFACES = ("bowl", "valley", "rosenbrock", "saddle", "network")

#: A walk that gets this many map sizes away from the map's centre has diverged.
ESCAPE_SPANS = 10.0
#: Examples in every surface's empirical risk (the mini-batch slider runs 1..N_EXAMPLES).
N_EXAMPLES = 64
MAX_STEPS = 1000


# -- optimizers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizerConfig:
    """One optimizer and its hyperparameters; the defaults are the lecture's (Keras's) defaults."""

    name: str
    lr: float = 0.001
    momentum: float = optimizers.MOMENTUM.default  # SGD with momentum: v ← β·v + g, w ← w − η·v
    rho: float = optimizers.RHO.default  # RMSprop: s ← ρ·s + (1 − ρ)·g²   (torch calls ρ ``alpha``)
    beta1: float = optimizers.BETA1.default  # Adam: first-moment decay
    beta2: float = optimizers.BETA2.default  # Adam: second-moment decay
    epsilon: float = optimizers.EPSILON.default  # Keras's ε (torch's default is 1e-8)
    initial_accumulator: float = optimizers.INITIAL_ACCUMULATOR.default  # AdaGrad's starting Σg² (Keras 0.1, torch 0)

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.name!r}; use one of {', '.join(OPTIMIZERS)}")
        if not (0 < self.lr <= 100 and math.isfinite(self.lr)):
            raise ValueError(f"learning rate must be in (0, 100], got {self.lr}")
        if not (0 <= self.momentum < 1 and 0 <= self.rho < 1 and 0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError("momentum, rho, beta1 and beta2 must be in [0, 1)")
        if not (0 < self.epsilon <= 1 and self.initial_accumulator >= 0):
            raise ValueError("epsilon must be in (0, 1] and the initial accumulator >= 0")

    @property
    def title(self) -> str:
        return OPTIMIZER_TITLES[self.name]


#: The lecture's defaults (Keras): Adam 0.001 / 0.9 / 0.999 / 1e-7, SGD 0.01.
LECTURE_LR = {n: o.lecture_lr for n, o in optimizers.REGISTRY.items()}


def lecture_defaults(name: str) -> OptimizerConfig:
    return OptimizerConfig(name=name, lr=LECTURE_LR[name])


def make_optimizer(cfg: OptimizerConfig, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """The torch.optim optimizer for ``cfg`` (single-tensor loops: fastest for one tiny parameter)."""
    return optimizers.get(cfg.name).make(params, cfg.lr, cfg, foreach=False)


class TorchStep:
    """One optimizer's update, made by torch.optim's own update function, on one parameter.

    ``torch.optim.Adam.step()`` gathers the state and calls ``torch.optim.adam.adam``;
    this class keeps the same state and calls the same function (and likewise for
    ``sgd``, ``rmsprop`` and ``adagrad``), skipping the per-call bookkeeping of the
    ``Optimizer`` class (profiler hooks, state look-ups) that costs more than the update
    itself on a 2-element tensor. The tests check that every path is bit-identical to
    the ``torch.optim`` classes' (``make_optimizer``).
    """

    def __init__(self, cfg: OptimizerConfig, param: torch.Tensor) -> None:
        self.cfg = cfg
        self.param = param
        zeros = torch.zeros_like(param)
        self.step_count = torch.tensor(0.0, dtype=torch.float32)  # as torch.optim keeps ``step``
        self.buffers: list[torch.Tensor | None] = [None]  # SGD momentum buffer, created on the first step
        self.first = zeros.clone()  # Adam m
        self.second = zeros.clone()  # Adam v, RMSprop square average
        self.total = torch.full_like(param, cfg.initial_accumulator)  # AdaGrad Σg²

    def step(self, grad: torch.Tensor) -> None:
        c, p = self.cfg, [self.param]
        if c.name in ("sgd", "momentum"):
            momentum = c.momentum if c.name == "momentum" else 0.0
            _sgd(
                p, [grad], self.buffers, foreach=False,
                weight_decay=0.0, momentum=momentum, lr=c.lr, dampening=0.0, nesterov=False, maximize=False,
            )  # fmt: skip
        elif c.name == "rmsprop":
            _rmsprop(
                p, [grad], [self.second], [], [], [self.step_count], foreach=False,
                lr=c.lr, alpha=c.rho, eps=c.epsilon, weight_decay=0.0, momentum=0.0, centered=False,
            )  # fmt: skip
        elif c.name == "adagrad":
            _adagrad(
                p, [grad], [self.total], [self.step_count], foreach=False,
                lr=c.lr, weight_decay=0.0, lr_decay=0.0, eps=c.epsilon, maximize=False,
            )  # fmt: skip
        else:
            _adam(
                p, [grad], [self.first], [self.second], [], [self.step_count], foreach=False,
                amsgrad=False, beta1=c.beta1, beta2=c.beta2, lr=c.lr, weight_decay=0.0, eps=c.epsilon, maximize=False,
            )  # fmt: skip


# -- surfaces -----------------------------------------------------------------------------------------------------

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


# -- walks --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Walk:
    """One optimizer's path: the points it visited and their losses, cut where it diverged."""

    label: str
    xy: np.ndarray  # [k + 1, 2], finite
    loss: np.ndarray  # [k + 1], finite
    steps: int  # steps asked for
    diverged_at: int | None = None  # the step whose update blew up (None: it did not)

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final(self) -> tuple[float, float]:
        return float(self.xy[-1, 0]), float(self.xy[-1, 1])


def _walk(
    surface: Surface,
    cfg: OptimizerConfig,
    start: tuple[float, float],
    steps: int,
    label: str,
    grad_at: Callable[[float, float, int], tuple[float, float]],
) -> Walk:
    """Run ``steps`` torch.optim updates from ``start`` with gradients from ``grad_at(x, y, step)``."""
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be in 0..{MAX_STEPS}, got {steps}")
    w = torch.tensor(start, dtype=torch.float64)
    opt = TorchStep(cfg, w)
    x, y = float(start[0]), float(start[1])
    xs, ys = [x], [y]
    diverged_at = None
    for step in range(1, steps + 1):
        gx, gy = grad_at(x, y, step)
        if not (math.isfinite(gx) and math.isfinite(gy)):
            diverged_at = step
            break
        opt.step(torch.tensor((gx, gy), dtype=torch.float64))  # torch.optim's own update
        x, y = w.tolist()
        if not (math.isfinite(x) and math.isfinite(y) and surface.in_bounds(x, y)):
            diverged_at = step
            break
        xs.append(x)
        ys.append(y)
    xy = np.column_stack([xs, ys])
    with np.errstate(all="ignore"):
        losses = np.asarray(surface.value(xy[:, 0], xy[:, 1]), dtype=np.float64)  # all points at once
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:  # cannot happen on the map's bounded region, but never let it through
        diverged_at = int(bad[0])
        xy, losses = xy[: bad[0]], losses[: bad[0]]
    return Walk(label, xy, losses, steps, diverged_at)


def run_path(surface: Surface, cfg: OptimizerConfig, start: tuple[float, float], steps: int = 200) -> Walk:
    """Full-batch gradient descent with ``cfg`` from ``start``."""
    with np.errstate(all="ignore"):
        return _walk(surface, cfg, start, steps, cfg.title, lambda x, y, _s: surface.grad(x, y))


def race(surface: Surface, configs: list[OptimizerConfig], start: tuple[float, float], steps: int = 200) -> list[Walk]:
    """The same start, the same surface, several optimizers side by side."""
    return [run_path(surface, cfg, start, steps) for cfg in configs]


def minibatch_path(
    surface: Surface,
    cfg: OptimizerConfig,
    start: tuple[float, float],
    steps: int,
    batch_size: int,
    seed: int = 0,
) -> Walk:
    """The same walk with mini-batch gradients: each step uses the next B examples of a shuffled epoch."""
    if not 1 <= batch_size <= N_EXAMPLES:
        raise ValueError(f"batch size must be in 1..{N_EXAMPLES}, got {batch_size}")
    gen = torch.Generator().manual_seed(seed)
    per_epoch = N_EXAMPLES // batch_size  # the last incomplete batch is dropped (drop_last)
    order: list[np.ndarray] = []

    def grad_at(x: float, y: float, step: int) -> tuple[float, float]:
        k = (step - 1) % per_epoch
        if k == 0:
            perm = torch.randperm(N_EXAMPLES, generator=gen).numpy()
            order[:] = [perm[j * batch_size : (j + 1) * batch_size] for j in range(per_epoch)]
        return surface.batch_grad(x, y, order[k])

    label = f"{cfg.title}, batch {batch_size}" if batch_size < N_EXAMPLES else f"{cfg.title}, full batch"
    with np.errstate(all="ignore"):
        return _walk(surface, cfg, start, steps, label, grad_at)


#: The learning-rate lesson: plain SGD on the bowl, where the update is w ← w(1 − 2η):
#: η = 0.02 crawls, η = 0.3 converges in a few steps, η = 1.1 overshoots further each step.
LESSON_LRS = {"too small": 0.02, "about right": 0.3, "too large": 1.1}


def lr_lesson(lrs: dict[str, float] | None = None, steps: int = 30) -> dict[str, Walk]:
    """Three SGD walks down the round bowl, one per learning rate."""
    bowl = get_surface("bowl")
    chosen = lrs or LESSON_LRS
    return {
        name: replace(run_path(bowl, OptimizerConfig("sgd", lr=lr), bowl.start, steps), label=f"{name}: η = {lr:g}")
        for name, lr in chosen.items()
    }


# -- link parameters (pure parsing: a bad value gives the default and a notice) ------------------------------------

#: The learning-rate slider's values: a log scale from 1e-4 to 10.
LR_OPTIONS: tuple[float, ...] = (
    *(float(f"{m * 10.0**e:.6g}") for e in range(-4, 1) for m in (1, 1.5, 2, 3, 5, 7)),
    10.0,
)
#: The learning-rate lesson's sliders (finer near the divergence threshold η = 1 of the bowl).
LESSON_OPTIONS: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.05, 1.1, 1.2, 1.5)


def nearest_option(value: float, options: tuple[float, ...] = LR_OPTIONS) -> float:
    """The option closest to ``value`` on a log scale."""
    return min(options, key=lambda o: abs(math.log(o) - math.log(value)))


def parse_surface(raw: str, default: str = "bowl") -> tuple[str, str | None]:
    name = raw.strip().lower()
    if name in SURFACES:
        return name, None
    return default, f"surface: got {raw[:20]!r}, expected one of {', '.join(SURFACES)}; using {default}"


def parse_optimizers(raw: str, default: tuple[str, ...] = OPTIMIZERS) -> tuple[tuple[str, ...], str | None]:
    """A comma list of optimizer names; unknown names are dropped (with a notice), an empty list is the default."""
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    known = tuple(dict.fromkeys(n for n in names if n in OPTIMIZERS))
    unknown = [n for n in names if n not in OPTIMIZERS]
    if not known:
        return default, f"optimizers: got {raw[:40]!r}, expected a comma list of {', '.join(OPTIMIZERS)}; using all"
    if unknown:
        return known, f"optimizers: ignored {', '.join(u[:12] for u in unknown[:3])} (use {', '.join(OPTIMIZERS)})"
    return known, None


def parse_lr(raw: str, default: float) -> tuple[float, str | None]:
    """A learning rate in [1e-4, 10], snapped to the slider's nearest value; otherwise the default."""
    try:
        value = float(raw.strip())
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and LR_OPTIONS[0] <= value <= LR_OPTIONS[-1]):
        return default, f"lr: got {raw[:20]!r}, expected a number from 0.0001 to 10; using {default:g}"
    return nearest_option(value), None


@dataclass(frozen=True)
class PageLink:
    """What a link to the optimizer page asks for; ``None`` means "not in the link"."""

    surface: str = "bowl"
    optimizers: tuple[str, ...] | None = None
    lr: float | None = None
    lesson: bool = False


def parse_link(params: Mapping[str, str]) -> tuple[PageLink, list[str]]:
    """The page's link parameters (surface, optimizers, lr, lesson=learning_rate) and a notice per bad value."""
    notices: list[str | None] = []
    surface, notice = parse_surface(params.get("surface", "bowl"))
    notices.append(notice)
    optimizers = None
    if "optimizers" in params:
        optimizers, notice = parse_optimizers(params["optimizers"])
        notices.append(notice)
    lr = None
    if "lr" in params:
        value, notice = parse_lr(params["lr"], nearest_option(get_surface(surface).default_lr))
        lr = value if notice is None else None
        notices.append(notice)
    lesson = params.get("lesson")
    if lesson is not None and lesson != "learning_rate":
        notices.append(f"lesson: got {lesson[:20]!r}, the only lesson is learning_rate")
    link = PageLink(surface, optimizers, lr, lesson == "learning_rate")
    return link, [n for n in notices if n]
