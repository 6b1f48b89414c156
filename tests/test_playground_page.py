"""The network playground: its engine helpers, and the page driven through AppTest.

AppTest has no timer: each ``run()`` runs the live fragments once (one tick of
training while playing). Every control is driven; every bad value a user can
type, upload or put in a link shows a message, and the page then trains again.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from playground import datasets
from playground.lessons import network
from playground.lessons.network import DEFAULT, CustomPoints, fit_to_page, make_trainer, rebuild_key
from playground.presets import presets_for
from playground.service import SlotHandle
from playground.spec import Spec
from playground.trainer import Trainer
from playground.ui import live
from playground.ui.charts import network as charts_network

ROOT = Path(__file__).resolve().parent.parent
GOOD_CSV = b"x1,x2,label\n" + b"".join(
    f"{a:.2f},{b:.2f},{int(a * b > 0)}\n".encode() for a, b in np.random.default_rng(0).uniform(-5, 5, (60, 2))
)


# -- engine helpers --------------------------------------------------------------------------


def test_fit_to_page_keeps_a_page_spec_and_clamps_what_the_page_cannot_show() -> None:
    """A spec inside the page's bounds is untouched; MNIST, 8 layers, 100 neurons, 5000 points are clamped with notices."""
    assert fit_to_page(DEFAULT) == (DEFAULT, [])
    wild = Spec.from_query("dataset=mnist&problem=multiclass&hidden=100,3,3,3,3,3,3,3&samples=5000&batch-size=1000")
    fitted, notices = fit_to_page(wild)
    assert fitted.data.dataset == "circle" and fitted.model.problem == "binary"
    assert fitted.model.hidden == (16, 3, 3, 3, 3, 3) and len(fitted.model.activation) == 6
    assert fitted.data.samples == 2000 and fitted.train.batch_size == 512
    # one notice per setting: the data set, the hidden layers (both their number and width), points, batch size
    assert len(notices) == 4 and all(": " in n for n in notices)
    assert "hidden: at most 6 layers of 16 neurons on this page (using 16,3,3,3,3,3)" in notices


def test_rebuild_key_moves_with_data_and_architecture_only() -> None:
    base = rebuild_key(DEFAULT, None)
    assert rebuild_key(DEFAULT.replace(lr=0.3, optimizer="adam", l2=0.01, dropout=0.2, batch_size=5), None) == base
    for change in ({"noise": 10.0}, {"hidden": (3,), "activation": ("relu",)}, {"seed": 5}, {"features": ("x1",)}):
        assert rebuild_key(DEFAULT.replace(**change), None) != base


def test_custom_points_clicks_classes_and_limits() -> None:
    pts = CustomPoints()
    assert pts.missing() == network.MIN_POINTS
    assert pts.add(7.0, 0.0, 0) is not None  # outside the square: refused
    for i, label in enumerate((0, 1, 0, 1)):
        assert pts.add(i - 2.0, 1.0, label) is None
    assert pts.num_classes == 2 and pts.missing() == 0
    pts.add(0.0, 0.0, 2)
    assert pts.num_classes == 3
    version = pts.version
    pts.clear()
    assert len(pts) == 0 and pts.version == version + 1


def test_custom_trainer_needs_points_and_a_matching_problem() -> None:
    spec = DEFAULT.replace(dataset="custom")
    with pytest.raises(datasets.DataError, match="Add 4 more"):
        make_trainer(spec, CustomPoints())
    pts = CustomPoints()
    pts.load(GOOD_CSV, "xor.csv")
    tr = make_trainer(spec, pts)
    assert len(tr.x_train) + len(tr.x_val) == 60
    with pytest.raises(datasets.DataError, match="have classes"):
        make_trainer(spec.replace(problem="regression", loss="mse"), pts)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_any_upload_is_loaded_or_refused_with_a_data_error(data: bytes) -> None:
    """Whatever bytes arrive, loading them either works or raises DataError (never anything else)."""
    pts = CustomPoints()
    try:
        pts.load(data, "fuzz.csv")
    except datasets.DataError as exc:
        assert str(exc)
        assert len(pts) == 0


def test_xor_with_a_4_2_tanh_network_passes_095_quickly() -> None:
    """The issue's bar, on the engine alone: validation accuracy > 0.95 on xor well within 20 s of training."""
    tr = Trainer(DEFAULT.replace(dataset="xor"), device="cpu")
    start = time.perf_counter()
    while time.perf_counter() - start < 20 and not tr.done:
        records = tr.train(10)
        if records and records[-1].val_acc is not None and records[-1].val_acc > 0.95:
            break
    assert tr.history[-1].val_acc is not None and tr.history[-1].val_acc > 0.95, tr.history[-1]
    print(
        f"xor 4-2 tanh: val acc {tr.history[-1].val_acc:.3f} at epoch {tr.epoch} after {time.perf_counter() - start:.2f} s"
    )


