"""The overfitting lab's runs: each finished run named, kept, compared with its no-remedy twin, written as CSV.

A run is identified by its spec (``playground.lessons.overfitting`` explains why
two runs that differ only in a remedy start from the same points and weights).
This module

* names a run from its settings (``run_name``: the setup's differences from the
  default, then its remedies);
* trains a spec to its end (``full_run``) and freezes the result as a ``RunRecord``
  (history, best/stop epochs, LR drops, restored epoch, the final decision boundary);
* keeps at most ``MAX_RUNS`` of them (``add_run``) and says how much a remedy
  narrowed the final gap against the same setup with no remedy (``comparison_lines``);
* writes a run's history as CSV (``history_csv``).

It imports neither Streamlit nor Plotly.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.lessons.overfitting import DEFAULT_SPEC, Analysis, analyse, has_remedy, same_setup
from playground.spec import Spec
from playground.trainer import STOP_DIVERGED, STOP_EARLY, EpochRecord, Trainer

#: Setup settings named in a run's name when they differ from the default.
SETUP_FIELDS = (
    "dataset",
    "samples",
    "noise",
    "validation_split",
    "hidden",
    "activation",
    "optimizer",
    "lr",
    "batch_size",
    "epochs",
    "seed",
)
#: Runs kept per session.
MAX_RUNS = 10
#: Resolution of the decision boundary kept with each run.
RUN_GRID = 50


# ---------------------------------------------------------------------------
# Names.
# ---------------------------------------------------------------------------


def _fmt(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def remedy_words(spec: Spec) -> str:
    """The remedies of a spec in a few words ("dropout 0.3 · L2 0.01"), or "no remedy"."""
    t, parts = spec.train, []
    if spec.model.dropout > 0:
        parts.append(f"dropout {_fmt(spec.model.dropout)}")
    if t.l2 > 0:
        parts.append(f"L2 {_fmt(t.l2)}")
    if t.l1 > 0:
        parts.append(f"L1 {_fmt(t.l1)}")
    if t.early_stopping:
        words = f"early stop p{t.early_stopping_patience}"
        if t.early_stopping_min_delta > 0:
            words += f" Δ{_fmt(t.early_stopping_min_delta)}"
        parts.append(words + (" restore" if t.restore_best_weights else ""))
    if t.reduce_lr:
        words = f"LR ×{_fmt(t.reduce_lr_factor)} p{t.reduce_lr_patience}"
        parts.append(words + (f" ≥{_fmt(t.reduce_lr_min_lr)}" if t.reduce_lr_min_lr > 0 else ""))
    return " · ".join(parts) if parts else "no remedy"


def setup_words(spec: Spec, default: Spec = DEFAULT_SPEC) -> str:
    """The setup settings that differ from the default ("noise 20 · hidden 8,8"), or ""."""
    mine, base, parts = spec.to_dict(), default.to_dict(), []
    # One activation for all layers reads as its name; none (no hidden layer) is not worth a word.
    for d in (mine, base):
        d["activation"] = sorted(set(d["activation"]))
    for name in SETUP_FIELDS:
        if mine[name] != base[name] and not (name == "activation" and not mine[name]):
            value = mine[name]
            text = ",".join(str(v) for v in value) if isinstance(value, list) else _fmt(value)
            parts.append(f"{name.replace('_', ' ')} {text or 'none'}")
    return " · ".join(parts)


def run_name(spec: Spec, taken: Sequence[str] = (), default: Spec = DEFAULT_SPEC) -> str:
    """A run's name from its settings: the setup's differences, then the remedies; unique among ``taken``."""
    setup = setup_words(spec, default)
    name = f"{setup} — {remedy_words(spec)}" if setup else remedy_words(spec)
    unique, k = name, 2
    while unique in taken:
        unique, k = f"{name} ({k})", k + 1
    return unique


# ---------------------------------------------------------------------------
# How much a remedy narrowed the gap.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Narrowing:
    """How much a run's final gap differs from a reference run's (positive: narrower)."""

    reference_gap: float
    gap: float

    @property
    def absolute(self) -> float:
        return self.reference_gap - self.gap

    @property
    def relative(self) -> float | None:
        if self.reference_gap <= 0:
            return None
        return self.absolute / self.reference_gap


def narrowing(reference: RunRecord, run: RunRecord) -> Narrowing | None:
    """The narrowing of ``run``'s final gap against ``reference``'s (None if either has no epoch)."""
    if reference.analysis is None or run.analysis is None:
        return None
    return Narrowing(reference.analysis.final_gap, run.analysis.final_gap)


def narrowing_words(reference: RunRecord, run: RunRecord) -> str:
    """One sentence: by how much ``run``'s remedy narrowed (or widened) the final gap."""
    n = narrowing(reference, run)
    if n is None:
        return f"{run.name}: no epochs to compare."
    pct = f" ({n.relative:+.0%})".replace("+", "−", 1) if n.relative is not None and n.absolute > 0 else ""
    if n.absolute > 0:
        verb = f"narrowed the final gap from {n.reference_gap:.3f} to {n.gap:.3f}{pct}"
    elif n.absolute < 0:
        verb = f"widened the final gap from {n.reference_gap:.3f} to {n.gap:.3f}"
    else:
        verb = f"left the final gap at {n.gap:.3f}"
    return f"**{run.name}** {verb}."


