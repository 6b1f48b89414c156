"""The trainer: learning, divergence, reproducibility, pause/resume, callbacks, live changes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground import Spec, Trainer
from playground.model import loss_fn
from playground.trainer import STOP_DIVERGED, STOP_EARLY, STOP_MAX_EPOCHS
from tests.conftest import ROOT


def all_finite(trainer: Trainer) -> bool:
    for record in trainer.history:
        for value in record.to_dict().values():
            if isinstance(value, float) and not math.isfinite(value):
                return False
    return True


def test_perceptron_cannot_learn_xor_but_one_hidden_layer_can() -> None:
    """The lecture's point: no hidden layer <= 0.8 on xor; --hidden 4 >= 0.95."""
    common = "dataset=xor&optimizer=adam&lr=0.03&epochs=300&seed=0"
    perceptron = Trainer(Spec.from_query(common + "&hidden="))
    list(perceptron.run())
    assert max(r.val_acc or 0 for r in perceptron.history) <= 0.8
    hidden = Trainer(Spec.from_query(common + "&hidden=4&activation=tanh"))
    list(hidden.run())
    assert hidden.history[-1].val_acc is not None and hidden.history[-1].val_acc >= 0.95
    assert hidden.stop_reason == STOP_MAX_EPOCHS and hidden.epoch == 300


@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
@pytest.mark.parametrize("lr", [10.0])
def test_relu_diverges_and_reports_no_non_finite_number(loss: str, lr: float) -> None:
    spec = Spec.from_query(f"dataset=plane&problem=regression&hidden=8,8&activation=relu&lr={lr}&epochs=50")
    if loss != "mse":
        spec = Spec.from_query(f"dataset=circle&hidden=8,8&activation=relu&lr={lr}&loss={loss}&epochs=50")
        spec = spec.replace(optimizer="sgd")
    trainer = Trainer(spec)
    list(trainer.run())
    if trainer.stop_reason == STOP_DIVERGED:
        assert trainer.diverged_epoch is not None
        assert "Diverged at epoch" in trainer.status_text()
    assert all_finite(trainer)
    assert all(bool(torch.isfinite(p).all()) for p in trainer.model.parameters())
    assert np.isfinite(trainer.predict_grid(20)).all()
    json.dumps(trainer.summary(), allow_nan=False)


def test_mse_relu_at_lr_10_diverges() -> None:
    """The issue's example: ReLU with mean squared error at lr 10 stops with reason diverged."""
    trainer = Trainer(Spec.from_query("dataset=plane&problem=regression&hidden=8,8&activation=relu&lr=10&epochs=100"))
    list(trainer.run())
    assert trainer.stop_reason == STOP_DIVERGED
    assert trainer.epoch == trainer.diverged_epoch - 1  # the diverged epoch is not in the history
    assert all_finite(trainer)


def history_of(spec: Spec, epochs: int) -> list[dict]:
    trainer = Trainer(spec)
    trainer.train(epochs)
    return [r.to_dict() for r in trainer.history]


SPEC_WITH_DROPOUT = Spec.from_query(
    "dataset=spiral&hidden=8,8&activation=relu&dropout=0.2&optimizer=adam&lr=0.01&seed=7"
)


def test_same_seed_same_history_bitwise() -> None:
    assert history_of(SPEC_WITH_DROPOUT, 15) == history_of(SPEC_WITH_DROPOUT, 15)
    assert history_of(SPEC_WITH_DROPOUT, 5) != history_of(SPEC_WITH_DROPOUT.replace(seed=8), 5)


def test_same_seed_same_history_in_another_process() -> None:
    here = history_of(SPEC_WITH_DROPOUT.replace(epochs=6), 6)
    cmd = [sys.executable, "-m", "playground", "train", "--config", "/dev/stdin", "--json"]
    out = subprocess.run(
        cmd, input=SPEC_WITH_DROPOUT.replace(epochs=6).to_json(), capture_output=True, text=True, cwd=ROOT, check=True
    )
    there = [json.loads(line) for line in out.stdout.splitlines()][:-1]
    assert there == here