# -- the page ----------------------------------------------------------------------------------


def open_page(query: str = "") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    for key, value in parse_qsl(query, keep_blank_values=True):
        at.query_params[key] = value
    at.switch_page("app_pages/playground.py").run()
    assert not at.exception, at.exception
    return at


def epoch(at: AppTest) -> int:
    found = [m.value for m in at.markdown if m.value.startswith("#### Epoch")]
    assert found, [m.value for m in at.markdown]
    return int(re.findall(r"\d+", found[-1])[0])


def trains(at: AppTest) -> None:
    """Step once and see the epoch counter move by exactly one, with no exception."""
    before = epoch(at)
    at.button(key="pg_step").click().run()
    assert not at.exception, at.exception
    assert epoch(at) == before + 1


def spec_of(at: AppTest) -> Spec:
    found: Spec = at.session_state["spec:playground"]
    return found


def test_page_opens_on_epoch_0_with_every_part() -> None:
    at = open_page()
    assert epoch(at) == 0
    keys = {el.proto.id for el in at.get("plotly_chart")}
    assert len(keys) == 2  # network and boundary; the curves start with the first epoch
    assert any("curves start with the first epoch" in c.value for c in at.caption)
    assert any("import torch" in c.value for c in at.code) and any("keras" in c.value for c in at.code)
    assert not at.warning and not at.error
    trains(at)
    assert len(at.get("plotly_chart")) == 4  # network, boundary, loss, accuracy


def test_play_pause_step_reset_reinitialize() -> None:
    """Play trains on every tick, Pause stops, Step is one epoch, Reset replays, Reinitialize draws new weights."""
    at = open_page("dataset=xor")
    at.button(key="pg_play").click().run()
    assert epoch(at) > 0, "the run that answers Play already shows trained epochs"
    at.run()
    playing = epoch(at)
    assert playing > 0 and at.session_state["state:playground"].running
    assert at.get("image"), "while playing, the boundary is a picture swapped in place"
    at.run()
    assert epoch(at) > playing
    at.button(key="pg_pause").click().run()
    paused = epoch(at)
    at.run()
    assert epoch(at) == paused and not at.session_state["state:playground"].running
    assert not at.get("image") and len(at.get("plotly_chart")) == 4  # paused: the interactive chart
    trains(at)

    def weights() -> list[np.ndarray]:
        return [w.copy() for w, _b in at.session_state["state:playground"].trainer.weights()]

    at.button(key="pg_reset").click().run()
    assert epoch(at) == 0
    initial = weights()
    trains(at)
    after_one = weights()
    at.button(key="pg_reset").click().run()
    np.testing.assert_array_equal(initial[0], weights()[0])
    trains(at)
    np.testing.assert_array_equal(after_one[0], weights()[0])  # the run replays exactly
    at.button(key="pg_reinit").click().run()
    assert epoch(at) == 0
    assert not np.array_equal(initial[0], weights()[0])
    trains(at)
    assert any("Train loss" in m.value for m in at.markdown)


def test_every_data_control() -> None:
    """Data set, noise, points, regenerate, validation share, batch size, seed; data changes reset to epoch 0."""
    at = open_page()
    for name in network.PAGE_DATASETS[:-1]:
        at.selectbox(key="pg_dataset").set_value(name).run()
        assert spec_of(at).data.dataset == name and not at.exception
        trains(at)
    assert spec_of(at).model.problem == "regression"
    at.selectbox(key="pg_dataset").set_value("xor").run()
    assert spec_of(at).model.problem == "binary"
    trains(at)
    at.slider(key="pg_noise").set_value(20.0).run()
    assert spec_of(at).data.noise == 20.0 and epoch(at) == 0
    at.number_input(key="pg_samples").set_value(300).run()
    assert len(at.session_state["state:playground"].trainer.x_train) == 150
    seed = spec_of(at).seed
    at.button(key="pg_regenerate").click().run()
    assert spec_of(at).seed != seed and at.number_input(key="pg_seed").value == spec_of(at).seed
    at.slider(key="pg_validation_split").set_value(0.3).run()
    assert spec_of(at).data.validation_split == 0.3
    at.number_input(key="pg_seed").set_value(7).run()
    assert spec_of(at).seed == 7
    trains(at)
    at.number_input(key="pg_batch_size").set_value(25).run()
    assert at.session_state["state:playground"].trainer.batch_size == 25 and epoch(at) == 1  # batch size goes live
    trains(at)
    assert at.query_params["dataset"] == "xor" and at.query_params["seed"] == "7"


