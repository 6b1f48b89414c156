"""The activation registry: every activation a network layer can have, declared once.

Each entry: the name (the spec's and the link's value), the title the pages
show, the torch function the model applies, the ``torch.nn`` module the PyTorch
export writes and the name Keras knows it by. The spec's choices, the model and
both code exports read it from here. (The Activation-functions lesson plots a
few more, such as the step and leaky ReLU, in ``playground.lessons.activations``.)
No Streamlit or Plotly here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


@dataclass(frozen=True)
class Activation:
    name: str
    title: str
    fn: Callable[[torch.Tensor], torch.Tensor]  # g(z), applied by the model after each hidden layer
    torch_module: str | None  # the PyTorch export's layer ("nn.ReLU()"); None: nothing after the Linear
    keras: str  # keras.layers.Dense(..., activation=<this>)
    #: g'(z) written with a = g(z), for backpropagation (``playground.batched``); None: g'(z) = 1.
    derivative: Callable[[torch.Tensor], torch.Tensor] | None = None


REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        # ReLU' = 1 where a > 0, else 0; tanh' = 1 - a²; σ' = a(1 - a).
        Activation("relu", "ReLU", torch.relu, "nn.ReLU()", "relu", lambda a: (a > 0).to(a.dtype)),
        Activation("tanh", "Tanh", torch.tanh, "nn.Tanh()", "tanh", lambda a: 1 - a * a),
        Activation("sigmoid", "Sigmoid", torch.sigmoid, "nn.Sigmoid()", "sigmoid", lambda a: a * (1 - a)),
        Activation("linear", "Linear", _identity, None, "linear"),
    )
}
#: The activations' names, in the order the pages list them.
NAMES = tuple(REGISTRY)
