"""Server-wide limits on live training, so one small server can host a class.

This is the one piece of deliberately shared state: a table of which sessions
are training right now (session id -> time of its last frame), guarded by a
lock. It holds no user data, only ids and timestamps. A session that has not
asked for a frame for ``STALE_SECONDS`` (its browser went away, or it paused)
no longer counts. When ``MAX_ACTIVE`` sessions are training, the next one is
told it is queued and retries on its next frame.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator

import streamlit as st

from playground.ui import state

MAX_ACTIVE = int(os.environ.get("PLAYGROUND_MAX_TRAININGS", "8"))
STALE_SECONDS = 10.0
#: Per-session cap on live training time (seconds of frames spent training), so one
#: forgotten tab cannot hold a slot all day. Reset, or a new run, starts a new budget.
SESSION_TRAIN_SECONDS = float(os.environ.get("PLAYGROUND_SESSION_TRAIN_SECONDS", "900"))
#: Per-session cap on wall time spent training per frame (keeps pages responsive).
FRAME_BUDGET_SECONDS = 0.08
#: All live trainings on this server together train at most this many cores' worth of time. A
#: Streamlit server is one Python process and small networks train mostly under the GIL, so the
#: whole server has about one core: training beyond half of it starves every other user's page
#: reruns and frames (a student pressing Play would wait seconds to see anything).
TRAINING_CORES = float(os.environ.get("PLAYGROUND_TRAINING_CORES", "0.5"))

# Every user's script runs in its own thread of one process, all sharing the GIL. With the default
# 5 ms switch interval a thread waiting for the GIL (the web server's event loop, a user's new
# script run) waits about 5 ms per busy thread: seconds with a class training at once. 1 ms keeps
# the server answering. Process-wide server tuning, set once when the first live page loads.
sys.setswitchinterval(float(os.environ.get("PLAYGROUND_SWITCH_INTERVAL", "0.001")))

_lock = threading.Lock()
_active: dict[str, float] = {}

#: Live frames (a fragment's timer runs) compute at most this many at a time on the server; the
#: others wait their turn off the GIL. Thirty frames at once would each get a thirtieth of the one
#: core and all finish late; taking turns, each finishes quickly, and a click (a full page run, which
#: never waits here) competes with at most this many threads instead of thirty.
FRAMES_AT_ONCE = int(os.environ.get("PLAYGROUND_FRAMES_AT_ONCE", "2"))
#: A frame that has waited this long computes anyway (a guard against a frame that never ends).
FRAME_WAIT_SECONDS = 5.0
_frame_turns = threading.BoundedSemaphore(max(1, FRAMES_AT_ONCE))
#: Clicks first: for this long after any session's page answers a click (Play, a setting, a page
#: opening), other sessions' timer frames wait before computing (at most this long), so the answer
#: is computed, sent and drawn ahead of the animation frames. Server-wide, like the turns: a
#: timestamp, no user data.
CLICK_FIRST_SECONDS = float(os.environ.get("PLAYGROUND_CLICK_FIRST_SECONDS", "1.0"))
#: While clicks keep coming (one within this many seconds: a class pressing Play together), the fast
#: views' frames (a base interval under ``RUSH_VIEWS_BELOW`` seconds: nine frames in ten) come
#: ``RUSH_SLOWDOWN`` times rarer, each training as many epochs (``train_seconds``), so every answer
#: to a click is drawn promptly. Each view takes its pace back at its next frame after the rush; the
#: slow views (the diagram, once a minute on a busy server) keep theirs, or they would wait minutes,
#: and skip every other frame instead (``costly_frame_due``).
RUSH_SECONDS = float(os.environ.get("PLAYGROUND_RUSH_SECONDS", "3.0"))
RUSH_SLOWDOWN = float(os.environ.get("PLAYGROUND_RUSH_SLOWDOWN", "2.5"))
RUSH_VIEWS_BELOW = 1.0
_last_click = [float("-inf")]


def session_id() -> str:
    """This browser session's id (stable across reruns)."""
    ctx = st.runtime.scriptrunner.get_script_run_ctx()
    return ctx.session_id if ctx is not None else "bare"


