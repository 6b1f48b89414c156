"""The MNIST page's engine: the lecture's recipe, its results, digit preprocessing.

What is here (no Streamlit, no Plotly):

* ``default_spec()``: the lecture's complete Keras example as a ``Spec``
  (784 -> Dense 128 ReLU -> Dropout 0.3 -> Dense 64 ReLU -> Dropout 0.3 ->
  Dense 10 softmax; Adam 0.001; cross-entropy; batch 128; up to 100 epochs;
  validation split 0.2; EarlyStopping(5); ReduceLROnPlateau(0.5, 3)), and
  ``fit_to_page(spec)``, which keeps a spec from a link inside the page's caps,
  and ``CONTROLS``, the recipe's sidebar controls as data (the page draws them);
* ``evaluate(trainer)``: test loss and accuracy, the confusion matrix,
  per-class accuracy, misclassified digits, the first layer's weights;
* ``preprocess_digit(image)``: a drawn digit made the way MNIST digits were
  made (crop to the ink, scale into 20x20 keeping the aspect ratio, centre
  the centre of mass in a 28x28 field).

Model files (save, load, check) are in ``playground.lessons.mnist_model_file``.
It is not the trainer (``playground.trainer``) nor the data loader
(``playground.mnist``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground import bounds
from playground.bounds import PageBounds
from playground.controls import Control
from playground.datasets import Dataset
from playground.spec import (
    ACTIVATIONS,
    DATASETS_IMAGE,
    OPTIMIZERS,
    Spec,
    SpecError,
    rule_for,
    spec_for_dataset,
)
from playground.trainer import Trainer

#: Page name and session key.
PAGE = "mnist"

# ---------------------------------------------------------------------------
# The recipe and the page's caps.
# ---------------------------------------------------------------------------

SIDE = 28
PIXELS = SIDE * SIDE
#: Caps for a shared classroom server: a 4x512 network trains an epoch in a few seconds on one core.
MAX_LAYERS = 4
MAX_WIDTH = 512
MAX_EPOCHS = 100
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)

LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
LR_FACTORS = (0.1, 0.2, 0.5, 0.8)


#: The recipe's controls, in the order of the lecture's Keras program.
CONTROLS: tuple[Control, ...] = (
    Control("dataset", "selectbox", "Data set", options=DATASETS_IMAGE),
    Control("hidden", "text", "Hidden layers (neurons per layer)",
            help=f"Comma-separated widths, e.g. 128, 64: up to {MAX_LAYERS} layers of {MAX_WIDTH}."),
    Control("activation", "selectbox", "Activation (hidden layers)", options=ACTIVATIONS),
    Control("dropout", "slider", "Dropout after each hidden layer", lo=0.0, hi=0.8, step=0.05),
    Control("optimizer", "selectbox", "Optimizer", options=OPTIMIZERS),
    Control("lr", "select_slider", "Learning rate", options=LRS),
    Control("batch_size", "select_slider", "Batch size", options=BATCH_SIZES),
    Control("epochs", "slider", "Maximum epochs", lo=1, hi=MAX_EPOCHS, step=1),
    Control("validation_split", "slider", "Validation split", lo=0.1, hi=0.5, step=0.05),
    Control("early_stopping", "checkbox", "EarlyStopping (on the validation loss)"),
    Control("early_stopping_patience", "slider", "Early-stopping patience (epochs)", lo=1, hi=20, step=1, when="early_stopping"),
    Control("restore_best_weights", "checkbox", "Restore the best weights at the end", when="early_stopping"),
    Control("reduce_lr", "checkbox", "ReduceLROnPlateau"),
    Control("reduce_lr_factor", "select_slider", "Reduce-LR factor", options=LR_FACTORS, when="reduce_lr"),
    Control("reduce_lr_patience", "slider", "Reduce-LR patience (epochs)", lo=1, hi=20, step=1, when="reduce_lr"),
    Control("seed", "number", "Seed", lo=0, hi=9999, step=1),
)  # fmt: skip


def control_values(spec: Spec) -> dict[str, Any]:
    """What each control shows for ``spec`` (hidden as text, one activation for all layers)."""
    flat = spec.to_dict()
    values = {c.name: flat[c.name] for c in CONTROLS}
    values["hidden"] = ", ".join(map(str, spec.model.hidden))
    values["activation"] = spec.model.activation[0] if spec.model.activation else "relu"
    return values


def spec_from_controls(spec: Spec, values: dict[str, Any]) -> tuple[Spec, list[str]]:
    """``spec`` with the controls' values, and one sentence per value that had to be left out.

    A value the spec refuses (hidden widths typed wrong, say) is dropped with its
    message and the rest still apply, so one bad field never freezes the others.
    """
    changes, errors = dict(values), list[str]()
    labels = {c.name: c.label for c in CONTROLS}
    for _attempt in range(len(changes) + 1):
        try:
            if "hidden" in changes:
                changes["hidden"] = list(parse_hidden(str(changes["hidden"])))
            # One activation for every hidden layer (the spec broadcasts a single name).
            activation = changes.get("activation", control_values(spec)["activation"])
            return spec.replace(**{**changes, "activation": [activation]}), errors
        except SpecError as exc:
            bad = exc.field if exc.field in changes else next(reversed(changes), None)
            errors.append(f"{labels.get(exc.field, exc.field)}: {exc.reason}")
            if bad is None:
                break
            del changes[bad]
    return spec, errors


def default_spec(dataset: str = "mnist") -> Spec:
    """The lecture's complete Keras example, as the engine's spec."""
    base = Spec().replace(
        dataset="mnist",
        problem="multiclass",
        loss="categorical_crossentropy",  # Keras's sparse_categorical_crossentropy on class indices
        hidden=[128, 64],
        activation=["relu", "relu"],
        dropout=0.3,  # one Dropout(0.3) after each hidden layer
        optimizer="adam",
        lr=0.001,
        batch_size=128,
        epochs=100,
        validation_split=0.2,
        early_stopping=True,
        early_stopping_patience=5,
        reduce_lr=True,
        reduce_lr_factor=0.5,
        reduce_lr_patience=3,
    )
    return spec_for_dataset(dataset, base) if dataset != "mnist" else base


#: The page's default: the lecture's recipe on MNIST.
DEFAULT_SPEC = default_spec()


#: The page's caps for a shared server: the two image sets, 4 layers of 512, 100 epochs, the batch
#: sizes it offers, and every slider's and number field's range.
BOUNDS = PageBounds(
    DATASETS_IMAGE, DEFAULT_SPEC, problems=("multiclass",), max_layers=MAX_LAYERS, max_width=MAX_WIDTH,
    ranges={c.name: (c.lo, c.hi) for c in CONTROLS if c.kind in ("slider", "number") and c.lo is not None and c.hi is not None},
    choices={"batch_size": BATCH_SIZES},
)  # fmt: skip


def fit_to_page(spec: Spec) -> tuple[Spec, list[str]]:
    """``spec`` held inside the page's caps (``BOUNDS``); one sentence per setting that was changed."""
    return bounds.fit_to_page(spec, BOUNDS)


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden widths typed as "128, 64", within the page's caps; raises SpecError."""
    allowed = f"up to {MAX_LAYERS} whole numbers from 1 to {MAX_WIDTH}, comma-separated (for example 128, 64)"
    try:
        widths: tuple[int, ...] = rule_for("hidden").parse("hidden", text)
    except SpecError:
        raise SpecError("hidden", f"got {text!r}; expected {allowed}") from None
    if len(widths) > MAX_LAYERS or any(w > MAX_WIDTH for w in widths):
        raise SpecError("hidden", f"got {text!r}; expected {allowed}")
    return widths


