"""AppTest tests of the overfitting lab page: every control, live frames, kept runs, bad links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.lessons import overfitting as of
from playground.lessons import overfitting_runs as ofr
from playground.ui.overfitting_views import OverfittingState

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page("app_pages/overfitting.py").run()
    assert not at.exception, at.exception
    return at


def spec(at: AppTest) -> of.Spec:
    value: of.Spec = at.session_state[f"spec:{of.PAGE}"]
    return value


def page(at: AppTest) -> OverfittingState:
    """This session's page state (the trainer, the running flag, the kept runs)."""
    value: OverfittingState = at.session_state[f"state:{of.PAGE}"]
    return value


def charts(at: AppTest) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]  # type: ignore[attr-defined]


def texts(at: AppTest) -> str:
    return "\n".join(str(el.value) for kind in (at.markdown, at.info, at.error, at.warning) for el in kind)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def test_opens_on_the_default_with_empty_charts_and_no_runs() -> None:
    at = open_page()
    assert spec(at) == of.DEFAULT_SPEC
    assert "Epoch 0: press Play" in texts(at)
    figs = charts(at)
    assert len(figs) == 3  # loss, accuracy, boundary
    assert "Each finished run is kept here" in texts(at)
    assert not at.warning and not at.error
    assert "20 training points, 20 validation points." in [c.value for c in at.sidebar.caption]


def test_play_pause_reset_and_train_to_the_end() -> None:
    at = open_page()
    at.slider(key="speed").set_value(20).run()
    at.button(key="play").click().run()  # one live frame per run() under AppTest
    trainer = page(at).trainer
    assert page(at).running and 1 <= trainer.epoch <= 20
    at.run()
    assert trainer.epoch > 1
    at.button(key="play").click().run()  # Pause
    paused = trainer.epoch
    at.run()
    assert not page(at).running and trainer.epoch == paused
    at.button(key="reset").click().run()
    assert page(ok(at)).trainer.epoch == 0
    at.button(key="run_to_end").click().run()
    ok(at)
    assert page(at).trainer.epoch == 200
    assert "started rising at epoch" in texts(at) and "Finished: reached the maximum of 200 epochs" in texts(at)
    loss = charts(at)[0]
    assert any(a["text"].startswith("best ") for a in loss["layout"]["annotations"])
    runs = page(at).runs
    assert [r.name for r in runs] == ["no remedy"]
    assert at.multiselect(key="compare").value == ["no remedy"]
    assert at.download_button(key="download") is not None  # type: ignore[attr-defined]
    # Play on a finished run replays it from epoch 0 (the same initial weights, the same curves).
    at.button(key="play").click().run()
    assert page(ok(at)).running and 1 <= page(at).trainer.epoch <= 20
    assert [r.name for r in page(at).runs] == ["no remedy"]


