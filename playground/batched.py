"""The one training epoch of the engine: many networks, stepped together as one program.

Every epoch the app trains runs here, for a single network (the command line, Step, a lesson)
and for a whole class (``playground.service`` stacks the networks of every student whose
network fits the same container). Tiny networks spend almost all their time in per-op overhead,
so S networks stacked into one program cost about as much as one.

How S networks become one program:

* **Containers.** A small network (the playground's: up to 8 inputs, 6 hidden layers of 16) is
  trained inside a container, a padded shape chosen from the network alone (``layout_of``): up to
  two hidden layers of at most 8, its widths rounded up to 4 or 8 and its inputs to 2 or 8; any
  other, the one deep container (8 inputs, six layers of 16), with identity layers (W = I, linear,
  never trained) between its last hidden layer and its output. Padded weights are zero and their gradients are masked, so they stay zero. Networks
  of different shapes, activations and optimizers in one container share one program; since the
  container depends only on the network, its numbers are the same alone or in any group.
  Larger networks (MNIST) keep their exact shape.
* **Parameters.** Each network's weights and biases are laid out flat, ``[P]`` numbers; the
  group holds ``theta`` of shape ``[S, P]``. Layer l's kernel is a view ``[S, in, out]`` of it and
  its bias a view ``[S, 1, out]``, so z = b + x·W is one ``torch.baddbmm`` for all S networks.
  Each network's activation is chosen per row where a layer's networks differ.
* **Loss.** Each network's mean loss (plus its own L1/L2 penalty) is computed per row, and the
  S losses are summed before ``backward``: d(sum)/d(loss_s) = 1, so network s's gradient is
  exactly the gradient of its own loss, untouched by the others.
* **Optimizers.** torch.optim's update rules (SGD, momentum, RMSprop, AdaGrad, Adam), written
  out on the ``[S, P]`` buffers with per-network hyperparameters and step counts as ``[S, 1]``
  columns, so networks with different learning rates, betas or step counts share one update;
  the rows of each optimizer take its rule.
  ``tests/test_batched.py`` checks them against ``torch.optim`` (to float rounding).
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
#: layers of ``CONTAINER_WIDTH``. Few containers, so a class of any networks forms few groups.
SHALLOW_WIDTHS = (4, 8)
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


#: g(z) of each hidden layer, from the activation registry.
_ACTIVATION_FNS = {name: a.fn for name, a in activations.REGISTRY.items()}


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
        # Each optimizer's networks side by side: its rule then runs on a slice (a view), no copies.
        self.trainers = sorted(trainers, key=lambda tr: tr.optimizer_state.name)
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
        self._kinds: dict[object, list[tuple[str, torch.Tensor | None]]] = {}  # per-row choices, by what
        self._optimizer_rows: dict[str, list[int]] | None = None  # each optimizer's rows
        self._stack()

    # -- in and out of the trainers -----------------------------------------------------------

    def _stack(self) -> None:
        """theta [S, P] from each model's weights in its container; the optimizer buffers; the inputs."""
        rows = [
            tr.layout.embed([(layer.weight.detach(), layer.bias.detach()) for layer in tr.model.linears()])
            for tr in self.trainers
        ]
        pad = self.padded_numel - self.numel
        self.theta = F.pad(torch.stack(rows), (0, pad))
        self.trainable = F.pad(torch.stack([tr.trainable for tr in self.trainers]), (0, pad))
        self.padded = bool((self.trainable[:, : self.numel] == 0).any())
        names = sorted({name for tr in self.trainers for name in tr.optimizer_state.buffers})
        zeros = torch.zeros(self.numel, device=self.device)
        self.buffers = {
            name: F.pad(torch.stack([tr.optimizer_state.buffers.get(name, zeros) for tr in self.trainers]), (0, pad))
            for name in names
        }
        self.steps = [tr.optimizer_state.step for tr in self.trainers]
        if not self.large:
            inputs = self.shapes[0][0]
            self.x_train = torch.stack([F.pad(tr.x_train, (0, inputs - tr.x_train.shape[1])) for tr in self.trainers])
            self.y_train = torch.stack([tr.data.y_train for tr in self.trainers])
            self.x_val = torch.stack([F.pad(tr.x_val, (0, inputs - tr.x_val.shape[1])) for tr in self.trainers])
            self.y_val = torch.stack([tr.data.y_val for tr in self.trainers])

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

    def write_back(self, index: int, theta: torch.Tensor | None = None) -> None:
        """Network ``index``'s weights (from ``theta``, default the current ones) and optimizer state into its trainer."""
        tr = self.trainers[index]
        row = (self.theta if theta is None else theta)[index, : self.numel]
        with torch.no_grad():
            for layer, (w, b) in zip(tr.model.linears(), tr.layout.extract(row), strict=True):
                layer.weight.copy_(w)
                layer.bias.copy_(b)
        tr.optimizer_state.step = self.steps[index]
        for name in tr.optimizer_state.buffers:
            tr.optimizer_state.buffers[name] = self.buffers[name][index, : self.numel].clone()

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
        self.trainable = self.trainable.index_select(0, idx)
        self.buffers = {k: v.index_select(0, idx) for k, v in self.buffers.items()}
        self._kinds, self._optimizer_rows = {}, None
        self.steps = [self.steps[i] for i in keep]
        if not self.large:
            self.x_train, self.y_train = self.x_train.index_select(0, idx), self.y_train.index_select(0, idx)
            self.x_val, self.y_val = self.x_val.index_select(0, idx), self.y_val.index_select(0, idx)

    # -- the network, the loss, the update ---------------------------------------------------------

    def activation_of(self, index: int, layer: int) -> str:
        """Network ``index``'s activation at container layer ``layer`` ("linear" for its identity layers)."""
        tr = self.trainers[index]
        return tr.spec.model.activation[layer] if layer < tr.layout.depth else "linear"

    def _choices(self, key: object, names_of: Callable[[], list[str]]) -> list[tuple[str, torch.Tensor | None]]:
        """Each distinct name with the rows [S, 1, 1] that take it (None: every row), cached per ``key``."""
        found = self._kinds.get(key)
        if found is None:
            names = names_of()
            distinct = sorted(set(names))
            if len(distinct) == 1:
                found = [(distinct[0], None)]
            else:
                found = [
                    (n, torch.tensor([m == n for m in names], device=self.device).view(-1, 1, 1)) for n in distinct
                ]
            self._kinds[key] = found
        return found

    def _activate(self, layer: int, z: torch.Tensor, slots: list[int] | None = None) -> torch.Tensor:
        """g(z) of container layer ``layer``, each row with its own network's g (rows: ``slots``, default all)."""
        members = range(len(self.trainers)) if slots is None else slots
        key = ("act", layer) if slots is None else ("act", layer, tuple(slots))
        choices = self._choices(key, lambda: [self.activation_of(i, layer) for i in members])
        result: torch.Tensor | None = None
        for name, rows in choices:
            value = _ACTIVATION_FNS[name](z)
            result = value if rows is None or result is None else torch.where(rows, value, result)
        assert result is not None
        return result

    def _derivative(self, layer: int, a: torch.Tensor) -> torch.Tensor | None:
        """g'(z) of container layer ``layer`` from its outputs a = g(z), each row its own (None: 1 for every row)."""
        choices = self._choices(
            ("act", layer), lambda: [self.activation_of(i, layer) for i in range(len(self.trainers))]
        )
        if len(choices) == 1:
            derivative = activations.REGISTRY[choices[0][0]].derivative
            return None if derivative is None else derivative(a)
        result: torch.Tensor | None = None
        for name, rows in choices:
            derivative = activations.REGISTRY[name].derivative
            value = torch.ones_like(a) if derivative is None else derivative(a)
            result = value if result is None else torch.where(rows, value, result)  # type: ignore[arg-type]
        return result

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
        for layer, (w, b) in enumerate(params[:-1]):
            h = self._activate(layer, _affine(b, h, w), slots)
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
        scale = (rows / real).unsqueeze(-1)  # [B, 1]: the padding weighs nothing
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
        params = self._views(self.theta)
        dropout = self._dropout(real)
        inputs, outputs = [xb], []  # each layer's input, each hidden layer's g(z) before dropout
        h = xb
        for layer, (w, b) in enumerate(params[:-1]):
            a = self._activate(layer, _affine(b, h, w))
            outputs.append(a)
            h = a if dropout is None else a * dropout[0][layer] / dropout[1][layer]
            inputs.append(h)
        w, b = params[-1]
        out = _affine(b, h, w)
        loss, delta = self._loss_and_gradient(out, yb, real)
        grads: list[torch.Tensor] = []
        for layer in range(len(params) - 1, -1, -1):
            w = params[layer][0]
            grads.append(delta.sum(dim=1))  # ∂L/∂b
            grads.append(_bmm(inputs[layer].transpose(1, 2), delta))  # ∂L/∂W
            if layer == 0:
                break
            back = _bmm(delta, w.transpose(1, 2))
            if dropout is not None:
                back = back * dropout[0][layer - 1] / dropout[1][layer - 1]
            derivative = self._derivative(layer - 1, outputs[layer - 1])
            delta = back if derivative is None else back * derivative
        grads.reverse()  # W, b of each layer, input side first: the layout of theta
        self._add_penalty_gradient(params, grads)
        pad = self.padded_numel - self.numel
        flat = [g.reshape(s, -1) for g in grads]
        if pad:
            flat.append(torch.zeros(s, pad, device=self.device))
        grad = torch.cat(flat, dim=1)
        if self.padded:  # padding and identity layers never train: their gradient is 0
            grad = grad * self.trainable
        self._update(grad)
        return loss, out

    def _add_penalty_gradient(self, params: list[tuple[torch.Tensor, torch.Tensor]], grads: list[torch.Tensor]) -> None:
        """The regularization's gradient on each kernel: l1·sign(w) + 2·l2·w (biases are free)."""
        l1 = self._col("l1", lambda: [tr.spec.train.l1 for tr in self.trainers])
        l2 = self._col("l2", lambda: [tr.spec.train.l2 for tr in self.trainers])
        use_l1, use_l2 = bool((l1 > 0).any()), bool((l2 > 0).any())
        for layer, (w, _b) in enumerate(params):
            if use_l1:
                grads[2 * layer] = grads[2 * layer] + l1.unsqueeze(-1) * torch.sign(w)
            if use_l2:
                grads[2 * layer] = grads[2 * layer] + (2 * l2).unsqueeze(-1) * w

    def _row_weights(self, rows: int, real: int) -> torch.Tensor:
        """1 for the first ``real`` of ``rows`` rows, 0 for the padding."""
        found = self._rows.get((rows, real))
        if found is None:
            found = self._rows[(rows, real)] = (torch.arange(rows, device=self.device) < real).to(torch.float32)
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
        rates = self._col("dropout", lambda: [tr.model.dropout.rate for tr in self.trainers])[:, 0].tolist()
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

    @torch.no_grad()
    def _update(self, grad: torch.Tensor) -> None:
        """One optimizer step for every network: its optimizer's rule, hyperparameters per row."""
        self.steps = [s + 1 for s in self.steps]
        kinds = self._optimizer_rows
        if kinds is None:
            kinds = self._optimizer_rows = {}
            for i, tr in enumerate(self.trainers):
                kinds.setdefault(tr.optimizer_state.name, []).append(i)
        if len(kinds) == 1:
            ((name, rows),) = kinds.items()
            self._apply_rule(name, rows, self.theta, self.buffers, grad)
            return
        for name, rows in kinds.items():  # each optimizer's rows are a slice: its rule updates them in place
            part = slice(rows[0], rows[-1] + 1)
            buf = {k: v[part] for k, v in self.buffers.items()}
            self._apply_rule(name, rows, self.theta[part], buf, grad[part])

    def _apply_rule(
        self, name: str, rows: list[int], theta: torch.Tensor, buf: dict[str, torch.Tensor], grad: torch.Tensor
    ) -> None:
        """torch.optim's rule ``name`` on ``theta`` (the group's networks ``rows``), in place."""
        members = [self.trainers[i] for i in rows]
        trains = [tr.spec.train for tr in members]
        steps = [self.steps[i] for i in rows]
        col = lambda key, values: self._col(f"{name}:{key}", values)
        lr = col("lr", lambda: [tr.lr for tr in members])
        if name == "sgd":  # w <- w - lr·g
            theta.sub_(lr * grad)
        elif name == "momentum":  # v <- μ·v + g; w <- w - lr·v
            v = buf["momentum_buffer"]
            v.mul_(col("momentum", lambda: [t.momentum for t in trains])).add_(grad)
            theta.sub_(lr * v)
        elif name == "rmsprop":  # s <- ρ·s + (1 - ρ)·g²; w <- w - lr·g / (√s + ε)
            rho = col("rho", lambda: [t.rho for t in trains])
            s = buf["square_avg"]
            s.mul_(rho).add_((1 - rho) * grad * grad)
            avg = s.sqrt().add_(col("epsilon", lambda: [t.epsilon for t in trains]))
            theta.sub_(lr * (grad / avg))
        elif name == "adagrad":  # G <- G + g²; w <- w - lr·g / (√G + ε)
            total = buf["sum"]
            total.add_(grad * grad)
            std = total.sqrt().add_(col("epsilon", lambda: [t.epsilon for t in trains]))
            theta.sub_(lr * (grad / std))
        elif name == "adam" and self.large and theta.device.type == "cpu":
            # A large network (MNIST): torch's own fused Adam kernel, one network (row) at a time: one
            # pass over its 100,000 weights instead of a dozen (the formula below), and exactly
            # torch.optim's Adam(fused=True). A large network's group always takes this path.
            m, v = buf["exp_avg"], buf["exp_avg_sq"]
            for row, (tr, t, step) in enumerate(zip(members, trains, steps, strict=True)):
                torch._fused_adam_(
                    [theta[row]], [grad[row]], [m[row]], [v[row]], [],
                    [torch.tensor(float(step), device=theta.device)],
                    amsgrad=False, lr=tr.lr, beta1=t.beta1, beta2=t.beta2, weight_decay=0.0, eps=t.epsilon,
                    maximize=False, grad_scale=None, found_inf=None,
                )  # fmt: skip
        elif name == "adam":  # m, v moving averages; w <- w - lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)
            b1 = [t.beta1 for t in trains]
            b2 = [t.beta2 for t in trains]
            m, v = buf["exp_avg"], buf["exp_avg_sq"]
            m.lerp_(grad, col("1-beta1", lambda: [1 - b for b in b1]))
            b2c = col("beta2", lambda: b2)
            v.mul_(b2c).add_((1 - b2c) * grad * grad)
            step_size = [r / (1 - b**t) for r, b, t in zip((tr.lr for tr in members), b1, steps, strict=True)]
            bc2_sqrt = [math.sqrt(1 - b**t) for b, t in zip(b2, steps, strict=True)]
            eps = col("epsilon", lambda: [t.epsilon for t in trains])
            denom = (v.sqrt() / _column(bc2_sqrt, self.device)).add_(eps)
            theta.sub_(_column(step_size, self.device) * (m / denom))
        else:
            raise ValueError(f"the batched engine has no update rule for the optimizer {name!r}")

    # -- one epoch -----------------------------------------------------------------------------------

    def epoch(self, max_batches: int | None = None) -> list[EpochNumbers] | None:
        """One epoch of mini-batch gradient descent for every network, then its measurements.

        With ``max_batches``, stop after that many batches if the epoch is not over: each trainer
        keeps a ``PartialEpoch`` and the next call goes on from there (None is returned).
        """
        s, n, bs = len(self.trainers), self.n, self.batch_size
        self._columns = {}  # the learning rate may have dropped, a network may have left the group
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
            worst = torch.maximum(worst, loss.detach())  # no sync per batch
            if not self.full_eval:
                loss_sum += loss.detach() * real
                right = self.correct(out.detach(), yb, real)
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
        params = self._views(self.theta)
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
                group.write_back(i, previous)
            elif verdict == "stopped":
                group.write_back(i)
                tr.on_train_end()
            else:
                keep.append(i)
        if len(keep) < len(group.trainers):
            group.keep_only(keep)
        if not group.trainers or (max_seconds is not None and time.perf_counter() - start >= max_seconds):
            break
        if batches_left is not None and batches_left <= 0:
            break
    for i in range(len(group.trainers)):
        group.write_back(i)
    return time.perf_counter() - start
