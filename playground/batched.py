"""The one training epoch of the engine: many networks, stepped together as one program.

Every epoch the app trains runs here, for a single network (the command line, Step, a lesson)
and for a whole class (``playground.service`` stacks the networks of every student whose
network fits the same container). Tiny networks spend almost all their time in per-op overhead,
so S networks stacked into one program cost about as much as one.

How S networks become one program:

* **Containers.** A small network (the playground's: up to 8 inputs, 6 hidden layers of 16) is
  trained inside a container, a padded shape chosen from the network alone (``layout_of``): up to
  two hidden layers of at most 8, its widths padded to 8 and its inputs to 2 or 8; any other,
  the one deep container (8 inputs, six layers of 16), with identity layers (W = I, linear, never
  trained) between its last hidden layer and its output. Padded weights are zero and their
  gradients are masked, so they stay zero. A group computes the identity layers only up to its
  deepest network (past it they would give back their input exactly). Networks of different
  shapes, activations and optimizers in one container share one program; since the container
  depends only on the network, its numbers are the same alone or in any group. Larger networks
  (MNIST) keep their exact shape.
* **Parameters.** Each network's weights and biases are laid out flat, ``[P]`` numbers; the
  group holds ``theta`` of shape ``[S, P]``. Layer l's kernel is a view ``[S, in, out]`` of it and
  its bias a view ``[S, 1, out]``, so z = b + x·W is one ``torch.baddbmm`` for all S networks.
  Each network's activation is one formula with its own coefficients (``LayerActivation``).
* **Loss.** Each network's mean loss (plus its own L1/L2 penalty) is computed per row, and the
  S losses are summed before ``backward``: d(sum)/d(loss_s) = 1, so network s's gradient is
  exactly the gradient of its own loss, untouched by the others.
* **Optimizers.** torch.optim's update rules (SGD, momentum, RMSprop, AdaGrad, Adam) as one
  rule (``UpdateRule``) on the ``[S, P]`` buffers, with per-network coefficients, hyperparameters
  and step counts as ``[S, 1]`` columns, so networks with different optimizers, learning rates,
  betas or step counts share one update. ``tests/test_batched.py`` checks each against
  ``torch.optim`` (to float rounding).
* **Randomness.** Each network keeps its own generators: its shuffle permutation and its dropout
  masks are drawn from them exactly as when it trains alone.

A network's numbers do not depend on which others share its group: its history is bitwise the
same alone, with 29 others, or on the command line (``tests/test_batched.py`` checks it). That
takes one precaution. torch's CPU kernels compute most of a tensor with vector instructions and
its last few elements (the tail) with scalar code, and the two differ in the last bit for
tanh, sigmoid, exp and log. So every per-network row is padded to a multiple of ``ALIGN``
numbers (the batch with rows that weigh nothing in the loss, the parameters with zeros that
never change): no network's numbers ever fall in a tail, and each is computed by the same
instructions whatever its neighbours. Between calls each trainer holds its own state
(``Trainer.model``'s weights, ``OptimizerState``, generators, callbacks, history); the group is
rebuilt on every call, so pausing, resuming and regrouping need nothing special.

It is over 400 lines because the stacked network, its losses, its five update rules and the
epoch around them run as one program, and a network's exact numbers depend on all of them
together; the trainer (what a run remembers) and the service (who trains when) live apart.

No Streamlit or Plotly here.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from playground import activations

if TYPE_CHECKING:
    from playground.spec import TrainSpec
    from playground.trainer import Trainer

#: Training sets up to this many points are measured whole after each epoch (eval mode), as
#: TensorFlow Playground does; larger ones report the running mean over the epoch's batches.
FULL_EVAL_LIMIT = 10_000
#: Above this many input numbers per network, batches are gathered from the data set one at a
#: time instead of permuting a copy of it (MNIST: 37.6 M numbers).
GATHER_PER_BATCH_ABOVE = 1_000_000
#: Evaluation runs over at most this many points at a time (a multiple of ``ALIGN``).
EVAL_CHUNK = 8192
#: Rows of the batch and of the parameters are padded to a multiple of this many numbers, at least
#: the widest vector loop's step (two AVX-512 registers of floats, 32): no network's numbers fall in
#: a kernel's scalar tail, so they are the same whichever networks share its group.
ALIGN = 32
#: Containers: a network of up to ``SHALLOW`` hidden layers no wider than the widest of
#: ``SHALLOW_WIDTHS`` keeps its depth, its widths rounded up to one of them and its inputs to one of
#: ``CONTAINER_INPUTS`` (TensorFlow Playground's default network and the lecture's presets stay
#: small); every other small network goes in the one deep container: 8 inputs, ``CONTAINER_DEPTH``
#: layers of ``CONTAINER_WIDTH``. Few containers, so a class of any networks forms few groups: one
#: width for the shallow ones (a width of 4 beside 8 made two groups of a class that one group
#: trains in two thirds of the time; per-op overhead, not arithmetic, is what tiny networks cost).
SHALLOW_WIDTHS = (8,)
CONTAINER_INPUTS = (2, 8)
SHALLOW = 2
CONTAINER_DEPTH = 6
CONTAINER_WIDTH = 16


def aligned(count: int) -> int:
    """``count`` rounded up to a multiple of ``ALIGN`` (at least ``ALIGN``)."""
    return max(ALIGN, -(-count // ALIGN) * ALIGN)


def _pad_rows(t: torch.Tensor, rows: int, value: float = 0.0) -> torch.Tensor:
    """``t`` [S, b, ...] padded with ``value`` to [S, rows, ...] (exact copies of the real rows)."""
    extra = rows - t.shape[1]
    if extra == 0:
        return t
    pad = torch.full((t.shape[0], extra, *t.shape[2:]), value, dtype=t.dtype, device=t.device)
    return torch.cat([t, pad], dim=1)


Coefficient = torch.Tensor | float  # a per-network column [S, 1, 1], or one number every network shares


def _coefficient(values: Sequence[float], device: torch.device) -> Coefficient:
    if len(set(values)) == 1:
        return values[0]
    return torch.tensor(values, dtype=torch.float32, device=device).view(-1, 1, 1)


def _times(x: torch.Tensor, c: Coefficient) -> torch.Tensor:
    """c·x, skipping a multiplication by 1."""
    return x if isinstance(c, float) and c == 1.0 else x * c


def _plus(g: torch.Tensor | None, owned: bool, c: Coefficient, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(g + c·x, whether the result may be overwritten); ``owned``: g may be overwritten; g None: c·x."""
    if g is None:
        out = _times(x, c)
        return out, out is not x
    if isinstance(c, float):
        return (g.add_(x, alpha=c) if owned else g.add(x, alpha=c)), True
    return (g.addcmul_(c, x) if owned else torch.addcmul(g, c, x)), True


