"""Real-browser fixtures: one Streamlit server on loopback and Debian's chromium.

``server`` starts ``streamlit run app.py`` once per test session on a free
port and checks at the end that its log holds no traceback. ``page`` is a
fresh browser context per test that records page errors; ``shot(page, name)``
saves a screenshot under artifacts/screenshots/ to be looked at.

Browser tests skip when /usr/bin/chromium or playwright is missing, except
under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.class_harness import CHROMIUM, CHROMIUM_ARGS, Server  # chromium's flags and the server, shared

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser


def _need(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must have it)")
        pytest.skip(message)


class StreamlitServer(Server):
    """A real ``streamlit run app.py`` child process on loopback: the class harness's ``Server``, on every core.

    It trains in the service's worker thread, as a deployment does (the headless tests turn the
    thread off in their own process). ``tracebacks()`` ignores only Streamlit's own race on a
    closing WebSocket; anything through the app counts.
    """

    def __init__(self, env_extra: dict[str, str] | None = None) -> None:
        super().__init__(ROOT, cores=None, env=env_extra, log_name="server")


@pytest.fixture(scope="session")
def server() -> Iterator[StreamlitServer]:
    srv = StreamlitServer()
    yield srv
    srv.stop()
    assert not srv.tracebacks(), srv.log()[-5000:]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _need(Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None, f"chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed")
        raise
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))  # type: ignore[attr-defined]
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot to artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_ready(page, timeout: float = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (no 'running' indicator)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout,
    )


def assert_no_exception(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()
    assert not page.errors, page.errors  # type: ignore[attr-defined]