def test_every_network_control() -> None:
    """Features, layers, neurons, activations, output and loss: each rebuilds the network."""
    at = open_page()
    at.checkbox(key="pg_feat_x1_sq").check().run()
    at.checkbox(key="pg_feat_sin_x2").check().run()
    assert spec_of(at).data.features == ("x1", "x2", "x1_sq", "sin_x2")
    at.number_input(key="pg_layers").set_value(3).run()
    assert spec_of(at).model.hidden == (4, 2, 2)
    at.number_input(key="pg_width_2").set_value(16).run()
    at.selectbox(key="pg_act_0").set_value("relu").run()
    at.selectbox(key="pg_act_2").set_value("sigmoid").run()
    assert spec_of(at).model.hidden == (4, 2, 16) and spec_of(at).model.activation == ("relu", "tanh", "sigmoid")
    trains(at)
    at.number_input(key="pg_layers").set_value(0).run()
    assert spec_of(at).model.hidden == ()
    trains(at)
    at.number_input(key="pg_layers").set_value(6).run()
    assert len(spec_of(at).model.hidden) == 6
    at.selectbox(key="pg_loss").set_value("mse").run()
    assert spec_of(at).model.loss == "mse"
    at.selectbox(key="pg_problem").set_value("multiclass").run()
    assert spec_of(at).model.loss == "categorical_crossentropy"
    trains(at)
    assert at.session_state["state:playground"].trainer.model.layers[-1].out_features == 2
    assert at.query_params["problem"] == "multiclass"


def test_training_controls_change_live_without_reset() -> None:
    """Optimizer, learning rate, L1, L2, dropout and the epoch limit apply while training, epoch kept."""
    at = open_page()
    trains(at)
    trainer = at.session_state["state:playground"].trainer
    at.selectbox(key="pg_optimizer").set_value("adam").run()
    at.select_slider(key="pg_lr").set_value(0.1).run()
    at.select_slider(key="pg_l1").set_value(0.001).run()
    at.select_slider(key="pg_l2").set_value(0.01).run()
    at.slider(key="pg_dropout").set_value(0.2).run()
    at.number_input(key="pg_epochs").set_value(2).run()
    assert at.session_state["state:playground"].trainer is trainer and epoch(at) == 1
    assert trainer.spec.train.optimizer == "adam" and trainer.lr == 0.1 and trainer.model.dropout.rate == 0.2
    trains(at)
    at.button(key="pg_play").click().run()  # at the limit: a message, no run
    assert at.error and "maximum of 2 epochs" in at.error[0].value
    at.button(key="pg_step").click().run()
    assert epoch(at) == 2 and at.error and "maximum of 2 epochs" in at.error[0].value
    at.number_input(key="pg_epochs").set_value(1000).run()  # raising the limit lets it train on
    trains(at)
    q = at.query_params
    assert (
        q["optimizer"] == "adam" and q["lr"] == "0.1" and q["l2"] == "0.01" and "epochs" not in q
    )  # 1000 is the page default


def test_optimizer_details_follow_the_optimizer() -> None:
    """Momentum for SGD with momentum, rho for RMSprop, betas and epsilon for Adam; each goes live."""
    at = open_page()
    assert all(w.key != "pg_momentum" for w in at.number_input)  # plain SGD has no settings of its own
    at.selectbox(key="pg_optimizer").set_value("momentum").run()
    at.number_input(key="pg_momentum").set_value(0.5).run()
    trainer = at.session_state["state:playground"].trainer
    assert trainer.spec.train.momentum == 0.5 and trainer.optimizer_state.name == "momentum"
    at.selectbox(key="pg_optimizer").set_value("rmsprop").run()
    at.number_input(key="pg_rho").set_value(0.8).run()
    at.selectbox(key="pg_optimizer").set_value("adam").run()
    at.number_input(key="pg_beta1").set_value(0.8).run()
    at.number_input(key="pg_beta2").set_value(0.99).run()
    at.number_input(key="pg_epsilon").set_value(1e-5).run()
    train = at.session_state["state:playground"].trainer.spec.train
    assert (train.beta1, train.beta2, train.epsilon) == (0.8, 0.99, 1e-5)
    assert at.query_params["rho"] == "0.8" and at.query_params["beta1"] == "0.8"
    trains(at)


