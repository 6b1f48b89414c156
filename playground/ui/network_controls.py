"""The network playground's buttons over the live views: Play / Pause, Step, Reset, Reinitialize, the view toggles.

Each button is an ``on_click`` callback on the user's ``PlaygroundState``: Play turns
training on (and trains its first epochs before the page answers), Pause, Step and
Reset turn it off and, when it was on, rerun the whole page (only a full run stops the
live views' timers). The trainer itself is kept in step with the spec by
``network_state.sync_trainer``: rebuilt (paused, epoch 0) only when data or architecture
change (``network.rebuild_key``); learning rate, optimizer, regularization, dropout,
batch size and epochs go live through ``Trainer.update_training``.

What it is not: the sidebar (``network_sidebar``) or the drawing (``network_views``).
"""

from __future__ import annotations

import streamlit as st

from playground.ui import state
from playground.ui.network_state import (
    VIEW_FLAGS,
    PlaygroundState,
    current_spec,
    init_widget,
    key,
    say,
    stop,
    store_spec,
)

#: Live frames come every 0.1 s on a quiet server (``live.frame_interval`` stretches it when busy).
LIVE_FRAME_SECONDS = 0.1
#: Play trains this long before the page answers the click, so the answer already shows progress
#: (the server's training service goes on from there, in the background).
FIRST_SECONDS = 0.04


def play(pg: PlaygroundState) -> None:
    pg.message = None
    found = pg.trainer
    if found is None:
        # Shown while there is still no data ("Add 4 more point(s)"), gone once there is enough.
        pg.play_refused = True
    elif found.done:
        say(
            pg,
            found.status_text()
            + ("" if found.stop_reason == "diverged" else " Press Reset, or raise 'Stop after (epochs)'."),
        )
    else:
        # The first epochs train right away, so the page that answers the click already shows
        # progress; the server's training service trains it from then on.
        pg.run.play(found, FIRST_SECONDS)
        if found.done:
            stop(pg)


def pause(pg: PlaygroundState) -> None:
    """Stop training and redraw the whole page: a full run is what stops the live views' timers."""
    stop(pg)
    st.rerun()


def step(pg: PlaygroundState) -> None:
    """One epoch, paused."""
    was_running = pg.running
    stop(pg)
    pg.message = None
    found = pg.trainer
    if found is not None and found.done:
        say(pg, found.status_text())
    elif found is not None:
        pg.run.step(found)
    if was_running:
        st.rerun()  # as Pause: only a full page run stops the live views' timers


def reset(pg: PlaygroundState, new_weights: bool = False) -> None:
    """Back to epoch 0: the same initial weights (Reset) or new ones (Reinitialize)."""
    was_running = pg.running
    stop(pg)
    pg.message = None
    found = pg.trainer
    if found is not None:
        pg.run.reset(found, new_weights)
    if was_running:
        st.rerun()  # as Pause


def buttons(pg: PlaygroundState) -> None:
    """Play / Pause, Step, Reset and Reinitialize in one row; all but Play need a trainer."""
    no_trainer = pg.trainer is None
    cols = st.columns(5)
    if pg.running:
        cols[0].button("Pause", key=key("pause"), icon=":material/pause:", on_click=pause, args=(pg,), type="primary",
                       width="stretch")  # fmt: skip
    else:
        cols[0].button("Play", key=key("play"), icon=":material/play_arrow:", on_click=play, args=(pg,), type="primary",
                       width="stretch")  # fmt: skip
    cols[1].button("Step", key=key("step"), icon=":material/skip_next:", on_click=step, args=(pg,), disabled=no_trainer,
                   width="stretch", help="Train one epoch.")  # fmt: skip
    cols[2].button("Reset", key=key("reset"), icon=":material/replay:", on_click=reset, args=(pg,), disabled=no_trainer,
                   width="stretch", help="Back to epoch 0 with the same initial weights: the run replays exactly.")  # fmt: skip
    cols[3].button("Reinitialize", key=key("reinit"), icon=":material/casino:", on_click=reset, args=(pg, True),
                   disabled=no_trainer, width="stretch", help="New random initial weights, epoch 0.")  # fmt: skip


def _view_changed() -> None:
    store_spec(current_spec())  # the view settings travel in the link


def view_toggles() -> tuple[bool, bool]:
    """(discretize output, show validation points): view settings, kept in the link."""
    out = []
    for name, label in (("discretize", "Discretize output"), ("show_validation", "Show validation points")):
        init_widget(name, VIEW_FLAGS[name])
        if state.visible(name):
            st.toggle(label, key=key(name), on_change=_view_changed)
        out.append(bool(state.peek(key(name))))
    return out[0], out[1]
