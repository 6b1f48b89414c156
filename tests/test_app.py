"""The home page, the Cloud entry point, presets, classroom links and the server-wide training slots."""

from __future__ import annotations

import os
import sys
import threading
import time
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


def test_training_slots_queue_and_release() -> None:
    live._active.clear()
    owners = [f"s{i}" for i in range(live.MAX_ACTIVE)]
    assert all(live.acquire(o, now=100.0) for o in owners)
    assert not live.acquire("late", now=100.5)  # full: queued
    assert live.acquire(owners[0], now=100.6)  # a running session keeps its slot
    live.release(owners[1])
    assert live.acquire("late", now=100.7)
    # Sessions that stop asking for frames (tab closed) lose their slot.
    assert live.acquire("later", now=100.7 + live.STALE_SECONDS + 1)
    live._active.clear()


def test_live_module_sets_a_short_gil_switch_interval() -> None:
    """Importing the live-training limits tunes the server: waiting threads get the GIL within ~1 ms per busy one."""
    assert sys.getswitchinterval() == pytest.approx(float(os.environ.get("PLAYGROUND_SWITCH_INTERVAL", "0.001")))


def test_trainings_share_the_server_training_time() -> None:
    """Alone, a session trains what it asks; with others, their frames together train at most TRAINING_CORES."""
    live._active.clear()
    try:
        assert live.train_seconds(0.1, 0.08) == 0.08
        for active in (2, 8, 30):
            live._active.clear()
            live._active.update({f"s{i}": 100.0 for i in range(active)})
            per_frame = live.train_seconds(0.1, 0.08)
            interval = live._ideal_interval(0.1)
            # every session trains per_frame seconds once per interval: the sum stays within the budget
            assert active * per_frame / interval <= live.TRAINING_CORES + 1e-9
            assert 0 < per_frame <= 0.08
    finally:
        live._active.clear()


def test_live_frames_alone_keep_their_pace_and_share_a_server_budget_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alone, a page keeps its pace; with others, all fast views together draw SERVER_FRAMES_PER_SECOND."""
    monkeypatch.setattr(live, "_last_click", [float("-inf")])  # no rush of clicks (see below)
    live._active.clear()
    try:
        live._active["alone"] = 100.0
        assert live._ideal_interval(0.1) == 0.1 and live._ideal_interval(1.0) == 1.0
        for active in (2, 8, 30):
            live._active.clear()
            live._active.update({f"s{i}": 100.0 for i in range(active)})
            fast, slow = live._ideal_interval(0.1), live._ideal_interval(1.0)
            assert fast >= 0.1 and active / fast <= live.SERVER_FRAMES_PER_SECOND + 1e-9
            assert slow == pytest.approx(10 * fast)  # the slower views (the diagram) keep their ratio
    finally:
        live._active.clear()


def test_keep_pace_retimes_the_fragment_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the server gets busier, a live fragment re-times its own timer (no page rerun); close enough, nothing."""
    store: dict[str, object] = {}
    monkeypatch.setattr(live.state, "get", lambda key, factory: store.setdefault(key, factory()))
    monkeypatch.setattr(live.state, "put", store.__setitem__)
    sent: list[float] = []
    monkeypatch.setattr(live, "_set_fragment_interval", lambda seconds: sent.append(seconds) or True)
    monkeypatch.setattr(live, "_last_click", [float("-inf")])
    live._active.clear()
    try:
        live._active["me"] = 100.0
        assert live.frame_interval(0.1) == 0.1  # run_every when the page ran, alone
        live.keep_pace(0.1)
        assert sent == []
        live._active.update({f"s{i}": 100.0 for i in range(29)})
        live.keep_pace(0.1)
        assert sent == [pytest.approx(live._ideal_interval(0.1))] and live.interval_in_use(0.1) == sent[0]
        live._active.pop("s0")  # 29 instead of 30: within 25 %, the timer stays
        live.keep_pace(0.1)
        assert len(sent) == 1
    finally:
        live._active.clear()


def test_fragment_interval_needs_a_running_fragment() -> None:
    assert live._set_fragment_interval(1.0) is False  # no script run here: nothing to re-time


