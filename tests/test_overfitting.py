"""The overfitting lab's engine and charts: the default overfits, remedies narrow the gap, runs, CSV."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.lessons import overfitting as of
from playground.lessons import overfitting_runs as ofr
from playground.spec import from_query_lenient
from playground.trainer import EpochRecord, Trainer
from playground.ui.charts import overfitting as co

ES = dict(early_stopping=True, early_stopping_patience=20, restore_best_weights=True)


@pytest.fixture(scope="module")
def default_run() -> ofr.RunRecord:
    return ofr.full_run(of.DEFAULT_SPEC)[1]


def _gap(run: ofr.RunRecord) -> float:
    assert run.analysis is not None
    return run.analysis.final_gap


# -- the default overfits ---------------------------------------------------------------------


def test_default_overfits_quickly(default_run: ofr.RunRecord) -> None:
    """Validation loss ends well above its minimum while the training loss keeps falling."""
    h = default_run.history
    val = np.array([r.val_loss for r in h])
    train = np.array([r.train_loss for r in h])
    best = int(val.argmin())
    assert len(h) == of.DEFAULT_SPEC.train.epochs == 200
    assert best < 100  # the turn comes early: there is time to watch the gap open
    assert val[-1] > val.min() + 0.3 and val[-1] > 1.5 * val.min()
    assert train[-1] < train[best] and train[-1] < 0.01  # memorised
    # Kept falling after the turn: at every quarter of the rest, lower than at the turn.
    quarters = np.linspace(best + 1, len(h) - 1, 4).astype(int)
    assert all(train[q] < train[best] for q in quarters)
    a = default_run.analysis
    assert a is not None and a.overfits
    assert a.onset_epoch is not None and abs(a.onset_epoch - (best + 1)) <= of.SMOOTH
    assert a.final_gap == pytest.approx(val[-1] - train[-1])
    assert "started rising at epoch" in of.describe(a, 20)


def test_default_has_the_presets_shape() -> None:
    """The page's presets name settings the default keeps: 40 points, half held out."""
    assert of.DEFAULT_SPEC.data.samples == 40 and of.DEFAULT_SPEC.data.validation_split == 0.5
    assert of.split_counts(40, 0.5) == (20, 20)
    trainer = Trainer(of.DEFAULT_SPEC, device="cpu")
    assert len(trainer.x_train) == 20 and len(trainer.x_val) == 20


def test_only_the_remedy_differs_between_runs() -> None:
    """Changing only remedies keeps the points, the split and the initial weights identical."""
    a = Trainer(of.DEFAULT_SPEC, device="cpu")
    remedies = dict(dropout=0.3, l1=0.001, l2=0.01, reduce_lr=True, **ES)
    b = Trainer(of.DEFAULT_SPEC.replace(**remedies), device="cpu")
    for name in ("x_train", "y_train", "x_val", "y_val"):
        assert torch.equal(getattr(a.data, name), getattr(b.data, name))
    assert a.initial_state.keys() == b.initial_state.keys()
    assert all(torch.equal(a.initial_state[k], b.initial_state[k]) for k in a.initial_state)
    assert of.same_setup(a.spec, b.spec)
    # A setup change does change them (the check above is not vacuous).
    c = Trainer(of.DEFAULT_SPEC.replace(samples=60), device="cpu")
    assert not torch.equal(a.data.x_train, c.data.x_train[: len(a.data.x_train)])
    assert not of.same_setup(a.spec, c.spec)


# -- early stopping ------------------------------------------------------------------------------


@pytest.mark.parametrize("patience", [5, 20])
def test_early_stopping_stops_at_best_plus_patience_and_restores(patience: int) -> None:
    spec = of.DEFAULT_SPEC.replace(**{**ES, "early_stopping_patience": patience})
    trainer, run = ofr.full_run(spec)
    val = [r.val_loss for r in trainer.history]
    best = int(np.argmin(val)) + 1  # first epoch with the lowest validation loss (min_delta 0)
    assert trainer.stop_reason == "early_stopping"
    assert run.best_epoch == best and run.restored_epoch == best
    assert run.stop_epoch == trainer.epoch == best + patience
    # The restored weights are exactly those of the best epoch: replay the run to that epoch.
    replay = Trainer(of.DEFAULT_SPEC.replace(epochs=best), device="cpu")
    replay.train(best)
    kept, again = trainer.model.state_dict(), replay.model.state_dict()
    assert all(torch.equal(kept[k], again[k]) for k in kept)
    assert trainer.evaluate("val")[0] == pytest.approx(val[best - 1], rel=1e-6)
    # The analysis reads the gap of the model the run ended with: the restored one.
    assert run.analysis is not None and run.analysis.final_epoch == best


