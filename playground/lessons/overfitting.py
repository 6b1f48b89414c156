"""The overfitting lab's engine: a default that overfits, the page's controls, and what the curves say.

The default (``DEFAULT_SPEC``) is the lecture's warning in miniature: 40 noisy
points on the circle, half of them held out, and a network of 2 x 64 tanh
neurons trained with Adam. Twenty training points are easy to memorise: the
training loss falls towards 0 while the validation loss turns up after a few
dozen epochs (about epoch 40 with seed 0), within a second on one CPU thread.

A run is identified by its spec. Data, the split and the initial weights come
only from ``spec.seed``, the data settings and the architecture, so two runs that
differ only in a remedy (dropout, L1/L2, early stopping, reduce-LR-on-plateau)
start from the same points and the same weights: only the remedy differs
(``same_setup``).

This module also

* declares the page's bounds (``fit_to_page``) and its sidebar (``CONTROLS``,
  ``control_values``, ``spec_for_controls``);
* reads the curves (``analyse``): the epoch where the validation loss started
  rising while the training loss kept falling, and the final gap (``describe``
  says it in words).

Keeping, naming and comparing finished runs, and their CSV, are in
``playground.lessons.overfitting_runs``. It imports neither Streamlit nor Plotly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground import bounds, datasets
from playground.bounds import PageBounds
from playground.controls import Control
from playground.spec import DATASETS_2D_CLASSIFY, OPTIMIZERS, Spec, spec_for_dataset
from playground.trainer import EpochRecord

#: Page name and session key.
PAGE = "overfitting"

#: The page's default: few noisy points and a large network, so the gap opens within seconds.
DEFAULT_SPEC = Spec().replace(
    dataset="circle",
    # 40 points, half held out: 20 training points a big network can memorise.
    samples=40,
    validation_split=0.5,
    # 40 % noise mislabels points near the border: memorising them is overfitting.
    noise=40.0,
    # 2 x 64 tanh neurons: ~4,400 weights for 20 points.
    hidden=(64, 64),
    activation=("tanh",),
    # Adam at 0.01 fits 20 points in a few dozen epochs; the rest of the 200 show the gap opening.
    optimizer="adam",
    lr=0.01,
    batch_size=10,
    epochs=200,
    # When early stopping is turned on: 20 validation points are noisy, and a patience of 5
    # stops at the first bump (epoch 9 with seed 0); 20 waits for the real turn (stop 59, best 39).
    early_stopping_patience=20,
    # When reduce-LR-on-plateau is turned on: stop at 1e-5 rather than shrinking the rate forever.
    reduce_lr_min_lr=1e-5,
)

#: Settings that are remedies; every other setting describes the setup (data, network, optimizer).
REMEDY_FIELDS = (
    "dropout",
    "l1",
    "l2",
    "early_stopping",
    "early_stopping_patience",
    "early_stopping_min_delta",
    "restore_best_weights",
    "reduce_lr",
    "reduce_lr_factor",
    "reduce_lr_patience",
    "reduce_lr_min_lr",
    "reduce_lr_cooldown",
    "reduce_lr_min_delta",
)
#: Validation losses are smoothed over this many epochs before looking for their minimum.
SMOOTH = 5


#: What this page offers (a link may ask for more; ``fit_to_page`` brings it back within these).
PAGE_DATASETS = DATASETS_2D_CLASSIFY
MAX_SAMPLES = 1000
MAX_EPOCHS = 2000
MAX_LAYERS = 6
MAX_LAYER_WIDTH = 256


def link_base(params: Mapping[str, str]) -> Spec:
    """The spec a link's parameters are read against: the default, moved to the link's data set.

    ``?dataset=three_class`` alone would clash with the default's binary problem
    (the spec's parser then drops it); on the default moved to that set it fits.
    """
    name = str(params.get("dataset", "")).strip().lower().replace("-", "_")
    if name in PAGE_DATASETS and "problem" not in params:
        return spec_for_dataset(name, DEFAULT_SPEC)
    return DEFAULT_SPEC


#: What the lab can train live: 2-D classification sets, 1,000 points, 2,000 epochs, 6 layers of 256.
BOUNDS = PageBounds(
    PAGE_DATASETS, DEFAULT_SPEC, max_layers=MAX_LAYERS, max_width=MAX_LAYER_WIDTH,
    ranges={"samples": (1, MAX_SAMPLES), "epochs": (1, MAX_EPOCHS)},
)  # fmt: skip


def fit_to_page(spec: Spec) -> tuple[Spec, list[str]]:
    """``spec`` within this page's bounds (``BOUNDS``), and one sentence per setting that had to change.

    The lab trains live on a shared CPU: 2-D classification sets only, at most
    1,000 points, 2,000 epochs and 6 hidden layers of 256 neurons.
    """
    return bounds.fit_to_page(spec, BOUNDS)


RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
PENALTIES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
DELTAS = (0.0, 0.0001, 0.001, 0.01, 0.1)
MIN_LRS = (0.0, 1e-6, 1e-5, 1e-4, 1e-3)

#: The page's controls, in order. Every one is bounded; the spec checks them again.
CONTROLS = (
    Control("dataset", "selectbox", "Data set", "Data", options=PAGE_DATASETS),
    Control("samples", "slider", "Points (training + validation)", "Data", 10, MAX_SAMPLES),
    Control("noise", "slider", "Noise (%)", "Data", 0.0, 50.0, 1.0, format="%.0f"),
    Control("validation_split", "slider", "Share held out for validation", "Data", 0.05, 0.9, 0.05),
    Control("layers", "slider", "Hidden layers", "Network", 0, MAX_LAYERS),
    Control("width", "select_slider", "Neurons per layer", "Network", options=(2, 4, 8, 16, 32, 64, 128, 256)),
    Control("activation", "selectbox", "Activation", "Network", options=("tanh", "relu", "sigmoid")),
    # The registry's optimizers, the page's default (Adam) first.
    Control(
        "optimizer", "selectbox", "Optimizer", "Network", options=("adam", *(n for n in OPTIMIZERS if n != "adam"))
    ),
    Control("lr", "select_slider", "Learning rate", "Network", options=RATES),
    Control("epochs", "slider", "Epochs", "Network", 10, MAX_EPOCHS, 10),
    Control("dropout", "slider", "Dropout rate", "Remedies", 0.0, 0.9, 0.05),
    Control("l2", "select_slider", "L2 strength", "Remedies", options=PENALTIES),
    Control("l1", "select_slider", "L1 strength", "Remedies", options=PENALTIES),
    Control("early_stopping", "toggle", "Early stopping", "Remedies"),
    Control("early_stopping_patience", "slider", "Patience (epochs)", "Remedies", 0, 200, when="early_stopping"),
    Control(
        "early_stopping_min_delta",
        "select_slider",
        "min_delta",
        "Remedies",
        options=DELTAS,
        when="early_stopping",
    ),
    Control("restore_best_weights", "checkbox", "Restore best weights", "Remedies", when="early_stopping"),
    Control("reduce_lr", "toggle", "Reduce LR on plateau", "Remedies"),
    Control("reduce_lr_factor", "slider", "Factor", "Remedies", 0.05, 0.95, 0.05, when="reduce_lr"),
    Control("reduce_lr_patience", "slider", "Patience (epochs)", "Remedies", 0, 200, when="reduce_lr"),
    Control(
        "reduce_lr_min_lr",
        "select_slider",
        "min_lr",
        "Remedies",
        options=MIN_LRS,
        when="reduce_lr",
    ),
)


def control_values(spec: Spec) -> dict[str, Any]:
    """What each control shows for ``spec`` (the network as layers x width and one activation)."""
    values = spec.to_dict()
    values["noise"] = float(values["noise"])
    values["layers"] = len(spec.model.hidden)
    values["width"] = max(spec.model.hidden, default=64)
    values["activation"] = (spec.model.activation or ("tanh",))[0]
    return {c.name: values[c.name] for c in CONTROLS}


def spec_for_controls(spec: Spec, values: dict[str, Any]) -> Spec:
    """``spec`` with the settings whose control moved; a new data set takes a fitting problem.

    Settings whose control still shows the spec's value are left alone, so a
    value from a link that no control offers (hidden 100,30, say) survives.
    Raises ``SpecError`` for a combination the spec refuses.
    """
    shown = control_values(spec)
    changes = {name: value for name, value in values.items() if name in shown and value != shown[name]}
    network = {name: changes.pop(name) for name in ("layers", "width", "activation") if name in changes}
    if network:
        layers = network.get("layers", shown["layers"])
        changes["hidden"] = (network.get("width", shown["width"]),) * layers
        changes["activation"] = (network.get("activation", shown["activation"]),)
    dataset = changes.pop("dataset", None)
    if dataset is not None:
        spec = spec_for_dataset(dataset, spec)
    return spec.replace(**changes) if changes else spec


#: (training points, validation points) for a number of samples: the split of ``datasets.split``.
split_counts = datasets.split_counts


def without_remedies(spec: Spec, base: Spec | None = None) -> Spec:
    """The same setup with every remedy off and its settings as in ``base`` (the default)."""
    base = base or DEFAULT_SPEC
    off = {name: getattr(base.model if name == "dropout" else base.train, name) for name in REMEDY_FIELDS}
    return spec.replace(**off)


def has_remedy(spec: Spec) -> bool:
    """Whether any remedy is on."""
    t = spec.train
    return spec.model.dropout > 0 or t.l1 > 0 or t.l2 > 0 or t.early_stopping or t.reduce_lr


def same_setup(a: Spec, b: Spec) -> bool:
    """Whether two specs differ only in their remedies: same data, same initial weights."""
    return without_remedies(a) == without_remedies(b)


# ---------------------------------------------------------------------------
# Reading the curves.
# ---------------------------------------------------------------------------


def smooth(values: Sequence[float] | np.ndarray, window: int = SMOOTH) -> np.ndarray:
    """Trailing moving average (the first points average what exists so far)."""
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) == 0 or window <= 1:
        return arr
    csum = np.cumsum(np.insert(arr, 0, 0.0))
    idx = np.arange(1, len(arr) + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


@dataclass(frozen=True)
class Analysis:
    """What the curves say.

    ``onset_epoch`` is where the (smoothed) validation loss was lowest, reported
    only when it then rose by a clear margin while the training loss kept
    falling: the epoch where overfitting set in. The gap is validation minus
    training loss at ``final_epoch``: the last epoch, or the restored one when
    early stopping put the best weights back.
    """

    onset_epoch: int | None
    min_val_loss: float
    min_val_epoch: int
    final_epoch: int
    last_epoch: int
    final_train_loss: float
    final_val_loss: float
    rise: float  # last validation loss minus its minimum
    train_drop: float  # training loss at the onset minus the last training loss (> 0: kept falling)
    final_gap: float

    @property
    def overfits(self) -> bool:
        return self.onset_epoch is not None


def rise_margin(min_val: float) -> float:
    """A 'clear' rise of the validation loss: 0.05 or 10 % of its minimum, whichever is larger."""
    return max(0.05, 0.1 * abs(min_val))


def analyse(history: Sequence[EpochRecord], restored_epoch: int | None = None) -> Analysis | None:
    """Read a history (None when it is empty)."""
    if not history:
        return None
    val = np.array([r.val_loss for r in history])
    train = np.array([r.train_loss for r in history])
    smoothed = smooth(val)
    k = int(np.argmin(smoothed))
    onset = history[k].epoch
    min_epoch = history[int(np.argmin(val))].epoch
    rise = float(smoothed[-1] - smoothed[k])
    train_drop = float(train[k] - train[-1])
    overfits = k < len(history) - 1 and rise > rise_margin(float(smoothed[k])) and train_drop > 0
    final = next((r for r in history if r.epoch == restored_epoch), history[-1])
    return Analysis(
        onset_epoch=onset if overfits else None,
        min_val_loss=float(val.min()),
        min_val_epoch=min_epoch,
        final_epoch=final.epoch,
        last_epoch=history[-1].epoch,
        final_train_loss=final.train_loss,
        final_val_loss=final.val_loss,
        rise=float(val[-1] - val.min()),
        train_drop=train_drop,
        final_gap=final.val_loss - final.train_loss,
    )


def describe(analysis: Analysis | None, train_points: int) -> str:
    """The analysis in one or two sentences for the page."""
    if analysis is None:
        return "Epoch 0: press Play to train."
    a = analysis
    if a.onset_epoch is not None:
        text = (
            f"The validation loss started rising at epoch **{a.onset_epoch}** while the training loss kept falling: "
            f"from its minimum {a.min_val_loss:.3f} it has risen by **{a.rise:.3f}**. "
            f"The network is memorising its {train_points} training points."
        )
    else:
        text = "No clear overfitting yet: the validation loss has not risen clearly above its minimum."
    restored = " (the restored best weights)" if a.final_epoch != a.last_epoch else ""
    return text + f" Gap at epoch {a.final_epoch}{restored}: validation − training loss = **{a.final_gap:.3f}**."