def test_timer_frames_take_turns_and_clicks_do_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most FRAMES_AT_ONCE timer frames compute at once; a full page run (a click) never waits for a turn."""
    monkeypatch.setattr(live, "in_timer_frame", lambda: True)
    running, most = [0], [0]
    lock = threading.Lock()

    def frame() -> None:
        with live.frame_turn():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=frame) for _ in range(3 * live.FRAMES_AT_ONCE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == live.FRAMES_AT_ONCE
    for _ in range(live.FRAMES_AT_ONCE):  # every turn taken...
        live._frame_turns.acquire()
    try:
        monkeypatch.setattr(live, "in_timer_frame", lambda: False)
        started = time.monotonic()
        with live.frame_turn():  # ...and a click still goes straight through
            pass
        assert time.monotonic() - started < 1.0
    finally:
        for _ in range(live.FRAMES_AT_ONCE):
            live._frame_turns.release()


def test_a_rush_of_clicks_thins_the_frames_and_the_pace_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within RUSH_SECONDS of a click, with others training, fast views come RUSH_SLOWDOWN times rarer; alone, never."""
    live._active.clear()
    try:
        live._active.update({f"s{i}": 100.0 for i in range(30)})
        monkeypatch.setattr(live, "_last_click", [float("-inf")])
        calm, calm_diagram = live._ideal_interval(0.1), live._ideal_interval(1.0)
        live._last_click[0] = time.monotonic()
        assert live._ideal_interval(0.1) == pytest.approx(calm * live.RUSH_SLOWDOWN)
        assert live._ideal_interval(1.0) == pytest.approx(calm_diagram)  # the slow views keep their pace
        live._last_click[0] = time.monotonic() - live.RUSH_SECONDS - 0.1
        assert live._ideal_interval(0.1) == pytest.approx(calm)
        live._active.clear()
        live._active["alone"] = 100.0
        live._last_click[0] = time.monotonic()
        assert live._ideal_interval(0.1) == 0.1
    finally:
        live._active.clear()


def test_costly_views_skip_every_other_frame_in_a_rush(monkeypatch: pytest.MonkeyPatch) -> None:
    """The diagram's timer frames redraw afresh, but for every other one while clicks keep coming on a shared server."""
    store: dict[str, object] = {}
    monkeypatch.setattr(live.state, "get", lambda key, factory: store.setdefault(key, factory()))
    monkeypatch.setattr(live.state, "put", store.__setitem__)
    monkeypatch.setattr(live, "_last_click", [float("-inf")])
    monkeypatch.setattr(live, "in_timer_frame", lambda: True)
    live._active.clear()
    try:
        live._active.update({"me": 100.0, "other": 100.0})
        assert [live.costly_frame_due() for _ in range(3)] == [True, True, True]  # calm: every frame
        live._last_click[0] = time.monotonic()
        assert [live.costly_frame_due() for _ in range(4)] == [False, True, False, True]  # a rush: every other
        live._active.pop("other")
        assert [live.costly_frame_due() for _ in range(2)] == [True, True]  # alone: a click is no rush
        monkeypatch.setattr(live, "in_timer_frame", lambda: False)
        assert not live.costly_frame_due()  # a click's answer draws the last picture
    finally:
        live._active.clear()


def test_timer_frames_let_a_fresh_click_answer_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a click answer, other sessions' timer frames wait up to CLICK_FIRST_SECONDS; alone they do not wait."""
    monkeypatch.setattr(live, "CLICK_FIRST_SECONDS", 0.3)
    monkeypatch.setattr(live, "_last_click", [float("-inf")])
    live._active.clear()
    try:
        live._active.update({"me": 100.0, "other": 100.0})
        monkeypatch.setattr(live, "in_timer_frame", lambda: False)
        with live.frame_turn():  # a click: noted
            pass
        monkeypatch.setattr(live, "in_timer_frame", lambda: True)
        started = time.monotonic()
        with live.frame_turn():
            waited = time.monotonic() - started
        assert 0.2 <= waited < 1.0
        started = time.monotonic()
        with live.frame_turn():  # the click is old now: no wait
            assert time.monotonic() - started < 0.1
        live._active.pop("other")
        live._last_click[0] = time.monotonic()
        started = time.monotonic()
        with live.frame_turn():  # alone: nobody to let go first
            assert time.monotonic() - started < 0.1
    finally:
        live._active.clear()


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