def test_early_stopping_without_restore_keeps_the_last_weights() -> None:
    spec = of.DEFAULT_SPEC.replace(**{**ES, "restore_best_weights": False})
    trainer, run = ofr.full_run(spec)
    assert run.restored_epoch is None and run.stop_epoch == trainer.epoch
    assert trainer.evaluate("val")[0] == pytest.approx(trainer.history[-1].val_loss, rel=1e-6)
    assert run.analysis is not None and run.analysis.final_epoch == trainer.epoch


# -- remedies narrow the gap --------------------------------------------------------------------


@pytest.mark.parametrize("remedy", [dict(dropout=0.3), dict(l2=0.01), dict(l1=0.001), ES], ids=str)
def test_each_remedy_narrows_the_final_gap(default_run: ofr.RunRecord, remedy: dict[str, object]) -> None:
    """Dropout 0.3 and L2 0.01 (the presets), and the others, each narrow the gap on the default, seed 0."""
    _, run = ofr.full_run(of.DEFAULT_SPEC.replace(**remedy))
    assert _gap(run) < 0.8 * _gap(default_run)
    n = ofr.narrowing(default_run, run)
    assert n is not None and n.absolute > 0 and n.relative is not None and 0.2 < n.relative < 1
    assert ofr.reference_for([default_run, run], run) is default_run
    assert ofr.comparison_lines([default_run, run], [default_run, run]) == [
        (False, ofr.narrowing_words(default_run, run))
    ]
    assert "no remedy to see" in ofr.comparison_lines([run], [run])[0][1]
    words = ofr.narrowing_words(default_run, run)
    assert words.startswith(f"**{run.name}** narrowed the final gap from {_gap(default_run):.3f}")


def test_presets_of_the_page_parse_on_the_default() -> None:
    from playground.presets import presets_for

    presets = presets_for("overfitting")
    assert presets
    for preset in presets:
        spec, notices = from_query_lenient(dict(preset.params), of.DEFAULT_SPEC)
        assert notices == [] and of.fit_to_page(spec) == (spec, [])
        assert of.same_setup(spec, of.DEFAULT_SPEC)  # each preset changes only the remedy


def test_reduce_lr_on_plateau_records_its_drops() -> None:
    spec = of.DEFAULT_SPEC.replace(reduce_lr=True, reduce_lr_factor=0.5, reduce_lr_patience=10, reduce_lr_min_lr=1e-3)
    trainer, run = ofr.full_run(spec)
    lrs = [r.lr for r in trainer.history]
    assert run.lr_drops and run.lr_drops == tuple(trainer.lr_drops)
    for e in run.lr_drops:  # the cut shows from the next epoch on
        if e < len(lrs):
            assert lrs[e] < lrs[e - 1]
    assert min(lrs) == pytest.approx(1e-3) and lrs[0] == pytest.approx(0.01)
    assert "LR ×0.5 p10 ≥0.001" in run.name


def test_a_diverging_run_says_so() -> None:
    trainer, run = ofr.full_run(of.DEFAULT_SPEC.replace(optimizer="sgd", lr=3.0, l2=1.0))
    assert run.diverged and run.diverged_epoch is not None
    assert "Diverged at epoch" in trainer.status_text()
    assert ofr.comparison_lines([run], [run]) == [
        (True, f"**{run.name}** diverged at epoch {run.diverged_epoch}: lower the learning rate.")
    ]
    assert ofr.is_finite_history(run.history) and np.isfinite(run.grid).all()


# -- reading curves -------------------------------------------------------------------------------


