"""Backpropagation, written out: a 2-2-1 network, one example, every number by the chain rule.

The network (weights w_ij from input i to hidden neuron j, v_j from hidden neuron j to the output):

    z₁ = w₁₁x₁ + w₂₁x₂ + b₁,   h₁ = g(z₁)
    z₂ = w₁₂x₁ + w₂₂x₂ + b₂,   h₂ = g(z₂)
    z  = v₁h₁ + v₂h₂ + c,      ŷ = σ(z)
    L  = ½(ŷ − y)²  (squared error)   or   −[y log ŷ + (1 − y) log(1 − ŷ)]  (cross-entropy)

``walkthrough`` returns the forward pass node by node, then the backward pass in the
order backpropagation computes it (output first, each gradient the product of the one
before and a local derivative), then one gradient-descent update w ← w − η·∂L/∂w and
the loss after it. Each step carries its formula and the same formula with the numbers,
so the page only has to print them; ``update_lines`` writes the update out (the rule, each
weight before and after, the loss before and after). All gradients here are by hand; the
tests check each one against ``torch.autograd`` and ``torch.autograd.gradcheck``.
``parse_link`` reads the page's link parameters with the spec's rules (``LINK_RULES``; a bad value: the
default and the notice every page gives). ``known_at`` and ``update_table`` give the numbers the page shows.
No Streamlit or Plotly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from playground.spec import Choice, FloatRange, IntRange, Rule, parse_link_values

PARAMS = ("w11", "w21", "b1", "w12", "w22", "b2", "v1", "v2", "c")
PARAM_LATEX = {
    "w11": "w_{11}", "w21": "w_{21}", "b1": "b_1", "w12": "w_{12}", "w22": "w_{22}", "b2": "b_2",
    "v1": "v_1", "v2": "v_2", "c": "c",
}  # fmt: skip
#: Where each weight sits in the diagram: the edge (from node, to node); biases belong to their node.
PARAM_EDGE = {
    "w11": ("x1", "h1"), "w21": ("x2", "h1"), "b1": ("h1", "h1"),
    "w12": ("x1", "h2"), "w22": ("x2", "h2"), "b2": ("h2", "h2"),
    "v1": ("h1", "out"), "v2": ("h2", "out"), "c": ("out", "out"),
}  # fmt: skip

ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = ("squared", "bce")
LOSS_LATEX = {"squared": r"\tfrac12(\hat y - y)^2", "bce": r"-[y\log\hat y + (1-y)\log(1-\hat y)]"}

#: Bounds of every number a user can set (weights, inputs) and of the learning rate.
WEIGHT_LIMIT = 5.0
LR_RANGE = (0.001, 10.0)
#: The page's learning-rate slider (a link's lr snaps to the nearest of these on a log scale).
LR_OPTIONS = (0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
#: Steps of every walkthrough: 7 forward (z₁, h₁, z₂, h₂, z, ŷ, L), 15 backward, 1 update.
WALK_STEPS = 23
SEED_LIMIT = 9999


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


#: g(z), g'(z) written with the output a = g(z) where that is the textbook form, and their LaTeX.
ACT: dict[str, tuple[Callable[[float], float], Callable[[float, float], float], str, str]] = {
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a), r"\sigma", r"h(1-h)"),
    "tanh": (math.tanh, lambda z, a: 1.0 - a * a, r"\tanh", r"1-h^2"),
    "relu": (lambda z: max(z, 0.0), lambda z, a: 1.0 if z > 0 else 0.0, r"\mathrm{ReLU}", r"[z>0]"),
}


@dataclass(frozen=True)
class Network:
    """The 2-2-1 network's nine numbers, its hidden activation and its loss."""

    w11: float = 0.15
    w21: float = 0.20
    b1: float = 0.35
    w12: float = 0.25
    w22: float = 0.30
    b2: float = 0.35
    v1: float = 0.40
    v2: float = 0.45
    c: float = 0.60
    activation: str = "sigmoid"
    loss: str = "squared"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}")
        for name in PARAMS:
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")

    def params(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in PARAMS}

    def with_params(self, values: dict[str, float]) -> Network:
        return replace(self, **values)  # type: ignore[arg-type]


