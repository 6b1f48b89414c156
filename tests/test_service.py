"""The training service: isolation, the same results as alone, slots freed and resumed, the queue, the worker.

Rounds are run by hand (``start_worker=False``) with a fake clock where timing matters, so
no test waits on the machine's speed; one test runs the real worker thread.
"""

from __future__ import annotations

import inspect
import time

import torch

from playground.service import ServiceSettings, ServiceStats, SlotHandle, TrainingService
from playground.spec import Spec
from playground.trainer import Trainer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def service(clock: FakeClock, **settings: object) -> TrainingService:
    # Rounds long enough that no epoch is sliced, however slow the machine is right now (the round's
    # epochs come from measured seconds): the tests count whole epochs.
    settings = {"round_seconds": 10.0, **settings}
    return TrainingService(ServiceSettings(**settings), clock=clock, start_worker=False)  # type: ignore[arg-type]


def history(trainer: Trainer) -> list[dict[str, object]]:
    return [r.to_dict() for r in trainer.history]


def run_rounds(svc: TrainingService, clock: FakeClock, handles: dict[SlotHandle, Trainer], rounds: int) -> None:
    for _ in range(rounds):
        clock.advance(0.1)
        for h, t in handles.items():
            svc.play(h, t)  # the browser asks for a frame
        svc.run_round()


def test_a_session_trained_with_29_others_has_bitwise_its_history_alone() -> None:
    spec = Spec().replace(epochs=10_000)
    clock = FakeClock()
    svc = service(clock)
    mine = Trainer(spec)
    handles = {SlotHandle(): mine}
    kinds = [  # in the default network's container (other activations and optimizers), and in the deep one
        lambda k: Spec.from_query("dataset=spiral&hidden=8,8&activation=relu&optimizer=adam").replace(seed=k),
        lambda k: Spec().replace(seed=k, lr=0.01 * (1 + k % 4), l2=0.001 * (k % 2)),
        lambda k: Spec.from_query("hidden=5,5,5&activation=sigmoid&optimizer=rmsprop").replace(seed=k),
    ]
    mixed = [kinds[k % 3](k) for k in range(1, 30)]
    handles.update({SlotHandle(): Trainer(s.replace(epochs=10_000)) for s in mixed})
    run_rounds(svc, clock, handles, 8)
    assert mine.epoch > 0
    alone = Trainer(spec)
    alone.train(mine.epoch)
    assert history(mine) == history(alone)
    assert svc.stats().groups == 2 and svc.stats().training == 30