def _history(train: list[float], val: list[float]) -> list[EpochRecord]:
    return [EpochRecord(i + 1, t, v, None, None, 0.01) for i, (t, v) in enumerate(zip(train, val, strict=True))]


def test_analyse_finds_the_turn_of_a_v_shape() -> None:
    val = [1.0 - 0.05 * i for i in range(15)] + [0.3 + 0.04 * i for i in range(1, 31)]
    train = [1.0 - 0.02 * i for i in range(45)]
    a = of.analyse(_history(train, val))
    assert a is not None and a.overfits
    # The smoothed minimum is a few epochs after the raw one (a trailing average lags).
    assert 15 <= (a.onset_epoch or 0) <= 15 + of.SMOOTH
    assert a.min_val_epoch == 15 and a.min_val_loss == pytest.approx(0.3)
    assert a.rise == pytest.approx(1.2) and a.final_gap == pytest.approx(val[-1] - train[-1])


@pytest.mark.parametrize(
    "train, val",
    [
        ([1.0 - 0.01 * i for i in range(50)], [1.0 - 0.01 * i for i in range(50)]),  # both still falling
        ([0.5 + 0.01 * i for i in range(50)], [0.5 + 0.02 * i for i in range(50)]),  # training loss rises too
        ([1.0 - 0.01 * i for i in range(50)], [0.5 + 0.0005 * i for i in range(50)]),  # a rise within noise
    ],
)
def test_analyse_reports_no_onset_without_clear_overfitting(train: list[float], val: list[float]) -> None:
    a = of.analyse(_history(train, val))
    assert a is not None and a.onset_epoch is None
    assert "No clear overfitting" in of.describe(a, 20)


def test_analyse_of_nothing() -> None:
    assert of.analyse([]) is None
    assert "press Play" in of.describe(None, 20)


def test_smooth_is_a_trailing_mean() -> None:
    assert of.smooth([1, 2, 3, 4, 5, 6], 3).tolist() == pytest.approx([1, 1.5, 2, 3, 4, 5])
    assert of.smooth([], 5).tolist() == []


# -- runs, names, CSV ------------------------------------------------------------------------------


def test_run_names_come_from_settings_and_are_unique() -> None:
    assert ofr.run_name(of.DEFAULT_SPEC) == "no remedy"
    assert ofr.run_name(of.DEFAULT_SPEC.replace(dropout=0.3, l2=0.01)) == "dropout 0.3 · L2 0.01"
    assert ofr.run_name(of.DEFAULT_SPEC.replace(**ES)) == "early stop p20 restore"
    name = ofr.run_name(of.DEFAULT_SPEC.replace(noise=20.0, hidden=(8, 8), dataset="xor"))
    assert name == "dataset xor · noise 20 · hidden 8,8 — no remedy"
    assert ofr.run_name(of.DEFAULT_SPEC, taken=["no remedy", "no remedy (2)"]) == "no remedy (3)"
    assert ofr.remedy_words(of.DEFAULT_SPEC.replace(early_stopping=True, early_stopping_min_delta=0.01)) == (
        "early stop p20 Δ0.01"
    )


def test_add_run_keeps_ten_and_replaces_the_same_spec(default_run: ofr.RunRecord) -> None:
    runs: list[ofr.RunRecord] = []
    for k in range(12):
        spec = of.DEFAULT_SPEC.replace(epochs=10 + k)
        runs = ofr.add_run(runs, ofr.RunRecord(f"r{k}", spec, (), None, None, None, (), None, None, np.zeros((2, 2))))
    assert len(runs) == ofr.MAX_RUNS and runs[0].name == "r2" and runs[-1].name == "r11"
    again = ofr.RunRecord("new name", runs[3].spec, (), None, None, None, (), None, None, np.zeros((2, 2)))
    runs = ofr.add_run(runs, again)
    assert len(runs) == ofr.MAX_RUNS and runs[-1].name == "r5" and [r.name for r in runs].count("r5") == 1
    assert default_run.grid.shape == (ofr.RUN_GRID, ofr.RUN_GRID) and default_run.grid.dtype == np.float32


