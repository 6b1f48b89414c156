"""A teacher's report on the backprop, optimizer and loss pages: each defect, pinned by a test.

Backprop: the update step's own layout, Next disabled at the end, subscripts in the diagram, notices
for bad link values. Optimizers: each optimizer's η said on the chart and the shared slider labelled
for what it does, "—" for a walk that did not diverge, a selector wide enough for every name, powers
of ten (not SI prefixes) on the log axis, whole-number step ticks. Losses: equal risks share one label.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.lessons import backprop as bp
from playground.lessons import gradient_descent as op
from playground.lessons import losses as lf
from playground.ui.charts import backprop as charts_backprop
from playground.ui.charts import gradient_descent as charts_optim
from playground.ui.charts import losses as charts_losses
from tests.test_lesson_pages import open_page


def chart(at: AppTest, key: str) -> dict[str, Any]:
    """The Plotly spec of the chart drawn with ``key``."""
    for el in at.get("plotly_chart"):
        spec: dict[str, Any] = json.loads(el.proto.spec)
        if el.proto.id.endswith(key) or key in el.proto.id:
            return spec
    raise AssertionError(f"no chart {key}")


def decode(values: Any) -> np.ndarray:
    """A Plotly array: a plain list or a base64 typed-array spec."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def plain(text: str) -> str:
    """Annotation text without its HTML tags (a line break becomes a new line)."""
    return re.sub(r"<[^>]*>", "", text.replace("<br>", "\n"))


# -- 1. backprop: the update step, the buttons, the subscripts ---------------------------------------------------


def test_backprop_update_step_has_its_own_layout() -> None:
    """The last step shows the rule, then η with each weight before → after, then the loss before → after."""
    at = open_page("backprop")
    at.button(key="bp_end").click().run()
    latex = [x.value for x in at.latex]
    walk = bp.walkthrough(bp.Network(), bp.Example(), 0.5)
    # never the old run-on line "L_after = rule = η = 0.5: L = … → … = …"
    assert not [t for t in latex if r"\leftarrow" in t and r"\to" in t], latex
    assert not [t for t in latex if r"L_{\text{after}} = w" in t], latex
    rule = [t for t in latex if r"w \leftarrow w - \eta" in t]
    assert rule and all(r"\eta = 0.5" in t for t in rule)
    weights = [t for t in latex if "w_{11}" in t and "b_2" in t and "c" in t and r"\cdot" in t]
    assert len(weights) == 1 and "0.15" in weights[0] and f"{walk.updated.w11:.4g}" in weights[0]
    loss = [t for t in latex if r"\to" in t]
    assert len(loss) == 1 and f"{walk.fwd.loss:.4g}" in loss[0] and f"{walk.loss_after:.4g}" in loss[0]
    assert r"\eta" not in loss[0]


def test_backprop_next_is_disabled_at_the_end() -> None:
    at = open_page("backprop")
    assert not at.button(key="bp_next").disabled and at.button(key="bp_prev").disabled
    at.button(key="bp_end").click().run()
    assert at.slider(key="bp_step").value == 23
    assert at.button(key="bp_next").disabled and at.button(key="bp_end").disabled
    assert not at.button(key="bp_prev").disabled and not at.button(key="bp_restart").disabled
    at.button(key="bp_prev").click().run()
    assert not at.button(key="bp_next").disabled


def test_backprop_labels_use_subscripts() -> None:
    """Every label in the diagram and every weight's input label writes its index as a subscript."""
    walk = bp.walkthrough(bp.Network(), bp.Example(), 0.5)
    values = {s.key: s.value for s in walk.steps if s.phase == "forward"}
    grads = {s.key.removeprefix("d_"): s.value for s in walk.steps if s.phase == "backward"}
    fig = charts_backprop.network_figure(
        {"x1": 0.5, "x2": -1.0, "y": 1.0}, bp.Network().params(), values, grads, ("h1", "h1"), "backward"
    ).to_dict()
    texts = [plain(a["text"]) for a in fig["layout"]["annotations"]]
    texts += [plain(t) for trace in fig["data"] for t in trace.get("text") or []]
    joined = "\n".join(texts)
    for label in ("∂L/∂b₁", "∂L/∂b₂", "∂L/∂z₁", "∂L/∂z₂", "∂L/∂h₁", "∂L/∂h₂", "∂L/∂w₁₁", "b₁ =", "z₂ ="):
        assert label in joined, label
    assert not re.search(r"[A-Za-zŷ][0-9]", joined), joined  # no "b1", "z2", "∂L/∂b1"
    assert [charts_backprop.WEIGHT_NAME[p] for p in bp.PARAMS] == [
        "w₁₁", "w₂₁", "b₁", "w₁₂", "w₂₂", "b₂", "v₁", "v₂", "c",
    ]  # fmt: skip
    at = open_page("backprop")
    labels = [n.label for n in at.number_input]
    assert "b₁" in labels and "b₂" in labels and not [x for x in labels if re.search(r"[a-z][0-9]", x)], labels