# ---------------------------------------------------------------------------
# Runs.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """One finished (or stopped) run, kept to compare with others."""

    name: str
    spec: Spec
    history: tuple[EpochRecord, ...]
    stop_reason: str | None
    best_epoch: int | None
    stop_epoch: int | None  # the epoch early stopping stopped at
    lr_drops: tuple[int, ...]
    restored_epoch: int | None
    diverged_epoch: int | None
    #: The decision boundary of the model the run ended with, [RUN_GRID, RUN_GRID] (or [.., .., k]).
    grid: np.ndarray = field(repr=False, compare=False)

    @property
    def analysis(self) -> Analysis | None:
        return analyse(self.history, self.restored_epoch)

    def series(self, metric: str = "loss") -> tuple[list[int], list[float | None], list[float | None]]:
        """(epochs, training values, validation values) of "loss" or "accuracy"."""
        suffix = "acc" if metric == "accuracy" else "loss"
        h = self.history
        return (
            [r.epoch for r in h],
            [getattr(r, f"train_{suffix}") for r in h],
            [getattr(r, f"val_{suffix}") for r in h],
        )

    @property
    def diverged(self) -> bool:
        return self.stop_reason == STOP_DIVERGED


def record_from_trainer(trainer: Trainer, taken: Sequence[str] = ()) -> RunRecord:
    """Freeze a trainer's run into a record (named from its settings, unique among ``taken``)."""
    return RunRecord(
        name=run_name(trainer.spec, taken),
        spec=trainer.spec,
        history=tuple(trainer.history),
        stop_reason=trainer.stop_reason,
        best_epoch=trainer.best_epoch,
        stop_epoch=trainer.epoch if trainer.stop_reason == STOP_EARLY else None,
        lr_drops=tuple(trainer.lr_drops),
        restored_epoch=trainer.restored_epoch,
        diverged_epoch=trainer.diverged_epoch,
        grid=trainer.predict_grid(RUN_GRID).astype(np.float32),
    )


def full_run(spec: Spec, taken: Sequence[str] = (), max_seconds: float | None = None) -> tuple[Trainer, RunRecord]:
    """Train ``spec`` from its initial weights to its end (or ``max_seconds``) and record it."""
    trainer = Trainer(spec, device="cpu")
    trainer.train(epochs=spec.train.epochs, max_seconds=max_seconds)
    return trainer, record_from_trainer(trainer, taken)


def add_run(runs: list[RunRecord], run: RunRecord, limit: int = MAX_RUNS) -> list[RunRecord]:
    """The runs with ``run`` added: a run of the same spec is replaced; the oldest go beyond ``limit``."""
    kept = [r for r in runs if r.spec != run.spec]
    if len(kept) < len(runs):  # same settings again: keep the old name
        old = next(r for r in runs if r.spec == run.spec)
        run = RunRecord(**{**run.__dict__, "name": old.name})
    return [*kept, run][-limit:]


def reference_for(runs: Sequence[RunRecord], run: RunRecord) -> RunRecord | None:
    """The run ``run`` is compared against: the same setup with no remedy, if one was kept."""
    if not has_remedy(run.spec):
        return None
    return next((r for r in runs if not has_remedy(r.spec) and same_setup(r.spec, run.spec)), None)


def comparison_lines(runs: Sequence[RunRecord], chosen: Sequence[RunRecord]) -> list[tuple[bool, str]]:
    """(diverged?, sentence) for each chosen run: how much its remedy narrowed the gap, or why it cannot say."""
    lines = []
    for run in chosen:
        reference = reference_for(runs, run)
        if run.diverged:
            lines.append((True, f"**{run.name}** diverged at epoch {run.diverged_epoch}: lower the learning rate."))
        elif reference is not None:
            lines.append((False, narrowing_words(reference, run)))
        elif has_remedy(run.spec):
            lines.append(
                (False, f"**{run.name}**: train the same setup with no remedy to see how much it narrows the gap.")
            )
    return lines


def run_row(run: RunRecord) -> dict[str, Any]:
    """One line of the runs table."""
    a, last = run.analysis, (run.history[-1] if run.history else None)
    return {
        "run": run.name,
        "epochs": len(run.history),
        "best epoch": run.best_epoch,
        "val. loss rising from": a.onset_epoch if a else None,
        "early stop at": run.stop_epoch,
        "restored epoch": run.restored_epoch,
        "LR drops": len(run.lr_drops),
        "final gap": round(a.final_gap, 4) if a else None,
        "val. accuracy (end)": None if last is None or last.val_acc is None else round(last.val_acc, 3),
        "diverged at": run.diverged_epoch,
    }


# ---------------------------------------------------------------------------
# CSV.
# ---------------------------------------------------------------------------

CSV_COLUMNS = ("epoch", "train_loss", "val_loss", "gap", "train_acc", "val_acc", "lr")


def history_csv(history: Sequence[EpochRecord]) -> str:
    """The history as CSV: one row per epoch; empty cells where there is no accuracy (regression)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in history:
        row = [r.epoch, r.train_loss, r.val_loss, r.val_loss - r.train_loss, r.train_acc, r.val_acc, r.lr]
        writer.writerow(["" if v is None else (repr(float(v)) if isinstance(v, float) else v) for v in row])
    return out.getvalue()


def csv_filename(run: RunRecord) -> str:
    """A safe file name for a run's CSV."""
    slug = "".join(c if c.isalnum() or c in ".-" else "_" for c in run.name.lower())
    slug = "_".join(part for part in slug.split("_") if part)
    return f"overfitting_{slug[:80] or 'run'}.csv"


def is_finite_history(history: Sequence[EpochRecord]) -> bool:
    return all(math.isfinite(r.train_loss) and math.isfinite(r.val_loss) for r in history)