def test_view_toggles_and_they_travel_in_the_link() -> None:
    at = open_page("dataset=gauss")
    at.toggle(key="pg_discretize").set_value(True).run()
    at.toggle(key="pg_show_validation").set_value(True).run()
    assert not at.exception
    assert at.query_params["discretize"] == "true" and at.query_params["show-validation"] == "true"
    trains(at)
    again = open_page("dataset=gauss&discretize=true&show-validation=true")
    assert again.toggle(key="pg_discretize").value and again.toggle(key="pg_show_validation").value


def test_own_points_from_a_csv_and_bad_files() -> None:
    """Custom data: too few points says so; each bad CSV names its problem; a good one trains."""
    at = open_page()
    at.selectbox(key="pg_dataset").set_value("custom").run()
    assert any("Add 4 more" in i.value for i in at.info)
    assert at.button(key="pg_step").disabled
    at.radio(key="pg_click_class").set_value(2).run()
    for content, message in (
        (b"", "empty"),
        (b"x1,x2,label\n1,2\n", "Row 2 has 2 columns"),
        (b"1,2,0\n1,abc,1\n", "Row 2, column x2"),
        (b"1,9,0\n", "outside [-6, 6]"),
        (b"\x00\x01\x02", "NUL"),
    ):
        at.file_uploader(key="pg_csv").set_value(("bad.csv", content, "text/csv")).run()
        assert at.error and message in at.error[0].value, (message, [e.value for e in at.error])
    at.file_uploader(key="pg_csv").set_value(("xor.csv", GOOD_CSV, "text/csv")).run()
    assert not at.error and not at.exception
    trains(at)
    at.button(key="pg_clear_points").click().run()
    assert at.session_state["state:playground"].trainer is None and not at.exception


def test_unchecking_every_feature_is_refused_then_training_goes_on() -> None:
    at = open_page()
    at.checkbox(key="pg_feat_x1").uncheck().run()
    at.checkbox(key="pg_feat_x2").uncheck().run()
    assert at.error and "at least one input feature" in at.error[0].value
    assert spec_of(at).data.features == ("x2",) and at.checkbox(key="pg_feat_x2").value
    trains(at)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lr=-1", "lr"),
        ("hidden=abc", "hidden"),
        ("dataset=mnist", "dataset"),
        ("hidden=100,2", "hidden"),
        ("samples=99999", "samples"),
        ("noise=lots", "noise"),
        ("features=zzz", "features"),
        ("discretize=maybe", "discretize"),
        ("problem=regression", "problem"),
    ],
)
def test_bad_link_values_fall_back_with_a_notice(query: str, field: str) -> None:
    at = open_page(query)
    warnings = " ".join(w.value for w in at.warning)
    assert field in warnings, warnings
    trains(at)


def test_presets_open_their_setup() -> None:
    """Every playground preset opens without a notice and trains."""
    for preset in presets_for("playground"):
        at = open_page(preset.query())
        assert not at.warning, (preset.name, [w.value for w in at.warning])
        assert spec_of(at) == Spec.from_query(dict(preset.params), DEFAULT)
        trains(at)


def test_classroom_mode_hides_controls() -> None:
    at = open_page("hide=lr,optimizer,export")
    keys = {w.key for w in at.select_slider} | {w.key for w in at.selectbox}
    assert "pg_lr" not in keys and "pg_optimizer" not in keys and "pg_dataset" in keys
    assert not at.code
    trains(at)


def test_while_training_the_page_redraws_little_and_says_so_on_a_busy_server() -> None:
    """Full page runs while training reuse the diagram's last frame; a busy server says its pace; Pause redraws."""
    at = open_page("dataset=xor")
    at.button(key="pg_play").click().run()
    assert at.session_state["state:playground"].running and any("import torch" in c.value for c in at.code)
    drawn = at.session_state["state:playground"].network_snapshot
    at.run()  # a full page run (AppTest has no timer frames): the diagram is the snapshot, not redrawn
    assert at.session_state["state:playground"].network_snapshot is drawn
    assert not any("share this server" in c.value for c in at.caption)
    service = live.server().service
    others = [SlotHandle() for _ in range(29)]
    for other in others:
        service.play(other, Trainer(Spec()))
    try:
        at.run()
        assert not at.exception, at.exception
        busy = [c.value for c in at.caption if "share this server" in c.value]
        assert any("curves appear at the diagram's next refresh" in c.value for c in at.caption)
        every = live.server().scheduler.ideal_interval(1.0)
        # At least these 30: other tests' sessions that played in this process may still hold a slot.
        shown = re.search(r"(\d+) trainings share this server", busy[0]) if busy else None
        assert shown and int(shown.group(1)) >= 30 and f"refresh every {every:.0f} s" in busy[0], busy
    finally:
        for other in others:
            service.pause(other)
    at.button(key="pg_pause").click().run()
    assert not at.exception and not at.session_state["state:playground"].running
    assert at.button(key="pg_play").label == "Play"
    assert at.session_state["state:playground"].network_snapshot is not drawn  # paused: drawn afresh