# -- 2. backprop: link values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lr": "bad"}, "lr"),
        ({"lr": "-1"}, "lr"),
        ({"lr": "1e400"}, "lr"),
        ({"activation": "gelu"}, "activation"),
        ({"loss": "hinge"}, "loss"),
        ({"w11": "99"}, "w11"),
        ({"c": "nan"}, "c"),
        ({"x2": "abc"}, "x2"),
        ({"y": "2"}, "y"),
        ({"step": "bad"}, "step"),
        ({"step": "99"}, "step"),
        ({"seed": "-3"}, "seed"),
    ],
)
def test_backprop_bad_link_gives_notice(params: dict[str, str], field: str) -> None:
    at = open_page("backprop", params)
    assert any(w.value.startswith(f"Link setting ignored: {field}") for w in at.warning), [w.value for w in at.warning]
    assert at.select_slider(key="bp_lr").value == 0.5 and at.selectbox(key="bp_activation").value == "sigmoid"
    assert at.number_input(key="bp_w11").value == 0.15 and at.slider(key="bp_step").value == 0


def test_backprop_link_sets_the_page_and_is_kept() -> None:
    params = {"lr": "2", "activation": "tanh", "loss": "bce", "w11": "-0.3", "x1": "1", "y": "0", "step": "9"}
    at = open_page("backprop", params)
    assert not at.warning, [w.value for w in at.warning]
    assert at.select_slider(key="bp_lr").value == 2.0 and at.selectbox(key="bp_activation").value == "tanh"
    assert at.selectbox(key="bp_loss").value == "bce" and at.number_input(key="bp_w11").value == -0.3
    assert at.number_input(key="bp_x1").value == 1.0 and at.radio(key="bp_y").value == 0
    assert at.slider(key="bp_step").value == 9
    for name, value in params.items():  # the link stays in the address bar
        assert at.query_params[name] in (value, [value]), name
    at.button(key="bp_next").click().run()
    assert at.query_params["step"] in ("10", ["10"])


def test_backprop_link_parser_never_raises() -> None:
    for raw in ("", " ", "nan", "inf", "-inf", "1e999", "0x10", "<script>", "1,2", "5.0000001"):
        for name in bp.LINK_KEYS:
            values, notices = bp.parse_link({name: raw})
            assert isinstance(values, dict) and all(isinstance(n, str) for n in notices)
    values, notices = bp.parse_link({"lr": "0.3", "w22": "5", "step": "23"})
    assert values == {"lr": 0.2, "w22": 5.0, "step": 23} and not notices  # lr snaps to the slider's nearest value


# -- 3-5. optimizers: η on the chart, the table, the selector --------------------------------------------------


def test_optimizers_chart_says_each_learning_rate() -> None:
    """Rosenbrock tunes each η: the map's legend says which, the shared slider says what it does."""
    at = open_page("optimizers", {"surface": "rosenbrock"})
    race = chart(at, "race_chart")
    title = plain(race["layout"]["legend"]["title"]["text"])
    lrs = op.get_surface("rosenbrock").tuned_lr
    for name in op.OPTIMIZERS:
        assert f"{op.OPTIMIZER_TITLES[name]} (η = {op.nearest_option(lrs[name]):g})" in title, title
    shared = at.select_slider(key="lr")
    assert "every" in shared.label.lower() and shared.label.lower().startswith("set"), shared.label
    assert any("own η" in c.value for c in at.caption), [c.value for c in at.caption]
    table = next(d.value for d in at.dataframe if "η" in d.value.columns)
    assert [float(v) for v in table["η"]] == [op.nearest_option(lrs[n]) for n in op.OPTIMIZERS]
    # the shared slider gives them all one η: the legend then says so once
    shared.set_value(0.01).run()
    race = chart(at, "race_chart")
    assert plain(race["layout"]["legend"]["title"]["text"]) == "η = 0.01 for every optimizer"
    assert not any("own η" in c.value for c in at.caption)


def test_race_figure_names_each_learning_rate() -> None:
    xs, ys, z = op.get_surface("bowl").grid(20)
    paths = [np.zeros((3, 2)), np.ones((3, 2))]
    fig = charts_optim.race_figure(
        xs, ys, z, ["SGD", "Adam"], paths, [None, None], ["#f00", "#00f"], (-3, 3, -3, 3), lrs=[0.05, 0.2]
    ).to_dict()
    assert plain(fig["layout"]["legend"]["title"]["text"]) == "SGD (η = 0.05) · Adam (η = 0.2)"
    assert [t["name"] for t in fig["data"] if t.get("mode") == "lines"] == ["SGD", "Adam"]
    assert "η = 0.2" in fig["data"][1]["hovertemplate"]