def random_network(seed: int, activation: str = "sigmoid", loss: str = "squared") -> Network:
    """Weights drawn uniformly from [−1, 1] with ``seed`` (two decimals, easy to read)."""
    rng = random.Random(seed)
    values = {name: round(rng.uniform(-1.0, 1.0), 2) for name in PARAMS}
    return Network(activation=activation, loss=loss, **values)


@dataclass(frozen=True)
class Example:
    x1: float = 0.5
    x2: float = -1.0
    y: float = 1.0


@dataclass(frozen=True)
class Forward:
    """Every node's value for one example."""

    z1: float
    h1: float
    z2: float
    h2: float
    z: float
    y_hat: float
    loss: float


def loss_value(kind: str, y_hat: float, y: float) -> float:
    if kind == "squared":
        return 0.5 * (y_hat - y) ** 2
    p = min(max(y_hat, 1e-15), 1 - 1e-15)  # keeps log finite when σ(z) rounds to 0 or 1
    return -(y * math.log(p) + (1 - y) * math.log1p(-p))


def loss_grad(kind: str, y_hat: float, y: float) -> float:
    """∂L/∂ŷ: ŷ − y for the squared error, (ŷ − y) / (ŷ(1 − ŷ)) for cross-entropy."""
    if kind == "squared":
        return y_hat - y
    p = min(max(y_hat, 1e-15), 1 - 1e-15)
    return (p - y) / (p * (1 - p))


def forward(net: Network, ex: Example) -> Forward:
    g = ACT[net.activation][0]
    z1 = net.w11 * ex.x1 + net.w21 * ex.x2 + net.b1
    z2 = net.w12 * ex.x1 + net.w22 * ex.x2 + net.b2
    h1, h2 = g(z1), g(z2)
    z = net.v1 * h1 + net.v2 * h2 + net.c
    y_hat = _sigmoid(z)
    return Forward(z1, h1, z2, h2, z, y_hat, loss_value(net.loss, y_hat, ex.y))


def gradients(net: Network, ex: Example) -> dict[str, float]:
    """∂L/∂(every node and every parameter), by the chain rule from the output back."""
    f = forward(net, ex)
    dg = ACT[net.activation][1]
    d: dict[str, float] = {}
    d["y_hat"] = loss_grad(net.loss, f.y_hat, ex.y)
    d["z"] = d["y_hat"] * f.y_hat * (1 - f.y_hat)  # σ'(z) = ŷ(1 − ŷ)
    d["v1"], d["v2"], d["c"] = d["z"] * f.h1, d["z"] * f.h2, d["z"]  # ∂z/∂v_j = h_j, ∂z/∂c = 1
    d["h1"], d["h2"] = d["z"] * net.v1, d["z"] * net.v2  # ∂z/∂h_j = v_j
    d["z1"], d["z2"] = d["h1"] * dg(f.z1, f.h1), d["h2"] * dg(f.z2, f.h2)  # ∂h_j/∂z_j = g'(z_j)
    d["w11"], d["w21"], d["b1"] = d["z1"] * ex.x1, d["z1"] * ex.x2, d["z1"]  # ∂z_j/∂w_ij = x_i
    d["w12"], d["w22"], d["b2"] = d["z2"] * ex.x1, d["z2"] * ex.x2, d["z2"]
    return d


def update(net: Network, ex: Example, lr: float) -> Network:
    """One gradient-descent step: w ← w − η·∂L/∂w for all nine parameters."""
    grads = gradients(net, ex)
    return net.with_params({name: value - lr * grads[name] for name, value in net.params().items()})


@dataclass(frozen=True)
class Step:
    """One line of the walkthrough: what is computed, its formula, the formula with numbers, the value."""

    phase: str  # "forward", "backward" or "update"
    key: str  # node ("z1", "h1", ..., "loss") or gradient ("d_z", "d_w11", ...)
    symbol: str  # LaTeX of the quantity
    formula: str  # LaTeX, symbols
    numbers: str  # LaTeX, the same with numbers
    value: float
    highlight: tuple[str, str]  # (from node, to node) of the diagram; equal ends: a node