def needs_new_trainer(old: Spec, new: Spec) -> bool:
    """True when the data, the architecture or the seed changed (the trainer cannot follow)."""
    same_data = (old.data.dataset, old.data.validation_split) == (new.data.dataset, new.data.validation_split)
    same_net = (old.model.hidden, old.model.activation, old.model.loss) == (
        new.model.hidden,
        new.model.activation,
        new.model.loss,
    )
    return not (same_data and same_net and old.seed == new.seed)


def downloads_allowed() -> bool:
    """Whether missing data may be downloaded (``PLAYGROUND_NO_DOWNLOAD=1`` forbids it, for tests)."""
    return os.environ.get("PLAYGROUND_NO_DOWNLOAD", "").strip().lower() not in ("1", "true", "yes")


# ---------------------------------------------------------------------------
# Results on the test set.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """What the trained network does on the 10,000 test images (all finite)."""

    epoch: int  # the epoch the weights come from (0: untrained or loaded)
    test_loss: float
    test_acc: float
    confusion: np.ndarray  # [k, k] int64: rows = true class, columns = predicted class
    per_class_acc: np.ndarray  # [k] float: recall of each class
    probs: np.ndarray  # [n_test, k] float32
    predicted: np.ndarray  # [n_test] int64
    labels: np.ndarray  # [n_test] int64
    first_layer: np.ndarray  # [units, 28, 28] float32: each first-layer neuron's weights


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """C[i, j] = number of examples of true class i predicted as j; sums to len(labels)."""
    flat = np.asarray(labels, dtype=np.int64) * k + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=k * k).reshape(k, k)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Share of each true class predicted right (diagonal / row sum; 0 for an empty row)."""
    totals = confusion.sum(axis=1)
    return np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), 0.0)


def first_layer_images(trainer: Trainer) -> np.ndarray:
    """The first layer's weight vectors W[j, :] (784 each) as 28x28 images."""
    weight = trainer.model.linears()[0].weight.detach().float().cpu().numpy()
    return np.nan_to_num(weight.reshape(-1, SIDE, SIDE)).astype(np.float32)


