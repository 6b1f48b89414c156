"""Loss functions of the lecture, as plain numpy: what a loss measures and the empirical risk.

* Binary cross-entropy   L(y, ŷ) = −[y·log ŷ + (1 − y)·log(1 − ŷ)]   (target y ∈ {0, 1}, ŷ = P(class 1))
* Categorical cross-entropy L(y, ŷ) = −Σ_k y_k·log ŷ_k           (one-hot y, ŷ a probability vector)
* Mean squared error      L(y, ŷ) = (y − ŷ)²

The empirical risk is the average loss over a dataset: J(W) = (1/n) Σ_i L(y_i, f(x_i; W)).
Probabilities are clipped to [ε, 1 − ε] with Keras's ε = 1e-7 before the logarithm, so a
confident mistake costs a large but finite loss (about 16.1). This module is the engine:
it imports neither Streamlit nor Plotly; the tests check it against ``torch.nn.functional``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Keras's fuzz factor: log(ε) ≈ −16.1 bounds the loss of a confident mistake.
EPSILON = 1e-7

LOSS_NAMES = ("bce", "cce", "mse")
LOSS_TITLES = {"bce": "Binary cross-entropy", "cce": "Categorical cross-entropy", "mse": "Mean squared error"}
LOSS_LATEX = {
    "bce": r"L = -\big[y\log\hat y + (1-y)\log(1-\hat y)\big]",
    "cce": r"L = -\sum_{k} y_k \log \hat y_k",
    "mse": r"L = (y-\hat y)^2",
}

#: The small dataset of the empirical-risk table: five examples with their targets and a model's predictions.
EXAMPLE_TARGETS = (1, 0, 1, 1, 0)
EXAMPLE_PREDICTIONS = (0.9, 0.2, 0.6, 0.3, 0.05)


def _clip(p: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(p, dtype=np.float64), EPSILON, 1.0 - EPSILON)


def bce(y: np.ndarray | float, p: np.ndarray | float) -> np.ndarray:
    """Binary cross-entropy per example (y the target in {0, 1}, p = P(class 1))."""
    y_arr = np.asarray(y, dtype=np.float64)
    q = _clip(np.asarray(p))
    return -(y_arr * np.log(q) + (1.0 - y_arr) * np.log(1.0 - q))


def mse(y: np.ndarray | float, p: np.ndarray | float) -> np.ndarray:
    """Squared error per example; its mean over the examples is the MSE."""
    return (np.asarray(y, dtype=np.float64) - np.asarray(p, dtype=np.float64)) ** 2


def cce(onehot: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Categorical cross-entropy per example: −Σ_k y_k log ŷ_k over the last axis."""
    return -(np.asarray(onehot, dtype=np.float64) * np.log(_clip(probs))).sum(axis=-1)


def two_class(p: np.ndarray) -> np.ndarray:
    """P(class 1) as the two-class probability vector [1 − p, p]: then CCE equals BCE."""
    p_arr = np.asarray(p, dtype=np.float64)
    return np.stack([1.0 - p_arr, p_arr], axis=-1)


def onehot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k, dtype=np.float64)[np.asarray(labels, dtype=int)]


def prediction_axis(n: int = 199) -> np.ndarray:
    """Predictions ŷ in (0, 1) for the curves, denser near 0 and 1 where cross-entropy climbs."""
    u = np.linspace(-1.0, 1.0, n)
    return 0.5 + 0.5 * np.sign(u) * np.abs(u) ** 0.6 * (1 - 2e-3)


def cce_probs(p1: np.ndarray, k: int = 3) -> np.ndarray:
    """k-class probability vectors that give class 1 probability p1 and share the rest evenly."""
    p1 = np.asarray(p1, dtype=np.float64)
    rest = (1.0 - p1) / (k - 1)
    probs = np.repeat(rest[..., None], k, axis=-1)
    probs[..., 1] = p1
    return probs


def curve(name: str, target: int, p: np.ndarray, k: int = 3) -> np.ndarray:
    """The loss against the prediction ŷ = P(class 1) for one target class.

    For CCE the prediction is a k-class softmax output that gives class 1 the
    probability ŷ and shares 1 − ŷ among the other classes; its loss is −log of
    the probability given to the target class.
    """
    if name == "bce":
        return bce(np.full_like(p, float(target)), p)
    if name == "mse":
        return mse(np.full_like(p, float(target)), p)
    if name == "cce":
        return cce(onehot(np.full(p.shape, target), k), cce_probs(p, k))
    raise ValueError(f"unknown loss {name!r}; use one of {', '.join(LOSS_NAMES)}")


@dataclass(frozen=True)
class RiskTable:
    """Per-example losses of a small dataset and their means (the empirical risks)."""

    targets: np.ndarray  # [n] in {0, 1}
    predictions: np.ndarray  # [n] P(class 1)
    per_example: dict[str, np.ndarray]  # loss name -> [n]

    @property
    def risk(self) -> dict[str, float]:
        """J = (1/n) Σ_i L(y_i, ŷ_i) for each loss."""
        return {name: float(values.mean()) for name, values in self.per_example.items()}


def empirical_risk(targets: Sequence[int] | np.ndarray, predictions: Sequence[float] | np.ndarray) -> RiskTable:
    """Score the same predictions with each loss; CCE uses the two-class vectors [1 − ŷ, ŷ]."""
    y = np.asarray(targets, dtype=np.float64)
    p = np.asarray(predictions, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1 or len(y) == 0:
        raise ValueError("targets and predictions must be two equally long, non-empty lists")
    per_example = {
        "bce": bce(y, p),
        "cce": cce(onehot(y.astype(int), 2), two_class(p)),
        "mse": mse(y, p),
    }
    return RiskTable(targets=y, predictions=p, per_example=per_example)


def parse_target(raw: str) -> tuple[int, str | None]:
    """The ``target`` link parameter: 0 or 1; anything else gives 1 and a notice."""
    text = raw.strip()
    if text in ("0", "1"):
        return int(text), None
    return 1, f"target: got {raw[:20]!r}, expected 0 or 1; using 1 instead"