def test_every_control_changes_the_spec_and_the_url() -> None:
    at = open_page()
    moves = [
        ("selectbox", "dataset", "xor", "dataset", "xor"),
        ("slider", "samples", 60, "samples", "60"),
        ("slider", "noise", 20.0, "noise", "20.0"),
        ("slider", "validation_split", 0.3, "validation-split", "0.3"),
        ("slider", "layers", 3, "hidden", "64,64,64"),
        ("select_slider", "width", 32, "hidden", "32,32,32"),
        ("selectbox", "activation", "relu", "activation", "relu,relu,relu"),
        ("selectbox", "optimizer", "rmsprop", "optimizer", "rmsprop"),
        ("select_slider", "lr", 0.003, "lr", "0.003"),
        ("slider", "epochs", 60, "epochs", "60"),
        ("slider", "dropout", 0.2, "dropout", "0.2"),
        ("select_slider", "l2", 0.001, "l2", "0.001"),
        ("select_slider", "l1", 0.0001, "l1", "0.0001"),
        ("toggle", "early_stopping", True, "early-stopping", "true"),
        ("slider", "early_stopping_patience", 7, "early-stopping-patience", "7"),
        ("select_slider", "early_stopping_min_delta", 0.001, "early-stopping-min-delta", "0.001"),
        ("checkbox", "restore_best_weights", True, "restore-best-weights", "true"),
        ("toggle", "reduce_lr", True, "reduce-lr", "true"),
        ("slider", "reduce_lr_factor", 0.5, "reduce-lr-factor", "0.5"),
        ("slider", "reduce_lr_patience", 4, "reduce-lr-patience", "4"),
        ("select_slider", "reduce_lr_min_lr", 0.0001, "reduce-lr-min-lr", "0.0001"),
    ]
    for kind, key, value, url_key, url_value in moves:
        getattr(at, kind)(key=key).set_value(value).run()
        ok(at)
        assert at.query_params[url_key] == url_value, (key, at.query_params)
    s = spec(at)
    assert s.data.dataset == "xor" and s.model.hidden == (32, 32, 32) and s.train.reduce_lr_min_lr == 0.0001
    assert at.sidebar.caption[0].value == "42 training points, 18 validation points."
    # A run with everything on: the lr is drawn on a second axis with its drops marked.
    at.button(key="run_to_end").click().run()
    loss = charts(ok(at))[0]
    assert loss["layout"]["yaxis2"]["type"] == "log"
    names = [t.get("name") for t in loss["data"]]
    assert "learning rate" in names
    tr = page(at).trainer
    assert tr.stop_reason in ("early_stopping", "max_epochs")
    # Turning a remedy off hides its settings again and keeps them in the spec.
    at.toggle(key="early_stopping").set_value(False).run()
    assert not any(s.key == "early_stopping_patience" for s in ok(at).slider)
    assert spec(at).train.early_stopping_patience == 7


def test_two_runs_are_compared_overlaid_and_downloaded() -> None:
    at = open_page()
    at.button(key="run_to_end").click().run()
    at.slider(key="dropout").set_value(0.3).run()
    at.button(key="run_to_end").click().run()
    ok(at)
    runs = page(at).runs
    assert [r.name for r in runs] == ["no remedy", "dropout 0.3"]
    assert at.multiselect(key="compare").value == ["no remedy", "dropout 0.3"]
    assert "**dropout 0.3** narrowed the final gap from 0.861 to" in texts(at)
    figs = charts(at)
    overlay = next(f for f in figs if any(t.get("name") == "dropout 0.3 · validation" for t in f["data"]))
    assert {t.get("name") for t in overlay["data"]} >= {"no remedy · validation", "no remedy · train"}
    assert len(figs) == 3 + 1 + 2  # live charts, the overlay, two small boundaries
    at.radio(key="overlay_metric").set_value("accuracy").run()
    overlay = next(
        f for f in charts(ok(at)) if f["layout"]["yaxis"]["title"]["text"] == "accuracy" and len(f["data"]) >= 4
    )
    assert overlay
    at.multiselect(key="compare").set_value(["dropout 0.3"]).run()
    assert len(charts(ok(at))) == 3 + 1 + 1
    at.selectbox(key="csv_run").set_value("no remedy").run()
    ok(at)
    table = at.dataframe[0].value
    assert (
        list(table["run"]) == ["no remedy", "dropout 0.3"] and table["final gap"].iloc[1] < table["final gap"].iloc[0]
    )
    at.button(key="clear_runs").click().run()
    assert page(ok(at)).runs == []
    assert "Each finished run is kept here" in texts(at)


def test_a_run_that_diverges_says_so() -> None:
    at = open_page({"optimizer": "sgd", "lr": "3", "l2": "1"})
    at.button(key="run_to_end").click().run()
    ok(at)
    assert any("Diverged at epoch" in e.value for e in at.error)
    assert any("diverged at epoch" in e.value for e in at.error)  # and in the comparison


