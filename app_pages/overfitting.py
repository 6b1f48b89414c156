"""Overfitting & regularization lab: watch the gap open, then close it.

The sidebar holds the data, the network and each remedy of the lecture
(dropout, L2/L1, early stopping, reduce-LR-on-plateau); every setting is in the
URL. Play trains live in a fragment: the loss curves with the gap shaded and
the decision boundary beside them. Each finished run is kept (up to ten) to
overlay, to compare boundaries and to download as CSV. All numbers come from
``playground.lessons.overfitting``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from playground import datasets
from playground.controls import Control
from playground.lessons import overfitting as of
from playground.spec import SpecError
from playground.trainer import STOP_DIVERGED, Trainer
from playground.ui import live, state, widgets
from playground.ui.charts import base as charts
from playground.ui.charts import overfitting as co
from playground.ui.controls import draw_controls

FRAME_SECONDS = 0.15
#: Epochs per live frame by default: the 200 epochs of the default take about 20 frames.
SPEED = 10
GRID = 60

st.title("Overfitting & regularization")
# Read the link first: page_header shows the notices about its bad values.
spec, limit_notices = of.fit_to_page(state.page_spec(of.PAGE, of.link_base(state.query_params())))
widgets.page_header(of.PAGE)
st.caption(
    "Few noisy points and a big network: the training loss falls towards zero while the validation loss turns up. "
    "Press **Play**, watch the gap open, then switch on a remedy and train again: the data and the initial "
    "weights stay the same, so only the remedy differs."
)
for notice in limit_notices:
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")


def split_caption(c: Control, values: dict[str, Any]) -> None:
    """Under the split: how many points train and how many validate."""
    if c.name == "validation_split":
        n_train, n_val = of.split_counts(values.get("samples", shown["samples"]), values["validation_split"])
        st.sidebar.caption(f"{n_train} training points, {n_val} validation points.")


shown = of.control_values(spec)
new = draw_controls(of.CONTROLS, shown, after=split_caption)
if state.visible("speed"):
    st.sidebar.slider("Epochs per frame", 1, 50, SPEED, key="speed", help="How many epochs each live frame trains.")
try:
    spec = of.fit_to_page(of.spec_for_controls(spec, new))[0]
except SpecError as exc:
    st.error(f"That setting cannot be used: {exc}", icon=":material/error:")
state.set_page_spec(of.PAGE, spec, of.DEFAULT_SPEC)


def trainer() -> Trainer:
    """This user's trainer for the current spec (a new run from the same initial weights when it changes)."""
    tr: Trainer | None = state.get("of:trainer", lambda: None)
    current = state.page_spec(of.PAGE, of.DEFAULT_SPEC)
    if tr is None or tr.spec != current:
        tr = Trainer(current, device="cpu")
        state.put("of:trainer", tr)
    return tr


def running() -> bool:
    return bool(state.get("of:running", lambda: False))


def keep_run(tr: Trainer) -> None:
    """Keep a finished run (once) among the session's runs."""
    key = (tr.spec, tr.epoch, tr.stop_reason)
    if tr.done and state.get("of:kept", lambda: None) != key:
        runs: list[of.RunRecord] = state.get("of:runs", list)
        state.put("of:runs", of.add_run(runs, of.record_from_trainer(tr, [r.name for r in runs])))
        state.put("of:kept", key)


def stop() -> None:
    state.put("of:running", False)
    live.release()


def toggle_play() -> None:
    """Play or pause; Play on a finished run replays it from the same initial weights."""
    if running():
        stop()
        return
    if trainer().done:
        trainer().reset()
    state.put("of:running", True)


def reset() -> None:
    stop()
    trainer().reset()


def run_to_end() -> None:
    """Train the rest of the run now (up to 3 s; the rest goes on live)."""
    tr = trainer()
    tr.train(epochs=tr.spec.train.epochs, max_seconds=3.0)
    keep_run(tr)
    state.put("of:running", not tr.done)


cols = st.columns([1, 1, 1.4, 4])
if state.visible("play"):
    playing = running()
    cols[0].button("Pause" if playing else "Play", key="play", on_click=toggle_play, type="primary",
                   icon=":material/pause:" if playing else ":material/play_arrow:", width="stretch")  # fmt: skip
if state.visible("reset"):
    cols[1].button("Reset", key="reset", on_click=reset, icon=":material/restart_alt:", width="stretch")
