"""Reliability: divergence at huge learning rates with each loss, and sessions that do not see each other.

The 20-session isolation test drives the network playground page through
AppTest instances (each its own session state), interleaved, and compares
every session's curve with a solo run of the same spec.
"""

from __future__ import annotations

import json
import math

import pytest

from playground import Spec, Trainer
from playground.trainer import STOP_DIVERGED

#: A deep ReLU network trained with plain SGD: the textbook way to blow up with a large step.
DEEP_RELU = "hidden=16,16,16&activation=relu&optimizer=sgd&epochs=30"
LOSSES = {
    "binary_crossentropy": "dataset=circle&loss=binary_crossentropy",
    "categorical_crossentropy": "dataset=three_class&problem=multiclass&loss=categorical_crossentropy",
    "mse": "dataset=plane&problem=regression&loss=mse",
}


@pytest.mark.parametrize("lr", [10.0, 1e6])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_divergence_stops_within_the_epoch_with_a_reason(loss: str, lr: float) -> None:
    trainer = Trainer(Spec.from_query(f"{LOSSES[loss]}&{DEEP_RELU}&lr=10"))
    if lr != 10.0:
        # The spec caps the learning rate at 10 (a link with lr=1e6 is refused with a message);
        # the engine's divergence guard is checked beyond it by setting the trainer's rate directly.
        trainer.lr = lr
    list(trainer.run())
    assert trainer.stop_reason == STOP_DIVERGED
    assert trainer.diverged_epoch == 1, "it diverges within the first epoch and stops there"
    assert trainer.status_text().startswith(f"Diverged at epoch {trainer.diverged_epoch}")
    summary = json.dumps(trainer.summary(), allow_nan=False)  # no NaN or infinity anywhere
    assert '"reason": "diverged"' in summary
    for record in trainer.history:
        assert all(not isinstance(v, float) or math.isfinite(v) for v in record.to_dict().values())
    grid = trainer.predict_grid(30)
    assert math.isfinite(float(abs(grid).max()))


def test_a_huge_learning_rate_in_a_link_is_refused_with_a_message() -> None:
    from playground.spec import SpecError

    with pytest.raises(SpecError, match=r"lr: got 1000000; expected a number in \(0, 10\]"):
        Spec.from_query("lr=1e6")


def test_healthy_runs_never_count_as_diverged() -> None:
    for query in (
        "dataset=spiral&hidden=8,8&optimizer=adam&lr=0.03",
        "dataset=xor&hidden=8&optimizer=rmsprop&lr=0.01",
        "dataset=circle&lr=1",
    ):
        trainer = Trainer(Spec.from_query(query + "&epochs=60"))
        list(trainer.run())
        assert trainer.stop_reason != STOP_DIVERGED, query


SESSIONS = 20
STEPS = 2


def test_twenty_sessions_interleaved_are_isolated() -> None:
    """20 sessions (each its own session state) step the playground page in turns, each with its own seed.

    Every session's curve equals its solo run, and no session holds another's spec, data or model.
    """
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    sessions = []
    for seed in range(SESSIONS):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.query_params["seed"] = str(seed)
        at.query_params["dataset"] = ("xor", "circle", "gauss", "spiral")[seed % 4]
        at.run()
        sessions.append(at.switch_page("app_pages/playground.py").run())
    for _ in range(STEPS):
        for at in sessions:
            at.button(key="pg_step").click().run()
    trainers = []
    for seed, at in enumerate(sessions):
        assert not at.exception
        trainer = at.session_state["state:playground"].trainer
        assert trainer.spec.seed == seed and at.session_state["spec:playground"].seed == seed
        assert trainer.epoch == STEPS
        solo = Trainer(trainer.spec)
        solo.train(STEPS)
        assert [r.to_dict() for r in trainer.history] == [r.to_dict() for r in solo.history], f"session {seed}"
        assert bool((trainer.data.x_train.cpu() == solo.data.x_train).all())
        trainers.append(trainer)
    # No two sessions share a trainer, a model, data tensors or a spec.
    assert len({id(t) for t in trainers}) == SESSIONS
    assert len({id(t.model) for t in trainers}) == SESSIONS
    assert len({id(t.data.x_train) for t in trainers}) == SESSIONS
    assert len({t.spec for t in trainers}) == SESSIONS