@pytest.mark.parametrize(
    "params, bad",
    [
        ({"dropout": "2"}, "dropout"),
        ({"l2": "-1"}, "l2"),
        ({"samples": "lots"}, "samples"),
        ({"early-stopping-patience": "1e9"}, "early-stopping-patience"),
        ({"reduce-lr-factor": "1"}, "reduce-lr-factor"),
        ({"hidden": "64,x"}, "hidden"),
        ({"dataset": "mnist"}, "dataset"),
        ({"samples": "5000"}, "samples"),
        ({"hidden": "1024,1024,8,8,8,8,8"}, "hidden"),
    ],
)
def test_bad_link_values_fall_back_with_a_notice(params: dict[str, str], bad: str) -> None:
    at = open_page(params)
    warnings = [w.value for w in at.warning]
    assert any(
        f": {bad}" in w or w.startswith(f"Link setting ignored: {bad}") or f"changed: {bad}" in w for w in warnings
    )
    s = spec(at)
    assert s.data.dataset in of.PAGE_DATASETS and s.data.samples <= of.MAX_SAMPLES
    at.button(key="play").click().run()
    assert page(ok(at)).trainer.epoch >= 1


def test_presets_and_odd_link_values_are_honoured() -> None:
    at = open_page({"early-stopping": "true", "early-stopping-patience": "20", "restore-best-weights": "true"})
    assert spec(at).train.early_stopping and at.slider(key="early_stopping_patience").value == 20
    at.button(key="run_to_end").click().run()
    assert "Early stopping at epoch 59" in texts(ok(at)) and "Restored the weights of epoch 39" in texts(at)
    beyond = open_page(
        {"reduce-lr": "true", "reduce-lr-factor": "0.01", "epochs": "5", "early-stopping-patience": "500"}
    )
    assert beyond.slider(key="reduce_lr_factor").value == 0.01 and beyond.slider(key="epochs").value == 5
    beyond.button(key="run_to_end").click().run()
    assert page(ok(beyond)).trainer.epoch == 5
    three = open_page({"dataset": "three_class", "dropout": "0.3"})
    assert spec(three).data.dataset == "three_class" and spec(three).model.dropout == 0.3 and not three.warning
    odd = open_page({"hidden": "100,30", "validation-split": "0.33", "lr": "0.02", "noise": "33.3"})
    s = spec(odd)
    assert s.model.hidden == (100, 30) and s.data.validation_split == 0.33 and s.train.lr == 0.02
    assert not odd.warning


def test_classroom_mode_hides_controls() -> None:
    at = open_page({"hide": "dropout,l1,play,compare"})
    assert not any(s.key == "dropout" for s in at.slider)
    assert not any(b.key == "play" for b in at.button)
    at.button(key="run_to_end").click().run()
    assert page(ok(at)).runs and not at.multiselect


def test_three_classes_and_no_hidden_layer() -> None:
    """A multiclass set and a network with no hidden layer (logistic regression) both train and compare."""
    at = open_page()
    at.selectbox(key="dataset").set_value("three_class").run()
    assert spec(ok(at)).model.problem == "multiclass"
    at.button(key="run_to_end").click().run()
    at.slider(key="layers").set_value(0).run()
    assert spec(ok(at)).model.hidden == () and at.query_params["hidden"] == ""
    at.button(key="run_to_end").click().run()
    runs = page(ok(at)).runs
    assert [r.name for r in runs] == [
        "dataset three_class — no remedy",
        "dataset three_class · hidden none — no remedy",
    ]
    assert runs[0].grid.shape == (ofr.RUN_GRID, ofr.RUN_GRID, 3)
    assert len(charts(at)) == 3 + 1 + 2


def test_comparing_runs_never_prints_streamlit_help_text_even_with_magic_on() -> None:
    """A bare ``a if c else b`` of two st calls once wrote DeltaGenerator's documentation under the runs."""
    from streamlit import config

    config.set_option("runner.magicEnabled", True)
    try:
        at = open_page()
        at.button(key="run_to_end").click().run()
        at.slider(key="dropout").set_value(0.3).run()
        at.button(key="run_to_end").click().run()
        ok(at)
        assert len(page(at).runs) == 2
        page_text = str(at._tree)
        assert "DeltaGenerator" not in page_text and not at.get("help")
    finally:
        config.set_option("runner.magicEnabled", False)