def _n(v: float) -> str:
    """A number for the formulas: 4 significant digits, negatives in parentheses."""
    s = f"{v:.4g}"
    return f"({s})" if v < 0 else s


@dataclass(frozen=True)
class Walkthrough:
    net: Network
    example: Example
    lr: float
    fwd: Forward
    grads: dict[str, float]
    steps: tuple[Step, ...]
    updated: Network
    loss_after: float


#: One gradient-descent step for every parameter.
UPDATE_RULE = r"w \leftarrow w - \eta\,\frac{\partial L}{\partial w}"
#: The update's rows, two columns (into h₁ | into h₂, then the output's): three columns do not fit a projected page.
UPDATE_ROWS = (("w11", "w12"), ("w21", "w22"), ("b1", "b2"), ("v1", "v2"), ("c",))


def walkthrough(net: Network, ex: Example, lr: float) -> Walkthrough:
    """The forward pass, the backward pass in backprop order, and one update with learning rate ``lr``."""
    if not (LR_RANGE[0] <= lr <= LR_RANGE[1]):
        raise ValueError(f"learning rate must be in [{LR_RANGE[0]}, {LR_RANGE[1]}], got {lr}")
    f = forward(net, ex)
    d = gradients(net, ex)
    p = net.params()
    gname, dgl = ACT[net.activation][2], ACT[net.activation][3]
    steps: list[Step] = []

    def add(phase: str, key: str, symbol: str, formula: str, numbers: str, value: float, hl: tuple[str, str]) -> None:
        steps.append(Step(phase, key, symbol, formula, numbers, value, hl))

    # -- forward, node by node --------------------------------------------------------------------
    for j, zj, hj in ((1, f.z1, f.h1), (2, f.z2, f.h2)):
        w1, w2, b = p[f"w1{j}"], p[f"w2{j}"], p[f"b{j}"]
        add("forward", f"z{j}", f"z_{j}", f"w_{{1{j}}}x_1 + w_{{2{j}}}x_2 + b_{j}",
            f"{_n(w1)}\\cdot{_n(ex.x1)} + {_n(w2)}\\cdot{_n(ex.x2)} + {_n(b)}", zj, (f"h{j}", f"h{j}"))  # fmt: skip
        add("forward", f"h{j}", f"h_{j}", f"{gname}(z_{j})", f"{gname}({_n(zj)})", hj, (f"h{j}", f"h{j}"))
    add("forward", "z", "z", r"v_1 h_1 + v_2 h_2 + c",
        f"{_n(p['v1'])}\\cdot{_n(f.h1)} + {_n(p['v2'])}\\cdot{_n(f.h2)} + {_n(p['c'])}", f.z, ("out", "out"))  # fmt: skip
    add("forward", "y_hat", r"\hat y", r"\sigma(z)", rf"\sigma({_n(f.z)})", f.y_hat, ("out", "out"))
    loss_numbers = LOSS_LATEX[net.loss].replace(r"\hat y", _n(f.y_hat)).replace("y", _n(ex.y))
    add("forward", "loss", "L", LOSS_LATEX[net.loss], loss_numbers, f.loss, ("loss", "loss"))

    # -- backward, edge by edge, output first ---------------------------------------------------------
    if net.loss == "squared":
        add("backward", "d_y_hat", r"\frac{\partial L}{\partial \hat y}", r"\hat y - y",
            f"{_n(f.y_hat)} - {_n(ex.y)}", d["y_hat"], ("out", "loss"))  # fmt: skip
    else:
        add("backward", "d_y_hat", r"\frac{\partial L}{\partial \hat y}", r"\frac{\hat y - y}{\hat y(1-\hat y)}",
            rf"\frac{{{_n(f.y_hat)} - {_n(ex.y)}}}{{{_n(f.y_hat)}\cdot(1-{_n(f.y_hat)})}}", d["y_hat"], ("out", "loss"))  # fmt: skip
    add("backward", "d_z", r"\frac{\partial L}{\partial z}", r"\frac{\partial L}{\partial \hat y}\cdot\hat y(1-\hat y)",
        rf"{_n(d['y_hat'])}\cdot{_n(f.y_hat)}\cdot(1-{_n(f.y_hat)})", d["z"], ("out", "out"))  # fmt: skip
    for j, hj in ((1, f.h1), (2, f.h2)):
        add("backward", f"d_v{j}", rf"\frac{{\partial L}}{{\partial v_{j}}}", rf"\frac{{\partial L}}{{\partial z}}\cdot h_{j}",
            rf"{_n(d['z'])}\cdot{_n(hj)}", d[f"v{j}"], (f"h{j}", "out"))  # fmt: skip
    add("backward", "d_c", r"\frac{\partial L}{\partial c}", r"\frac{\partial L}{\partial z}\cdot 1",
        rf"{_n(d['z'])}\cdot 1", d["c"], ("out", "out"))  # fmt: skip
    for j in (1, 2):
        add("backward", f"d_h{j}", rf"\frac{{\partial L}}{{\partial h_{j}}}", rf"\frac{{\partial L}}{{\partial z}}\cdot v_{j}",
            rf"{_n(d['z'])}\cdot{_n(p[f'v{j}'])}", d[f"h{j}"], (f"h{j}", "out"))  # fmt: skip
    for j, zj, hj in ((1, f.z1, f.h1), (2, f.z2, f.h2)):
        local = dgl.replace("h", _n(hj)) if net.activation != "relu" else rf"[{_n(zj)}>0]"
        add("backward", f"d_z{j}", rf"\frac{{\partial L}}{{\partial z_{j}}}",
            rf"\frac{{\partial L}}{{\partial h_{j}}}\cdot {dgl.replace('h', f'h_{j}').replace('z', f'z_{j}')}",
            rf"{_n(d[f'h{j}'])}\cdot {local}", d[f"z{j}"], (f"h{j}", f"h{j}"))  # fmt: skip
    for j in (1, 2):
        for i, xi in ((1, ex.x1), (2, ex.x2)):
            add("backward", f"d_w{i}{j}", rf"\frac{{\partial L}}{{\partial w_{{{i}{j}}}}}",
                rf"\frac{{\partial L}}{{\partial z_{j}}}\cdot x_{i}", rf"{_n(d[f'z{j}'])}\cdot{_n(xi)}",
                d[f"w{i}{j}"], (f"x{i}", f"h{j}"))  # fmt: skip
        add("backward", f"d_b{j}", rf"\frac{{\partial L}}{{\partial b_{j}}}", rf"\frac{{\partial L}}{{\partial z_{j}}}\cdot 1",
            rf"{_n(d[f'z{j}'])}\cdot 1", d[f"b{j}"], (f"h{j}", f"h{j}"))  # fmt: skip

    # -- one update ---------------------------------------------------------------------------------
    updated = net.with_params({name: value - lr * d[name] for name, value in p.items()})
    after = forward(updated, ex).loss
    add("update", "loss_after", r"L_{\text{after}}", UPDATE_RULE, rf"\eta = {_n(lr)}", after, ("loss", "loss"))
    return Walkthrough(net, ex, lr, f, d, tuple(steps), updated, after)


