"""The one live loop of every page that trains: ``LiveRun``, and the server's frame scheduler.

A page that trains live keeps one ``LiveRun`` in its page state and goes through it for
everything: Play, Pause, Step, Reset, and each live frame (``LiveRun.frame``), which tells the
server's training service that this browser still watches. The service
(``playground.service``) trains every playing session's network in a background thread, stacked
with the others of the same shape; a frame only draws what has been trained.

The one sanctioned server-wide object is ``server()``: the training service and the
``FrameScheduler``, which decides how often each session's live frames come (a training alone at
its page's pace, a class sharing a budget of frames), lets at most a few frames compute at once,
and lets clicks go first. It holds no user data of its own: the service holds a reference to a
playing session's trainer, behind that session's handle. The scheduler takes its clock and its
settings (``SchedulerSettings``) as arguments, so its tests need no patching.

What stays per session (in the session's state, through ``state``): the ``LiveRun`` in the page's
state, and the intervals its fragments' timers run at.

It is over 400 lines because the live loop's three parts work only together: the ``LiveRun`` each
page keeps, the server-wide scheduler and service it goes through, and the fragments' pacing;
split, each would reach into the others' state.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import streamlit as st

from playground.service import ServiceSettings, SlotHandle, TrainingService
from playground.trainer import Trainer
from playground.ui import state


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class SchedulerSettings:
    """How a server paces its live frames (environment variables override the defaults)."""

    #: All live trainings together get about this many frames a second of a page's fast view
    #: (``reference_interval`` apart when alone), its slower views in proportion. A training alone
    #: keeps its page's pace. A frame costs the server 10-30 ms and every browser a redraw.
    server_frames_per_second: float = 5.0
    #: The fast views' pace, the unit of ``server_frames_per_second``.
    reference_interval: float = 0.1
    #: Timer frames compute at most this many at a time; the others wait their turn off the GIL.
    #: A click (a full page run) never waits for a turn.
    frames_at_once: int = 2
    #: A frame that has waited this long computes anyway (a guard against a frame that never ends).
    frame_wait_seconds: float = 5.0
    #: Clicks first: for this long after any session's page answers a click, other sessions' timer
    #: frames wait (at most this long), so the answer is computed and sent ahead of animation frames.
    click_first_seconds: float = 1.0
    #: While clicks keep coming (one within this many seconds: a class pressing Play together), the
    #: fast views' frames (base interval under ``rush_views_below``) come ``rush_slowdown`` times
    #: rarer, and the costly views skip every other frame.
    rush_seconds: float = 3.0
    rush_slowdown: float = 2.5
    rush_views_below: float = 1.0
    #: Per-session cap on live training (seconds of watched training), so a forgotten tab cannot
    #: hold a slot all day; Reset, or pausing, starts a new budget.
    session_train_seconds: float = 900.0

    @classmethod
    def from_environment(cls) -> SchedulerSettings:
        b = cls()
        return cls(
            server_frames_per_second=_env("PLAYGROUND_SERVER_FRAMES", b.server_frames_per_second),
            reference_interval=b.reference_interval,
            frames_at_once=max(1, int(_env("PLAYGROUND_FRAMES_AT_ONCE", b.frames_at_once))),
            frame_wait_seconds=b.frame_wait_seconds,
            click_first_seconds=_env("PLAYGROUND_CLICK_FIRST_SECONDS", b.click_first_seconds),
            rush_seconds=_env("PLAYGROUND_RUSH_SECONDS", b.rush_seconds),
            rush_slowdown=_env("PLAYGROUND_RUSH_SLOWDOWN", b.rush_slowdown),
            rush_views_below=b.rush_views_below,
            session_train_seconds=_env("PLAYGROUND_SESSION_TRAIN_SECONDS", b.session_train_seconds),
        )


class FrameScheduler:
    """Paces every session's live frames on one server: intervals, turns, clicks first, the rush.

    ``active_count`` says how many sessions train now (the training service's count).
    """

    def __init__(
        self,
        settings: SchedulerSettings,
        active_count: Callable[[], int],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._active_count = active_count
        self._clock = clock
        self._sleep = sleep
        self._turns = threading.BoundedSemaphore(max(1, settings.frames_at_once))
        self._last_click = -math.inf

    def ideal_interval(self, base_seconds: float) -> float:
        """``base_seconds`` alone; with others, stretched so the server draws its frame budget in all."""
        active = self._active_count()
        if active <= 1:
            return base_seconds
        budget = self.settings.server_frames_per_second
        if base_seconds < self.settings.rush_views_below and self.in_rush():
            budget /= self.settings.rush_slowdown
        return base_seconds * max(1.0, active / (budget * self.settings.reference_interval))

    def in_rush(self) -> bool:
        """True while clicks keep coming on a shared server: some page answered one within ``rush_seconds``."""
        return self._active_count() > 1 and self._clock() - self._last_click < self.settings.rush_seconds

    def note_click(self) -> None:
        """A page is answering a person (a full page run, or the views a click redraws)."""
        self._last_click = self._clock()

    @contextlib.contextmanager
    def timer_turn(self) -> Iterator[None]:
        """Hold one of the ``frames_at_once`` turns while a timer frame computes, after clicks first."""
        wait_until = self._clock() + self.settings.click_first_seconds
        while self._active_count() > 1:
            quiet = self._last_click + self.settings.click_first_seconds - self._clock()
            left = wait_until - self._clock()
            if quiet <= 0 or left <= 0:
                break
            self._sleep(min(quiet, left))
        got = self._turns.acquire(timeout=self.settings.frame_wait_seconds)
        try:
            yield
        finally:
            if got:
                self._turns.release()

    def costly_due(self, skipped_last: bool) -> bool:
        """Should a costly view draw afresh in this timer frame? In a rush, every other frame is skipped."""
        return not (self.in_rush() and not skipped_last)


class LiveServer:
    """The one server-wide object: the training service and the frame scheduler."""

    def __init__(
        self,
        service_settings: ServiceSettings,
        scheduler_settings: SchedulerSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = TrainingService(service_settings, clock=clock)
        self.scheduler = FrameScheduler(scheduler_settings, self.service.active_count, clock=clock)


# Every user's script runs in its own thread of one process, all sharing the GIL. With the default
# 5 ms switch interval a thread waiting for the GIL (the web server's event loop, a user's new
# script run, the training service) waits about 5 ms per busy thread. 1 ms keeps the server answering.
sys.setswitchinterval(_env("PLAYGROUND_SWITCH_INTERVAL", 0.001))

#: The server-wide object (the house rules allow this one): created with the first live page.
_server = LiveServer(ServiceSettings.from_environment(), SchedulerSettings.from_environment())


def server() -> LiveServer:
    """This server process's training service and frame scheduler."""
    return _server


def active_count() -> int:
    """How many sessions train on this server now."""
    return _server.service.active_count()


# -- one page's live training ------------------------------------------------------------------------


@dataclass
class LiveRun:
    """One page's live training, kept in the page's state: Play is on or off, and its slot's handle.

    Every live page goes through it: ``play``, ``pause``, ``step``, ``reset`` and, in each live
    frame, ``frame``. ``epochs_per_frame`` makes a page's network train that many epochs per
    frame, for the eye (the perceptron: one), instead of as fast as the server allows.
    """

    handle: SlotHandle = field(default_factory=SlotHandle)
    running: bool = False
    epochs_per_frame: int | None = None
    #: Why the last frame did not train: "queued" (the server is full) or "budget" (this session's time).
    refusal: str | None = None
    #: Seconds of watched training since Play or Reset, and when the last frame came.
    trained_seconds: float = 0.0
    last_frame: float | None = None

    def play(self, trainer: Trainer, first_seconds: float = 0.0) -> None:
        """Play: train from now on; the first ``first_seconds`` of epochs right away, for the answer to the click."""
        if trainer.done:
            return
        self.running = True
        self.trained_seconds, self.last_frame = 0.0, None
        if first_seconds > 0:
            _server.service.step(self.handle, trainer, 10_000, max_seconds=first_seconds)
        # The page's live view, drawn in the run that answers the click, takes the first frame.

    def pause(self) -> None:
        """Pause: the slot is freed; the trainer keeps its weights, optimizer state and generators."""
        self.running = False
        self.refusal = None
        _server.service.pause(self.handle)

    def step(self, trainer: Trainer, epochs: int = 1, max_seconds: float | None = None) -> None:
        """Step: pause, then train ``epochs`` epochs now (at most ``max_seconds``) with the same engine."""
        self.pause()
        if not trainer.done:
            _server.service.step(self.handle, trainer, epochs, max_seconds)

    def reset(self, trainer: Trainer, new_weights: bool = False) -> None:
        """Reset (the same initial weights) or Reinitialize (new ones): paused at epoch 0."""
        self.pause()
        self.trained_seconds, self.last_frame = 0.0, None
        with self.reading():
            if new_weights:
                trainer.reinitialize()
            else:
                trainer.reset()

    def frame(self, trainer: Trainer, every: float = 0.0) -> bool:
        """In a live frame while running: keep this session's network training. False: queued or over budget.

        The frame draws what has been trained since the last one; it stops Play when the trainer has
        stopped (its epochs, early stopping, divergence). ``every``: the seconds until the next frame
        (the fragment's timer, ``interval_in_use``).
        """
        if not self.running:
            return False
        if trainer.done:
            self.pause()
            return False
        now = time.monotonic()
        gap = 0.0 if self.last_frame is None else max(now - self.last_frame, 0.0)
        self.trained_seconds += min(gap, 1.0)
        self.last_frame = now
        if self.trained_seconds > _server.scheduler.settings.session_train_seconds:
            _server.service.pause(self.handle)
            self.refusal = "budget"
            return False
        # A busy server spaces a session's frames seconds apart (a class of 100 in a rush of clicks: 50 s),
        # and more so while the class is pressing Play: the frame after this one may come well after
        # this frame's gap. Its slot waits two of its frames' gaps and 10 s more (at most 3 minutes)
        # for the next one before it counts as a closed tab; where Streamlit can tell that the browser
        # is still connected (a closed tab is freed at once), 30 s more: a student watching a busy
        # server's slow frames is not dropped (in a class of 100, 7 were, each losing 20 s of training).
        connected = _browser_connected()
        patience = min(2 * max(gap, every) + (10.0 if connected is None else 40.0), 180.0)
        if not _server.service.play(self.handle, trainer, self.epochs_per_frame, patience, connected):
            self.refusal = "queued"
            return False
        self.refusal = None
        _server.service.serve_frame(self.handle)
        return True

    def tick(self, trainer: Trainer, base_seconds: float) -> None:
        """In a page's live fragment (``base_seconds`` apart when alone): keep the training going at the
        fragment's pace (``keep_pace``), or say why it waits (queued, or this session's time is up)."""
        if self.frame(trainer, interval_in_use(base_seconds)):
            keep_pace(base_seconds)
        elif self.refusal is not None:
            st.info(self.message(), icon=":material/hourglass_top:")

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Around reading or changing the trainer (drawing, a live setting): no epoch is half done meanwhile."""
        return _server.service.reading(self.handle)

    def message(self) -> str:
        """Why the last frame did not train, for the page."""
        if self.refusal == "budget":
            minutes = _server.scheduler.settings.session_train_seconds / 60
            return (
                f"This session has trained for {minutes:.0f} minutes, the limit on this shared server. "
                "Press Reset (or Pause and Play) to train again."
            )
        return (
            f"{_server.service.settings.max_trainings} trainings are running on this server right now. "
            "Yours is queued and starts by itself as soon as one of them pauses or finishes."
        )


def _browser_connected() -> Callable[[], bool] | None:
    """A check that this session's browser is still connected (Streamlit's runtime knows), or None outside a server.

    It holds the session's id only. A closed tab then frees the training slot at the service's next
    round, rather than after its frames' patience.
    """
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is None or not Runtime.exists():
            return None
        runtime, session_id = Runtime.instance(), ctx.session_id
        if not runtime.is_active_session(session_id):  # not a real browser session (a headless test)
            return None
    except (ImportError, AttributeError, RuntimeError):
        return None
    return lambda: runtime.is_active_session(session_id)


# -- the live fragments' pace (per session: the intervals its timers run at) ---------------------------

_INTERVALS_KEY = "live:intervals"
_RETUNED_KEY = "live:retuned_at"
_SKIPPED_KEY = "live:skipped_in_rush"
_INLINE_KEY = "live:inline_views"


def frame_interval(base_seconds: float) -> float:
    """Seconds between live frames for this page: ``base_seconds``, stretched when many sessions train.

    For a fragment's ``run_every`` when the page script runs; the value is remembered, and
    ``keep_pace`` changes it from inside the fragment when the server has become busier or quieter.
    """
    interval = _server.scheduler.ideal_interval(base_seconds)
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    used[base_seconds] = interval
    return interval


def interval_in_use(base_seconds: float) -> float:
    """The interval this session's fragment of ``base_seconds`` runs at now (its browser timer)."""
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    return float(used.get(base_seconds, base_seconds))