def evaluate(trainer: Trainer) -> Results:
    """Test loss and accuracy, confusion matrix, per-class accuracy and the first layer."""
    if trainer.x_test is None or trainer.data.y_test is None:
        raise ValueError("the trainer's data have no test set")
    loss, acc = trainer.evaluate_tensors(trainer.x_test, trainer.data.y_test)
    probs = trainer.predict_raw(trainer.x_test.cpu()).astype(np.float32)
    labels = trainer.data.y_test.cpu().numpy().astype(np.int64)
    predicted = probs.argmax(axis=1).astype(np.int64)
    cm = confusion_matrix(labels, predicted, trainer.num_classes)
    return Results(
        epoch=trainer.epoch,
        test_loss=loss if math.isfinite(loss) else 0.0,
        test_acc=float(acc or 0.0),
        confusion=cm,
        per_class_acc=per_class_accuracy(cm),
        probs=probs,
        predicted=predicted,
        labels=labels,
        first_layer=first_layer_images(trainer),
    )


def misclassified(results: Results, limit: int = 24) -> np.ndarray:
    """Indices of wrongly classified test images, the most confidently wrong first."""
    wrong = np.flatnonzero(results.predicted != results.labels)
    confidence = results.probs[wrong, results.predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:limit]


def with_validation_split(full: Dataset, validation_split: float) -> Dataset:
    """``full`` (all 60,000 training images in x_train) with its last ``validation_split`` held out.

    As Keras's ``fit(validation_split=...)``: no shuffling, the tail is the
    validation set. The tensors are views of ``full`` (no copy), so one cached
    set serves every split.
    """
    x, y = full.x_train, full.y_train
    n_val = int(len(x) * validation_split)
    n_train = len(x) - n_val
    return Dataset(
        name=full.name,
        x_train=x[:n_train],
        y_train=y[:n_train],
        x_val=x[n_train:],
        y_val=y[n_train:],
        num_classes=full.num_classes,
        x_test=full.x_test,
        y_test=full.y_test,
        image_side=full.image_side,
    )


def test_set(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The test images [n, 28, 28] in [0, 1] and labels [n] as read-only numpy views."""
    if data.x_test is None or data.y_test is None:
        raise ValueError(f"{data.name} has no test set")
    return data.x_test.cpu().numpy().reshape(-1, SIDE, SIDE), data.y_test.cpu().numpy()


def predict_images(trainer: Trainer, images: np.ndarray) -> np.ndarray:
    """Class probabilities [n, k] for 28x28 images with values in [0, 1]."""
    x = np.asarray(images, dtype=np.float32).reshape(-1, PIXELS)
    return trainer.predict_raw(np.clip(np.nan_to_num(x), 0.0, 1.0))


# ---------------------------------------------------------------------------
# A drawn digit, made the way MNIST digits were made.
# ---------------------------------------------------------------------------


def to_gray(image: np.ndarray) -> np.ndarray:
    """[h, w] or [h, w, 3|4] (uint8 or float) -> [h, w] float in [0, 1]; ink is bright.

    The canvas returns RGBA with alpha 255 everywhere, so only RGB is read.
    """
    arr = np.nan_to_num(np.asarray(image, dtype=np.float64))
    if arr.ndim == 3:
        arr = arr[..., :3].mean(axis=-1)
    if arr.ndim != 2:
        raise ValueError(f"expected an image [h, w] or [h, w, channels], got shape {arr.shape}")
    if arr.size and arr.max() > 1.0:
        arr = arr / 255.0
    return np.clip(arr, 0.0, 1.0)


def preprocess_digit(image: np.ndarray, ink_threshold: float = 0.1) -> np.ndarray | None:
    """A 28x28 float image in [0, 1] as MNIST's digits were made, or None for a blank image.

    1. grayscale; 2. crop to the bounding box of the ink (pixels above
    ``ink_threshold``); 3. scale (anti-aliased) so the longer side is 20
    pixels, keeping the aspect ratio; 4. put it in a 28x28 field so that its
    centre of mass sits at the centre (14, 14).
    """
    gray = to_gray(image)
    ink = gray > ink_threshold
    if not ink.any():
        return None
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    resized = F.interpolate(
        torch.from_numpy(crop.astype(np.float32))[None, None],
        size=(new_h, new_w),
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )[0, 0].numpy()
    resized = np.clip(resized, 0.0, 1.0)
    # Centre of mass of the scaled digit, then the shift that moves it to (14, 14).
    total = float(resized.sum())
    if total <= 0:
        return None
    yy, xx = np.mgrid[0:new_h, 0:new_w]
    cy, cx = float((yy * resized).sum() / total), float((xx * resized).sum() / total)
    top = int(np.clip(round(SIDE / 2 - 0.5 - cy), 0, SIDE - new_h))
    left = int(np.clip(round(SIDE / 2 - 0.5 - cx), 0, SIDE - new_w))
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[top : top + new_h, left : left + new_w] = resized
    peak = float(out.max())
    return out / peak if peak > 0 else None
