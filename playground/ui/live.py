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
import threading
import time

import streamlit as st

MAX_ACTIVE = int(os.environ.get("PLAYGROUND_MAX_TRAININGS", "8"))
STALE_SECONDS = 3.0
#: Per-session cap on wall time spent training per frame (keeps pages responsive).
FRAME_BUDGET_SECONDS = 0.08

_lock = threading.Lock()
_active: dict[str, float] = {}


def session_id() -> str:
    """This browser session's id (stable across reruns)."""
    ctx = st.runtime.scriptrunner.get_script_run_ctx()
    return ctx.session_id if ctx is not None else "bare"


def acquire(owner: str | None = None, now: float | None = None) -> bool:
    """Claim (or keep) a training slot for this frame; False means 'queued'."""
    owner = owner or session_id()
    now = time.monotonic() if now is None else now
    with _lock:
        for sid, seen in list(_active.items()):
            if now - seen > STALE_SECONDS:
                del _active[sid]
        if owner in _active or len(_active) < MAX_ACTIVE:
            _active[owner] = now
            return True
        return False


def release(owner: str | None = None) -> None:
    """Give the slot back (on Pause, Reset or the end of a run)."""
    owner = owner or session_id()
    with _lock:
        _active.pop(owner, None)


def active_count() -> int:
    with _lock:
        return len(_active)


def queued_message() -> str:
    return (
        f"{MAX_ACTIVE} trainings are running on this server right now. "
        "Yours is queued and starts by itself as soon as one of them pauses or finishes."
    )