def acquire(owner: str | None = None, now: float | None = None) -> bool:
    """Claim (or keep) a training slot for this frame; False means 'queued' or 'budget spent'."""
    owner = owner or session_id()
    now = time.monotonic() if now is None else now
    if not _within_session_budget(now):
        release(owner, keep_budget=True)
        return False
    with _lock:
        for sid, seen in list(_active.items()):
            if now - seen > STALE_SECONDS:
                del _active[sid]
        granted = owner in _active or len(_active) < MAX_ACTIVE
        if granted:
            _active[owner] = now
    if granted:
        return True
    state.put(_REASON_KEY, "queued")
    return False


def release(owner: str | None = None, keep_budget: bool = False) -> None:
    """Give the slot back (on Pause, Reset or the end of a run).

    A user who pauses is present, so the session's time budget starts afresh.
    """
    owner = owner or session_id()
    with _lock:
        _active.pop(owner, None)
    if not keep_budget:
        new_budget()


#: All live trainings on this server together get about this many frames a second (of a page's
#: fast view, 0.1 s apart when alone; its slower views in proportion). A training alone keeps
#: its page's own pace. A frame costs the server 20-30 ms and every browser a redraw of its page
#: (60-200 ms): with a class training at once, more frames only queue up, and a student who
#: presses Play waits behind them.
SERVER_FRAMES_PER_SECOND = float(os.environ.get("PLAYGROUND_SERVER_FRAMES", "5"))
#: The fast views' pace, the unit of SERVER_FRAMES_PER_SECOND.
REFERENCE_INTERVAL = 0.1


_INTERVALS_KEY = "live:intervals"
_RETUNED_KEY = "live:retuned_at"


def _ideal_interval(base_seconds: float) -> float:
    """``base_seconds`` alone; with others, stretched so the server draws SERVER_FRAMES_PER_SECOND in all."""
    active = active_count()
    if active <= 1:
        return base_seconds
    budget = SERVER_FRAMES_PER_SECOND
    if base_seconds < RUSH_VIEWS_BELOW and in_rush():
        budget /= RUSH_SLOWDOWN
    return base_seconds * max(1.0, active / (budget * REFERENCE_INTERVAL))


def in_rush() -> bool:
    """True while clicks keep coming on a shared server: some page answered one within ``RUSH_SECONDS``."""
    return active_count() > 1 and time.monotonic() - _last_click[0] < RUSH_SECONDS


_SKIPPED_KEY = "live:skipped_in_rush"


def costly_frame_due() -> bool:
    """For a costly view (the network diagram) in its live fragment: draw it afresh in this run?

    True in timer frames, except while clicks keep coming (``in_rush``): then every other frame
    is skipped and the view draws its last picture again (identical, so browsers redraw nothing),
    so other students' answers go first, while the view still refreshes if the clicks never stop.
    False outside timer frames (a click's answer draws the last picture too).
    """
    if not in_timer_frame():
        return False
    skip = in_rush() and not state.get(_SKIPPED_KEY, lambda: False)
    state.put(_SKIPPED_KEY, skip)
    return not skip


def frame_interval(base_seconds: float) -> float:
    """Seconds between live frames for this page: ``base_seconds``, stretched when many sessions train.

    For a fragment's ``run_every`` when the page script runs; the value is
    remembered, and ``keep_pace`` changes it from inside the fragment when the
    server has become busier or quieter since.
    """
    interval = _ideal_interval(base_seconds)
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    used[base_seconds] = interval
    return interval


def interval_in_use(base_seconds: float) -> float:
    """The interval this session's fragment of ``base_seconds`` runs at now (its browser timer)."""
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    return float(used.get(base_seconds, base_seconds))


