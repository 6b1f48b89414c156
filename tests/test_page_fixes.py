"""Fixes a teacher asked for: same-tab links, the home map's order, exact learned weights, honest labels and axes."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.lessons import activations as act
from playground.lessons import perceptron as pc
from playground.presets import PRESETS, presets_for
from playground.spec import DATASETS
from playground.ui.charts import mnist as charts_mnist
from playground.ui.charts import perceptron as charts_perceptron
from playground.ui.pages import PAGES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE_FILES = {p.url_path: p.path for p in PAGES}
ANCHOR = re.compile(r'<a href="([^"]*)" target="_self">(.*?)</a>')
MARKDOWN_PAGE_LINK = re.compile(r"\]\(/")  # [text](/page...): Streamlit opens it in a new tab


def open_app(page: str | None = None, params: dict[str, str] | None = None) -> AppTest:
    """The home page, or ``page`` (a url path) opened in a new session with ``params`` in its address."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page is not None:
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.switch_page(PAGE_FILES[page]).run()
    assert not at.exception, at.exception
    return at


def same_tab_links(at: AppTest) -> list[tuple[str, str]]:
    """(href, text) of every HTML anchor with target="_self" in the page's Markdown (HTML allowed)."""
    found = []
    for m in at.markdown:
        if m.proto.allow_html:  # type: ignore[attr-defined]
            for href, inner in ANCHOR.findall(m.value):
                found.append((html.unescape(href), html.unescape(re.sub(r"<[^>]+>", "", inner))))
    return found


def follow(href: str) -> AppTest:
    """What a same-tab click does: the browser loads the address, a new session opens that page with its params."""
    url = urlparse(href)
    return open_app(url.path.strip("/") or None, dict(parse_qsl(url.query, keep_blank_values=True)))


def epoch_ticks_are_whole(axis: dict, last_epoch: int) -> bool:  # type: ignore[type-arg]
    """Ticks at whole epochs only: a linear tick mode from 0 with a whole step, drawn as integers."""
    dtick = axis.get("dtick")
    return (
        axis.get("tickmode") == "linear"
        and float(axis.get("tick0", 0)) == 0
        and dtick is not None
        and float(dtick).is_integer()
        and dtick >= 1
        and last_epoch / dtick <= 10
        and axis.get("tickformat") == "d"
    )


# -- 1. presets and page links open in the same tab --------------------------------------------------


def test_home_preset_links_open_in_the_same_tab() -> None:
    at = open_app()
    links = same_tab_links(at)
    for preset in PRESETS:
        assert (preset.href(), preset.name) in links, preset.name
    assert not [m.value for m in at.markdown if MARKDOWN_PAGE_LINK.search(m.value)]


def test_page_presets_open_in_the_same_tab_and_keep_classroom_mode() -> None:
    at = open_app("perceptron")
    links = same_tab_links(at)
    for preset in presets_for("perceptron"):
        assert (preset.href(), preset.name) in links
    assert not [m.value for m in at.markdown if MARKDOWN_PAGE_LINK.search(m.value)]
    # Classroom mode: a preset opens the page with the same controls hidden.
    at = open_app("perceptron", {"hide": "g,step"})
    hrefs = [href for href, _ in same_tab_links(at)]
    assert "/perceptron?dataset=xor&hide=g,step" in hrefs, hrefs


def test_a_clicked_preset_opens_its_page_with_its_settings() -> None:
    home = open_app()
    href = next(h for h, text in same_tab_links(home) if text == "A perceptron cannot learn xor")
    at = follow(href)
    assert at.selectbox(key="pc_dataset").value == "xor"
    assert not at.warning
    href = next(h for h, text in same_tab_links(home) if text == "Vanishing gradients in a deep sigmoid stack")
    at = follow(href)
    assert at.slider(key="act_depth").value == 10


def test_perceptron_xor_notice_links_the_playground_in_the_same_tab() -> None:
    at = open_app("perceptron", {"dataset": "xor"})
    xor_preset = "/playground?dataset=xor&hidden=4&activation=tanh&lr=0.03"
    assert (xor_preset, "Open the network playground that solves xor") in same_tab_links(at)
    assert not [el.value for el in at.info if MARKDOWN_PAGE_LINK.search(el.value)]


# -- 2. the lecture map reads in order ----------------------------------------------------------------


def test_home_cards_read_in_the_lecture_order() -> None:
    """Left column 1-4, right column 5-8: each column reads down in order, and so does the page when stacked."""
    at = open_app()
    titles = [p.title for p in PAGES]
    assert [link.value for link in at.page_link] == titles
    columns = [[link.value for link in col.get("page_link")] for col in at.columns]
    cards = [c for c in columns if c]
    half = (len(titles) + 1) // 2
    assert cards[:2] == [titles[:half], titles[half:]]


# -- 3. "Use these weights above" keeps the learned values ----------------------------------------------


