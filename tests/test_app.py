"""The home page, the Cloud entry point, presets, classroom links and the server-wide training slots."""

from __future__ import annotations

import types
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from playground.presets import PRESETS
from playground.spec import Spec, from_query_lenient, spec_for_dataset
from playground.ui import live
from playground.ui.classroom import classroom_link
from playground.ui.pages import PAGES
from tests.conftest import ROOT

PAGE_PATHS = {p.url_path for p in PAGES}


def test_home_shows_the_lecture_map_device_and_class_guide() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Computing on" in text and "CPU" in text
    assert "How to use this in class" in [h.value for h in at.subheader]
    assert len(PAGES) == 8


def test_classroom_link_maker() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.selectbox(key="classroom_page").set_value("playground").run()
    at.selectbox(key="classroom_preset").set_value("One hidden layer can learn xor").run()
    at.multiselect(key="classroom_hide").set_value(["optimizer", "l2"]).run()
    assert not at.exception
    assert at.code[0].value == "/playground?dataset=xor&hidden=4&activation=tanh&lr=0.03&hide=optimizer,l2"


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url_path)
def test_cloud_entry_point_runs_every_page(info) -> None:  # type: ignore[no-untyped-def]
    """Community Cloud's entry point (cloud/streamlit_app.py) runs app.py unchanged."""
    at = AppTest.from_file(str(ROOT / "cloud" / "streamlit_app.py"), default_timeout=90).run()
    assert not at.exception
    at.switch_page("../" + info.path).run()
    assert not at.exception
    assert info.title.split("· ")[-1].lower() in at.title[0].value.lower()


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: f"{p.page}:{p.name}")
def test_every_preset_names_a_page_and_valid_settings(preset) -> None:  # type: ignore[no-untyped-def]
    assert preset.page in PAGE_PATHS
    url = urlparse(preset.href())
    assert url.path == "/" + preset.page
    params = dict(parse_qsl(url.query))
    # Each page starts from its own default; a data set brings its problem type along.
    base = spec_for_dataset(params["dataset"]) if "dataset" in params else Spec()
    _spec, notices = from_query_lenient(params, base)
    assert notices == [], notices


def test_classroom_link_without_preset_or_hidden() -> None:
    assert classroom_link("mnist", None, []) == "/mnist"


def test_views_that_a_click_redraws_are_not_timer_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a fragment run, the live views drawn inside ``views_answer_a_click`` answer a click, even after an error."""
    store: dict[str, object] = {}
    monkeypatch.setattr(live.state, "get", lambda key, factory: store.setdefault(key, factory()))
    monkeypatch.setattr(live.state, "put", store.__setitem__)
    fragment_run = types.SimpleNamespace(fragment_ids_this_run=["a fragment"])
    monkeypatch.setattr(live.st.runtime.scriptrunner, "get_script_run_ctx", lambda: fragment_run)
    assert live.in_timer_frame()
    with live.views_answer_a_click():
        assert not live.in_timer_frame()
    assert live.in_timer_frame()
    with pytest.raises(RuntimeError), live.views_answer_a_click():
        raise RuntimeError("a rerun or an error inside the views")
    assert live.in_timer_frame()
    fragment_run.fragment_ids_this_run = []
    assert not live.in_timer_frame()  # a full page run


def test_cloud_requirements_pin_the_same_versions_with_cpu_torch() -> None:
    """The Cloud's dependency file (read first, beside its entry point) matches ours but for CPU-only torch."""

    def pins(path: Path) -> dict[str, str]:
        lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        return dict(line.split("==", 1) for line in lines if "==" in line)

    local, cloud = pins(ROOT / "requirements.txt"), pins(ROOT / "cloud" / "requirements.txt")
    assert cloud.pop("torch") == local.pop("torch") + "+cpu"
    assert cloud == local
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in (ROOT / "cloud" / "requirements.txt").read_text()


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url_path)
def test_each_page_keeps_only_its_own_typed_state(info) -> None:  # type: ignore[no-untyped-def]
    """A page creates its one state object under state:<page> and no other page's, nor loose page:thing keys."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(info.path).run()
    assert not at.exception, at.exception
    keys = [str(k) for k in at.session_state]
    assert [k for k in keys if k.startswith("state:")] == [f"state:{info.url_path}"]
    other = {p.url_path for p in PAGES} - {info.url_path}
    assert not [k for k in keys if k.split(":")[0] in other or k.split(":")[-1] in other], keys