def test_history_csv_round_trips(default_run: ofr.RunRecord) -> None:
    text = ofr.history_csv(default_run.history)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0].keys()) == ofr.CSV_COLUMNS
    assert len(rows) == len(default_run.history)
    for row, rec in zip(rows, default_run.history, strict=True):
        assert int(row["epoch"]) == rec.epoch
        assert float(row["train_loss"]) == rec.train_loss and float(row["val_loss"]) == rec.val_loss
        assert float(row["gap"]) == rec.val_loss - rec.train_loss
        assert float(row["val_acc"]) == rec.val_acc and float(row["lr"]) == rec.lr
    regression = _history([0.5], [0.7])
    assert ofr.history_csv(regression).splitlines()[1] == "1,0.5,0.7,0.19999999999999996,,,0.01"
    assert ofr.history_csv([]) == ",".join(ofr.CSV_COLUMNS) + "\n"
    name = ofr.csv_filename(default_run)
    assert name == "overfitting_no_remedy.csv"
    weird = ofr.RunRecord("a/b · ✓ <x>", of.DEFAULT_SPEC, (), None, None, None, (), None, None, np.zeros((1, 1)))
    assert ofr.csv_filename(weird) == "overfitting_a_b_x.csv"


# -- the page's bounds and controls --------------------------------------------------------------


def test_fit_to_page_brings_links_within_bounds() -> None:
    spec = of.DEFAULT_SPEC.replace(samples=5000, epochs=9000, hidden=(512, 512, 8, 8, 8, 8, 8, 8), activation=("relu",))
    spec = spec.replace(dataset="mnist", problem="multiclass", loss="categorical_crossentropy")
    fitted, notices = of.fit_to_page(spec)
    assert fitted.data.dataset == "circle" and fitted.model.problem == "binary"
    assert fitted.data.samples == of.MAX_SAMPLES and fitted.train.epochs == of.MAX_EPOCHS
    assert fitted.model.hidden == (256, 256, 8, 8, 8, 8)
    assert len(notices) == 4 and all(":" in n for n in notices)
    three, notes = of.fit_to_page(
        of.DEFAULT_SPEC.replace(dataset="three_class", problem="multiclass", loss="categorical_crossentropy")
    )
    assert notes == [] and three.data.dataset == "three_class"


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["dataset", "samples", "epochs", "hidden", "activation", "problem", "noise", "l2"]),
        st.one_of(
            st.text(max_size=12), st.integers(-5, 20_000).map(str), st.sampled_from(["spiral", "plane", "64,64"])
        ),
        max_size=5,
    )
)
def test_any_link_fits_the_page(params: dict[str, str]) -> None:
    """Whatever a link holds, the page gets a valid spec within its bounds and no exception."""
    spec, _ = from_query_lenient(params, of.DEFAULT_SPEC)
    fitted, notices = of.fit_to_page(spec)
    assert fitted.data.dataset in of.PAGE_DATASETS
    assert fitted.data.samples <= of.MAX_SAMPLES and fitted.train.epochs <= of.MAX_EPOCHS
    assert len(fitted.model.hidden) <= of.MAX_LAYERS and max(fitted.model.hidden, default=1) <= of.MAX_LAYER_WIDTH
    assert all(isinstance(n, str) for n in notices)


def test_link_base_moves_the_default_to_the_links_data_set() -> None:
    assert of.link_base({}) == of.DEFAULT_SPEC
    assert of.link_base({"dataset": "xor"}) == of.DEFAULT_SPEC.replace(dataset="xor")
    base = of.link_base({"dataset": "Three-Class"})
    assert base.model.problem == "multiclass" and base.model.loss == "categorical_crossentropy"
    spec, notices = from_query_lenient({"dataset": "three_class", "dropout": "0.3"}, base)
    assert notices == [] and spec.model.dropout == 0.3 and spec.data.dataset == "three_class"
    assert of.link_base({"dataset": "three_class", "problem": "binary"}) == of.DEFAULT_SPEC
    assert of.link_base({"dataset": "mnist"}) == of.DEFAULT_SPEC


