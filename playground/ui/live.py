"""Server-wide limits on live training, so one small server can host a class.

This is the one piece of deliberately shared state: a table of which sessions
are training right now (session id -> time of its last frame), guarded by a
lock. It holds no user data, only ids and timestamps. A session that has not
asked for a frame for ``STALE_SECONDS`` (its browser went away, or it paused)
no longer counts. When ``MAX_ACTIVE`` sessions are training, the next one is
told it is queued and retries on its next frame.
"""

from __future__ import annotations

import os
import sys
import threading
import time

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


def session_id() -> str:
    """This browser session's id (stable across reruns)."""
    ctx = st.runtime.scriptrunner.get_script_run_ctx()
    return ctx.session_id if ctx is not None else "bare"


def acquire(owner: str | None = None, now: float | None = None, retune: bool = True) -> bool:
    """Claim (or keep) a training slot for this frame; False means 'queued' or 'budget spent'.

    ``retune=False`` in a widget callback, where the page cannot be re-run.
    """
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
        if retune:
            _retune_if_stale(now)
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


#: Up to this many trainings, each page redraws at its own pace; beyond it frames slow down
#: in proportion, so a full server shares its cores instead of drowning in redraws.
FULL_SPEED_TRAININGS = float(os.environ.get("PLAYGROUND_FULL_SPEED_TRAININGS", "2"))


_INTERVALS_KEY = "live:intervals"
_RETUNED_KEY = "live:retuned_at"


def _ideal_interval(base_seconds: float) -> float:
    return base_seconds * max(1.0, active_count() / FULL_SPEED_TRAININGS)


def frame_interval(base_seconds: float) -> float:
    """Seconds between live frames for this page: ``base_seconds``, stretched when many sessions train.

    A fragment's ``run_every`` is fixed when the page script runs, so the value
    used is remembered; ``acquire`` re-runs the page when the server has become
    much busier or quieter since, and the fragment picks up the new pace.
    """
    interval = _ideal_interval(base_seconds)
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    used[base_seconds] = interval
    return interval


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


def _retune_if_stale(now: float) -> None:
    """Re-run the page (new run_every) when a live fragment's pace is off by more than 2x."""
    used: dict[float, float] = state.get(_INTERVALS_KEY, dict)
    if not used or now - float(state.get(_RETUNED_KEY, lambda: 0.0)) < 3.0:
        return
    for base, interval in used.items():
        ratio = _ideal_interval(base) / interval
        if ratio > 2.0 or ratio < 0.5:
            state.put(_RETUNED_KEY, now)
            st.rerun(scope="app")


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
