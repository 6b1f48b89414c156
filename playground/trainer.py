"""The trainer: builds a network from a spec and trains it a few epochs at a time.

A page asks ``trainer.train(epochs=5)`` each frame and draws what came back; the
trainer keeps everything needed to pause and resume exactly where it was
(weights, optimizer state, the shuffling and dropout generators, callback
counters). One epoch is:

1. shuffle the training set with the trainer's own generator;
2. for each mini-batch: forward, loss (+ L1/L2 penalty), backward, optimizer step;
3. measure train and validation loss and accuracy, note the learning rate used;
4. check for divergence (a non-finite loss or weight): stop, restore the last
   finite weights and report "diverged at epoch k" — never a NaN;
5. early stopping and reduce-LR-on-plateau, with Keras's semantics.

The epoch itself runs in ``playground.batched``, the engine's one epoch, which trains
this network alone here and many networks of one shape together in
``playground.service``: a network's history is the same either way. Data stay on the
device as tensors (no DataLoader): batches are slices of a permuted copy. Randomness comes only from explicit generators seeded by the
spec, so the same seed gives a bitwise-identical history in any process or
thread.

Reported losses are the data loss (without the L1/L2 penalty). For training
sets up to ``FULL_EVAL_LIMIT`` points the train loss and accuracy are measured
on the whole set after the epoch (in eval mode, as TensorFlow Playground
does); above that they are the running mean over the epoch's batches, as
Keras's ``fit`` reports them.

It is over 400 lines because one class owns a training run's whole state (model, optimizer
state, generators, callbacks, history), and pause, step, reset and live changes must each keep
it consistent; the pieces that stand alone (the epoch, model, callbacks, optimizers) live in
their own modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from playground import batched, datasets, optimizers
from playground.batched import EVAL_CHUNK, FULL_EVAL_LIMIT, EpochNumbers, OptimizerState
from playground.callbacks import EarlyStopping, ReduceLROnPlateau
from playground.device import configure_threads, resolve_device
from playground.model import MLP, build_model, correct_count, loss_fn, predict
from playground.spec import Spec, TrainSpec

#: A run has diverged when a mini-batch loss exceeds this multiple of the untrained
#: network's loss (at least ``EXPLODED_LOSS_FLOOR``), or a weight exceeds ``EXPLODED_WEIGHT``
#: in size, or anything becomes non-finite. Healthy runs stay far below both.
EXPLODED_LOSS_FACTOR = 1000.0
EXPLODED_LOSS_FLOOR = 100.0
EXPLODED_WEIGHT = 1e6
__all__ = ["EVAL_CHUNK", "FULL_EVAL_LIMIT", "EpochRecord", "Trainer"]

STOP_MAX_EPOCHS = "max_epochs"
STOP_EARLY = "early_stopping"
STOP_DIVERGED = "diverged"


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's numbers; every float is finite. Accuracies are None for regression."""

    epoch: int  # 1-based
    train_loss: float
    val_loss: float
    train_acc: float | None
    val_acc: float | None
    lr: float  # the learning rate used during this epoch

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_optimizer(params: Any, train: TrainSpec, lr: float) -> torch.optim.Optimizer:
    """``torch.optim``'s own optimizer for the spec, configured as the lecture's Keras one (``playground.optimizers``).

    The reference the engine's own update rules (``playground.batched``) are tested against.
    """
    entry = optimizers.get(train.optimizer)
    return entry.make(params, lr, train, **entry.fast)


def load_dataset(
    spec: Spec, data_dir: str | None = None, progress: Callable[[str, float], None] | None = None
) -> datasets.Dataset:
    """The data set a spec names (2-D generated, or MNIST / Fashion-MNIST from disk)."""
    if spec.data.dataset == "custom":
        raise ValueError("the custom data set has no generator: pass the user's points as data=")
    if spec.is_image:
        from playground import mnist

        return mnist.load_dataset(spec.data.dataset, spec.data.validation_split, data_dir=data_dir, progress=progress)
    return datasets.make_2d(spec)


