"""Named presets: links that open a page on a moment of the lecture.

Pure data. A preset is a page (its ``url_path``) and URL parameters; the page
reads those parameters as it reads any link, so a preset is just a link that
a teacher can also copy. Spec settings use the spec's names (``playground.spec``);
a few pages have settings of their own (for example the perceptron's weights
``w0``/``w1``/``w2``, the optimizer page's ``surface``), named below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Preset:
    page: str  # url_path of the page
    name: str
    params: tuple[tuple[str, str], ...]
    description: str

    def query(self) -> str:
        return urlencode(self.params, safe=",")

    def href(self, hide: Iterable[str] = ()) -> str:
        """``/page?params``; with ``hide``, classroom mode's hidden controls travel along (``&hide=a,b``)."""
        names = [name for name in hide if name]
        params = self.params + ((("hide", ",".join(names)),) if names else ())
        q = urlencode(params, safe=",")
        return f"/{self.page}" + (f"?{q}" if q else "")


PRESETS: tuple[Preset, ...] = (
    # -- perceptron ------------------------------------------------------------
    Preset(
        "perceptron",
        "The lecture's worked example",
        (),
        "Will I pass this class? x = (4, 2), W = (3, -2), w0 = 1: z = 9.",
    ),
    Preset(
        "perceptron",
        "A perceptron cannot learn xor",
        (("dataset", "xor"),),
        "One line cannot separate xor: accuracy stays at or below 0.75.",
    ),
    Preset("perceptron", "A linearly separable set", (("dataset", "gauss"),), "Two clouds: one line is enough."),
    # -- activations -----------------------------------------------------------
    Preset(
        "activations",
        "Vanishing gradients in a deep sigmoid stack",
        (("depth", "10"),),
        "The gradient shrinks layer by layer with sigmoid, not with ReLU.",
    ),
    # -- network playground ----------------------------------------------------
    Preset(
        "playground",
        "One hidden layer can learn xor",
        (("dataset", "xor"), ("hidden", "4"), ("activation", "tanh"), ("lr", "0.03")),
        "Four tanh neurons bend the boundary around the quadrants.",
    ),
    Preset(
        "playground",
        "Feature engineering: a circle from x₁² and x₂²",
        (("dataset", "circle"), ("features", "x1_sq,x2_sq"), ("hidden", "")),
        "With squared inputs a single neuron draws a circle.",
    ),
    Preset(
        "playground",
        "The spiral needs depth",
        (
            ("dataset", "spiral"),
            ("hidden", "8,8,6"),
            ("activation", "tanh"),
            ("features", "x1,x2,sin_x1,sin_x2"),
            ("optimizer", "adam"),
            ("lr", "0.01"),
        ),
        "A hard set: several layers, sine features and Adam.",
    ),
    Preset(
        "playground",
        "Learning rate too large",
        (("dataset", "circle"), ("lr", "3")),
        "The loss jumps around or diverges.",
    ),
    Preset(
        "playground",
        "Three classes with softmax",
        (("dataset", "three_class"), ("problem", "multiclass"), ("hidden", "6"), ("activation", "relu")),
        "Categorical cross-entropy on three clouds.",
    ),
    Preset(
        "playground",
        "Regression: the multi-gaussian",
        (
            ("dataset", "multi_gauss"),
            ("problem", "regression"),
            ("hidden", "8,8"),
            ("activation", "tanh"),
            ("optimizer", "adam"),
            ("lr", "0.01"),
        ),
        "Fit a landscape of bumps with mean squared error.",
    ),
    # -- losses ----------------------------------------------------------------
    Preset(
        "losses",
        "Confidently wrong costs the most",
        (("target", "1"),),
        "Cross-entropy explodes as the prediction nears the wrong class.",
    ),
    # -- gradient descent & optimizers ----------------------------------------
    Preset(
        "optimizers",
        "Learning rate too small, right, too large",
        (("lesson", "learning_rate"),),
        "Three walks down the same bowl: crawling, converging, diverging.",
    ),
    Preset(
        "optimizers",
        "Five optimizers race on Rosenbrock",
        (("surface", "rosenbrock"), ("optimizers", "sgd,momentum,rmsprop,adagrad,adam")),
        "The long curved valley where momentum and Adam shine.",
    ),
    Preset(
        "optimizers", "A saddle point", (("surface", "saddle"),), "Plain SGD stalls near the saddle; momentum escapes."
    ),
    # -- backprop --------------------------------------------------------------
    Preset("backprop", "The worked example", (), "2-2-1 network, one example: every gradient by the chain rule."),
    # -- overfitting -----------------------------------------------------------
    Preset(
        "overfitting",
        "Overfitting with 20 points",
        (("samples", "40"), ("validation-split", "0.5")),
        "A big network memorises 20 noisy training points.",
    ),
    Preset("overfitting", "Dropout closes the gap", (("dropout", "0.3"),), "The same network with dropout 0.3."),
    Preset("overfitting", "L2 closes the gap", (("l2", "0.01"),), "The same network with an L2 penalty."),
    Preset(
        "overfitting",
        "Early stopping",
        (("early-stopping", "true"), ("early-stopping-patience", "20"), ("restore-best-weights", "true")),
        "Stop when the validation loss has not improved for 20 epochs; keep the best weights.",
    ),
    # -- MNIST -----------------------------------------------------------------
    Preset("mnist", "The lecture's MNIST model", (), "784-128-64-10, dropout 0.3, Adam, batch 128, early stopping."),
    Preset("mnist", "Fashion-MNIST", (("dataset", "fashion_mnist"),), "The same model on clothes instead of digits."),
)


def presets_for(page: str) -> list[Preset]:
    return [p for p in PRESETS if p.page == page]