def test_same_history_while_other_trainers_run_in_threads() -> None:
    seeds = [1, 2, 3]
    solo = {s: history_of(SPEC_WITH_DROPOUT.replace(seed=s), 8) for s in seeds}
    results: dict[int, list[dict]] = {}

    def work(seed: int) -> None:
        results[seed] = history_of(SPEC_WITH_DROPOUT.replace(seed=seed), 8)

    threads = [threading.Thread(target=work, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    torch.manual_seed(12345)  # the global RNG is never used: touching it changes nothing
    torch.rand(100)
    for t in threads:
        t.join()
    assert results == solo


def test_pause_and_resume_equals_one_run() -> None:
    a = Trainer(SPEC_WITH_DROPOUT)
    a.train(4)
    a.train(3)
    a.train(5)
    b = Trainer(SPEC_WITH_DROPOUT)
    b.train(12)
    assert [r.to_dict() for r in a.history] == [r.to_dict() for r in b.history]


def test_reset_replays_the_same_run_and_reinitialize_changes_weights() -> None:
    t = Trainer(SPEC_WITH_DROPOUT)
    first_weights = [w.copy() for w, _ in t.weights()]
    t.train(6)
    run1 = [r.to_dict() for r in t.history]
    t.reset()
    assert t.epoch == 0 and all(np.array_equal(a, w) for a, (w, _) in zip(first_weights, t.weights(), strict=True))
    t.train(6)
    assert [r.to_dict() for r in t.history] == run1
    t.reinitialize()
    assert t.epoch == 0
    assert not all(np.array_equal(a, w) for a, (w, _) in zip(first_weights, t.weights(), strict=True))


def test_early_stopping_stops_at_best_plus_patience_and_restores_best_weights() -> None:
    base = Spec.from_query(
        "dataset=circle&samples=60&noise=40&hidden=32,32&activation=relu&optimizer=adam&lr=0.03&epochs=300&seed=3"
    )
    reference = Trainer(base)
    weights_by_epoch = {}
    for record in reference.run():
        weights_by_epoch[record.epoch] = [w.copy() for w, _ in reference.weights()]
    patience = 10
    stopping = Trainer(base.replace(early_stopping=True, early_stopping_patience=patience, restore_best_weights=True))
    list(stopping.run())
    assert stopping.stop_reason == STOP_EARLY
    best = stopping.best_epoch
    assert best is not None
    assert stopping.epoch == best + patience
    # The same seed gives the same run, so the restored weights are the reference's at the best epoch.
    assert all(np.array_equal(a, w) for a, (w, _) in zip(weights_by_epoch[best], stopping.weights(), strict=True))
    assert stopping.restored_epoch == best
    assert "Restored the weights of epoch" in stopping.status_text()
    # The best epoch is the lowest validation loss seen.
    assert best == min(stopping.history, key=lambda r: r.val_loss).epoch


def test_reduce_lr_on_plateau_drops_the_learning_rate() -> None:
    spec = Spec.from_query(
        "dataset=circle&samples=60&noise=40&hidden=32,32&activation=relu&optimizer=adam&lr=0.03&epochs=80"
        "&reduce-lr=true&reduce-lr-factor=0.5&reduce-lr-patience=3&reduce-lr-min-lr=0.005&seed=3"
    )
    t = Trainer(spec)
    list(t.run())
    lrs = [r.lr for r in t.history]
    assert t.lr_drops, "expected at least one reduction"
    first = t.lr_drops[0]
    assert lrs[first - 1] == 0.03 and lrs[first] == 0.015
    assert min(lrs) >= 0.005


def test_live_changes_without_reset() -> None:
    t = Trainer(Spec())
    t.train(3)
    t.update_training(t.spec.replace(lr=0.3))
    assert t.lr == 0.3 and t.optimizer_state.name == "sgd" and t.optimizer_state.step > 0
    t.update_training(t.spec.replace(optimizer="adam", l2=0.01, dropout=0.1))
    assert t.optimizer_state.name == "adam" and t.optimizer_state.step == 0 and t.model.dropout.rate == 0.1
    t.train(2)
    assert t.epoch == 5 and t.history[-1].lr == 0.3


def test_batch_larger_than_data_is_clamped_with_a_notice() -> None:
    t = Trainer(Spec().replace(batch_size=5000))
    assert t.batch_size == 250 and any("larger than" in n for n in t.notices)
    t.train(1)


@pytest.mark.parametrize(
    "query",
    [
        "dataset=three_class&problem=multiclass&hidden=6&activation=relu",
        "dataset=three_class&problem=multiclass&loss=mse&hidden=6",
        "dataset=multi_gauss&problem=regression&hidden=8,8",
        "dataset=moons&problem=multiclass&hidden=4",
        "dataset=circle&loss=mse&features=x1_sq,x2_sq&hidden=",
        "dataset=spiral&hidden=8&l1=0.001&l2=0.001&optimizer=rmsprop",
        "dataset=gauss&optimizer=adagrad",
        "dataset=xor&optimizer=momentum",
    ],
)
def test_every_problem_and_optimizer_trains(query: str) -> None:
    t = Trainer(Spec.from_query(query))
    first = t.train(1)[0]
    t.train(20)
    last = t.history[-1]
    assert last.val_loss < first.val_loss * 1.5
    assert (last.val_acc is None) == (t.spec.model.problem == "regression")
    grid = t.predict_grid(30)
    assert grid.shape[:2] == (30, 30) and np.isfinite(grid).all()
    layers = t.neuron_grids(12)
    assert len(layers) == len(t.spec.model.hidden) + 2
    assert layers[0].shape == (len(t.spec.data.features), 12, 12)


def test_loss_functions_match_torch_functional() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(16, 1, generator=g)
    y = torch.randint(0, 2, (16,), generator=g)
    assert torch.allclose(
        loss_fn(z, y, "binary", "binary_crossentropy"), F.binary_cross_entropy(torch.sigmoid(z[:, 0]), y.float())
    )
    logits = torch.randn(16, 3, generator=g)
    cls = torch.randint(0, 3, (16,), generator=g)
    assert torch.allclose(
        loss_fn(logits, cls, "multiclass", "categorical_crossentropy"), F.nll_loss(torch.log_softmax(logits, 1), cls)
    )
    values = torch.randn(16, generator=g)
    assert torch.allclose(loss_fn(z, values, "regression", "mse"), ((z[:, 0] - values) ** 2).mean())


def test_one_step_is_gradient_descent_against_autograd() -> None:
    """Full-batch SGD for one epoch: W <- W - lr * dL/dW, with dL/dW from a separate autograd pass."""
    spec = Spec.from_query("dataset=gauss&samples=40&hidden=3&activation=sigmoid&batch-size=1000&lr=0.5")
    t = Trainer(spec)
    params = [p.detach().clone().requires_grad_() for p in t.model.parameters()]
    w1, b1, w2, b2 = params
    x, y = t.x_train, t.data.y_train
    z = torch.sigmoid(x @ w1.T + b1) @ w2.T + b2
    loss = F.binary_cross_entropy_with_logits(z[:, 0], y.float())
    grads = torch.autograd.grad(loss, params)
    t.train(1)
    for before, grad, after in zip(params, grads, t.model.parameters(), strict=True):
        assert torch.allclose(before - 0.5 * grad, after.detach(), atol=1e-6)


def test_mnist_trains_one_epoch(mnist_dir) -> None:  # type: ignore[no-untyped-def]
    spec = Spec.from_query(
        "dataset=mnist&problem=multiclass&hidden=128,64&activation=relu&dropout=0.3&optimizer=adam&lr=0.001"
        "&batch-size=128&validation-split=0.2&epochs=1"
    )
    t = Trainer(spec, data_dir=str(mnist_dir))
    assert len(t.x_train) == 48000 and len(t.x_val) == 12000 and t.x_test is not None
    t.train(1)
    summary = t.summary()
    assert summary["test_acc"] > 0.9 and summary["reason"] == STOP_MAX_EPOCHS
