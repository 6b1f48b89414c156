"""A class on one core: 30 synthetic students and 1 real chromium page press Play on one server.

The CI version of ``bench/bench_class.py`` (the harness is ``bench/class_harness.py``): a server of
its own, pinned to core 0, the harness and chromium on core 1. The synthetic students speak
Streamlit's real WebSocket protocol (they open the playground, press Play through the button's
widget state and follow the live fragments' timers as the browser does, rendering nothing); the
real page reads the "Epoch N" counter on every animation frame. Everyone opens the page at once,
presses Play within 5 s, and the figures are taken over the next 20 s.

Asserted: no exception element on any page and no traceback in the server log (but Streamlit's own
``WebSocketDisconnected``), nobody told "queued" (the slot limit is set to 100 here, so this holds
whatever the app's default limit), every student opened the page, pressed Play and saw an epoch
above 0, the real page too, the server's peak memory under 1.2 GB, and that the widget values the
synthetic students send equal the ones chromium sends (else they would change the settings).
Timings (epochs/s, updates/s, Play to first update, page open) are reported, not asserted: printed
(run with -s) and written to artifacts/class_load.txt.

``PLAYGROUND_CLASS_STUDENTS`` and ``PLAYGROUND_CLASS_SECONDS`` change the size and the window;
``PLAYGROUND_CLASS_APP_DIR`` serves another checkout.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bench.class_harness import ARTIFACTS, CHROMIUM, ROOT, Server, fmt, pinned, run_class, run_sync, summary
from tests.browser.conftest import _need

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDENTS = int(os.environ.get("PLAYGROUND_CLASS_STUDENTS", "30"))
SECONDS = float(os.environ.get("PLAYGROUND_CLASS_SECONDS", "20"))
APP_DIR = Path(os.environ.get("PLAYGROUND_CLASS_APP_DIR", ROOT))


def test_a_class_trains_on_one_core() -> None:
    """30 students + 1 page on a one-core server: no exception, nobody queued, everyone trains, < 1.2 GB."""
    _need(Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None, f"chromium not found at {CHROMIUM}")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _need(False, "playwright is not installed")
    with Server(APP_DIR, cores=1, env={"PLAYGROUND_MAX_TRAININGS": "100"}) as server, pinned(1):
        result = run_sync(run_class(server, STUDENTS, browsers=1, seconds=SECONDS, play_within=5.0, open_timeout=60.0))
    result.tracebacks = server.tracebacks()
    f = summary(result)
    page = result.browsers[0]
    report = (
        f"class load: {STUDENTS} synthetic students + 1 chromium page, server on one core, "
        f"{SECONDS:.0f} s window after Play within 5 s\n"
        f"students: epochs/s min {fmt(f['epochs_per_s_min'])} median {fmt(f['epochs_per_s_median'])} "
        f"max {fmt(f['epochs_per_s_max'])}; updates/s median {fmt(f['updates_per_s_median'], 2)}; "
        f"Play to first update median {fmt(f['first_response_s_median'], 2)} s, p95 {fmt(f['first_response_s_p95'], 2)} s; "
        f"page open median {fmt(f['open_s_median'])} s, p95 {fmt(f['open_s_p95'])} s, max {fmt(f['open_s_max'])} s; "
        f"opened while the others train: max {fmt(f['late_open_s_max'])} s\n"
        f"chromium page: {fmt(page.epochs_per_s)} epochs/s, {fmt(page.updates_per_s, 2)} visible updates/s, "
        f"Play to first visible update {fmt(page.first_response_s, 2)} s, opened in {fmt(page.opened_s)} s\n"
        f"server peak memory {f['peak_rss_mb']:.0f} MB; queued {f['ever_queued']}; exceptions {f['exceptions']}; "
        f"tracebacks {f['tracebacks']}\n"
    )
    print("\n" + report)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "class_load.txt").write_text(report + "CLASS_JSON " + json.dumps(result.as_dict()) + "\n")

    assert not result.tracebacks, server.log()[-5000:]
    students = result.students
    assert not [s.exceptions for s in students if s.exceptions], "exception elements on students' pages"
    assert page.exceptions == 0 and not page.page_errors, (page.exceptions, page.page_errors)
    assert not [s.index for s in students if s.errors], [s.errors for s in students if s.errors][:3]
    assert not page.errors, page.errors
    assert not [s.index for s in students if s.opened_s is None], "students whose page never opened"
    assert not [s.index for s in students if s.play_at is None], "students who could not press Play"
    assert not [s.index for s in students if s.ever_queued], "students told they are queued"
    assert not [s.index for s in students if s.max_epoch == 0], "students who never saw an epoch above 0"
    assert page.opened_s is not None and page.play_at is not None and page.final_epoch > 0, page
    assert None not in result.late_open_s, f"a page opened while the class trained never finished: {result.late_open_s}"
    assert result.peak_rss < 1.2e9, f"server memory {result.peak_rss / 1e9:.2f} GB"
    # The harness speaks for a browser only if it sends the browser's values (a wrong value would
    # change the student's settings); widgets it does not model send nothing and keep their value.
    assert not result.widget_state_mismatches, result.widget_state_mismatches