class Trainer:
    """Trains the network a spec describes, a few epochs at a time."""

    def __init__(
        self,
        spec: Spec,
        data: datasets.Dataset | None = None,
        device: str | torch.device = "auto",
        data_dir: str | None = None,
    ) -> None:
        configure_threads()
        self.spec = spec
        self.device = resolve_device(device)
        self.notices: list[str] = []
        raw = data if data is not None else load_dataset(spec, data_dir)
        if spec.model.problem == "binary" and raw.num_classes > 2:
            raise ValueError(f"the data have {raw.num_classes} classes; a binary problem needs 2")
        self.data = raw.to(self.device)
        self.num_classes = raw.num_classes
        self.x_train = self._inputs(self.data.x_train)
        self.x_val = self._inputs(self.data.x_val)
        self.x_test = None if self.data.x_test is None else self._inputs(self.data.x_test)
        self.in_features = self.x_train.shape[1]
        self._init_offset = 0
        self._build_fresh_model()

    # -- set-up ------------------------------------------------------------------

    def _inputs(self, raw: torch.Tensor) -> torch.Tensor:
        if self.data.is_2d:
            return datasets.make_features(raw, self.spec.data.features)
        return raw

    def _build_fresh_model(self) -> None:
        model = build_model(self.spec, self.in_features, self.num_classes, self._init_offset)
        self.model: MLP = model.to(self.device)
        #: The container it trains in (``playground.batched``) and which of its numbers are its own.
        self.layout = batched.layout_of(self)
        self.trainable = self.layout.trainable(self.device)
        #: Its weights as the engine last wrote them, laid out in its container (saves laying them out again).
        self.container_row: batched.ContainerRow | None = None
        self.initial_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.reset()

    def reset(self) -> None:
        """Back to epoch 0 with the same initial weights: a run can be replayed exactly."""
        self.model.load_state_dict(self.initial_state)
        seed = self.spec.seed
        self.shuffle_generator = torch.Generator(device=self.device).manual_seed(seed * 104729 + 1)
        self.dropout_generator = torch.Generator(device=self.device).manual_seed(seed * 104729 + 2)
        self.model.dropout.generator = self.dropout_generator
        self.model.dropout.rate = self.spec.model.dropout
        self.lr = self.spec.train.lr
        self.optimizer_state = self._fresh_optimizer_state(self.spec.train)
        self._make_callbacks()
        self.history: list[EpochRecord] = []
        self.stop_reason: str | None = None
        self.diverged_epoch: int | None = None
        self.lr_drops: list[int] = []  # epochs (1-based) after which the lr was reduced
        self.restored_epoch: int | None = None
        self.seconds = 0.0
        #: An epoch stopped between two batches (``playground.batched.PartialEpoch``), or None.
        self.partial: batched.PartialEpoch | None = None
        initial_loss, _ = self.evaluate_tensors(self.x_train, self.data.y_train)
        self._exploded_loss = max(EXPLODED_LOSS_FACTOR * initial_loss, EXPLODED_LOSS_FLOOR)
        self.divergence_cause: str | None = None
        batch = self.spec.train.batch_size
        n = len(self.x_train)
        self.notices = [m for m in self.notices if not m.startswith("Batch size")]
        if batch > n:
            self.notices.append(f"Batch size {batch} is larger than the {n} training points; using {n} (full batch).")
        self.batch_size = max(1, min(batch, n))

    def _fresh_optimizer_state(self, train: TrainSpec) -> OptimizerState:
        numel = self.layout.numel  # its state lives in its container's layout
        initial = optimizers.get(train.optimizer).values(train).get("initial_accumulator", 0.0)
        return batched.fresh_optimizer_state(train.optimizer, numel, self.device, initial)

    def reinitialize(self) -> None:
        """New random initial weights (and back to epoch 0)."""
        self._init_offset += 1
        self._build_fresh_model()

    def _make_callbacks(self) -> None:
        t = self.spec.train
        self.early_stopping = (
            EarlyStopping(t.early_stopping_patience, t.early_stopping_min_delta, t.restore_best_weights)
            if t.early_stopping
            else None
        )
        self.reduce_lr = (
            ReduceLROnPlateau(
                t.reduce_lr_factor,
                t.reduce_lr_patience,
                t.reduce_lr_min_delta,
                t.reduce_lr_cooldown,
                t.reduce_lr_min_lr,
            )
            if t.reduce_lr
            else None
        )
        for cb in (self.early_stopping, self.reduce_lr):
            if cb is not None:
                cb.on_train_begin()

    def update_training(self, spec: Spec) -> None:
        """Change what may change while training runs, without a reset.

        Learning rate, optimizer and its hyperparameters, L1/L2, dropout rate and
        the callbacks' settings. Data and architecture must match (else: build a
        new Trainer).
        """
        old = self.spec.train
        new = spec.train
        self.spec = spec
        if new.optimizer != old.optimizer or (new.momentum, new.beta1, new.beta2, new.epsilon, new.rho) != (
            old.momentum,
            old.beta1,
            old.beta2,
            old.epsilon,
            old.rho,
        ):
            self.lr = new.lr
            self.optimizer_state = self._fresh_optimizer_state(new)
        elif new.lr != old.lr:
            self.lr = new.lr
        self.model.dropout.rate = spec.model.dropout
        callback_fields = [f for f in TrainSpec.__dataclass_fields__ if f.startswith(("early", "restore", "reduce"))]
        if any(getattr(old, f) != getattr(new, f) for f in callback_fields):
            self._make_callbacks()
            if self.stop_reason == STOP_EARLY:
                self.stop_reason = None
        if new.epochs > len(self.history) and self.stop_reason == STOP_MAX_EPOCHS:
            self.stop_reason = None
        if new.batch_size != old.batch_size:
            n = len(self.x_train)
            self.batch_size = max(1, min(new.batch_size, n))
            self.partial = None  # an epoch half done goes on with whole new batches: it starts again

    # -- training ----------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    @property
    def is_large(self) -> bool:
        """A data set too large to permute whole each epoch (MNIST): its epochs may train in slices."""
        return self.x_train.numel() > batched.GATHER_PER_BATCH_ABOVE

    @property
    def wants_best_weights(self) -> bool:
        """Early stopping keeps the best epoch's weights: the epoch must hand it a snapshot."""
        return self.early_stopping is not None and self.early_stopping.restore_best_weights

    def _divergence(self, got: EpochNumbers) -> str | None:
        """Why this epoch diverged, or None: non-finite numbers, an exploded loss or weight."""
        if not (math.isfinite(got.train_loss) and math.isfinite(got.val_loss) and math.isfinite(got.worst_batch_loss)):
            return "the loss became infinite or NaN"
        if not math.isfinite(got.largest_weight):
            return "a weight became infinite or NaN"
        if got.worst_batch_loss > self._exploded_loss:
            return f"a mini-batch loss exploded to {got.worst_batch_loss:.3g}"
        if got.largest_weight > EXPLODED_WEIGHT:
            return f"a weight grew to {got.largest_weight:.3g}"
        return None

    def train(self, epochs: int = 1, max_seconds: float | None = None) -> list[EpochRecord]:
        """Train up to ``epochs`` more epochs (fewer if it stops or time runs out)."""
        before = len(self.history)
        batched.train_together([self], epochs, max_seconds)
        return self.history[before:]

    def run(self) -> Iterator[EpochRecord]:
        """Train until a stop reason, yielding each epoch."""
        while not self.done:
            yield from self.train(1)

    def finish_epoch(self, got: EpochNumbers, weights: dict[str, torch.Tensor] | None = None) -> str:
        """Steps 4 and 5 of an epoch that ``playground.batched`` has trained and measured.

        ``weights`` are this epoch's weights when early stopping keeps the best ones. Returns
        "diverged" (the epoch is dropped; the caller restores the weights from before it),
        "stopped" (the caller writes the weights back, then calls ``on_train_end``) or "go on".
        """
        epoch = self.epoch + 1
        # 4. Divergence: a non-finite or exploded loss or weight ends the run; keep the last good weights.
        cause = self._divergence(got)
        if cause is not None:
            self.divergence_cause = cause
            self.diverged_epoch = epoch
            self.stop_reason = STOP_DIVERGED
            return "diverged"
        record = EpochRecord(epoch, got.train_loss, got.val_loss, got.train_acc, got.val_acc, self.lr)
        self.history.append(record)

        # 5. Callbacks, in the lecture's order: EarlyStopping, then ReduceLROnPlateau.
        if self.early_stopping is not None and self.early_stopping.on_epoch_end(epoch - 1, got.val_loss, weights):
            self.stop_reason = STOP_EARLY
        if self.reduce_lr is not None:
            new_lr = self.reduce_lr.on_epoch_end(epoch - 1, got.val_loss, self.lr)
            if new_lr != self.lr:
                self.lr = new_lr
                self.lr_drops.append(epoch)
        if self.stop_reason is None and epoch >= self.spec.train.epochs:
            self.stop_reason = STOP_MAX_EPOCHS
        return "go on" if self.stop_reason is None else "stopped"

    def on_train_end(self) -> None:
        """Keras 3 restores the best weights at the end of training, stopped early or not."""
        if self.early_stopping is not None:
            best = self.early_stopping.weights_to_restore()
            if best is not None:
                self.model.load_state_dict(best)
                self.restored_epoch = self.early_stopping.best_epoch + 1

    # -- evaluation --------------------------------------------------------------

    @torch.no_grad()
    def evaluate_tensors(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
        """Mean data loss and accuracy (None for regression) in eval mode."""
        problem, loss_name = self.spec.model.problem, self.spec.model.loss
        self.model.eval()
        n = len(x)
        if n == 0:
            return float("nan"), None
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        for i in range(0, n, EVAL_CHUNK):
            out = self.model(x[i : i + EVAL_CHUNK])
            yb = y[i : i + EVAL_CHUNK]
            loss_sum += loss_fn(out, yb, problem, loss_name).double() * len(yb)
            c = correct_count(out, yb, problem)
            if c is not None:
                correct += c
        loss = float(loss_sum) / n
        acc = float(correct) / n if problem != "regression" else None
        return loss, acc

    def evaluate(self, split: str = "val") -> tuple[float | None, float | None]:
        """(loss, accuracy) on "train", "val" or "test"; (None, None) where there is no test set.

        Non-finite values are reported as None.
        """
        if split == "train":
            x, y = self.x_train, self.data.y_train
        elif split == "val":
            x, y = self.x_val, self.data.y_val
        elif split == "test":
            if self.x_test is None or self.data.y_test is None:
                return None, None
            x, y = self.x_test, self.data.y_test
        else:
            raise ValueError(f"unknown split {split!r}")
        loss, acc = self.evaluate_tensors(x, y)
        return (loss if math.isfinite(loss) else None), acc

    @property
    def best_epoch(self) -> int | None:
        """1-based epoch with the lowest validation loss (Keras's, when early stopping runs)."""
        if self.early_stopping is not None and self.history and self.early_stopping.best < math.inf:
            return self.early_stopping.best_epoch + 1
        if not self.history:
            return None
        return min(self.history, key=lambda r: r.val_loss).epoch

    @torch.no_grad()
    def predict_raw(self, raw_points: torch.Tensor | np.ndarray) -> np.ndarray:
        """Predictions for raw inputs: P(class 1), class probabilities [n, k], or values."""
        pts = torch.as_tensor(np.asarray(raw_points, dtype=np.float32)).to(self.device)
        inputs = datasets.make_features(pts, self.spec.data.features) if self.data.is_2d else pts
        self.model.eval()
        out = torch.cat([self.model(inputs[i : i + EVAL_CHUNK]) for i in range(0, len(inputs), EVAL_CHUNK)])
        pred = predict(out, self.spec.model.problem, self.spec.model.loss)
        return np.nan_to_num(pred.float().cpu().numpy(), nan=0.0, posinf=1e6, neginf=-1e6)

    def predict_grid(self, resolution: int = 100) -> np.ndarray:
        """The prediction over the input square, shaped [res, res] (or [res, res, k])."""
        _axis, pts = datasets.grid(resolution)
        pred = self.predict_raw(pts)
        return pred.reshape(resolution, resolution, *pred.shape[1:])

    @torch.no_grad()
    def neuron_grids(self, resolution: int = 24) -> list[np.ndarray]:
        """Each layer's neurons over the input square: a list of [width, res, res] arrays.

        The first entry is the input features themselves, then each hidden
        layer's activations, then the output layer's prediction.
        """
        _axis, pts = datasets.grid(resolution)
        pts = pts.to(self.device)
        inputs = datasets.make_features(pts, self.spec.data.features)
        self.model.eval()
        outs = self.model.forward_all(inputs)
        layers = [inputs, *outs[:-1]]
        final = predict(outs[-1], self.spec.model.problem, self.spec.model.loss)
        layers.append(final.reshape(len(pts), -1))
        result = []
        for t in layers:
            arr = t.float().cpu().numpy().T.reshape(-1, resolution, resolution)
            result.append(np.nan_to_num(arr, nan=0.0, posinf=1e6, neginf=-1e6))
        return result

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W [out, in], b [out]) of each layer, as numpy arrays."""
        return [
            (layer.weight.detach().cpu().numpy().copy(), layer.bias.detach().cpu().numpy().copy())
            for layer in self.model.linears()
        ]

    def summary(self) -> dict[str, Any]:
        """The end-of-run facts the command line prints."""
        test_loss, test_acc = self.evaluate("test")
        return {
            "event": "end",
            "reason": self.stop_reason,
            "epochs_run": self.epoch,
            "best_epoch": self.best_epoch,
            "diverged_epoch": self.diverged_epoch,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "seconds": round(self.seconds, 4),
            "device": str(self.device),
        }

    def status_text(self) -> str:
        """One sentence on why training stopped, for the pages."""
        if self.stop_reason == STOP_DIVERGED:
            return (
                f"Diverged at epoch {self.diverged_epoch}: {self.divergence_cause}. "
                "The learning rate is too large for this network: lower it and press Reset."
            )
        if self.stop_reason == STOP_EARLY:
            msg = f"Early stopping at epoch {self.epoch}: no improvement for {self.spec.train.early_stopping_patience} epochs."
            if self.restored_epoch is not None:
                msg += f" Restored the weights of epoch {self.restored_epoch}."
            return msg
        if self.stop_reason == STOP_MAX_EPOCHS:
            return f"Finished: reached the maximum of {self.spec.train.epochs} epochs."
        return ""