def keep_pace(base_seconds: float) -> None:
    """Inside a live fragment: follow the server's load, ``frame_interval(base_seconds)`` apart.

    When the ideal interval is more than 25 % away from the one in use, the
    fragment asks the browser for the new pace with the message Streamlit itself
    sends for ``run_every``; only the fragment's own timer changes, nothing is
    redrawn. (A full page rerun, the fallback, costs every browser a redraw of
    the whole page, which is what a busy server can least afford.)
    """
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    current, ideal = used.get(base_seconds), _ideal_interval(base_seconds)
    if current is None or abs(ideal / current - 1.0) <= 0.25:
        return
    if _set_fragment_interval(ideal):
        used[base_seconds] = ideal
        return
    now = time.monotonic()
    if (ideal / current > 2.0 or ideal / current < 0.5) and now - float(state.get(_RETUNED_KEY, lambda: 0.0)) > 3.0:
        state.put(_RETUNED_KEY, now)
        st.rerun(scope="app")


_INLINE_KEY = "live:inline_views"


def in_timer_frame() -> bool:
    """True while a fragment re-runs on its own (its timer or its own widget).

    False in a full page run, and for live views that an enclosing fragment
    draws as part of its own run (``views_answer_a_click``): both answer a click.
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
    """Hold one of the server's ``FRAMES_AT_ONCE`` turns while a timer frame computes.

    Full page runs and the views a click redraws pass straight through: they answer a person, and
    for ``CLICK_FIRST_SECONDS`` after that, timer frames wait (when other sessions train; all of
    it within ``FRAME_WAIT_SECONDS``).
    """
    if not in_timer_frame():
        _last_click[0] = time.monotonic()
        yield
        return
    start = time.monotonic()
    while active_count() > 1 and (quiet := _last_click[0] + CLICK_FIRST_SECONDS - time.monotonic()) > 0:
        time.sleep(max(0.0, min(quiet, start + CLICK_FIRST_SECONDS - time.monotonic())))
        if time.monotonic() >= start + CLICK_FIRST_SECONDS:
            break
    got = _frame_turns.acquire(timeout=FRAME_WAIT_SECONDS)
    try:
        yield
    finally:
        if got:
            _frame_turns.release()


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


def train_seconds(base_seconds: float, wanted: float = FRAME_BUDGET_SECONDS) -> float:
    """Seconds one frame of a live fragment (``base_seconds`` apart) may train.

    ``wanted``, within this session's fair share of ``TRAINING_CORES``: a frame
    comes every ``frame_interval(base_seconds)`` seconds, and the active sessions
    split the training time between them. A session training alone keeps ``wanted``.
    """
    active = active_count()
    if active <= 1:
        return wanted
    return min(wanted, TRAINING_CORES * _ideal_interval(base_seconds) / active)


def active_count() -> int:
    with _lock:
        return len(_active)


_BUDGET_KEY = "live:train_seconds"
_LAST_KEY = "live:last_frame"
_REASON_KEY = "live:refusal"


def _within_session_budget(now: float) -> bool:
    """Count this session's training time (gaps between frames, at most 1 s each)."""
    last = state.get(_LAST_KEY, lambda: None)
    spent = float(state.get(_BUDGET_KEY, lambda: 0.0))
    if last is not None:
        spent += min(max(now - last, 0.0), 1.0)
    state.put(_LAST_KEY, now)
    state.put(_BUDGET_KEY, spent)
    if spent > SESSION_TRAIN_SECONDS:
        state.put(_REASON_KEY, "budget")
        return False
    return True


def new_budget() -> None:
    """A fresh training budget for this session (call on Reset or a new run)."""
    state.put(_BUDGET_KEY, 0.0)
    state.put(_LAST_KEY, None)


def queued_message() -> str:
    """Why this frame did not train: the server is full, or this session's budget is spent."""
    if state.get(_REASON_KEY, lambda: "queued") == "budget":
        minutes = SESSION_TRAIN_SECONDS / 60
        return (
            f"This session has trained for {minutes:.0f} minutes, the limit on this shared server. "
            "Press Reset (or start a new run) to train again."
        )
    return (
        f"{MAX_ACTIVE} trainings are running on this server right now. "
        "Yours is queued and starts by itself as soon as one of them pauses or finishes."
    )
