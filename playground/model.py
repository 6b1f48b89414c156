"""The network: a stack of perceptrons (dense layers), built from the spec.

Each hidden layer computes z = W·x + b and then a = g(z) (the lecture's
perceptron, many at once), optionally followed by dropout. The output layer is
linear; what turns its values into a prediction depends on the problem:

* binary: one logit, ŷ = σ(z);
* multiclass: k logits, ŷ = softmax(z);
* regression: one value, ŷ = z.

Losses take the raw outputs (logits) for numerical stability, as
``BCEWithLogitsLoss`` and ``cross_entropy`` do. Weights start as Keras's
``glorot_uniform`` with zero biases (the lecture's framework), drawn from an
explicit ``torch.Generator`` so a seed gives the same network in any thread.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from playground import activations
from playground.spec import Spec

#: g(z) of each hidden layer, from the activation registry.
ACTIVATION_FNS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {n: a.fn for n, a in activations.REGISTRY.items()}


class SeededDropout(nn.Module):
    """Inverted dropout (as Keras's Dropout) whose mask comes from an explicit generator.

    During training each unit is zeroed with probability ``rate`` and the
    survivors are scaled by 1 / (1 - rate), so the expected activation is
    unchanged and nothing needs rescaling at test time.
    """

    def __init__(self, rate: float, generator: torch.Generator | None) -> None:
        super().__init__()
        self.rate = rate
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate <= 0:
            return x
        keep = 1.0 - self.rate
        mask = torch.rand(x.shape, generator=self.generator, device=x.device, dtype=x.dtype) < keep
        return x * mask / keep


class MLP(nn.Module):
    """Dense layers with per-layer activations; exposes every layer's output."""

    def __init__(
        self,
        in_features: int,
        hidden: tuple[int, ...],
        activations: tuple[str, ...],
        out_features: int,
        dropout: float = 0.0,
        dropout_generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        widths = (in_features, *hidden, out_features)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.activations = list(activations)
        self.dropout = SeededDropout(dropout, dropout_generator)

    def linears(self) -> list[nn.Linear]:
        """The dense layers, input side first (typed view of ``self.layers``)."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # F.linear rather than calling each nn.Linear: for TF-Playground-sized nets the
        # per-module call overhead is a third of a training step.
        layers = self.linears()
        dropout = self.dropout if self.training and self.dropout.rate > 0 else None
        for layer, act in zip(layers, self.activations, strict=False):  # the output layer has no entry
            x = ACTIVATION_FNS[act](F.linear(x, layer.weight, layer.bias))
            if dropout is not None:
                x = dropout(x)
        last = layers[-1]
        return F.linear(x, last.weight, last.bias)

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every hidden layer's activations (no dropout), then the output values.

        Used to draw each neuron's output over the input plane.
        """
        outs = []
        layers = self.linears()
        for layer, act in zip(layers, self.activations, strict=False):
            x = ACTIVATION_FNS[act](layer(x))
            outs.append(x)
        outs.append(layers[-1](x))
        return outs


def glorot_uniform_(model: MLP, generator: torch.Generator) -> None:
    """Keras's default init: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)); b = 0."""
    with torch.no_grad():
        for layer in model.linears():
            fan_out, fan_in = layer.weight.shape
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            cpu = torch.empty(layer.weight.shape).uniform_(-bound, bound, generator=generator)
            layer.weight.copy_(cpu)
            layer.bias.zero_()


def output_size(problem: str, num_classes: int) -> int:
    return num_classes if problem == "multiclass" else 1


def build_model(spec: Spec, in_features: int, num_classes: int, seed_offset: int = 0) -> MLP:
    """The network the spec describes, initialised from its seed (on the CPU)."""
    model = MLP(
        in_features,
        spec.model.hidden,
        spec.model.activation,
        output_size(spec.model.problem, num_classes),
        spec.model.dropout,
    )
    init_gen = torch.Generator().manual_seed(spec.seed * 7919 + 17 + seed_offset)
    glorot_uniform_(model, init_gen)
    return model


def predict(outputs: torch.Tensor, problem: str, loss: str) -> torch.Tensor:
    """Raw outputs -> what the network predicts: P(class 1), class probabilities, or a value."""
    if problem == "binary":
        return torch.sigmoid(outputs.squeeze(-1))
    if problem == "multiclass":
        return torch.softmax(outputs, dim=-1)
    return outputs.squeeze(-1)


def loss_fn(outputs: torch.Tensor, targets: torch.Tensor, problem: str, loss: str) -> torch.Tensor:
    """Mean loss of raw outputs against targets (class indices or values).

    * binary_crossentropy: -[y log σ(z) + (1 - y) log(1 - σ(z))]
    * categorical_crossentropy: -log softmax(z)[y]
    * mse: (ŷ - y)², with ŷ the probability (one-hot target) for classification
    """
    if problem == "binary":
        z = outputs.squeeze(-1)
        y = targets.to(z.dtype)
        if loss == "binary_crossentropy":
            return F.binary_cross_entropy_with_logits(z, y)
        return F.mse_loss(torch.sigmoid(z), y)
    if problem == "multiclass":
        if loss == "categorical_crossentropy":
            return F.cross_entropy(outputs, targets)
        one_hot = F.one_hot(targets, outputs.shape[-1]).to(outputs.dtype)
        return F.mse_loss(torch.softmax(outputs, dim=-1), one_hot)
    return F.mse_loss(outputs.squeeze(-1), targets.to(outputs.dtype))


def correct_count(outputs: torch.Tensor, targets: torch.Tensor, problem: str) -> torch.Tensor | None:
    """How many predictions are right (None for regression): a 0-d tensor, no sync."""
    if problem == "binary":
        return ((outputs.squeeze(-1) > 0).long() == targets).sum()
    if problem == "multiclass":
        return (outputs.argmax(dim=-1) == targets).sum()
    return None
