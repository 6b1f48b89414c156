"""The activation registry: every activation a network layer can have, declared once.

Each entry: the name (the spec's and the link's value), the title the pages
show, the torch function the model applies, the ``torch.nn`` module the PyTorch
export writes, the name Keras knows it by and the numbers the batched engine
computes it with (``Formula``). The spec's choices, the model, the engine and
both code exports read it from here. (The Activation-functions lesson plots a
few more, such as the step and leaky ReLU, in ``playground.lessons.activations``.)
No Streamlit or Plotly here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


class Formula(NamedTuple):
    """g as the batched engine computes it: g(z) = α·tanh(β·z) + ε + ρ·relu(z) + λ·z.

    One formula with a few numbers per activation lets networks with different activations share
    one layer's handful of operations (``playground.batched``); its derivative is
    g'(z) = α·β·(1 − tanh²(β·z)) + ρ·[z > 0] + λ. Every product is by 0, ¼, ½ or 1 (exact in
    floating point), so tanh, ReLU and linear come out exactly as torch computes them, and the
    sigmoid as σ(z) = (1 + tanh(z/2)) / 2.
    """

    alpha: float = 0.0
    beta: float = 1.0
    eps: float = 0.0
    rho: float = 0.0
    lam: float = 0.0


@dataclass(frozen=True)
class Activation:
    name: str
    title: str
    fn: Callable[[torch.Tensor], torch.Tensor]  # g(z), applied by the model after each hidden layer
    torch_module: str | None  # the PyTorch export's layer ("nn.ReLU()"); None: nothing after the Linear
    keras: str  # keras.layers.Dense(..., activation=<this>)
    formula: Formula  # g in the batched engine's one formula (see ``Formula``)


REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", "ReLU", torch.relu, "nn.ReLU()", "relu", Formula(rho=1.0)),
        Activation("tanh", "Tanh", torch.tanh, "nn.Tanh()", "tanh", Formula(alpha=1.0)),
        # σ(z) = (1 + tanh(z/2)) / 2, so σ'(z) = ¼·(1 − tanh²(z/2)) = σ(z)(1 − σ(z)).
        Activation("sigmoid", "Sigmoid", torch.sigmoid, "nn.Sigmoid()", "sigmoid", Formula(0.5, 0.5, 0.5)),
        Activation("linear", "Linear", _identity, None, "linear", Formula(lam=1.0)),
    )
}
#: The activations' names, in the order the pages list them.
NAMES = tuple(REGISTRY)
