"""The loss registry: every loss the trainer can minimise, declared once.

Each entry: the name (the spec's and the link's value), the title the pages
show, the problems it fits (the first problem's default is the entry whose
``default_for`` names it), and what Keras calls it for each problem. The spec's
choices and checks, the code export and the sidebar read it from here; the
arithmetic is ``playground.model.loss_fn`` (checked against
``torch.nn.functional`` in the tests). No Streamlit or Plotly here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The problem types a network can solve: its output layer follows from it.
PROBLEMS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    problems: tuple[str, ...]  # the problems it makes sense for
    keras: Mapping[str, str] = field(default_factory=dict)  # problem -> the Keras loss (source)
    default_for: tuple[str, ...] = ()  # the problems whose default loss this is


REGISTRY: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("binary_crossentropy", "Binary cross-entropy", ("binary",), {"binary": '"binary_crossentropy"'},
             default_for=("binary",)),
        # Integer class labels: Keras's sparse form of the categorical cross-entropy.
        Loss("categorical_crossentropy", "Categorical cross-entropy", ("multiclass",),
             {"multiclass": '"sparse_categorical_crossentropy"'}, default_for=("multiclass",)),
        Loss("mse", "Mean squared error", PROBLEMS,
             {"binary": '"mse"', "multiclass": '"mse"  # with one-hot targets: keras.utils.to_categorical(y)',
              "regression": '"mse"'}, default_for=("regression",)),
    )
}  # fmt: skip
#: The losses' names, in the order the pages list them.
NAMES = tuple(REGISTRY)
#: Which losses make sense for which problem type.
FOR_PROBLEM = {p: tuple(n for n, loss in REGISTRY.items() if p in loss.problems) for p in PROBLEMS}
#: Each problem's default loss.
DEFAULT = {p: next(n for n, loss in REGISTRY.items() if p in loss.default_for) for p in PROBLEMS}