def test_spec_for_controls_changes_only_what_moved() -> None:
    odd = of.DEFAULT_SPEC.replace(hidden=(100, 30))
    shown = of.control_values(odd)
    assert shown["layers"] == 2 and shown["width"] == 100 and shown["activation"] == "tanh"
    assert set(shown) == {c.name for c in of.CONTROLS}
    assert of.spec_for_controls(odd, shown) == odd  # hidden 100,30 survives untouched controls
    moved = of.spec_for_controls(odd, {**shown, "dropout": 0.2, "dataset": "three_class"})
    assert moved.model.dropout == 0.2 and moved.model.problem == "multiclass" and moved.model.hidden == (100, 30)
    wider = of.spec_for_controls(odd, {**shown, "layers": 3, "activation": "relu"})
    assert wider.model.hidden == (100, 100, 100) and wider.model.activation == ("relu",) * 3
    assert of.spec_for_controls(odd, {**shown, "layers": 0}).model.hidden == ()


# -- charts -------------------------------------------------------------------------------------


def _texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text for a in fig.layout.annotations]


def test_gap_figure_shades_the_gap_and_marks_epochs() -> None:
    fig = co.gap_figure(
        [1, 2, 3, 4], [1.0, 0.5, 0.2, 0.1], [1.0, 0.6, float("nan"), 0.9], best_epoch=2, stop_epoch=4,
        restored_epoch=2, onset_epoch=3, lr=[0.1, 0.1, 0.01, 0.01], lr_drops=[2],
    )  # fmt: skip
    assert fig.data[1].fill == "tonexty" and fig.data[1].y[2] is None  # NaN becomes a gap, never a value
    assert _texts(fig) == ["rising from 3", "best 2 = restored", "stop 4"]
    assert len(fig.layout.shapes) == 3
    lr_trace, drops = fig.data[2], fig.data[3]
    assert lr_trace.yaxis == "y2" and fig.layout.yaxis2.type == "log"
    assert list(drops.x) == [2] and list(drops.y) == pytest.approx([0.01])
    json.loads(fig.to_json())  # serialisable
    assert list(fig.layout.xaxis.range) == [0, 4]
    plain = co.gap_figure([], [], [], x_max=200)
    assert len(plain.data) == 2 and not plain.layout.annotations
    assert list(plain.layout.xaxis.range) == [0, 200] and list(plain.layout.yaxis.range) == [0, 1]
    acc = co.gap_figure([1, 2], [0.5, 0.9], [0.5, 0.6], "accuracy", x_max=50)
    assert list(acc.layout.xaxis.range) == [0, 50] and list(acc.layout.yaxis.range) == [0, 1.02]


def test_gap_figure_restored_apart_from_best() -> None:
    fig = co.gap_figure([1, 2, 3], [1, 0.5, 0.2], [1, 0.6, 0.7], best_epoch=2, restored_epoch=1)
    assert _texts(fig) == ["best 2", "restored 1"]


def test_overlay_figure_marks_each_stop() -> None:
    runs = [
        co.RunCurves("no remedy", [1, 2, 3], [1, 0.5, 0.2], [1, 0.6, 0.8], None, 2),
        co.RunCurves("early stop", [1, 2], [1, 0.5], [1, math.inf], 2, 1),
    ]
    fig = co.overlay_figure(runs)
    names = [t.name for t in fig.data if t.name]
    assert names == ["no remedy · validation", "no remedy · train", "early stop · validation", "early stop · train"]
    stops = [t for t in fig.data if t.mode == "markers+text"]
    assert stops == []  # the stop point's loss is not finite: no marker rather than a NaN
    runs[1] = co.RunCurves("early stop", [1, 2], [1, 0.5], [1, 0.7], 2, 1)
    stops = [t for t in co.overlay_figure(runs).data if t.mode == "markers+text"]
    assert len(stops) == 1 and list(stops[0].text) == ["stop 2"] and list(stops[0].x) == [2]


def test_small_boundary_wraps_long_names() -> None:
    axis = np.linspace(-6, 6, 5, dtype=np.float32)
    fig = co.small_boundary(axis, np.full((5, 5), 0.5), "binary", np.zeros((2, 2)), np.array([0, 1]), "x " * 40)
    assert fig.layout.showlegend is False and fig.layout.title.text.count("<br>") == 2
