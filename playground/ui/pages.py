"""The lecture map: every page, in the lecture's order, with one sentence on what it shows.

``app.py`` builds the navigation from this list and the home page draws the
map from it, so a page is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The repository's root: page paths are resolved against it, whatever the entry point.
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PageInfo:
    path: str  # script, relative to the repository root
    title: str
    url_path: str  # the page's address: /<url_path>
    icon: str
    summary: str

    @property
    def file(self) -> Path:
        """Absolute path of the page's script (works from any entry point)."""
        return ROOT / self.path


PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "app_pages/perceptron.py",
        "1 · The perceptron",
        "perceptron",
        ":material/radio_button_checked:",
        "One neuron: z = w0 + Σ xi·wi, ŷ = g(z). Move the weights, watch the line; train it, and see it fail on xor.",
    ),
    PageInfo(
        "app_pages/activations.py",
        "2 · Activation functions",
        "activations",
        ":material/show_chart:",
        "Sigmoid, tanh and ReLU with their derivatives, and why deep sigmoid stacks stop learning.",
    ),
    PageInfo(
        "app_pages/playground.py",
        "3 · Network playground",
        "playground",
        ":material/hub:",
        "Stack perceptrons into a dense network and watch it learn live, neuron by neuron.",
    ),
    PageInfo(
        "app_pages/losses.py",
        "4 · Loss functions",
        "losses",
        ":material/functions:",
        "Binary and categorical cross-entropy and mean squared error, and the empirical risk.",
    ),
    PageInfo(
        "app_pages/optimizers.py",
        "5 · Gradient descent & optimizers",
        "optimizers",
        ":material/landscape:",
        "Walk down a loss surface: the learning rate, mini-batches, and SGD, momentum, RMSprop, AdaGrad, Adam racing.",
    ),
    PageInfo(
        "app_pages/backprop.py",
        "6 · Backpropagation",
        "backprop",
        ":material/undo:",
        "The chain rule, edge by edge, with the numbers: how the gradient of every weight is found.",
    ),
    PageInfo(
        "app_pages/overfitting.py",
        "7 · Overfitting & regularization",
        "overfitting",
        ":material/tune:",
        "Watch the validation loss turn up, then close the gap with dropout, L2, early stopping and LR schedules.",
    ),
    PageInfo(
        "app_pages/mnist.py",
        "8 · MNIST, end to end",
        "mnist",
        ":material/draw:",
        "The lecture's Keras model (784-128-64-10) trained on real handwritten digits; then draw your own.",
    ),
)