if state.visible("run_to_end"):
    cols[2].button("Train to the end", key="run_to_end", on_click=run_to_end, icon=":material/fast_forward:",
                   width="stretch")  # fmt: skip


def live_charts(tr: Trainer) -> None:
    """The curves with the gap and markers, the words, and the current decision boundary."""
    h = tr.history
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
        fig = charts.boundary_figure(axis, tr.predict_grid(GRID), tr.spec.model.problem, x.x_train.numpy(),
                                     x.y_train.numpy(), x.x_val.numpy(), x.y_val.numpy(), height=420)  # fmt: skip
        st.plotly_chart(fig, key="of_boundary", config={"displayModeBar": False})
        st.caption("Filled dots: training points; rings: validation points.")
    st.markdown(of.describe(analysis, len(tr.x_train)))
    if tr.stop_reason == STOP_DIVERGED:
        st.error(tr.status_text(), icon=":material/error:")
    elif tr.done:
        st.info(tr.status_text(), icon=":material/flag:")


@st.fragment(run_every=live.frame_interval(FRAME_SECONDS) if running() else None)
def live_view() -> None:
    """Train a few epochs per tick (within the frame budget), then redraw."""
    with live.frame_turn():
        live_frame()


def live_frame() -> None:
    tr = trainer()
    if running():
        if live.acquire():
            live.keep_pace(FRAME_SECONDS)
            tr.train(epochs=int(state.get("speed", lambda: SPEED)), max_seconds=live.train_seconds(FRAME_SECONDS))
        else:
            st.info(live.queued_message(), icon=":material/hourglass_top:")
        if tr.done:
            stop()
            keep_run(tr)
            st.rerun()
    live_charts(tr)


live_view()
st.header("Compare runs", divider="gray")
runs: list[of.RunRecord] = state.get("of:runs", list)
if not runs:
    st.info("Each finished run is kept here (up to ten), named by its settings: overlay them, compare their "
            "boundaries and download their histories.", icon=":material/compare_arrows:")  # fmt: skip
    st.stop()
names = [r.name for r in runs]
# A newly kept run joins the overlay; runs the user took out stay out.
seen: list[str] = state.get("of:seen", list)
selected = [n for n in state.get("compare", lambda: names) if n in names] + [n for n in names if n not in seen]
state.put("compare", list(dict.fromkeys(selected)))
state.put("of:seen", names)
chosen_names = st.multiselect("Runs to overlay", names, key="compare") if state.visible("compare") else names
chosen = [r for r in runs if r.name in chosen_names]
metric = (
    st.radio("Curves", ["loss", "accuracy"], horizontal=True, key="overlay_metric")
    if state.visible("overlay_metric")
    else "loss"
)
curves = [co.RunCurves(r.name, *r.series(metric), r.stop_epoch, r.best_epoch) for r in chosen]
st.plotly_chart(
    co.overlay_figure(curves, metric, height=420 + 22 * len(curves)), key="of_overlay", config={"displayModeBar": False}
)
st.caption("Runs of the same setup start from the same points and weights: their curves coincide until a remedy acts.")
for diverged, line in of.comparison_lines(runs, chosen):
    if diverged:
        st.error(line, icon=":material/error:")
    else:
        st.markdown("- " + line)
axis, _ = datasets.grid(of.RUN_GRID)
for start in range(0, len(chosen), 4):
    row = st.columns(4)
    for col, r in zip(row, chosen[start : start + 4], strict=False):
        data = datasets.make_2d(r.spec)
        col.plotly_chart(co.small_boundary(axis, r.grid, r.spec.model.problem, data.x_train.numpy(), data.y_train.numpy(), r.name),
                         key=f"of_small_{start}_{r.name}", config={"displayModeBar": False})  # fmt: skip
st.dataframe(pd.DataFrame([of.run_row(r) for r in runs]), hide_index=True, key="runs_table")
dl, clear = st.columns([3, 1])
if state.visible("csv_run"):
    pick = dl.selectbox("Run to download", names, index=len(names) - 1, key="csv_run")
    run = runs[names.index(pick)]
    dl.download_button("Download its history (CSV)", of.history_csv(run.history), of.csv_filename(run), "text/csv",
                       key="download", icon=":material/download:")  # fmt: skip
if state.visible("clear_runs") and clear.button("Forget all runs", key="clear_runs", icon=":material/delete:"):
    state.put("of:runs", [])
    state.put("of:seen", [])
    st.rerun()