def test_use_these_weights_keeps_the_learned_values() -> None:
    at = open_app("perceptron")
    for _ in range(2):
        at.button(key="pc_step").click().run()
    learned = pc.trained_neuron(at.session_state["state:perceptron"].trainer.weights())
    at.button(key="pc_use").click().run()
    assert not at.exception
    for name in ("w0", "w1", "w2"):
        slider = at.slider(key=f"pc_{name}")
        value = float(slider.value)  # type: ignore[arg-type]
        assert value == pytest.approx(getattr(learned, name), rel=1e-12, abs=1e-15), name
        shown = slider.proto.format % value  # type: ignore[attr-defined]
        assert not re.fullmatch(r"-0(\.0*)?", shown), shown
        assert float(shown) == pytest.approx(value, rel=1e-3), (shown, value)
    code = at.code[0].value
    assert repr(learned.w1) in code


@pytest.mark.parametrize("zero", [-0.0, 0.0])
def test_code_never_shows_negative_zero(zero: float) -> None:
    neuron = pc.Neuron(x1=zero, x2=1.0, w0=zero, w1=zero, w2=-0.5)
    for code in (pc.keras_code(neuron), pc.pytorch_code(neuron)):
        assert not re.search(r"(?<![\w.])-0\.0(?!\d)", code), code
        assert "-0.5" in code


# -- 4. the perceptron's link notice lists only its own data sets ----------------------------------------


@pytest.mark.parametrize("raw", ["bogus", "spiral", "mnist", ""])
def test_perceptron_bad_dataset_notice_lists_only_its_data_sets(raw: str) -> None:
    at = open_app("perceptron", {"dataset": raw})
    notices = [w.value for w in at.warning if "dataset" in w.value]
    assert len(notices) == 1, notices
    for name in pc.TRAIN_DATASETS:
        assert name in notices[0]
    others = [d for d in DATASETS if d not in pc.TRAIN_DATASETS and d != raw]
    assert not [d for d in others if re.search(rf"\b{d}\b", notices[0])], notices[0]
    assert at.selectbox(key="pc_dataset").value == "gauss"


def test_perceptron_link_spec_keeps_good_settings_and_names_its_data_sets() -> None:
    spec, notices = pc.link_spec(
        {"dataset": "three_class", "lr": "0.1", "optimizer": "adam"}, pc.default_training_spec()
    )
    assert spec.data.dataset == "gauss" and spec.train.lr == 0.1 and spec.train.optimizer == "adam"
    assert len(notices) == 1 and "gauss, moons, xor, circle" in notices[0] and "spiral" not in notices[0]
    spec, notices = pc.link_spec({"dataset": "moons", "lr": "5"}, pc.default_training_spec())
    assert spec.data.dataset == "moons" and spec.train.lr == pc.MAX_LR and len(notices) == 1


# -- 5. the first-layer tab states the layer's true width -----------------------------------------------


@pytest.mark.parametrize(("units", "words"), [(128, "128 neurons"), (16, "16 neurons"), (512, "of its 512 neurons")])
def test_first_layer_title_states_the_true_width(units: int, words: str) -> None:
    fig = charts_mnist.weights_figure(np.zeros((units, 28, 28), dtype=np.float32))
    title = fig.layout.title.text
    assert words in title, title
    assert "(64 neurons)" not in title


# -- 6. whole epochs on epoch axes, no SI prefixes on log axes -------------------------------------------


@pytest.mark.parametrize("last", [1, 2, 3, 7, 11, 60, 100, 250])
def test_mnist_curves_have_whole_epoch_ticks_and_plain_exponents(last: int) -> None:
    epochs = list(range(1, last + 1))
    ones = [0.5] * last
    figs = charts_mnist.training_figures(epochs, ones, ones, ones, ones, [1e-12] * last, best_epoch=1)
    for fig in figs:
        assert epoch_ticks_are_whole(fig.to_plotly_json()["layout"]["xaxis"], last), fig.layout.xaxis
    rate = figs[2].to_plotly_json()["layout"]["yaxis"]
    assert rate["type"] == "log" and rate["exponentformat"] in ("e", "power")


@pytest.mark.parametrize("last", [1, 2, 5, 60])
def test_perceptron_loss_curve_has_whole_epoch_ticks(last: int) -> None:
    epochs = list(range(1, last + 1))
    fig = charts_perceptron.loss_figure(epochs, [0.69] * last, [0.7] * last)
    layout = fig.to_plotly_json()["layout"]
    assert epoch_ticks_are_whole(layout["xaxis"], last)
    assert layout["yaxis"]["rangemode"] == "tozero"


def test_perceptron_page_loss_chart_has_whole_epoch_ticks() -> None:
    at = open_app("perceptron")
    at.button(key="pc_step").click().run()
    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]  # type: ignore[attr-defined]
    curves = [f for f in figs if f["layout"].get("xaxis", {}).get("title", {}).get("text") == "epoch"]
    assert curves and all(epoch_ticks_are_whole(f["layout"]["xaxis"], 1) for f in curves)


def test_gradient_chart_log_axis_uses_plain_exponents() -> None:
    norms = {"sigmoid": np.logspace(-20, 0, 10), "relu": np.ones(10)}
    layout = charts_perceptron.gradient_figure(norms, act.LABELS).to_plotly_json()["layout"]
    assert layout["yaxis"]["type"] == "log" and layout["yaxis"]["exponentformat"] in ("e", "power")
    assert float(layout["xaxis"]["dtick"]).is_integer()
