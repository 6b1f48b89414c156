"""Gradient descent on 2-D loss surfaces: optimizer paths with torch.optim's own updates.

Each optimizer starts at the same point of a surface (``playground.lessons.loss_surfaces``:
formulas, hand-written gradients, maps) and takes ``steps`` updates; the update is
always ``torch.optim``'s own (``SGD``, ``SGD(momentum=β)``, ``RMSprop``, ``Adagrad``,
``Adam``) on a 2-element parameter, never re-derived here. Only the gradient is
written by hand, which keeps 200 steps of five optimizers well under 100 ms.

* ``OptimizerConfig`` and ``TorchStep``: one optimizer's settings and its update;
* ``run_path``, ``race``, ``minibatch_path``, ``lr_lesson``: the walks the page draws
  (a mini-batch walk uses the surface's real per-example gradients);
* ``parse_link``: the page's link parameters, each bad value a notice.

A walk *diverges* when the loss or the weights stop being finite, or the weights
leave the map by more than ``ESCAPE_SPANS`` times its size; the path is cut at
the last point before that, so no NaN or overflow ever leaves this module.
The surfaces' names are re-exported here, so the page and the tests ask one module.
No Streamlit or Plotly here.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import torch

from playground import optimizers
from playground.lessons.loss_surfaces import ESCAPE_SPANS as ESCAPE_SPANS  # X as X: re-exported for the page, tests
from playground.lessons.loss_surfaces import N_EXAMPLES, SURFACES, Surface, get_surface
from playground.lessons.loss_surfaces import NET_X as NET_X
from playground.lessons.loss_surfaces import NET_Y as NET_Y
from playground.lessons.loss_surfaces import SURFACE_TABLE as SURFACE_TABLE
from playground.lessons.loss_surfaces import network_grad as network_grad
from playground.lessons.loss_surfaces import network_loss as network_loss
from playground.optimizers import NAMES as OPTIMIZERS  # the registry: the same five as the trainer's

# torch.optim's own update functions (what the Optimizer classes' ``step`` calls)
_sgd = importlib.import_module("torch.optim.sgd").sgd
_rmsprop = importlib.import_module("torch.optim.rmsprop").rmsprop
_adagrad = importlib.import_module("torch.optim.adagrad").adagrad
_adam = importlib.import_module("torch.optim.adam").adam

OPTIMIZER_TITLES = {n: o.title for n, o in optimizers.REGISTRY.items()}
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
        optimizers.get(self.name)  # a ValueError naming the registry's optimizers for an unknown one
        if not (0 < self.lr <= 100 and math.isfinite(self.lr)):
            raise ValueError(f"learning rate must be in (0, 100], got {self.lr}")
        if not (0 <= self.momentum < 1 and 0 <= self.rho < 1 and 0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError("momentum, rho, beta1 and beta2 must be in [0, 1)")
        if not (0 < self.epsilon <= 1 and self.initial_accumulator >= 0):
            raise ValueError("epsilon must be in (0, 1] and the initial accumulator >= 0")

    @property
    def title(self) -> str:
        return optimizers.get(self.name).title


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
        self.fallback: torch.optim.Optimizer | None = None  # any other registry entry: torch.optim itself

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
        elif c.name == "adam":
            _adam(
                p, [grad], [self.first], [self.second], [], [self.step_count], foreach=False,
                amsgrad=False, beta1=c.beta1, beta2=c.beta2, lr=c.lr, weight_decay=0.0, eps=c.epsilon, maximize=False,
            )  # fmt: skip
        else:  # an optimizer without a fast path here: its torch.optim class, from the registry
            if self.fallback is None:
                self.fallback = make_optimizer(c, [self.param])
            self.param.grad = grad
            self.fallback.step()


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
