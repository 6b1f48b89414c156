"""Early stopping and reduce-LR-on-plateau, with Keras's documented semantics.

The lecture's code is Keras, so these follow ``keras.callbacks.EarlyStopping``
and ``keras.callbacks.ReduceLROnPlateau`` (Keras 3), monitoring ``val_loss`` in
"min" mode: the same sequence of validation losses gives the same stop epoch,
the same restored weights and the same learning-rate schedule.

Epochs are 0-based here, as in Keras's ``on_epoch_end(epoch, logs)``; the
trainer reports them 1-based. The callbacks know nothing of torch: weights are
passed in as an opaque snapshot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class EarlyStopping:
    """Stop when ``val_loss`` has not improved by ``min_delta`` for ``patience`` epochs."""

    patience: int = 0
    min_delta: float = 0.0
    restore_best_weights: bool = False
    start_from_epoch: int = 0
    # State, reset by on_train_begin (Keras lets instances be reused).
    wait: int = 0
    stopped_epoch: int = 0
    best: float = math.inf
    best_epoch: int = 0
    best_weights: Any = field(default=None, repr=False)

    def on_train_begin(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf
        self.best_epoch = 0
        self.best_weights = None

    def _is_improvement(self, current: float, reference: float) -> bool:
        # Keras: monitor_op(current - min_delta, reference) with min_delta negated
        # for "min" mode, i.e. current + |min_delta| < reference.
        return current + abs(self.min_delta) < reference

    def on_epoch_end(self, epoch: int, val_loss: float | None, weights: Any = None) -> bool:
        """Feed one epoch's validation loss; returns True when training must stop.

        ``weights`` is a snapshot of the current weights (only kept when
        ``restore_best_weights``).
        """
        if val_loss is None or epoch < self.start_from_epoch:
            return False
        if self.restore_best_weights and self.best_weights is None:
            # If best weights were never set, the current weights are the best.
            self.best_weights = weights
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(val_loss, self.best):
            self.best = val_loss
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = weights
            self.wait = 0
            return False
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            return True
        return False

    def weights_to_restore(self) -> Any:
        """At the end of training (stopped or not), Keras 3 restores the best weights."""
        if self.restore_best_weights and self.best_weights is not None:
            return self.best_weights
        return None


@dataclass
class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement."""

    factor: float = 0.1
    patience: int = 10
    min_delta: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0
    # State, reset by on_train_begin.
    wait: int = 0
    cooldown_counter: int = 0
    best: float = math.inf

    def on_train_begin(self) -> None:
        self.wait = 0
        self.cooldown_counter = 0
        self.best = math.inf

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, val_loss: float | None, lr: float) -> float:
        """Feed one epoch's validation loss and current lr; returns the lr for the next epoch."""
        if val_loss is None:
            return lr
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if val_loss < self.best - self.min_delta:
            self.best = val_loss
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            # Keras keeps the learning rate as float32 and compares it so.
            if self.wait >= self.patience and lr > float(np.float32(self.min_lr)):
                lr = max(lr * self.factor, self.min_lr)
                self.cooldown_counter = self.cooldown
                self.wait = 0
        return lr