def update_lines(walk: Walkthrough) -> tuple[str, str, str]:
    """The update step in three LaTeX lines: the rule with η; each w − η·∂L/∂w = w_new; L before → after."""
    before, after = walk.net.params(), walk.updated.params()
    rule = rf"{UPDATE_RULE}\qquad \eta = {_n(walk.lr)}"
    rows = [
        " & ".join(
            rf"{PARAM_LATEX[p]} = {_n(before[p])} - {_n(walk.lr)}\cdot{_n(walk.grads[p])} = {_n(after[p])}\qquad"
            for p in row
        )
        for row in UPDATE_ROWS
    ]
    weights = r"\begin{array}{ll}" + r" \\ ".join(rows) + r"\end{array}"
    loss = rf"L_{{\text{{before}}}} = {_n(walk.fwd.loss)} \;\to\; L_{{\text{{after}}}} = {_n(walk.loss_after)}"
    return rule, weights, loss


def known_at(walk: Walkthrough, k: int) -> tuple[dict[str, float], dict[str, float]]:
    """After the first ``k`` steps: the node values computed so far, and the gradients (by node or parameter)."""
    done = walk.steps[:k]
    values = {s.key: s.value for s in done if s.phase == "forward"}
    grads = {s.key.removeprefix("d_"): s.value for s in done if s.phase == "backward"}
    return values, grads