def test_pause_frees_the_slot_and_play_resumes_exactly_where_it_was() -> None:
    spec = Spec.from_query("optimizer=adam&dropout=0.2&hidden=6,3").replace(epochs=10_000)
    clock = FakeClock()
    svc = service(clock)
    t, h = Trainer(spec), SlotHandle()
    run_rounds(svc, clock, {h: t}, 3)
    svc.pause(h)
    assert not svc.is_training(h) and svc.active_count() == 0
    paused_at = t.epoch
    svc.run_round()
    assert t.epoch == paused_at, "a paused session does not train"
    run_rounds(svc, clock, {h: t}, 3)
    straight = Trainer(spec)
    straight.train(t.epoch)
    assert t.epoch > paused_at and history(t) == history(straight)
    for a, b in zip(t.model.state_dict().values(), straight.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_a_closed_browser_frees_its_slot_after_stale_seconds() -> None:
    clock = FakeClock()
    svc = service(clock, stale_seconds=5.0)
    t, h = Trainer(Spec()), SlotHandle()
    svc.play(h, t)
    clock.advance(4.0)
    assert svc.active_count() == 1
    clock.advance(2.0)  # no frame asked for 6 s
    assert svc.active_count() == 0 and not svc.is_training(h)
    before = t.epoch
    svc.run_round()
    assert t.epoch == before


def test_past_max_trainings_the_next_session_is_queued_and_starts_when_one_pauses() -> None:
    clock = FakeClock()
    svc = service(clock, max_trainings=3)
    handles = [SlotHandle() for _ in range(4)]
    assert all(svc.play(h, Trainer(Spec().replace(seed=i))) for i, h in enumerate(handles[:3]))
    waiting = Trainer(Spec())
    assert not svc.play(handles[3], waiting)
    svc.pause(handles[0])
    assert svc.play(handles[3], waiting)


def test_the_default_limit_lets_a_class_of_100_train_without_a_queue() -> None:
    assert ServiceSettings().max_trainings >= 100


def test_no_method_returns_another_sessions_trainer_weights_data_or_history() -> None:
    """The service's public surface: every method either takes the caller's own handle or returns numbers only."""
    clock = FakeClock()
    svc = service(clock)
    secret = Trainer(Spec().replace(seed=42))
    theirs, mine = SlotHandle(), SlotHandle()
    svc.play(theirs, secret)
    own = Trainer(Spec())
    svc.play(mine, own)
    svc.run_round()
    found: list[object] = []
    for name, member in inspect.getmembers(svc, callable):
        if name.startswith("_") or name in ("clear", "stop"):  # the server's own, never a page's; they return None
            continue
        params = inspect.signature(member).parameters
        if "handle" in params:
            args: list[object] = [mine] + ([own] if "trainer" in params else [])
            result = member(*args)
            if hasattr(result, "__enter__"):
                with result as inside:
                    found.append(inside)
            else:
                found.append(result)
        elif not params:
            found.append(member())
    for value in found:
        assert value is None or isinstance(value, (bool, int, float, ServiceStats)), (value, type(value))
    stats = svc.stats()
    assert all(isinstance(v, (int, float)) for v in vars(stats).values())
    # A handle is an opaque token: it shows nothing, and a forged one reaches no slot.
    assert repr(mine) == "SlotHandle(...)"
    forged = SlotHandle()
    assert not svc.is_training(forged)
    svc.pause(forged)  # pausing a handle that owns nothing touches nobody
    assert svc.is_training(theirs)


def test_the_cap_holds_a_network_alone_to_max_epochs_per_second() -> None:
    clock = FakeClock()
    svc = service(clock, max_epochs_per_second=50.0, round_seconds=10.0)  # the cap, not the round, binds
    t, h = Trainer(Spec().replace(epochs=10_000)), SlotHandle()
    svc.play(h, t)
    svc.run_round()  # a new slot has one epoch to start with
    for _ in range(20):
        clock.advance(0.1)
        svc.play(h, t)
        svc.run_round()
    assert 90 <= t.epoch <= 111  # 2 s at 50 epochs a second, and the first


def test_the_worker_thread_trains_in_the_background_and_stops_when_the_browser_goes() -> None:
    svc = TrainingService(ServiceSettings(stale_seconds=0.5))
    t, h = Trainer(Spec().replace(epochs=10_000)), SlotHandle()
    try:
        svc.play(h, t)
        deadline = time.monotonic() + 10
        while t.epoch < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
            svc.play(h, t)
        assert t.epoch >= 5
        time.sleep(1.0)  # no frames asked: the slot goes stale
        with svc.reading(h):
            stopped_at = t.epoch
        time.sleep(0.3)
        assert t.epoch == stopped_at and not svc.is_training(h)
    finally:
        svc.stop()


class LargeTrainer(Trainer):
    """A trainer the service treats as a large data set's (MNIST's), on small data: its epochs may be sliced."""

    @property
    def is_large(self) -> bool:
        return True


def test_a_group_whose_epoch_is_longer_than_a_round_trains_a_slice_per_round_and_stays_exact() -> None:
    clock = FakeClock()
    svc = service(clock, round_seconds=1e-6)  # every epoch is "too long": one batch a round
    spec = Spec().replace(epochs=3)
    t, h = LargeTrainer(spec), SlotHandle()
    rounds = 0
    while not t.done and rounds < 500:
        clock.advance(0.1)
        svc.play(h, t)
        svc.run_round()
        rounds += 1
    straight = Trainer(spec)
    straight.train(3)
    assert t.epoch == 3 and rounds > 3 * 20 and history(t) == history(straight)


def test_a_page_that_trains_for_the_eye_gets_its_epochs_per_frame() -> None:
    clock = FakeClock()
    svc = service(clock)
    t, h = Trainer(Spec().replace(epochs=10_000)), SlotHandle()
    for _ in range(5):
        clock.advance(1.0)  # however long between frames
        svc.play(h, t, epochs_per_frame=1)
        svc.run_round()
    assert t.epoch == 5


def test_without_the_worker_thread_each_frame_runs_a_round() -> None:
    clock = FakeClock()
    svc = TrainingService(ServiceSettings(background=False), clock=clock)
    t, h = Trainer(Spec().replace(epochs=10_000)), SlotHandle()
    svc.play(h, t)
    svc.serve_frame(h)
    assert t.epoch >= 1 and svc._worker is None


def test_a_closed_tab_frees_its_slot_at_the_next_round_where_the_server_can_tell() -> None:
    clock = FakeClock()
    svc = service(clock)
    t, h = Trainer(Spec().replace(epochs=10_000)), SlotHandle()
    browser = {"connected": True}
    svc.play(h, t, patience=60.0, connected=lambda: browser["connected"])
    svc.run_round()
    trained = t.epoch
    browser["connected"] = False  # the websocket closed: no need to wait a minute of patience
    clock.advance(0.1)
    svc.run_round()
    assert t.epoch == trained and not svc.is_training(h)


def test_half_the_time_is_shared_by_epochs_and_half_by_students() -> None:
    """``_shares``: a round's seconds, half as the same epochs for every group, half as the same seconds
    for every student (pooled by the students who share a group); the round is spent exactly."""
    svc = service(FakeClock())
    alone = svc._shares({("a",): (0.01, 30)}, 0.1)
    assert abs(alone[("a",)] - 10.0) < 1e-9  # one group: the whole round, whatever the split
    owed = svc._shares({("shared",): (0.01, 20), ("one-off",): (0.02, 10)}, 0.1)
    # epochs: 0.1 / 0.03 / 2 = 1.67 each; students: 0.05 × 20/30 / 0.01 = 3.33 and 0.05 × 10/30 / 0.02 = 0.83
    assert abs(owed[("shared",)] - 5.0) < 1e-9 and abs(owed[("one-off",)] - 2.5) < 1e-9
    assert abs(owed[("shared",)] * 0.01 + owed[("one-off",)] * 0.02 - 0.1) < 1e-12
    by_epochs = service(FakeClock(), epoch_share=1.0)._shares({("x",): (0.01, 20), ("y",): (0.02, 10)}, 0.1)
    assert abs(by_epochs[("x",)] - by_epochs[("y",)]) < 1e-9  # all by epochs: everyone the same pace