def test_optimizers_table_says_no_divergence_plainly() -> None:
    at = open_page("optimizers", {"surface": "bowl"})
    table = next(d.value for d in at.dataframe if "diverged at step" in d.value.columns)
    assert list(table["diverged at step"]) == ["—"] * len(op.OPTIMIZERS)
    at = open_page("optimizers", {"surface": "bowl", "lr": "10", "optimizers": "sgd"})
    table = next(d.value for d in at.dataframe if "diverged at step" in d.value.columns)
    assert re.fullmatch(r"\d+", str(table["diverged at step"][0]))


def _ancestors(node: Any, target_key: str, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """The blocks above the widget with ``target_key`` in AppTest's element tree."""
    if getattr(node, "key", None) == target_key and not hasattr(node, "children"):
        return path
    for child in getattr(node, "children", {}).values():
        found = _ancestors(child, target_key, (*path, node))
        if found is not None:
            return found
    return None


def test_optimizer_selector_has_room_for_every_name() -> None:
    """The selector's labels are the full names, and it spans the page's width (no narrow column)."""
    at = open_page("optimizers")
    selector = at.multiselect(key="optimizers")
    assert [selector.format_func(n) for n in op.OPTIMIZERS] == ["SGD", "SGD + momentum", "RMSprop", "AdaGrad", "Adam"]
    assert selector.value == list(op.OPTIMIZERS)
    blocks = _ancestors(at.main, "optimizers")
    assert blocks is not None
    columns = [b for b in blocks if getattr(b, "type", "") == "column"]
    assert not columns, [c.weight for c in columns]


# -- 6, 8. optimizers: the loss chart's axes --------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 4, 11, 31, 201, 501])
def test_loss_steps_axes_show_powers_of_ten_and_whole_steps(length: int) -> None:
    loss = np.geomspace(10.0, 1e-9, length)
    fig = charts_optim.loss_steps_figure(["SGD", "Adam"], [loss, loss[: max(1, length // 2)]], [None, 3],
                                         ["#f00", "#00f"], 0.0).to_dict()  # fmt: skip
    y, x = fig["layout"]["yaxis"], fig["layout"]["xaxis"]
    assert y["type"] == "log" and y.get("exponentformat") in ("power", "e")
    assert x["tickmode"] == "linear" and x["tick0"] == 0 and float(x["dtick"]).is_integer() and x["dtick"] >= 1
    assert (length - 1) / x["dtick"] <= 10  # at most about ten step ticks


def test_optimizers_page_log_axis_has_no_si_prefixes() -> None:
    at = open_page("optimizers")
    fig = chart(at, "loss_steps")
    assert fig["layout"]["yaxis"]["exponentformat"] in ("power", "e")


# -- 7. losses: labels of equal risks --------------------------------------------------------------------------


def _label_pixels(fig: dict[str, Any]) -> list[tuple[float, str]]:
    """Each risk label's height above the axis in pixels (data y scaled to the plot, plus its shift)."""
    layout = fig["layout"]
    # without an explicit range, Plotly's autorange: from 0 (rangemode tozero) to a little above the tallest bar
    tallest = max(float(decode(t["y"]).max()) for t in fig["data"])
    lo, hi = layout["yaxis"].get("range", [0.0, 1.05 * tallest])
    plot = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    return [
        (plot * (a["y"] - lo) / (hi - lo) + a.get("yshift", 0), plain(a["text"]))
        for a in layout["annotations"]
        if a.get("yref") == "y"
    ]


def test_equal_cross_entropy_risks_share_one_label() -> None:
    table = lf.empirical_risk(lf.EXAMPLE_TARGETS, lf.EXAMPLE_PREDICTIONS)
    assert f"{table.risk['bce']:.3f}" == f"{table.risk['cce']:.3f}" == "0.419"
    fig = charts_losses.risk_bars_figure(table.per_example, table.risk, lf.LOSS_TITLES, ["a", "b", "c", "d", "e"])
    labels = _label_pixels(fig.to_dict())
    assert [t for _, t in labels if "0.419" in t] == ["J = 0.419 · Binary cross-entropy = Categorical cross-entropy"]
    assert len(labels) == 2 and any("0.140" in t for _, t in labels)


@pytest.mark.parametrize("mse_mean", [0.41, 0.419, 0.43, 0.3, 0.0, 2.0])
def test_risk_labels_never_overlap(mse_mean: float) -> None:
    """Close risks share a line, far ones keep their own; any two labels sit at least a line apart."""
    per_example = {"bce": np.array([0.2, 0.638]), "cce": np.array([0.2, 0.638]), "mse": np.array([mse_mean] * 2)}
    risk = {k: float(v.mean()) for k, v in per_example.items()}
    fig = charts_losses.risk_bars_figure(per_example, risk, lf.LOSS_TITLES, ["a", "b"]).to_dict()
    labels = sorted(_label_pixels(fig))
    shown = " ".join(t for _, t in labels)
    assert shown.count("J = ") == len({f"{v:.3f}" for v in risk.values()})  # every value once
    assert all(b[0] - a[0] >= charts_losses.LABEL_PX for a, b in itertools.pairwise(labels)), labels
    top = fig["layout"]["yaxis"]["range"][1]
    assert all(v < top for v in risk.values())
