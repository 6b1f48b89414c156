"""AppTest tests of the Perceptron and Activation-functions pages: every control, and bad links."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.lessons import activations as act
from playground.lessons import perceptron as pc
from playground.ui.activations_views import ActivationsState
from playground.ui.perceptron_views import PerceptronState

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(name: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart(at: AppTest, index: int) -> dict:  # type: ignore[type-arg]
    return json.loads(at.get("plotly_chart")[index].proto.spec)  # type: ignore[attr-defined]


def decode(values: object) -> np.ndarray:
    """Plotly >= 6 sends numpy arrays as {dtype, bdata, shape}."""
    if isinstance(values, dict):
        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        return arr.reshape(values["shape"]) if "shape" in values and isinstance(values["shape"], list) else arr
    return np.asarray(values, dtype=float)


def boundary(at: AppTest) -> np.ndarray:
    trace = next(t for t in chart(at, 0)["data"] if t.get("name") == "boundary z = 0")
    return np.stack([decode(trace["x"]), decode(trace["y"])], axis=1)


def test_perceptron_opens_on_the_lecture_example() -> None:
    at = open_page("perceptron")
    m = metrics(at)
    assert m["z (weighted sum + bias)"] == "9" and m["ŷ = g(z)"] == "0.9999"
    latex = [el.value for el in at.get("latex")]  # type: ignore[union-attr]
    assert any(r"1 + 4 \cdot 3 + 2 \cdot (-2) = 9" in t for t in latex)
    for x1, x2 in boundary(at):
        assert 1 + 3 * x1 - 2 * x2 == pytest.approx(0, abs=1e-4)
    assert not at.warning


def test_perceptron_every_control() -> None:
    at = open_page("perceptron")
    for key, value in (("pc_x1", 1.0), ("pc_x2", -3.0), ("pc_w0", -0.5), ("pc_w1", 2.5), ("pc_w2", 1.5)):
        at.slider(key=key).set_value(value).run()
        assert not at.exception
    z = -0.5 + 1.0 * 2.5 + (-3.0) * 1.5
    assert metrics(at)["z (weighted sum + bias)"] == pc.fmt(z)
    for x1, x2 in boundary(at):
        assert -0.5 + 2.5 * x1 + 1.5 * x2 == pytest.approx(0, abs=1e-4)
    assert at.query_params["w1"] == "2.5"
    for g in pc.ACTIVATIONS:
        at.radio(key="pc_g").set_value(g).run()
        assert not at.exception
        assert metrics(at)["ŷ = g(z)"] == pc.fmt_output(act.g_of(g, z))
    at.slider(key="pc_w1").set_value(0.0)
    at.slider(key="pc_w2").set_value(0.0).run()
    assert not at.exception and not any(t.get("name") == "boundary z = 0" for t in chart(at, 0)["data"])

    # Training controls: data set, optimizer, learning rate, then the buttons.
    for name in pc.TRAIN_DATASETS:
        at.selectbox(key="pc_dataset").set_value(name).run()
        assert not at.exception
    assert any("One line cannot separate circle" in el.value for el in at.info)
    at.selectbox(key="pc_dataset").set_value("xor").run()
    assert any(  # a same-tab link under the notice (tests/test_page_fixes.py checks the anchor)
        'href="/playground?dataset=xor&amp;hidden=4&amp;activation=tanh&amp;lr=0.03" target="_self"' in el.value
        for el in at.markdown
    )
    for optimizer in ("momentum", "rmsprop", "adagrad", "adam"):
        at.selectbox(key="pc_optimizer").set_value(optimizer).run()
        assert not at.exception
    at.select_slider(key="pc_lr").set_value(0.1).run()
    assert at.query_params["optimizer"] == "adam" and at.query_params["dataset"] == "xor"
    at.button(key="pc_step").click().run()
    assert metrics(at)["epoch"] == f"1 / {pc.TRAIN_EPOCHS}"
    at.button(key="pc_play").click().run()
    for _ in range(3):
        at.run()  # each run is one live frame (no timer under AppTest)
    assert not at.exception
    epoch = int(metrics(at)["epoch"].split("/")[0])
    assert epoch >= 3
    assert float(metrics(at)["training accuracy"]) <= 0.75
    at.button(key="pc_pause").click().run()
    paused = metrics(at)["epoch"]
    at.run()
    assert metrics(at)["epoch"] == paused
    at.button(key="pc_use").click().run()
    assert not at.exception
    assert abs(float(at.slider(key="pc_w1").value)) <= pc.WEIGHT_LIMIT  # type: ignore[arg-type]
    at.button(key="pc_reset").click().run()
    assert metrics(at)["epoch"] == f"0 / {pc.TRAIN_EPOCHS}"
    assert not at.exception


def test_perceptron_trains_to_the_end_and_stops() -> None:
    at = open_page("perceptron", {"dataset": "gauss", "lr": "0.3", "epochs": "4"})
    at.button(key="pc_play").click().run()
    for _ in range(5):
        at.run()
    assert metrics(at)["epoch"] == "4 / 4"
    assert any("Finished" in c.value for c in at.caption)
    assert float(metrics(at)["training accuracy"]) >= 0.98
    assert at.button(key="pc_play")  # back to Play: not running any more
    assert not at.exception


def test_perceptron_link_training_settings_are_honoured() -> None:
    at = open_page("perceptron", {"lr": "0.05", "optimizer": "momentum", "epochs": "7"})
    assert at.select_slider(key="pc_lr").value == 0.05
    assert at.selectbox(key="pc_optimizer").value == "momentum"
    assert metrics(at)["epoch"] == "0 / 7" and not at.warning
    at = open_page("perceptron", {"lr": "5"})
    assert at.select_slider(key="pc_lr").value == 1.0  # bounded


def test_perceptron_link_values_are_honoured() -> None:
    at = open_page(
        "perceptron", {"x1": "2", "x2": "1", "w0": "-1", "w1": "0.5", "w2": "0.5", "g": "tanh", "dataset": "xor"}
    )
    assert metrics(at)["z (weighted sum + bias)"] == "0.5"
    assert at.radio(key="pc_g").value == "tanh" and at.selectbox(key="pc_dataset").value == "xor"
    assert not at.warning


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"x1": "abc"}, "x1"),
        ({"w1": "1e309"}, "w1"),
        ({"w2": "-11"}, "w2"),
        ({"w0": "nan"}, "w0"),
        ({"g": "softmax"}, "g"),
        ({"dataset": "spiral"}, "dataset"),
        ({"dataset": "mnist"}, "dataset"),
        ({"lr": "-1"}, "lr"),
    ],
)
def test_perceptron_bad_link_values_fall_back_with_a_notice(params: dict[str, str], bad: str) -> None:
    at = open_page("perceptron", params)
    assert any(f"Link setting ignored: {bad}" in w.value for w in at.warning), [w.value for w in at.warning]
    m = metrics(at)
    if bad in ("x1", "w0", "w1", "w2", "g"):
        assert m["z (weighted sum + bias)"] == "9" and m["ŷ = g(z)"] == "0.9999"
    assert at.selectbox(key="pc_dataset").value in pc.TRAIN_DATASETS


def test_perceptron_classroom_mode_hides_controls() -> None:
    at = open_page("perceptron", {"hide": "w1,g,dataset,step,use_weights"})
    keys = {s.key for s in at.slider}
    assert "pc_w1" not in keys and "pc_w0" in keys
    buttons = {b.key for b in at.button}
    assert "pc_step" not in buttons and "pc_use" not in buttons and "pc_play" in buttons
    assert not at.radio and not any(s.key == "pc_dataset" for s in at.selectbox)
    assert metrics(at)["z (weighted sum + bias)"] == "9"


def test_perceptron_and_activations_keep_one_typed_state_each() -> None:
    """What the pages remember besides widget values is one dataclass under state:<page>, and no loose key."""
    at = open_page("perceptron", {"w1": "2"})
    ps = at.session_state["state:perceptron"]
    assert isinstance(ps, PerceptronState) and ps.link_read and ps.neuron.w1 == 2.0
    at.button(key="pc_step").click().run()
    assert ps.trainer is not None and ps.trainer.epoch == 1 and not ps.running
    at.button(key="pc_play").click().run()
    assert ps.running and at.button(key="pc_pause")
    at.button(key="pc_pause").click().run()
    assert not ps.running
    at.switch_page("app_pages/activations.py").run()
    assert not at.exception
    assert isinstance(at.session_state["state:activations"], ActivationsState)
    assert at.session_state["state:activations"].link_depth == act.DEPTH_DEFAULT
    at.switch_page("app_pages/perceptron.py").run()  # the neuron is kept across pages, the link read once
    assert at.slider(key="pc_w1").value == 2.0 and at.session_state["state:perceptron"] is ps
    loose = [k for k in at.session_state if k.startswith(("perceptron:", "activations:"))]
    assert not loose and "state:perceptron" in list(at.session_state), loose


def test_activations_every_control() -> None:
    at = open_page("activations")
    assert len(at.get("plotly_chart")) == 2
    for name in act.PLOT_ACTIVATIONS:
        at.radio(key="act_name").set_value(name).run()
        assert not at.exception
        if name == "leaky_relu":
            at.slider(key="act_slope").set_value(0.3).run()
            assert not at.exception
            trace = chart(at, 0)["data"][1]
            assert decode(trace["y"])[0] == pytest.approx(0.3)  # g'(z) = α for z < 0
    for depth in (act.DEPTH_MIN, act.DEPTH_MAX):
        at.slider(key="act_depth").set_value(depth).run()
        assert not at.exception
        grads = chart(at, 1)["data"]
        assert [t["name"] for t in grads] == ["Sigmoid", "Tanh", "ReLU"]
        assert len(decode(grads[0]["y"])) == depth
    assert at.query_params["depth"] == str(act.DEPTH_MAX)


@pytest.mark.parametrize("raw", ["abc", "1", "31", "2.5", ""])
def test_activations_bad_depth_link(raw: str) -> None:
    at = open_page("activations", {"depth": raw})
    assert any("Link setting ignored: depth" in w.value for w in at.warning)
    assert at.slider(key="act_depth").value == act.DEPTH_DEFAULT


def test_activations_good_depth_link() -> None:
    at = open_page("activations", {"depth": "5"})
    assert at.slider(key="act_depth").value == 5 and not at.warning