def keep_pace(base_seconds: float) -> None:
    """Inside a live fragment: follow the server's load, ``frame_interval(base_seconds)`` apart.

    When the ideal interval is more than 25 % away from the one in use, the fragment asks the
    browser for the new pace with the message Streamlit itself sends for ``run_every``: only the
    fragment's own timer changes, nothing is redrawn. (A full page rerun, the fallback, costs every
    browser a redraw of the whole page.)
    """
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    current, ideal = used.get(base_seconds), _server.scheduler.ideal_interval(base_seconds)
    if current is None or abs(ideal / current - 1.0) <= 0.25:
        return
    if _set_fragment_interval(ideal):
        used[base_seconds] = ideal
        return
    now = time.monotonic()
    if (ideal / current > 2.0 or ideal / current < 0.5) and now - float(state.get(_RETUNED_KEY, lambda: 0.0)) > 3.0:
        state.put(_RETUNED_KEY, now)
        st.rerun(scope="app")


def in_timer_frame() -> bool:
    """True while a fragment re-runs on its own (its timer or its own widget).

    False in a full page run, and for live views that an enclosing fragment draws as part of its
    own run (``views_answer_a_click``): both answer a click.
    """
    ctx = st.runtime.scriptrunner.get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run) and not state.get(_INLINE_KEY, lambda: False)