def _affine_coefficients(a: Coefficient, x: torch.Tensor, c: Coefficient) -> torch.Tensor:
    """a·x + c, a new tensor (one rounding: a is 0, ±¼, ±½ or ±1, so a·x is exact)."""
    if isinstance(a, float):
        return x.mul(a).add_(c)
    if isinstance(c, float):
        c = torch.full_like(a, c)
    return torch.addcmul(c, a, x)


class LayerActivation:
    """One hidden layer's g for S networks at once, each with its own activation (``activations.Formula``).

    g(z) = α·tanh(β·z) + ε + ρ·relu(z) + λ·z and g'(z) = κ·(1 − tanh²(β·z)) + ρ·[z > 0] + λ, κ = α·β,
    with the coefficients as per-network columns: a layer whose networks mix activations (as every
    layer of the deep container does, its identity layers being linear) costs a handful of
    operations, not a few per activation. A term no network of the layer needs is left out (it
    would add exact zeros), so each network's numbers are the same in any group: every product is
    by 0, ±¼, ±½ or ±1, exact in floating point.
    """

    def __init__(self, names: Sequence[str], device: torch.device) -> None:
        formulas = [activations.REGISTRY[n].formula for n in names]
        col = lambda values: _coefficient(list(values), device)
        self.alpha, self.beta, self.eps = (col(f.alpha for f in formulas), col(f.beta for f in formulas),
                                           col(f.eps for f in formulas))  # fmt: skip
        self.rho, self.lam = col(f.rho for f in formulas), col(f.lam for f in formulas)
        self.minus_kappa = col(-f.alpha * f.beta for f in formulas)
        self.kappa_plus_lam = col(f.alpha * f.beta + f.lam for f in formulas)
        self.uses_tanh = any(f.alpha for f in formulas)
        self.uses_eps = any(f.eps for f in formulas)
        self.uses_relu = any(f.rho for f in formulas)
        self.uses_linear = any(f.lam for f in formulas)

    def __call__(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(g(z), tanh(β·z), relu(z)); the last two (None where no network uses them) are what ``slope`` needs."""
        g, owned, t, r = None, False, None, None
        if self.uses_tanh:
            t = torch.tanh(_times(z, self.beta))
            if self.uses_eps:
                g, owned = _affine_coefficients(self.alpha, t, self.eps), True
            else:
                g, owned = _plus(None, False, self.alpha, t)
        if self.uses_relu:
            r = torch.relu(z)
            g, owned = _plus(g, owned, self.rho, r)
        if self.uses_linear:
            g, owned = _plus(g, owned, self.lam, z)
        assert g is not None
        return g, t, r

    def slope(self, t: torch.Tensor | None, r: torch.Tensor | None) -> torch.Tensor | None:
        """g'(z) from ``__call__``'s tanh(β·z) and relu(z); None where it is 1 for every network (all linear)."""
        d, owned = None, False
        if self.uses_tanh:  # (κ + λ) − κ·tanh²(β·z)
            assert t is not None
            d, owned = _affine_coefficients(self.minus_kappa, t * t, self.kappa_plus_lam), True
        if self.uses_relu:  # + ρ·[z > 0]
            assert r is not None
            step = torch.sign(r)
            if d is None and self.uses_linear:  # λ + ρ·[z > 0]
                d, owned = _affine_coefficients(self.rho, step, self.lam), True
            else:
                d, owned = _plus(d, owned, self.rho, step)
        return d


@dataclass
class OptimizerState:
    """One network's optimizer state between epochs, in the flat layout of its parameters.

    ``buffers`` are ``[P]`` tensors named as torch.optim names them (``momentum_buffer``,
    ``square_avg``, ``sum``, ``exp_avg``, ``exp_avg_sq``); ``step`` counts the updates so far.
    """

    name: str
    step: int = 0
    buffers: dict[str, torch.Tensor] = field(default_factory=dict)


def fresh_optimizer_state(name: str, numel: int, device: torch.device, initial_accumulator: float) -> OptimizerState:
    """The state of an optimizer that has not stepped yet (zeros; AdaGrad's sum starts at its accumulator)."""
    zeros = lambda: torch.zeros(numel, device=device)
    if name == "momentum":
        buffers = {"momentum_buffer": zeros()}
    elif name == "rmsprop":
        buffers = {"square_avg": zeros()}
    elif name == "adagrad":
        buffers = {"sum": torch.full((numel,), float(initial_accumulator), device=device)}
    elif name == "adam":
        buffers = {"exp_avg": zeros(), "exp_avg_sq": zeros()}
    elif name == "sgd":
        buffers = {}
    else:
        raise ValueError(f"the batched engine has no update rule for the optimizer {name!r}")
    return OptimizerState(name, 0, buffers)


#: Each optimizer buffer's role in the one update rule: a first moment (momentum's velocity, Adam's
#: mean) or a second one (RMSprop's and Adam's mean square, AdaGrad's sum of squares).
FIRST, SECOND = "first", "second"
ROLE = {"momentum_buffer": FIRST, "exp_avg": FIRST, "square_avg": SECOND, "sum": SECOND, "exp_avg_sq": SECOND}


def _buffer(state: OptimizerState, role: str, zeros: torch.Tensor) -> torch.Tensor:
    return next((b for name, b in state.buffers.items() if ROLE[name] == role), zeros)


class UpdateRule:
    """torch.optim's five update rules as one, with per-network coefficients as ``[S, 1]`` columns.

        m ← A·m + B·g                       (the first moment; m = g where there is none)
        s ← C·s + (D·g)·g                   (the second moment)
        w ← w − L · m / (√s / E + F)        (the denominator is 1 where there is no second moment)

    ============  ======  =======  ======  =======  ============  ======  =============
    optimizer     A       B        C       D        E             F       L
    ============  ======  =======  ======  =======  ============  ======  =============
    SGD           0       1        0       0        1             1       lr
    momentum      μ       1        0       0        1             1       lr
    RMSprop       0       1        ρ       1 − ρ    1             ε       lr
    AdaGrad       0       1        1       1        1             ε       lr
    Adam          β1      1 − β1   β2      1 − β2   √(1 − β2^t)   ε       lr / (1 − β1^t)
    ============  ======  =======  ======  =======  ============  ======  =============

    A term no network of the group needs is left out (the first moment without momentum or Adam,
    the denominator without RMSprop, AdaGrad or Adam): with the coefficients of the table it would
    give back exactly what leaving it out gives (0·m = 0, 1·g = g, x/1 = x), so a network's
    numbers are the same in any group. ``tests/test_batched.py`` checks each rule against torch.optim.
    """

    def __init__(
        self, names: Sequence[str], trains: Sequence[TrainSpec], lrs: Sequence[float], device: torch.device
    ) -> None:
        unknown = sorted(set(names) - {"sgd", "momentum", "rmsprop", "adagrad", "adam"})
        if unknown:
            raise ValueError(f"the batched engine has no update rule for the optimizer {unknown[0]!r}")
        self.device = device
        adam = [n == "adam" for n in names]
        self.first = any(n in ("momentum", "adam") for n in names)
        self.second = any(n in ("rmsprop", "adagrad", "adam") for n in names)
        self.adam = any(adam)
        self.lrs = list(lrs)
        self.beta1, self.beta2 = [t.beta1 for t in trains], [t.beta2 for t in trains]

        def col(values: Sequence[float]) -> torch.Tensor:
            return _column(values, device)

        first = {"momentum": lambda t: (t.momentum, 1.0), "adam": lambda t: (t.beta1, 1.0 - t.beta1)}
        second = {"rmsprop": lambda t: (t.rho, 1.0 - t.rho), "adagrad": lambda t: (1.0, 1.0),
                  "adam": lambda t: (t.beta2, 1.0 - t.beta2)}  # fmt: skip
        ab = [first[n](t) if n in first else (0.0, 1.0) for n, t in zip(names, trains, strict=True)]
        cd = [second[n](t) if n in second else (0.0, 0.0) for n, t in zip(names, trains, strict=True)]
        self.a, self.b = col([x for x, _ in ab]), col([y for _, y in ab])
        self.c, self.d = col([x for x, _ in cd]), col([y for _, y in cd])
        self.f = col([t.epsilon if n in second else 1.0 for n, t in zip(names, trains, strict=True)])
        self.lr = col(self.lrs)
        self._adam_rows = adam
        self._table: tuple[list[int], torch.Tensor, torch.Tensor] | None = None  # (first steps, sizes, roots)

    def apply(
        self, theta: torch.Tensor, buffers: dict[str, torch.Tensor], grad: torch.Tensor, steps: Sequence[int]
    ) -> None:
        """One step on ``theta`` [S, P] and the role buffers, in place; ``steps``: each network's step count (from 1)."""
        m = grad
        if self.first:
            m = buffers[FIRST].mul_(self.a).addcmul_(self.b, grad)
        lr = self.lr
        e: torch.Tensor | None = None
        if self.adam:  # the bias corrections of this step
            lr, e = self._corrections(steps)
        if self.second:
            s = buffers[SECOND].mul_(self.c).add_(self.d * grad * grad)
            root = s.sqrt()
            if e is not None:
                root = root / e
            m = m / root.add_(self.f)
        theta.sub_(lr * m)

    #: Adam's bias corrections are tabled this many steps ahead (every network of a group steps together).
    TABLE_STEPS = 64

    def _corrections(self, steps: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Adam's step size lr / (1 − β1^t) and √(1 − β2^t) at each network's step t, as [S, 1] columns
        (lr and 1 for the other optimizers), from a table made once per ``TABLE_STEPS`` steps."""
        table = self._table
        ahead = steps[0] - table[0][0] if table is not None else -1
        if table is None or not 0 <= ahead < self.TABLE_STEPS:
            rows = list(zip(self.lrs, self.beta1, self.beta2, self._adam_rows, strict=True))
            sizes, roots = [], []
            for k in range(self.TABLE_STEPS):
                at = [t + k for t in steps]
                sizes.append([r / (1 - b1**t) if adam else r for (r, b1, _, adam), t in zip(rows, at, strict=True)])
                roots.append(
                    [math.sqrt(1 - b2**t) if adam else 1.0 for (_, _, b2, adam), t in zip(rows, at, strict=True)]
                )
            as_table = lambda values: torch.tensor(values, dtype=torch.float32, device=self.device).unsqueeze(-1)
            table = self._table = (list(steps), as_table(sizes), as_table(roots))
            ahead = 0
        return table[1][ahead], table[2][ahead]


def layer_shapes(trainer: Trainer) -> list[tuple[int, int]]:
    """(in, out) of each dense layer, input side first."""
    return [(layer.in_features, layer.out_features) for layer in trainer.model.linears()]


def parameter_count(shapes: Sequence[tuple[int, int]]) -> int:
    return sum(i * o + o for i, o in shapes)


@dataclass(frozen=True)
class Layout:
    """How one network sits in its container: its own layers' (in, out) and the container's."""

    real: tuple[tuple[int, int], ...]
    shapes: tuple[tuple[int, int], ...]

    @property
    def depth(self) -> int:
        """The network's own hidden layers (the container may have more: identity layers)."""
        return len(self.real) - 1

    @property
    def numel(self) -> int:
        return parameter_count(self.shapes)

    def container_layer(self, layer: int) -> int:
        """Where the network's layer ``layer`` sits: its hidden layers first, its output layer last."""
        return layer if layer < self.depth else len(self.shapes) - 1

    def offsets(self) -> list[tuple[int, int]]:
        """(kernel offset, bias offset) of each container layer in the flat layout."""
        out, at = [], 0
        for i, o in self.shapes:
            out.append((at, at + i * o))
            at += i * o + o
        return out

    def embed(self, weights: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """The flat container row of a network's (W [out, in], b [out]) layers; identity layers between."""
        first = weights[0][0]
        row = torch.zeros(self.numel, dtype=first.dtype, device=first.device)
        offs = self.offsets()
        for layer in range(self.depth, len(self.shapes) - 1):  # identity layers: W = I, b = 0
            (w_at, _), (i, o) = offs[layer], self.shapes[layer]
            row[w_at : w_at + i * o].view(i, o).copy_(torch.eye(i, o))
        for layer, (w, b) in enumerate(weights):
            c = self.container_layer(layer)
            (w_at, b_at), (ci, co) = offs[c], self.shapes[c]
            out_features, in_features = w.shape
            row[w_at : w_at + ci * co].view(ci, co)[:in_features, :out_features].copy_(w.t())
            row[b_at : b_at + out_features].copy_(b)
        return row

    def extract(self, row: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """A network's own (W [out, in], b [out]) layers from its flat container row."""
        offs = self.offsets()
        layers = []
        for layer, (in_features, out_features) in enumerate(self.real):
            c = self.container_layer(layer)
            (w_at, b_at), (ci, co) = offs[c], self.shapes[c]
            w = row[w_at : w_at + ci * co].view(ci, co)[:in_features, :out_features].t()
            layers.append((w, row[b_at : b_at + out_features]))
        return layers

    def trainable(self, device: torch.device) -> torch.Tensor:
        """1 where the flat row holds one of the network's own parameters, 0 for padding and identity layers."""
        ones = [(torch.ones(o, i), torch.ones(o)) for i, o in self.real]
        mask = self.embed([(w.to(device), b.to(device)) for w, b in ones])
        offs = self.offsets()
        for layer in range(self.depth, len(self.shapes) - 1):
            (w_at, b_at), (_i, o) = offs[layer], self.shapes[layer]
            mask[w_at : b_at + o] = 0.0
        return mask


@dataclass(frozen=True)
class ContainerRow:
    """A trainer's weights as its container's flat row, as the engine last wrote them into its model."""

    model: object  # the model it was written into
    parameters: tuple[torch.Tensor, ...]  # its parameters (loading weights copies into these, in place)
    versions: tuple[int, ...]  # their version counters just after (any in-place change moves one)
    row: torch.Tensor


def _row_of(trainer: Trainer) -> torch.Tensor:
    """The trainer's flat container row: the one the engine kept, if its model is unchanged since; else laid out anew."""
    kept = trainer.container_row
    if (
        kept is not None
        and kept.model is trainer.model
        and all(p._version == v for p, v in zip(kept.parameters, kept.versions, strict=True))
    ):
        return kept.row
    return trainer.layout.embed([(layer.weight.detach(), layer.bias.detach()) for layer in trainer.model.linears()])


def layout_of(trainer: Trainer) -> Layout:
    """The container a network trains in, from its own shape only (see the module's docstring)."""
    real = tuple(layer_shapes(trainer))
    hidden = [o for _, o in real[:-1]]
    inputs, outputs = real[0][0], real[-1][1]
    fits = (
        bool(hidden)
        and len(hidden) <= CONTAINER_DEPTH
        and max(hidden) <= CONTAINER_WIDTH
        and inputs <= CONTAINER_INPUTS[-1]
        and trainer.x_train.numel() <= GATHER_PER_BATCH_ABOVE
    )
    if not fits:
        return Layout(real, real)
    if len(hidden) <= SHALLOW and max(hidden) <= SHALLOW_WIDTHS[-1]:
        width = next(w for w in SHALLOW_WIDTHS if w >= max(hidden))
        widths = (next(c for c in CONTAINER_INPUTS if c >= inputs), *(width,) * len(hidden), outputs)
    else:
        widths = (CONTAINER_INPUTS[-1], *(CONTAINER_WIDTH,) * CONTAINER_DEPTH, outputs)
    return Layout(real, tuple(itertools.pairwise(widths)))


def group_key(trainer: Trainer) -> tuple[object, ...]:
    """What networks must share to be stacked: container, loss, data sizes, batch, device.

    Everything else (the network's own shape inside its container, activations, optimizer and its
    hyperparameters, learning rate, L1/L2, dropout rate, step counts, the data themselves, the
    seeds) may differ between the networks of a group.
    """
    spec = trainer.spec
    return (
        str(trainer.device),
        trainer.layout.shapes,
        spec.model.problem,
        spec.model.loss,
        len(trainer.x_train),
        len(trainer.x_val),
        trainer.batch_size,
        trainer.x_train.numel() > GATHER_PER_BATCH_ABOVE,
        0 if trainer.partial is None else trainer.partial.next_start,
    )


@dataclass
class PartialEpoch:
    """An epoch that stopped between two batches (a large data set trains a slice per round): where to go on."""

    perm: torch.Tensor  # this epoch's order of the training points
    next_start: int  # the first point of the next batch
    loss_sum: torch.Tensor  # running sums over the batches so far (data loss × points, right answers)
    correct_sum: torch.Tensor
    worst: torch.Tensor  # the largest batch loss so far


@dataclass
class EpochNumbers:
    """What one epoch measured for one network (Python floats, maybe non-finite)."""

    train_loss: float
    val_loss: float
    train_acc: float | None
    val_acc: float | None
    worst_batch_loss: float
    largest_weight: float


def _column(values: Sequence[float], device: torch.device) -> torch.Tensor:
    """Per-network scalars as an ``[S, 1]`` column that broadcasts over a row of ``[S, P]``."""
    return torch.tensor(values, dtype=torch.float32, device=device).unsqueeze(1)


def _affine(b: torch.Tensor, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """z = b + x·W for every network: [S, 1, out] + [S, B, in]·[S, in, out]."""
    if _single_with_a_vector(x, w):
        return torch.baddbmm(torch.cat([b, b]), torch.cat([x, x]), torch.cat([w, w]))[:1]
    return torch.baddbmm(b, x, w)


def _bmm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a·b for every network: [S, m, k]·[S, k, n]."""
    if _single_with_a_vector(a, b):
        return torch.bmm(torch.cat([a, a]), torch.cat([b, b]))[:1]
    return torch.bmm(a, b)


def _single_with_a_vector(a: torch.Tensor, b: torch.Tensor) -> bool:
    """For a single network, torch's ``bmm`` takes a matrix-vector path when a dimension is 1, which
    rounds differently from the batched one: such a product is computed as a batch of two copies
    (cheap: it is a narrow layer), so a network alone gets exactly the numbers it gets in a group."""
    return a.shape[0] == 1 and min(a.shape[1], a.shape[2], b.shape[2]) == 1


class Group:
    """S trainers of one ``group_key``, stacked for the epochs of one call."""

    def __init__(self, trainers: Sequence[Trainer]) -> None:
        self.trainers = list(trainers)
        first = self.trainers[0]
        self.device = first.device
        self.shapes = list(first.layout.shapes)
        self.problem, self.loss_name = first.spec.model.problem, first.spec.model.loss
        self.batch_size = first.batch_size
        self.n = len(first.x_train)
        self.large = first.x_train.numel() > GATHER_PER_BATCH_ABOVE
        self.full_eval = self.n <= FULL_EVAL_LIMIT
        self.numel = parameter_count(self.shapes)
        self.padded_numel = aligned(self.numel)
        self.padded_batch = aligned(self.batch_size)
        self.batches_run = 0  # batches trained by the last ``epoch`` call
        self._columns: dict[str, torch.Tensor] = {}  # per-network hyperparameter columns, this epoch
        self._rows: dict[tuple[int, int], torch.Tensor] = {}  # row weights by (rows, real rows)
        self._layer_activations: dict[tuple[object, ...], LayerActivation] = {}  # by layer (and rows)
        self._rule: UpdateRule | None = None  # the update's per-network coefficients, this epoch
        self._zeros: dict[int, torch.Tensor] = {}  # zero parts of the flat gradient, by width
        self.hidden_layers = self._hidden_layers()
        self._refresh()
        self._stack()

    # -- in and out of the trainers -----------------------------------------------------------

    def _stack(self) -> None:
        """theta [S, P] from each model's weights in its container; the optimizer buffers; the inputs."""
        rows = [_row_of(tr) for tr in self.trainers]
        pad = self.padded_numel - self.numel
        self.theta = F.pad(torch.stack(rows), (0, pad))
        self.params = self._views(self.theta)  # each layer's (kernel, bias) views: theta is updated in place
        self.kernels_t = [w.transpose(1, 2) for w, _ in self.params]  # each kernel's Wᵀ, a view too
        self.trainable = F.pad(torch.stack([tr.trainable for tr in self.trainers]), (0, pad))
        self.padded = bool((self.trainable[:, : self.numel] == 0).any())
        # The optimizers' buffers by role (zeros for a network whose optimizer has no such buffer).
        zeros = torch.zeros(self.numel, device=self.device)
        roles = {ROLE[name] for tr in self.trainers for name in tr.optimizer_state.buffers}
        self.buffers = {
            role: F.pad(torch.stack([_buffer(tr.optimizer_state, role, zeros) for tr in self.trainers]), (0, pad))
            for role in sorted(roles)
        }
        self.steps = [tr.optimizer_state.step for tr in self.trainers]
        if not self.large:
            inputs = self.shapes[0][0]
            self.x_train = torch.stack([F.pad(tr.x_train, (0, inputs - tr.x_train.shape[1])) for tr in self.trainers])
            self.y_train = torch.stack([tr.data.y_train for tr in self.trainers])
            self.x_val = torch.stack([F.pad(tr.x_val, (0, inputs - tr.x_val.shape[1])) for tr in self.trainers])
            self.y_val = torch.stack([tr.data.y_val for tr in self.trainers])

    def _refresh(self) -> None:
        """Forget what was read from the trainers for the last epoch: hyperparameters change between epochs."""
        self._columns, self._rule = {}, None
        self._dropout_rates = [tr.model.dropout.rate for tr in self.trainers]
        self._penalties = (any(tr.spec.train.l1 > 0 for tr in self.trainers),
                           any(tr.spec.train.l2 > 0 for tr in self.trainers))  # fmt: skip

    def _hidden_layers(self) -> list[int]:
        """The container's hidden layers this group computes: up to its deepest network's depth.

        The identity layers past it (W = I, b = 0, linear) would give back their input exactly, in
        the forward pass and the backward one, so leaving them out changes no number.
        """
        deepest = max((tr.layout.depth for tr in self.trainers), default=0)
        return list(range(min(deepest, len(self.shapes) - 1)))

    def _views(self, theta: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(kernel [S, in, out], bias [S, 1, out]) views of ``theta`` for each layer."""
        out, offset, s = [], 0, theta.shape[0]
        for i, o in self.shapes:
            w = theta[:, offset : offset + i * o].view(s, i, o)
            offset += i * o
            b = theta[:, offset : offset + o].view(s, 1, o)
            offset += o
            out.append((w, b))
        return out

    def write_back(self, indices: Sequence[int] | None = None, theta: torch.Tensor | None = None) -> None:
        """Networks' weights (from ``theta``, default the current ones) and optimizer state into their
        trainers (``indices``, default all), in a few operations for the group.

        Each trainer gets its own copies (nothing it keeps shares memory with another session's
        network) and keeps its flat row (``ContainerRow``), so the next round stacks it without
        laying its weights out again, unless its model has changed since (its parameters' versions).
        """
        chosen = range(len(self.trainers)) if indices is None else indices
        source = self.theta if theta is None else theta
        targets: list[torch.Tensor] = []
        sources: list[torch.Tensor] = []
        kept: list[tuple[Trainer, int, torch.Tensor]] = []  # (trainer, where its parameters begin, its row)
        for index in chosen:
            tr = self.trainers[index]
            row = source[index, : self.numel].clone()
            kept.append((tr, len(targets), row))
            for layer, (w, b) in zip(tr.model.linears(), tr.layout.extract(row), strict=True):
                targets += [layer.weight, layer.bias]
                sources += [w, b]
            tr.optimizer_state.step = self.steps[index]
            for name in tr.optimizer_state.buffers:
                tr.optimizer_state.buffers[name] = self.buffers[ROLE[name]][index, : self.numel].clone()
        if not targets:
            return
        with torch.no_grad():
            torch._foreach_copy_(targets, sources)
        for tr, start, row in kept:
            params = tuple(targets[start : start + 2 * len(tr.layout.real)])
            tr.container_row = ContainerRow(tr.model, params, tuple(p._version for p in params), row)

    def weights_of(self, index: int) -> dict[str, torch.Tensor]:
        """Network ``index``'s weights as its model's state dict (for early stopping's best weights)."""
        tr = self.trainers[index]
        state: dict[str, torch.Tensor] = {}
        layers = tr.layout.extract(self.theta[index, : self.numel])
        for (name, _), (w, b) in zip(tr.model.layers.named_children(), layers, strict=True):
            state[f"layers.{name}.weight"] = w.clone()
            state[f"layers.{name}.bias"] = b.clone()
        return state

    def keep_only(self, keep: list[int]) -> None:
        """Drop every network not in ``keep`` (they stopped) from the rest of this call's epochs."""
        idx = torch.tensor(keep, dtype=torch.long, device=self.device)
        self.trainers = [self.trainers[i] for i in keep]
        self.theta = self.theta.index_select(0, idx)
        self.params = self._views(self.theta)
        self.kernels_t = [w.transpose(1, 2) for w, _ in self.params]
        self._zeros = {}
        self.trainable = self.trainable.index_select(0, idx)
        self.buffers = {k: v.index_select(0, idx) for k, v in self.buffers.items()}
        self._layer_activations, self._rule = {}, None
        self.hidden_layers = self._hidden_layers()
        self.steps = [self.steps[i] for i in keep]
        if not self.large:
            self.x_train, self.y_train = self.x_train.index_select(0, idx), self.y_train.index_select(0, idx)
            self.x_val, self.y_val = self.x_val.index_select(0, idx), self.y_val.index_select(0, idx)

    # -- the network, the loss, the update ---------------------------------------------------------

    def activation_of(self, index: int, layer: int) -> str:
        """Network ``index``'s activation at container layer ``layer`` ("linear" for its identity layers)."""
        tr = self.trainers[index]
        return tr.spec.model.activation[layer] if layer < tr.layout.depth else "linear"

    def _activation(self, layer: int, slots: list[int] | None = None) -> LayerActivation:
        """Container layer ``layer``'s g for the rows of ``slots`` (default: every network), built once per group."""
        members = range(len(self.trainers)) if slots is None else slots
        key = (layer,) if slots is None else (layer, tuple(slots))
        found = self._layer_activations.get(key)
        if found is None:
            names = [self.activation_of(i, layer) for i in members]
            found = self._layer_activations[key] = LayerActivation(names, self.device)
        return found

    def forward(
        self,
        params: list[tuple[torch.Tensor, torch.Tensor]],
        x: torch.Tensor,
        dropout: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None,
        slots: list[int] | None = None,
    ) -> torch.Tensor:
        """Raw outputs [S, B, k]: z = b + x·W per layer, g(z) on hidden layers, dropout when training.

        ``slots`` says which networks the rows of ``params`` are (default: all of the group's).
        """
        h = x
        for layer in self.hidden_layers:
            w, b = params[layer]
            h = self._activation(layer, slots)(_affine(b, h, w))[0]
            if dropout is not None:
                masks, keep = dropout
                h = (
                    h * masks[layer] / keep[layer]
                )  # inverted dropout: zero with probability rate, scale by 1/(1 - rate)
        w, b = params[-1]
        return _affine(b, h, w)

    def losses(self, out: torch.Tensor, y: torch.Tensor, real: int) -> torch.Tensor:
        """Each network's mean data loss over the first ``real`` rows of its batch, [S] (the rest is padding).

        binary_crossentropy: -[y log σ(z) + (1 - y) log(1 - σ(z))]; categorical_crossentropy:
        -log softmax(z)[y]; mse: (ŷ - y)², with ŷ the probability (one-hot target) for classification
        (``playground.model.loss_fn``, row by row).
        """
        if self.problem == "binary":
            z = out.squeeze(-1)
            target = y.to(z.dtype)
            if self.loss_name == "binary_crossentropy":
                each = F.binary_cross_entropy_with_logits(z, target, reduction="none")
            else:
                each = F.mse_loss(torch.sigmoid(z), target, reduction="none")
        elif self.problem == "multiclass":
            s, b, k = out.shape
            if self.loss_name == "categorical_crossentropy":
                each = F.cross_entropy(out.reshape(s * b, k), y.reshape(-1), reduction="none").view(s, b)
            else:
                one_hot = F.one_hot(y, k).to(out.dtype)
                each = F.mse_loss(torch.softmax(out, dim=-1), one_hot, reduction="none").mean(dim=2)
        else:
            each = F.mse_loss(out.squeeze(-1), y.to(out.dtype), reduction="none")
        return (each * self._row_weights(out.shape[1], real)).sum(dim=1) / real

    def _loss_and_gradient(self, out: torch.Tensor, y: torch.Tensor, real: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Each network's mean loss over the first ``real`` rows, [S], and its gradient by the outputs, [S, B, k].

        The gradients, per row and divided by ``real`` (the mean): binary cross-entropy σ(z) - y;
        categorical cross-entropy softmax(z) - onehot(y); mse 2(ŷ - y)·dŷ/dz, with dŷ/dz = σ(1 - σ)
        for a sigmoid and the softmax Jacobian for several classes; regression 2(z - y).
        """
        rows = self._row_weights(out.shape[1], real)
        scale = self._row_scale(out.shape[1], real)  # [B, 1]: 1/real, the padding weighs nothing
        if self.problem == "binary":
            z = out.squeeze(-1)
            target = y.to(z.dtype)
            p = torch.sigmoid(z)
            if self.loss_name == "binary_crossentropy":
                each = F.binary_cross_entropy_with_logits(z, target, reduction="none")
                grad = (p - target).unsqueeze(-1)
            else:
                diff = p - target
                each = diff * diff
                grad = (2 * diff * p * (1 - p)).unsqueeze(-1)
        elif self.problem == "multiclass":
            s, b, k = out.shape
            p = torch.softmax(out, dim=-1)
            one_hot = F.one_hot(y, k).to(out.dtype)
            if self.loss_name == "categorical_crossentropy":
                each = F.cross_entropy(out.reshape(s * b, k), y.reshape(-1), reduction="none").view(s, b)
                grad = p - one_hot
            else:
                diff = p - one_hot
                each = (diff * diff).mean(dim=2)
                dp = 2 * diff / k
                grad = p * (dp - (dp * p).sum(dim=-1, keepdim=True))
        else:
            diff = out.squeeze(-1) - y.to(out.dtype)
            each = diff * diff
            grad = (2 * diff).unsqueeze(-1)
        return (each * rows).sum(dim=1) / real, grad * scale

    def _step(self, xb: torch.Tensor, yb: torch.Tensor, real: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One mini-batch for every network: forward, loss, backpropagation, the update. Returns (loss [S], outputs).

        Backpropagation is the lecture's chain rule, written out layer by layer rather than left to
        autograd (a third less overhead per batch for tiny networks): for the output's gradient δ,
        ∂L/∂W = hᵀ·δ, ∂L/∂b = Σ δ over the batch, and the layer below gets δ' = (δ·Wᵀ) ⊙ g'(z), times
        its dropout mask. ``tests/test_batched.py`` checks it against autograd.
        """
        s = len(self.trainers)
        params = self.params
        dropout = self._dropout(real)
        computed = [*self.hidden_layers, len(params) - 1]  # the container's layers this group computes
        inputs, saved = [xb], []  # each computed layer's input; each hidden layer's tanh(β·z), relu(z) for g'(z)
        h = xb
        for layer in self.hidden_layers:
            w, b = params[layer]
            a, t, r = self._activation(layer)(_affine(b, h, w))
            saved.append((t, r))
            h = a if dropout is None else a * dropout[0][layer] / dropout[1][layer]
            inputs.append(h)
        w, b = params[-1]
        out = _affine(b, h, w)
        loss, delta = self._loss_and_gradient(out, yb, real)
        grads: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # ∂L/∂W, ∂L/∂b of each computed layer
        for k in range(len(computed) - 1, -1, -1):
            layer = computed[k]
            grads[layer] = (_bmm(inputs[k].transpose(1, 2), delta), delta.sum(dim=1))
            if k == 0:
                break
            back = _bmm(delta, self.kernels_t[layer])
            below = computed[k - 1]
            if dropout is not None:
                back = back * dropout[0][below] / dropout[1][below]
            derivative = self._activation(below).slope(*saved[k - 1])
            delta = back if derivative is None else back * derivative
        self._add_penalty_gradient(params, grads)
        flat: list[torch.Tensor] = []
        for layer, (i, o) in enumerate(self.shapes):  # the layout of theta: W, b of each layer, input side first
            if layer in grads:
                flat += [grads[layer][0].reshape(s, -1), grads[layer][1].reshape(s, -1)]
            else:  # an identity layer past every network's depth: never computed, never trained
                flat.append(self._zero_piece(i * o + o))
        pad = self.padded_numel - self.numel
        if pad:
            flat.append(self._zero_piece(pad))
        grad = torch.cat(flat, dim=1)
        if self.padded:  # padding and identity layers never train: their gradient is 0
            grad = grad * self.trainable
        self._update(grad)
        return loss, out

    def _add_penalty_gradient(
        self, params: list[tuple[torch.Tensor, torch.Tensor]], grads: dict[int, tuple[torch.Tensor, torch.Tensor]]
    ) -> None:
        """The regularization's gradient on each computed kernel: l1·sign(w) + 2·l2·w (biases are free)."""
        use_l1, use_l2 = self._penalties
        if not (use_l1 or use_l2):
            return
        l1 = self._col("l1", lambda: [tr.spec.train.l1 for tr in self.trainers])
        l2 = self._col("l2", lambda: [tr.spec.train.l2 for tr in self.trainers])
        for layer, (gw, gb) in grads.items():
            w = params[layer][0]
            if use_l1:
                gw = gw + l1.unsqueeze(-1) * torch.sign(w)
            if use_l2:
                gw = gw + (2 * l2).unsqueeze(-1) * w
            grads[layer] = (gw, gb)

    def _row_weights(self, rows: int, real: int) -> torch.Tensor:
        """1 for the first ``real`` of ``rows`` rows, 0 for the padding."""
        found = self._rows.get((rows, real))
        if found is None:
            found = self._rows[(rows, real)] = (torch.arange(rows, device=self.device) < real).to(torch.float32)
        return found

    def _zero_piece(self, width: int) -> torch.Tensor:
        """Zeros [S, width] for the flat gradient's parts that never train (read only: made once)."""
        found = self._zeros.get(width)
        if found is None:
            found = self._zeros[width] = torch.zeros(len(self.trainers), width, device=self.device)
        return found

    def _row_scale(self, rows: int, real: int) -> torch.Tensor:
        """1/real for the first ``real`` of ``rows`` rows, 0 for the padding, as a column [rows, 1]."""
        found = self._rows.get((rows, -real))
        if found is None:
            found = self._rows[(rows, -real)] = (self._row_weights(rows, real) / real).unsqueeze(-1)
        return found

    def _col(self, name: str, values: Callable[[], list[float]]) -> torch.Tensor:
        """A per-network column ``[S, 1]`` of a hyperparameter, built once per epoch: they change between epochs only."""
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = _column(values(), self.device)
        return found

    def correct(self, out: torch.Tensor, y: torch.Tensor, real: int) -> torch.Tensor | None:
        """How many of the first ``real`` predictions each network got right, [S] (None for regression)."""
        if self.problem == "binary":
            right = (out.squeeze(-1) > 0).long() == y
        elif self.problem == "multiclass":
            right = out.argmax(dim=-1) == y
        else:
            return None
        return right[:, :real].sum(dim=1)

    def _dropout(self, batch: int) -> tuple[list[torch.Tensor], list[torch.Tensor]] | None:
        """Each hidden layer's dropout masks [S, B, width] (1 keeps a unit) and keep rates [S, 1, 1].

        Network s draws ``torch.rand((B, its width), generator=its generator) < 1 - rate`` as
        ``SeededDropout`` does, on its own hidden layers only; nothing at all when its rate is 0
        (its mask is all ones, keep 1), and never on its container's padding or identity layers.
        """
        rates = self._dropout_rates
        if max(rates) <= 0:
            return None
        masks, keeps = [], []
        for layer, (_i, width) in enumerate(self.shapes[:-1]):
            rows = []
            for tr, rate in zip(self.trainers, rates, strict=True):
                mask = torch.ones((batch, width), device=self.device)
                if rate > 0 and layer < tr.layout.depth:
                    own = tr.layout.real[layer][1]
                    draw = torch.rand((batch, own), generator=tr.dropout_generator, device=self.device)
                    mask[:, :own] = (draw < 1.0 - rate).to(torch.float32)
                rows.append(mask)
            masks.append(_pad_rows(torch.stack(rows), self.padded_batch, 1.0))
            keeps.append(
                self._col(
                    f"keep{layer}",
                    lambda layer=layer: [  # type: ignore[misc]
                        1.0 - r if r > 0 and layer < tr.layout.depth else 1.0
                        for tr, r in zip(self.trainers, rates, strict=True)
                    ],
                ).unsqueeze(-1)
            )
        return masks, keeps

    def _update(self, grad: torch.Tensor) -> None:
        """One optimizer step for every network, each with its own optimizer and hyperparameters.

        torch.optim's five rules are one rule with per-network coefficients (``UpdateRule``), so a
        group that mixes optimizers costs one update, not one per optimizer.
        """
        self.steps = [s + 1 for s in self.steps]
        if (
            self.large
            and self.theta.device.type == "cpu"
            and all(tr.optimizer_state.name == "adam" for tr in self.trainers)
        ):
            self._fused_adam(grad)
            return
        rule = self._rule
        if rule is None:
            rule = self._rule = UpdateRule([tr.optimizer_state.name for tr in self.trainers],
                                           [tr.spec.train for tr in self.trainers], [tr.lr for tr in self.trainers],
                                           self.device)  # fmt: skip
        rule.apply(self.theta, self.buffers, grad, self.steps)

    def _fused_adam(self, grad: torch.Tensor) -> None:
        """A large network's Adam (MNIST): torch's own fused kernel, one network (row) at a time: one
        pass over its 100,000 weights instead of a dozen, and exactly torch.optim's Adam(fused=True)."""
        m, v = self.buffers[FIRST], self.buffers[SECOND]
        for row, (tr, step) in enumerate(zip(self.trainers, self.steps, strict=True)):
            t = tr.spec.train
            torch._fused_adam_(
                [self.theta[row]], [grad[row]], [m[row]], [v[row]], [],
                [torch.tensor(float(step), device=self.theta.device)],
                amsgrad=False, lr=tr.lr, beta1=t.beta1, beta2=t.beta2, weight_decay=0.0, eps=t.epsilon,
                maximize=False, grad_scale=None, found_inf=None,
            )  # fmt: skip

    # -- one epoch -----------------------------------------------------------------------------------

    def epoch(self, max_batches: int | None = None) -> list[EpochNumbers] | None:
        """One epoch of mini-batch gradient descent for every network, then its measurements.

        With ``max_batches``, stop after that many batches if the epoch is not over: each trainer
        keeps a ``PartialEpoch`` and the next call goes on from there (None is returned).
        """
        s, n, bs = len(self.trainers), self.n, self.batch_size
        self._refresh()  # the learning rate may have dropped, a network may have left
        partials = [tr.partial for tr in self.trainers]
        first = partials[0]
        if first is not None:  # go on with the epoch where it stopped (the group shares its position)
            perms = torch.stack([p.perm for p in partials if p is not None])
            worst = torch.stack([p.worst for p in partials if p is not None])
            loss_sum = torch.stack([p.loss_sum for p in partials if p is not None])
            correct_sum = torch.stack([p.correct_sum for p in partials if p is not None])
            begin = first.next_start
        else:
            # 1. Shuffle each network's training set with its own generator (never the global RNG).
            perms = torch.stack(
                [torch.randperm(n, generator=tr.shuffle_generator, device=self.device) for tr in self.trainers]
            )
            worst = torch.zeros(s, device=self.device)
            loss_sum = torch.zeros(s, device=self.device)
            correct_sum = torch.zeros(s, device=self.device, dtype=torch.long)
            begin = 0
        if not self.large:
            # This epoch's batches, each padded to ``padded_batch`` rows, in one go: [S, batches, rows, ...].
            order = perms[:, begin:]
            count = -(-order.shape[1] // bs)
            order = F.pad(order, (0, count * bs - order.shape[1])).view(s, count, bs)
            pad_rows = (0, self.padded_batch - bs)
            xs = torch.gather(self.x_train, 1, order.view(s, -1, 1).expand(-1, -1, self.x_train.shape[-1]))
            xs = F.pad(xs.view(s, count, bs, -1), (0, 0, *pad_rows))
            ys = F.pad(torch.gather(self.y_train, 1, order.view(s, -1)).view(s, count, bs), pad_rows)
        # 2. Mini-batch gradient descent: W <- W - lr·∇L(W) (or the optimizer's rule), all networks at once.
        self.batches_run = 0
        for batch, start in enumerate(range(begin, n, bs)):
            if max_batches is not None and batch >= max(1, max_batches):
                for i, tr in enumerate(self.trainers):
                    tr.partial = PartialEpoch(perms[i], start, loss_sum[i], correct_sum[i], worst[i])
                return None
            real = min(bs, n - start)
            if self.large:
                idx = perms[:, start : start + bs]
                xb = torch.stack([tr.x_train[i] for tr, i in zip(self.trainers, idx, strict=True)])
                yb = torch.stack([tr.data.y_train[i] for tr, i in zip(self.trainers, idx, strict=True)])
                xb, yb = _pad_rows(xb, self.padded_batch), _pad_rows(yb, self.padded_batch)
            else:
                xb, yb = xs[:, batch], ys[:, batch]
            loss, out = self._step(xb, yb, real)
            self.batches_run += 1
            worst = torch.maximum(worst, loss)  # no sync per batch (nothing here records gradients)
            if not self.full_eval:
                loss_sum += loss * real
                right = self.correct(out, yb, real)
                if right is not None:
                    correct_sum += right
        for tr in self.trainers:
            tr.partial = None
        # 3. Measure: the whole train set (small sets) or the running mean, and the validation set.
        if self.full_eval:
            train_loss, train_acc = self._evaluate("train")
        else:
            train_loss = (loss_sum.double() / n).tolist()
            train_acc = (correct_sum.double() / n).tolist() if self.problem != "regression" else [None] * s
        val_loss, val_acc = self._evaluate("val")
        largest = self.theta.abs().amax(dim=1).tolist()
        return [
            EpochNumbers(train_loss[i], val_loss[i], train_acc[i], val_acc[i], w, largest[i])
            for i, w in enumerate(worst.tolist())
        ]

    @torch.no_grad()
    def _evaluate(self, split: str) -> tuple[list[float], list[float | None]]:
        """Each network's mean data loss and accuracy on its train or validation set (no dropout)."""
        s = len(self.trainers)
        if self.large:
            xs = [tr.x_train if split == "train" else tr.x_val for tr in self.trainers]
            ys = [tr.data.y_train if split == "train" else tr.data.y_val for tr in self.trainers]
            results = [self._evaluate_one(i, x, y) for i, (x, y) in enumerate(zip(xs, ys, strict=True))]
            return [r[0] for r in results], [r[1] for r in results]
        x, y = (self.x_train, self.y_train) if split == "train" else (self.x_val, self.y_val)
        n = x.shape[1]
        if n == 0:
            return [math.nan] * s, [None] * s
        params = self.params
        loss_sum = torch.zeros(s, device=self.device, dtype=torch.float64)
        right = torch.zeros(s, device=self.device, dtype=torch.long)
        for i in range(0, n, EVAL_CHUNK):
            yb = y[:, i : i + EVAL_CHUNK]
            real = yb.shape[1]
            rows = aligned(real)
            out = self.forward(params, _pad_rows(x[:, i : i + EVAL_CHUNK], rows))
            yb = _pad_rows(yb, rows)
            loss_sum += self.losses(out, yb, real).double() * real
            c = self.correct(out, yb, real)
            if c is not None:
                right += c
        losses = (loss_sum / n).tolist()
        accs: list[float | None] = (right.double() / n).tolist() if self.problem != "regression" else [None] * s
        return losses, accs

    def _evaluate_one(self, index: int, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
        n = len(x)
        if n == 0:
            return math.nan, None
        params = self._views(self.theta[index : index + 1])
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        right = torch.zeros((), device=self.device, dtype=torch.long)
        for i in range(0, n, EVAL_CHUNK):
            yb = y[i : i + EVAL_CHUNK].unsqueeze(0)
            real = yb.shape[1]
            rows = aligned(real)
            out = self.forward(params, _pad_rows(x[i : i + EVAL_CHUNK].unsqueeze(0), rows), slots=[index])
            yb = _pad_rows(yb, rows)
            loss_sum += self.losses(out, yb, real)[0].double() * real
            c = self.correct(out, yb, real)
            if c is not None:
                right += c[0]
        return float(loss_sum) / n, (float(right) / n if self.problem != "regression" else None)


def train_together(
    trainers: Sequence[Trainer], epochs: int, max_seconds: float | None = None, max_batches: int | None = None
) -> float:
    """Train every trainer (all of one ``group_key``) up to ``epochs`` more epochs; returns the seconds spent.

    A trainer that stops (its epoch limit, early stopping, divergence) leaves the group at once;
    the others go on. With ``max_seconds``, no new epoch starts after that much time. With
    ``max_batches``, at most that many batches train (an epoch may stop half way: see ``PartialEpoch``).
    """
    live = [tr for tr in trainers if not tr.done]
    if not live:
        return 0.0
    keys = {group_key(tr) for tr in live}
    if len(keys) != 1:
        raise ValueError("train_together needs trainers of one group_key; use playground.service to mix them")
    start = time.perf_counter()
    group = Group(live)
    batches_left = max_batches
    for _ in range(epochs):
        t0 = time.perf_counter()
        previous = group.theta.clone()  # each network's last good weights, should this epoch diverge
        numbers = group.epoch(batches_left)
        if batches_left is not None:
            batches_left -= group.batches_run
        seconds = time.perf_counter() - t0
        if numbers is None:  # the batches ran out half way through the epoch
            for tr in group.trainers:
                tr.seconds += seconds
            break
        keep: list[int] = []
        for i, (tr, got) in enumerate(zip(group.trainers, numbers, strict=True)):
            tr.seconds += seconds
            best = group.weights_of(i) if tr.wants_best_weights else None
            verdict = tr.finish_epoch(got, best)
            if verdict == "diverged":
                group.write_back([i], previous)
            elif verdict == "stopped":
                group.write_back([i])
                tr.on_train_end()
            else:
                keep.append(i)
        if len(keep) < len(group.trainers):
            group.keep_only(keep)
        if not group.trainers or (max_seconds is not None and time.perf_counter() - start >= max_seconds):
            break
        if batches_left is not None and batches_left <= 0:
            break
    group.write_back()
    return time.perf_counter() - start
