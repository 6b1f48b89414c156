"""The lecture's recipe on real MNIST reaches at least 97.8 % test accuracy (slow: ~30-80 s on one core)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from playground import mnist
from playground.lessons import mnist as mt
from playground.lessons import mnist_model_file as mf
from playground.trainer import STOP_EARLY, Trainer


@pytest.mark.slow
def test_default_recipe_reaches_97_8_percent(mnist_dir: Path) -> None:
    """784-128-64-10 with dropout 0.3, Adam 1e-3, batch 128, early stopping: >= 97.8 % on the test set."""
    spec = mt.default_spec()
    data = mnist.load_dataset("mnist", spec.data.validation_split, data_dir=str(mnist_dir))
    trainer = Trainer(spec, data=data, device="cpu")
    start = time.perf_counter()
    for _record in trainer.run():
        pass
    seconds = time.perf_counter() - start
    results = mt.evaluate(trainer)
    print(
        f"\ndefault recipe: stopped ({trainer.stop_reason}) at epoch {trainer.epoch}, lr drops after {trainer.lr_drops}, "
        f"test accuracy {100 * results.test_acc:.2f} %, test loss {results.test_loss:.4f}, "
        f"{seconds:.1f} s ({seconds / trainer.epoch:.2f} s per epoch)"
    )
    assert trainer.stop_reason == STOP_EARLY and trainer.epoch < mt.MAX_EPOCHS
    assert results.test_acc >= 0.978
    assert results.confusion.sum() == 10_000
    np.testing.assert_array_equal(results.confusion.sum(axis=1), np.bincount(results.labels, minlength=10))
    # The saved model reloads to the same test accuracy.
    spec2, state = mf.load_model(mf.save_model(trainer.model, trainer.spec))
    again = Trainer(spec2, data=data, device="cpu")
    mf.install_weights(again, state)
    assert mt.evaluate(again).test_acc == results.test_acc