@contextlib.contextmanager
def views_answer_a_click() -> Iterator[None]:
    """Around the live views that a page's controls fragment draws in its own run (Play, Step, Reset).

    Such a run answers a person: its views neither wait for a turn nor count as timer frames.
    """
    state.put(_INLINE_KEY, True)
    try:
        yield
    finally:
        state.put(_INLINE_KEY, False)


@contextlib.contextmanager
def frame_turn() -> Iterator[None]:
    """Around a live view's drawing: a timer frame takes a turn (after clicks first); a click goes straight on."""
    if not in_timer_frame():
        _server.scheduler.note_click()
        yield
        return
    with _server.scheduler.timer_turn():
        yield


def costly_frame_due() -> bool:
    """For a costly view (the network diagram) in its live fragment: draw it afresh in this run?

    True in timer frames, except while clicks keep coming: then every other frame is skipped and
    the view draws its last picture again (identical, so browsers redraw nothing). False outside
    timer frames (a click's answer draws the last picture too).
    """
    if not in_timer_frame():
        return False
    skipped_last = bool(state.get(_SKIPPED_KEY, lambda: False))
    due = _server.scheduler.costly_due(skipped_last)
    state.put(_SKIPPED_KEY, not due)
    return due


def _set_fragment_interval(seconds: float) -> bool:
    """Re-time the running fragment's auto-rerun in the browser; False outside a fragment run."""
    try:  # Streamlit internals (1.67): the fragment's id and the auto_rerun ForwardMsg of run_every
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

        fragment_id = ThreadState.get().fragment_id
        ctx = get_script_run_ctx(suppress_warning=True)
    except (ImportError, AttributeError, RuntimeError):
        return False
    if not fragment_id or ctx is None or not ctx.fragment_ids_this_run:
        return False
    msg = ForwardMsg()
    msg.auto_rerun.interval = seconds
    msg.auto_rerun.fragment_id = fragment_id
    ctx.enqueue(msg)
    return True
