"""The live loop's server-wide scheduler and the one LiveRun every live page uses.

The scheduler takes its clock, its sleep and its settings as arguments, so these tests drive
it with a fake clock and no patching; the ``LiveRun`` tests use the real server object.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from playground.spec import Spec
from playground.trainer import Trainer
from playground.ui import live
from playground.ui.live import FrameScheduler, LiveRun, SchedulerSettings


class Clock:
    """A clock that moves only when told to (``sleep`` moves it too)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def scheduler(active: int, clock: Clock | None = None, **settings: float) -> tuple[FrameScheduler, Clock]:
    clock = clock or Clock()
    return FrameScheduler(SchedulerSettings(**settings), lambda: active, clock, clock.sleep), clock  # type: ignore[arg-type]


def test_a_training_alone_keeps_its_pace_and_a_class_shares_the_frame_budget() -> None:
    alone, _ = scheduler(1)
    assert alone.ideal_interval(0.1) == 0.1 and alone.ideal_interval(1.0) == 1.0
    for active in (2, 8, 30, 100):
        busy, _ = scheduler(active)
        fast = busy.ideal_interval(0.1)
        assert fast >= 0.1 and active / fast <= busy.settings.server_frames_per_second + 1e-9
        assert busy.ideal_interval(1.0) == pytest.approx(10 * fast)


def test_a_rush_of_clicks_thins_the_fast_frames_and_the_pace_comes_back() -> None:
    s, clock = scheduler(30)
    calm, calm_diagram = s.ideal_interval(0.1), s.ideal_interval(1.0)
    s.note_click()
    assert s.in_rush()
    assert s.ideal_interval(0.1) == pytest.approx(calm * s.settings.rush_slowdown)
    assert s.ideal_interval(1.0) == pytest.approx(calm_diagram)  # the slow views keep their pace
    clock.now += s.settings.rush_seconds + 0.1
    assert not s.in_rush() and s.ideal_interval(0.1) == pytest.approx(calm)
    alone, _ = scheduler(1)
    alone.note_click()
    assert not alone.in_rush() and alone.ideal_interval(0.1) == 0.1  # alone: a click is no rush


def test_costly_views_skip_every_other_frame_in_a_rush_only() -> None:
    s, _ = scheduler(2)
    skipped = False
    calm = []
    for _ in range(3):
        due = s.costly_due(skipped)
        skipped = not due
        calm.append(due)
    assert calm == [True, True, True]
    s.note_click()
    rush = []
    for _ in range(4):
        due = s.costly_due(skipped)
        skipped = not due
        rush.append(due)
    assert rush == [False, True, False, True]


def test_timer_frames_wait_for_a_fresh_click_answer_but_not_alone() -> None:
    s, clock = scheduler(2, click_first_seconds=0.3)
    s.note_click()
    started = clock.now
    with s.timer_turn():
        waited = clock.now - started
    assert waited == pytest.approx(0.3)
    started = clock.now
    with s.timer_turn():  # the click is old now: no wait
        assert clock.now == started
    alone, clock = scheduler(1, click_first_seconds=0.3)
    alone.note_click()
    started = clock.now
    with alone.timer_turn():  # alone: nobody to let go first
        assert clock.now == started


def test_at_most_frames_at_once_timer_frames_compute_together() -> None:
    s = FrameScheduler(SchedulerSettings(frames_at_once=2), lambda: 1)
    inside, most, lock = [0], [0], threading.Lock()

    def frame() -> None:
        with s.timer_turn():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=frame) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2


def test_settings_come_from_the_environment_with_a_comment_per_default() -> None:
    env = {"PLAYGROUND_SERVER_FRAMES": "7", "PLAYGROUND_FRAMES_AT_ONCE": "3"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        s = SchedulerSettings.from_environment()
        assert s.server_frames_per_second == 7 and s.frames_at_once == 3
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    source = Path(live.__file__).read_text(encoding="utf-8")
    block = source[source.index("class SchedulerSettings") : source.index("def from_environment")]
    for name in SchedulerSettings.__dataclass_fields__:
        before = block[: block.index(f"    {name}:")].rstrip().splitlines()[-1].strip()
        assert before.startswith("#") or before.startswith(("rush_", "#:")), f"{name} has no comment"


def test_live_module_sets_a_short_gil_switch_interval() -> None:
    """Importing the live loop tunes the server: waiting threads get the GIL within ~1 ms per busy one."""
    assert sys.getswitchinterval() == pytest.approx(float(os.environ.get("PLAYGROUND_SWITCH_INTERVAL", "0.001")))


def test_fragment_interval_needs_a_running_fragment() -> None:
    assert live._set_fragment_interval(1.0) is False  # no script run here: nothing to re-time


def test_a_live_run_plays_steps_pauses_and_resets_through_the_service() -> None:
    spec = Spec().replace(epochs=10_000)
    run, t = LiveRun(), Trainer(spec)
    run.step(t)
    assert t.epoch == 1 and not run.running
    run.play(t, first_seconds=0.05)
    assert run.running and run.frame(t) and live.server().service.is_training(run.handle)
    deadline = time.monotonic() + 10
    while t.epoch < 10 and time.monotonic() < deadline:
        assert run.frame(t)  # the browser asks for frames; the service trains in the background
        time.sleep(0.05)
    run.pause()
    assert not live.server().service.is_training(run.handle)
    with run.reading():
        paused = t.epoch
    time.sleep(0.2)
    assert t.epoch == paused >= 10
    straight = Trainer(spec)
    straight.train(paused)
    assert [r.to_dict() for r in t.history] == [r.to_dict() for r in straight.history]
    run.reset(t)
    assert t.epoch == 0 and not run.running


def test_a_finished_run_stops_play_at_its_next_frame() -> None:
    run, t = LiveRun(), Trainer(Spec().replace(epochs=3))
    run.play(t, first_seconds=5.0)
    assert t.done and run.running
    assert not run.frame(t) and not run.running
