"""Early stopping and reduce-LR-on-plateau against Keras's documented behaviour.

Each expected value below is worked out by hand from Keras 3's
``keras/src/callbacks/early_stopping.py`` and ``reduce_lr_on_plateau.py``
(monitor="val_loss", mode "min"); one test per option, as Keras's own tests do.
Epochs are 0-based here, as in Keras's ``on_epoch_end``.
"""

from __future__ import annotations

from playground.callbacks import EarlyStopping, ReduceLROnPlateau


def run_early_stopping(cb: EarlyStopping, losses: list[float]) -> int | None:
    """Feed losses with the epoch number as the 'weights'; returns the stop epoch or None."""
    cb.on_train_begin()
    for epoch, loss in enumerate(losses):
        if cb.on_epoch_end(epoch, loss, weights=f"w{epoch}"):
            return epoch
    return None


def test_keras_docstring_example_runs_four_epochs() -> None:
    """Keras's docstring: patience=3 on a loss that never improves after epoch 0 -> 4 epochs run."""
    assert run_early_stopping(EarlyStopping(patience=3), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 3


def test_patience() -> None:
    # best at epoch 1; epochs 2 and 3 do not improve; patience 2 -> stop at 3 = best + patience.
    cb = EarlyStopping(patience=2)
    assert run_early_stopping(cb, [1.0, 0.9, 0.95, 0.96, 0.5]) == 3
    assert cb.best_epoch == 1 and cb.best == 0.9


def test_patience_zero_stops_at_first_non_improvement_but_never_at_epoch_zero() -> None:
    assert run_early_stopping(EarlyStopping(patience=0), [1.0, 1.1]) == 1
    assert run_early_stopping(EarlyStopping(patience=0), [1.0, 0.9, 0.8]) is None


def test_min_delta() -> None:
    # 0.95 is better than 1.0 by 0.05 < min_delta 0.1: no improvement -> stop at epoch 1.
    assert run_early_stopping(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95, 0.5]) == 1
    assert run_early_stopping(EarlyStopping(patience=1, min_delta=0.01), [1.0, 0.95, 0.5]) is None
    # Keras takes abs(min_delta).
    assert run_early_stopping(EarlyStopping(patience=1, min_delta=-0.1), [1.0, 0.95, 0.5]) == 1


def test_restore_best_weights_when_stopped() -> None:
    cb = EarlyStopping(patience=2, restore_best_weights=True)
    assert run_early_stopping(cb, [1.0, 0.5, 0.7, 0.8, 0.1]) == 3
    assert cb.weights_to_restore() == "w1"


def test_restore_best_weights_also_when_training_ends_without_stopping() -> None:
    """Keras 3's on_train_end restores the best weights whenever they were recorded."""
    cb = EarlyStopping(patience=5, restore_best_weights=True)
    assert run_early_stopping(cb, [1.0, 0.5, 0.7]) is None
    assert cb.weights_to_restore() == "w1"


def test_no_restore_without_the_option() -> None:
    cb = EarlyStopping(patience=1)
    run_early_stopping(cb, [1.0, 2.0, 3.0])
    assert cb.weights_to_restore() is None


def test_start_from_epoch() -> None:
    # Epochs 0 and 1 are ignored; monitoring starts at 2.
    assert run_early_stopping(EarlyStopping(patience=1, start_from_epoch=2), [1.0, 2.0, 3.0, 4.0, 5.0]) == 3


def test_counters_reset_on_train_begin() -> None:
    cb = EarlyStopping(patience=1, restore_best_weights=True)
    run_early_stopping(cb, [1.0, 2.0])
    assert run_early_stopping(cb, [5.0, 4.0, 3.0]) is None
    assert cb.best == 3.0 and cb.best_epoch == 2


def run_reduce(cb: ReduceLROnPlateau, losses: list[float], lr: float = 1.0) -> list[float]:
    cb.on_train_begin()
    out = []
    for epoch, loss in enumerate(losses):
        lr = cb.on_epoch_end(epoch, loss, lr)
        out.append(lr)
    return out


def test_reduce_patience_and_factor() -> None:
    # best 0.9 at epoch 1; epochs 2, 3 do not improve -> halve after epoch 3; epoch 4 improves.
    assert run_reduce(ReduceLROnPlateau(factor=0.5, patience=2), [1.0, 0.9, 0.95, 0.95, 0.8]) == [1, 1, 1, 0.5, 0.5]


def test_reduce_cooldown() -> None:
    # cooldown 2: after a reduction at epoch 2, epochs 3-4 only count the cooldown down.
    lrs = run_reduce(ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2), [1.0] * 9)
    assert lrs == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_reduce_cooldown_one_is_keras_no_op() -> None:
    """Keras decrements the cooldown before testing it, so cooldown=1 changes nothing."""
    with_cd = run_reduce(ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1), [1.0] * 9)
    without = run_reduce(ReduceLROnPlateau(factor=0.5, patience=2, cooldown=0), [1.0] * 9)
    assert with_cd == without == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]


def test_reduce_honors_min_lr() -> None:
    lrs = run_reduce(ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.3), [1.0] * 5)
    assert lrs == [1, 0.5, 0.3, 0.3, 0.3]


def test_reduce_min_delta() -> None:
    # Improvements smaller than min_delta (1e-4 by default) do not count.
    assert run_reduce(ReduceLROnPlateau(factor=0.5, patience=2), [1.0, 0.99995, 0.99992]) == [1, 1, 0.5]
    assert run_reduce(ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0), [1.0, 0.99995, 0.99992]) == [1, 1, 1]


def test_reduce_ignores_missing_values() -> None:
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    cb.on_train_begin()
    assert cb.on_epoch_end(0, None, 0.7) == 0.7
