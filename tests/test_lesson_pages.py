"""AppTest: the loss, optimizer and backprop pages run, every control moves, bad links become notices."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.lessons import gradient_descent as op
from playground.ui.losses_views import LossesState
from playground.ui.optimizers_views import OptimizersState

ROOT = Path(__file__).resolve().parent.parent


def open_page(name: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(params or {})
    at.run()
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def decode(values: object) -> np.ndarray:
    """A Plotly array: a plain list or a base64 typed-array spec."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def _numbers(values: object) -> list[float]:
    """Every number in a Plotly data field (typed arrays decoded, nested lists flattened, labels skipped)."""
    if isinstance(values, dict) and "bdata" in values:
        return [float(v) for v in decode(values).ravel()]
    if isinstance(values, list):
        return [n for v in values for n in _numbers(v)]
    return [float(values)] if isinstance(values, (int, float)) and not isinstance(values, bool) else []


def all_numbers_finite(spec: dict) -> bool:  # type: ignore[type-arg]
    """No NaN or infinity anywhere in a chart's data or frames."""
    traces = list(spec.get("data", []))
    for frame in spec.get("frames", []):
        traces += frame.get("data", [])
    return all(np.isfinite(_numbers(t.get(axis))).all() for t in traces for axis in ("x", "y", "z"))


# -- losses ---------------------------------------------------------------------------------------------------------


def test_losses_page_controls_and_numbers() -> None:
    """Target, prediction and every example slider move; risks equal the engine's; charts are finite."""
    at = open_page("losses")
    assert len(charts(at)) == 4 and all(all_numbers_finite(c) for c in charts(at))
    at.radio(key="target").set_value(0).run()
    at.slider(key="prediction").set_value(0.9).run()
    for i in range(1, 6):
        at.slider(key=f"pred_{i}").set_value(0.5).run()
    assert not at.exception
    # all predictions 0.5: BCE = CCE = ln 2 for every example, MSE = 0.25
    assert [m.value for m in at.metric] == ["0.6931", "0.6931", "0.2500"]
    assert at.query_params["target"] in ("0", ["0"])


@pytest.mark.parametrize("raw", ["7", "abc", "", "1e9"])
def test_losses_bad_link_gives_notice(raw: str) -> None:
    at = open_page("losses", {"target": raw})
    assert any("target" in w.value for w in at.warning)
    assert at.radio(key="target").value == 1


def test_losses_link_target() -> None:
    at = open_page("losses", {"target": "0"})
    assert not at.warning and at.radio(key="target").value == 0


# -- optimizers -----------------------------------------------------------------------------------------------------


def test_optimizers_race_preset() -> None:
    """The Rosenbrock preset races five optimizers: five paths on the map, finite, with animation frames."""
    at = open_page("optimizers", {"surface": "rosenbrock", "optimizers": "sgd,momentum,rmsprop,adagrad,adam"})
    assert not at.warning
    race = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t.get("name") for t in race["data"] if t.get("mode") == "lines"]
    assert names == [op.OPTIMIZER_TITLES[n] for n in op.OPTIMIZERS]
    assert len(race["frames"]) >= 50 and race["layout"]["updatemenus"][0]["buttons"][0]["label"] == "Play"
    assert all(all_numbers_finite(c) for c in charts(at))
    assert at.selectbox(key="surface").value == "rosenbrock"


def test_optimizers_every_control() -> None:
    """Every control of the page (several per rerun), with no exception and only finite numbers in charts."""
    at = open_page("optimizers")
    at.toggle(key="lesson").set_value(True).run()
    for key, value in (("lesson_small", 0.01), ("lesson_right", 0.2), ("lesson_large", 1.5)):
        at.select_slider(key=key).set_value(value)
    at.run()
    assert len([e for e in at.error if "too large" in e.value]) == 1
    for name in op.SURFACES:
        at.selectbox(key="surface").set_value(name).run()
        assert not at.exception, name
        assert at.select_slider(key="lr_adam").value == op.nearest_option(op.get_surface(name).tuned_lr["adam"])
    at.multiselect(key="optimizers").set_value(["adam", "sgd"])
    at.select_slider(key="lr").set_value(0.01).run()
    assert all(at.select_slider(key=f"lr_{n}").value == 0.01 for n in op.OPTIMIZERS)  # the shared slider sets all
    at.slider(key="start_x_network").set_value(1.5)
    at.slider(key="start_y_network").set_value(-2.0)
    at.slider(key="steps").set_value(100)
    at.checkbox(key="show_3d").check()
    for key, value in (("momentum_momentum", 0.5), ("rmsprop_rho", 0.99), ("adagrad_initial_accumulator", 1.0),
                       ("adam_beta1", 0.8), ("adam_beta2", 0.99), ("adam_epsilon", 1e-8), ("rmsprop_epsilon", 1e-6),
                       ("adagrad_epsilon", 1e-5),
                       ("lr_sgd", 0.2), ("lr_momentum", 0.002), ("lr_rmsprop", 0.003), ("lr_adagrad", 0.5)):  # fmt: skip
        at.select_slider(key=key).set_value(value)
    at.selectbox(key="noise_optimizer").set_value("adam")
    at.select_slider(key="batch_size").set_value(1)
    at.number_input(key="noise_seed").set_value(7)
    at.run()
    assert not at.exception
    assert at.select_slider(key="adam_beta1").value == 0.8 and at.number_input(key="noise_seed").value == 7
    assert len(charts(at)) == 3 + 4 + 1  # lesson ×3, race + 3-D + loss + noise map, noise loss
    assert all(all_numbers_finite(c) for c in charts(at))
    at.button(key="lecture_defaults").click().run()
    assert at.select_slider(key="lr_adam").value == 0.001 and at.select_slider(key="adam_beta2").value == 0.999
    at.multiselect(key="optimizers").set_value([]).run()
    assert any("at least one" in i.value for i in at.info)