def update_table(walk: Walkthrough) -> dict[str, dict[str, float]]:
    """The update as columns: every parameter before, its gradient ∂L/∂w, and after."""
    return {
        "before": walk.net.params(),
        "∂L/∂w": {p: walk.grads[p] for p in PARAMS},
        "after": walk.updated.params(),
    }


# -- link parameters (the spec's rules: a bad value gives the default and a notice) -------------------------------

#: What a link may set, with the page's defaults: the nine parameters, the example, η, g, the loss, the step, the seed.
LINK_DEFAULTS: dict[str, float | int | str] = {
    **Network().params(), "x1": Example().x1, "x2": Example().x2, "y": 1, "lr": 0.5,
    "activation": "sigmoid", "loss": "squared", "step": 0, "seed": 0,
}  # fmt: skip
LINK_KEYS = tuple(LINK_DEFAULTS)

_NUMBER_RULE = FloatRange(help="a weight, a bias or an input", lo=-WEIGHT_LIMIT, hi=WEIGHT_LIMIT)
#: How each link value is read: with ``playground.spec``'s rules, as every page reads its link.
LINK_RULES: dict[str, Rule] = {
    **{name: _NUMBER_RULE for name in (*PARAMS, "x1", "x2")},
    "y": IntRange(help="the target y", lo=0, hi=1),
    "lr": FloatRange(help="the learning rate η (snapped to the slider's nearest)", lo=LR_OPTIONS[0], hi=LR_OPTIONS[-1]),
    "activation": Choice(help="the hidden activation g", choices=ACTIVATIONS),
    "loss": Choice(help="the loss", choices=LOSSES),
    "step": IntRange(help="the walkthrough's step", lo=0, hi=WALK_STEPS),
    "seed": IntRange(help="the seed of Random weights", lo=0, hi=SEED_LIMIT),
}


def _nearest_lr(value: float) -> float:
    """The slider's learning rate closest to ``value`` on a log scale."""
    return min(LR_OPTIONS, key=lambda o: abs(math.log(o) - math.log(value)))


def parse_link(params: Mapping[str, Any]) -> tuple[dict[str, float | int | str], list[str]]:
    """The values a link sets (names of ``LINK_KEYS``) and one notice per value that cannot be used. Never raises."""
    values, notices = parse_link_values(params, LINK_RULES)
    if "lr" in values:
        values["lr"] = _nearest_lr(values["lr"])  # the slider's value nearest the link's
    return values, notices


def link_values(net: Network, ex: Example, lr: float, step: int, seed: int) -> dict[str, float | int | str]:
    """Everything the page's link holds: the network, the example, η, the step and the seed."""
    return {"activation": net.activation, "loss": net.loss, "lr": float(lr), "x1": ex.x1, "x2": ex.x2, "y": int(ex.y),
            "step": step, "seed": seed, **net.params()}  # fmt: skip


def _text(value: float | int | str) -> str:
    return value if isinstance(value, str) else f"{value:.6g}"


def link_params(values: Mapping[str, float | int | str]) -> dict[str, str]:
    """The link that reopens the page on ``values``: only what differs from the defaults, as text."""
    return {name: _text(values[name]) for name in LINK_KEYS if name in values and values[name] != LINK_DEFAULTS[name]}