def _click(at: AppTest, x1: float, x2: float, label: int) -> None:
    """A point as a click on the plot adds it (the chart's selection is not driven by AppTest)."""
    assert at.session_state["state:playground"].points.add(x1, x2, label) is None


def test_own_points_play_on_the_live_picture_and_the_paused_chart_keeps_one_click_layer() -> None:
    """Own points once added a 2,500-point click layer to the cached chart on every frame (the browser froze)."""
    at = open_page("dataset=custom")
    at.button(key="pg_play").click().run()  # too few points: the page says how many are missing
    assert any("Add 4 more point(s)" in e.value for e in at.error)
    for n, (x1, x2, label) in enumerate([(-3, -3, 0), (3, 3, 0), (-3, 3, 1), (3, -3, 1), (-2, -2, 0), (2, 2, 0)]):
        _click(at, x1, x2, label)
        at.run()
        if n == 3:  # enough points: the red "Add ... more" message is gone, and the sidebar says where they went
            assert not at.error, [e.value for e in at.error]
    assert any(
        "6 points clicked: 3 for training (dots), 3 for validation (rings)" in c.value for c in at.sidebar.caption
    )
    at.button(key="pg_play").click().run()
    for _ in range(5):  # live frames: the picture, never the clickable chart
        at.run()
    assert not at.exception and epoch(at) > 0
    assert not [c for c in at.get("plotly_chart") if "pgchart_click" in c.proto.id]
    assert at.get("image"), "the live boundary picture"
    assert any("Pause to add points" in c.value for c in at.caption)
    at.button(key="pg_pause").click().run()
    for _ in range(3):
        at.run()
    click_charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if "pgchart_click" in c.proto.id]
    assert len(click_charts) == 1
    layers = [t for t in click_charts[0]["data"] if t.get("name") == "click"]
    assert len(layers) == 1, f"{len(layers)} click layers"
    # Every point shows: the validation ones as rings, even with "Show validation points" off.
    names = {t.get("name") for t in click_charts[0]["data"]}
    assert {"train · class 0", "validation · class 0"} <= names, names


def test_the_captions_name_every_class_and_the_boundary_keeps_its_axes_when_playing() -> None:
    """A third class is named (green); the live picture has the paused chart's size, so nothing jumps."""
    at = open_page("dataset=custom&problem=multiclass")
    for x1, x2, label in [(-3, -3, 0), (3, 3, 1), (-3, 3, 2), (3, -3, 0), (0, 4, 1), (4, 0, 2)]:
        _click(at, x1, x2, label)
    at.run()
    assert spec_of(at).model.problem == "multiclass" and not at.exception
    words = " ".join(c.value for c in at.caption)
    assert "green class 2" in words and "Orange is class 0, blue class 1, green class 2" in words
    paused = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "pgchart_click" in c.proto.id)
    layout = paused["layout"]
    assert (layout["width"], layout["height"]) == (charts_network.FRAME_WIDTH, charts_network.FRAME_HEIGHT)
    assert layout["xaxis"]["tickvals"] == list(charts_network.FRAME_TICKS) and layout["showlegend"] is False
    built_in = open_page("dataset=xor")
    assert "Blue is positive (class 1), orange negative (class 0)" in " ".join(c.value for c in built_in.caption)


def test_the_curves_keep_about_ten_epoch_ticks_as_training_goes_on() -> None:
    """The live curves reuse their figure; its x ticks must follow the epochs (once a tick on each of
    1,000 epochs made an unreadable smear under the charts)."""
    at = open_page("epochs=10000")
    at.button(key="pg_step").click().run()  # one epoch: the figure is built with a tick per epoch
    at.button(key="pg_play").click().run()
    for _ in range(4):
        at.run()
    at.button(key="pg_pause").click().run()  # the paused page draws the curves with every epoch so far
    last = epoch(at)
    assert last > 20
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    curves = [c for c in charts if c["layout"].get("xaxis", {}).get("title", {}).get("text") == "epoch"]
    assert curves, "the loss and accuracy curves are on the page"
    for c in curves:
        dtick = c["layout"]["xaxis"]["dtick"]
        assert last / dtick <= 10, (last, dtick)
