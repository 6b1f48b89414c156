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
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.class_harness import CHROMIUM, CHROMIUM_ARGS  # one list of chromium's flags, shared with the harness

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser


def _need(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must have it)")
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StreamlitServer:
    """A real ``streamlit run app.py`` child process on loopback."""

    def __init__(self, env_extra: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ROOT / "artifacts" / f"server-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A real server trains in the service's worker thread (the headless tests turn it off in their process).
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
            "PLAYGROUND_TRAINING_THREAD": "1",
            **(env_extra or {}),
        }
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.address", "127.0.0.1", "--server.port", str(self.port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tracebacks(self) -> list[str]:
        """The tracebacks in the server's log, but for Streamlit's own race on a closing WebSocket.

        When many browsers close at once, Streamlit 1.67's WebSocket endpoint may try to
        close a socket the browser has already closed and logs ``WebSocketDisconnected``
        from its own code. Anything else (above all a traceback through our code) counts.
        """
        blocks = self.log().split("Traceback (most recent call last):")[1:]

        def through_our_code(block: str) -> bool:
            files = re.findall(r'File "([^"]+)"', block)
            return any(f.startswith(str(ROOT)) and "/.venv/" not in f and "site-packages" not in f for f in files)

        return [
            block
            for block in blocks
            if through_our_code(block) or not ("WebSocketDisconnected" in block and "starlette_websocket.py" in block)
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


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
