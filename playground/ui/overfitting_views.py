"""The overfitting lab's Streamlit pieces: its per-user state, the buttons, the live view and the run comparison.

``OverfittingState`` is everything the page remembers for one user besides its
widgets' values and its spec (``state.page_spec``): the trainer, whether Play is
on, the kept runs. The page obtains it once (``state.page_state``) and hands it
to the functions here, which draw with ``st.``. The numbers come from
``playground.lessons.overfitting`` and ``overfitting_runs``, the figures from the
pure builders in ``charts``; nothing here computes what the page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from playground import datasets
from playground.controls import Control
from playground.lessons import overfitting as of
from playground.lessons import overfitting_runs as ofr
from playground.spec import Spec
from playground.trainer import STOP_DIVERGED, EpochRecord, Trainer
from playground.ui import live, state
from playground.ui.charts import base as charts
from playground.ui.charts import overfitting as co

#: Seconds between live frames when training alone on the server.
FRAME_SECONDS = 0.15
#: Epochs per live frame by default: the 200 epochs of the default take about 20 frames.
SPEED = 10
#: Resolution of the live decision boundary.
GRID = 60


@dataclass
class OverfittingState:
    """What the overfitting lab remembers for one user (besides its widgets' values and its spec)."""

    #: The live run; ``sync_trainer`` builds a new one (same data, same initial weights) when the spec changes.
    trainer: Trainer | None = None
    #: The live training: Play on or off (the service trains a few epochs per frame), this session's slot.
    run: live.LiveRun = field(default_factory=live.LiveRun)
    #: The finished runs kept to compare, oldest first (at most ``ofr.MAX_RUNS``).
    runs: list[ofr.RunRecord] = field(default_factory=list)
    #: (spec, epoch, stop reason) of the run kept last, so that a finished run is kept once.
    kept: tuple[Spec, int, str | None] | None = None
    #: The run names the overlay has offered: a newly kept run joins it, a run the user took out stays out.
    seen: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        """Whether Play is on."""
        return self.run.running


# -- the sidebar ------------------------------------------------------------------------------------


def split_caption(shown: Mapping[str, Any]) -> Callable[[Control, dict[str, Any]], None]:
    """For ``draw_controls(after=...)``: under the split, how many points train and how many validate."""

    def caption(c: Control, values: dict[str, Any]) -> None:
        if c.name == "validation_split":
            n_train, n_val = of.split_counts(values.get("samples", shown["samples"]), values["validation_split"])
            st.sidebar.caption(f"{n_train} training points, {n_val} validation points.")

    return caption


# -- the trainer and the buttons' callbacks -----------------------------------------------------------


def sync_trainer(ps: OverfittingState) -> Trainer:
    """The trainer of the page's current spec, built anew (a new run from the same initial weights) when it changed.

    It reads the spec the page stored last, so a button's callback, which runs before
    the page script, acts on the setup the button was drawn for.
    """
    spec = state.page_spec(of.PAGE, of.DEFAULT_SPEC)
    if ps.trainer is None or ps.trainer.spec != spec:
        ps.trainer = Trainer(spec, device="cpu")
    return ps.trainer


def keep_run(ps: OverfittingState, tr: Trainer) -> None:
    """Keep a finished run (once) among the session's runs."""
    key = (tr.spec, tr.epoch, tr.stop_reason)
    if tr.done and ps.kept != key:
        ps.runs = ofr.add_run(ps.runs, ofr.record_from_trainer(tr, [r.name for r in ps.runs]))
        ps.kept = key


def stop(ps: OverfittingState) -> None:
    ps.run.pause()


def toggle_play(ps: OverfittingState) -> None:
    """Play or pause; Play on a finished run replays it from the same initial weights."""
    if ps.running:
        stop(ps)
        return
    tr = sync_trainer(ps)
    if tr.done:
        ps.run.reset(tr)
    ps.run.play(tr)


def reset(ps: OverfittingState) -> None:
    ps.run.reset(sync_trainer(ps))


def run_to_end(ps: OverfittingState) -> None:
    """Train the rest of the run now (up to 3 s; the rest goes on live)."""
    tr = sync_trainer(ps)
    ps.run.step(tr, tr.spec.train.epochs, max_seconds=3.0)
    keep_run(ps, tr)
    if not tr.done:
        ps.run.play(tr)


def buttons(ps: OverfittingState) -> None:
    """Play/Pause, Reset and Train to the end, each unless classroom mode hides it."""
    cols = st.columns([1, 1, 1.4, 4])
    if state.visible("play"):
        icon = ":material/pause:" if ps.running else ":material/play_arrow:"
        cols[0].button("Pause" if ps.running else "Play", key="play", on_click=toggle_play, args=(ps,),
                       type="primary", icon=icon, width="stretch")  # fmt: skip
    if state.visible("reset"):
        cols[1].button("Reset", key="reset", on_click=reset, args=(ps,), icon=":material/restart_alt:",
                       width="stretch")  # fmt: skip
    if state.visible("run_to_end"):
        cols[2].button("Train to the end", key="run_to_end", on_click=run_to_end, args=(ps,),
                       icon=":material/fast_forward:", width="stretch")  # fmt: skip


# -- the live view ------------------------------------------------------------------------------------


def live_view(ps: OverfittingState) -> None:
    """The body of the live fragment: train a few epochs per tick (within the frame budget), then redraw."""
    with live.frame_turn():
        live_frame(ps)


def live_frame(ps: OverfittingState) -> None:
    tr = sync_trainer(ps)
    if ps.running:
        ps.run.epochs_per_frame = int(state.peek("speed", SPEED))  # the speed slider: epochs a frame
        ps.run.tick(tr, FRAME_SECONDS)
        if tr.done:
            stop(ps)
            keep_run(ps, tr)
            st.rerun()
    with ps.run.reading():  # one epoch's numbers and weights, never half of the next
        history, grid = list(tr.history), tr.predict_grid(GRID)
    live_charts(tr, history, grid)


def live_charts(tr: Trainer, h: list[EpochRecord], grid: np.ndarray) -> None:
    """The curves with the gap and markers, the words, and the current decision boundary."""
    analysis = of.analyse(h, tr.restored_epoch)
    stop_epoch = tr.epoch if tr.stop_reason == "early_stopping" else None
    epochs = [r.epoch for r in h]
    left, right = st.columns([3, 2], gap="medium")
    with left:
        loss_fig = co.gap_figure(
            epochs, [r.train_loss for r in h], [r.val_loss for r in h], "loss", tr.best_epoch if h else None,
            stop_epoch, tr.restored_epoch, analysis.onset_epoch if analysis else None,
            [r.lr for r in h] if tr.spec.train.reduce_lr else None, tr.lr_drops, height=340, x_max=tr.spec.train.epochs,
        )  # fmt: skip
        st.plotly_chart(loss_fig, key="of_loss", config={"displayModeBar": False})
        acc_fig = co.gap_figure(
            epochs, [r.train_acc for r in h], [r.val_acc for r in h], "accuracy", height=220, x_max=tr.spec.train.epochs
        )
        st.plotly_chart(acc_fig, key="of_acc", config={"displayModeBar": False})
    with right:
        axis, _ = datasets.grid(GRID)
        x = tr.data
        restored = f" · the restored weights of epoch {tr.restored_epoch}" if tr.restored_epoch else ""
        st.markdown(f"**Epoch {tr.epoch}**{restored}")
        fig = charts.boundary_figure(axis, grid, tr.spec.model.problem, x.x_train.numpy(),
                                     x.y_train.numpy(), x.x_val.numpy(), x.y_val.numpy(), height=420)  # fmt: skip
        st.plotly_chart(fig, key="of_boundary", config={"displayModeBar": False})
        st.caption("Filled dots: training points; rings: validation points.")
    st.markdown(of.describe(analysis, len(tr.x_train)))
    if tr.stop_reason == STOP_DIVERGED:
        st.error(tr.status_text(), icon=":material/error:")
    elif tr.done:
        st.info(tr.status_text(), icon=":material/flag:")


# -- comparing the kept runs -----------------------------------------------------------------------------


def runs_to_overlay(ps: OverfittingState) -> list[ofr.RunRecord]:
    """The multiselect of runs to overlay: a newly kept run joins it; runs the user took out stay out."""
    names = [r.name for r in ps.runs]
    selected = [n for n in state.peek("compare", names) if n in names] + [n for n in names if n not in ps.seen]
    state.put("compare", list(dict.fromkeys(selected)))
    ps.seen = names
    chosen_names = st.multiselect("Runs to overlay", names, key="compare") if state.visible("compare") else names
    return [r for r in ps.runs if r.name in chosen_names]


def overlay_metric() -> str:
    """The curves the overlay shows: "loss" or "accuracy"."""
    if not state.visible("overlay_metric"):
        return "loss"
    return str(st.radio("Curves", ["loss", "accuracy"], horizontal=True, key="overlay_metric"))


def overlay(runs: list[ofr.RunRecord], chosen: list[ofr.RunRecord], metric: str) -> None:
    """The chosen runs' curves on one chart, and how much each remedy narrowed the gap."""
    curves = [co.RunCurves(r.name, *r.series(metric), r.stop_epoch, r.best_epoch) for r in chosen]
    fig = co.overlay_figure(curves, metric, height=420 + 22 * len(curves))
    st.plotly_chart(fig, key="of_overlay", config={"displayModeBar": False})
    st.caption(
        "Runs of the same setup start from the same points and weights: their curves coincide until a remedy acts."
    )
    for diverged, line in ofr.comparison_lines(runs, chosen):
        if diverged:
            st.error(line, icon=":material/error:")
        else:
            st.markdown("- " + line)


def small_boundaries(chosen: list[ofr.RunRecord]) -> None:
    """Each chosen run's final decision boundary, four to a row."""
    axis, _ = datasets.grid(ofr.RUN_GRID)
    for start in range(0, len(chosen), 4):
        row = st.columns(4)
        for col, r in zip(row, chosen[start : start + 4], strict=False):
            data = datasets.make_2d(r.spec)
            fig = co.small_boundary(
                axis, r.grid, r.spec.model.problem, data.x_train.numpy(), data.y_train.numpy(), r.name
            )
            col.plotly_chart(fig, key=f"of_small_{start}_{r.name}", config={"displayModeBar": False})


def runs_table(ps: OverfittingState) -> None:
    """The runs as a table, one run's history to download as CSV, and a button that forgets them all."""
    runs = ps.runs
    names = [r.name for r in runs]
    st.dataframe(pd.DataFrame([ofr.run_row(r) for r in runs]), hide_index=True, key="runs_table")
    dl, clear = st.columns([3, 1])
    if state.visible("csv_run"):
        pick = dl.selectbox("Run to download", names, index=len(names) - 1, key="csv_run")
        run = runs[names.index(pick)]
        dl.download_button("Download its history (CSV)", ofr.history_csv(run.history), ofr.csv_filename(run),
                           "text/csv", key="download", icon=":material/download:")  # fmt: skip
    if state.visible("clear_runs") and clear.button("Forget all runs", key="clear_runs", icon=":material/delete:"):
        ps.runs = []
        ps.seen = []
        st.rerun()