def test_optimizers_divergence_is_shown_and_cut() -> None:
    """η = 10 on the bowl: every diverging walk says where, and nothing non-finite reaches a chart."""
    at = open_page("optimizers", {"surface": "bowl", "lr": "10"})
    errors = [e.value for e in at.error]
    assert any("SGD diverged at step" in e for e in errors)
    race = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any("diverged at step" in str(t.get("text")) for t in race["data"])
    assert all(all_numbers_finite(c) for c in charts(at))


def test_optimizers_lesson_link() -> None:
    """lesson=learning_rate opens the comparison: too small, about right, too large (diverging)."""
    at = open_page("optimizers", {"lesson": "learning_rate"})
    assert at.toggle(key="lesson").value
    assert any("W \\leftarrow W - \\eta" in x.value for x in at.latex)
    assert any("too large" in e.value and "diverged at step" in e.value for e in at.error)
    assert at.query_params["lesson"] in ("learning_rate", ["learning_rate"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"surface": "himmelblau"}, "surface"),
        ({"optimizers": "adam,lbfgs"}, "optimizers"),
        ({"optimizers": ",,,"}, "optimizers"),
        ({"lr": "-3"}, "lr"),
        ({"lr": "nan"}, "lr"),
        ({"lr": "1e400"}, "lr"),
        ({"lesson": "<script>"}, "lesson"),
    ],
)
def test_optimizers_bad_links(params: dict[str, str], field: str) -> None:
    at = open_page("optimizers", params)
    assert any(w.value.startswith(f"Link setting ignored: {field}") for w in at.warning), [w.value for w in at.warning]
    assert at.get("plotly_chart")


def test_optimizers_lr_link_snaps_to_slider() -> None:
    at = open_page("optimizers", {"surface": "valley", "lr": "0.04", "optimizers": "adam"})
    assert not at.warning
    assert at.select_slider(key="lr").value == 0.05 and at.select_slider(key="lr_adam").value == 0.05
    assert at.multiselect(key="optimizers").value == ["adam"]


def test_optimizers_and_losses_keep_one_typed_state_each() -> None:
    """The link is read once, into the page's one dataclass under state:<page>; no loose "link_read" key."""
    at = open_page("optimizers", {"surface": "valley"})
    ps = at.session_state["state:optimizers"]
    assert isinstance(ps, OptimizersState) and ps.link_read
    at.selectbox(key="surface").set_value("saddle").run()
    at.run()  # a rerun does not read the link again
    assert at.selectbox(key="surface").value == "saddle" and at.session_state["state:optimizers"] is ps
    at.switch_page("app_pages/losses.py").run()
    assert not at.exception
    assert isinstance(at.session_state["state:losses"], LossesState) and at.session_state["state:losses"].link_read
    loose = [k for k in at.session_state if k.endswith(":link_read")]
    assert not loose and "state:losses" in list(at.session_state), loose


# -- backprop -------------------------------------------------------------------------------------------------------


def test_backprop_walkthrough_to_the_end() -> None:
    """Next step through all 23 steps; Back; To the end shows the update and the loss before/after."""
    at = open_page("backprop")
    assert any("Next step" in i.value for i in at.info)
    for k in range(1, 24):
        at.button(key="bp_next").click().run()
        assert at.slider(key="bp_step").value == k
    assert at.button(key="bp_next").disabled  # the end: nothing further to step to
    assert at.slider(key="bp_step").value == 23
    assert [m.label for m in at.metric] == ["Loss before the update", "Loss after the update"]
    assert any("Walkthrough complete" in s.value for s in at.success)
    at.button(key="bp_prev").click().run()
    assert at.slider(key="bp_step").value == 22 and not at.metric
    at.button(key="bp_restart").click().run()
    assert at.slider(key="bp_step").value == 0
    at.button(key="bp_end").click().run()
    assert at.slider(key="bp_step").value == 23
    at.slider(key="bp_step").set_value(9).run()
    assert any("Backward pass" in m.value for m in at.markdown)


def test_backprop_every_control() -> None:
    at = open_page("backprop")
    at.button(key="bp_end").click().run()
    at.number_input(key="bp_seed").set_value(42).run()
    at.button(key="bp_random").click().run()
    for name in ("w11", "w21", "b1", "w12", "w22", "b2", "v1", "v2", "c"):
        at.number_input(key=f"bp_{name}").set_value(0.3).run()
    at.number_input(key="bp_x1").set_value(1.0).run()
    at.number_input(key="bp_x2").set_value(-2.0).run()
    at.radio(key="bp_y").set_value(0).run()
    at.select_slider(key="bp_lr").set_value(10.0).run()
    for act in ("tanh", "relu", "sigmoid"):
        at.selectbox(key="bp_activation").set_value(act).run()
        at.selectbox(key="bp_loss").set_value("bce").run()
        assert not at.exception
    assert at.metric and all(all_numbers_finite(c) for c in charts(at))
    at.button(key="bp_example").click().run()
    assert at.number_input(key="bp_w11").value == 0.15
    assert not at.exception


def test_pages_in_classroom_mode_hide_controls() -> None:
    """hide= removes controls; the pages still draw with the defaults."""
    at = open_page("optimizers", {"hide": "surface,optimizers,lr,steps,presets"})
    assert "surface" not in [s.key for s in at.selectbox]
    assert at.get("plotly_chart")
    at = open_page("backprop", {"hide": "bp_step"})
    at.button(key="bp_next").click().run()
    assert not at.exception and "bp_step" not in [s.key for s in at.slider]
    at = open_page("losses", {"hide": "target,prediction"})
    assert not at.radio and at.get("plotly_chart")
