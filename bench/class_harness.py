"""A class on one server, measured: a Streamlit launcher, synthetic students and real-browser watchers.

The library behind ``bench/bench_class.py`` and ``tests/browser/test_class_load_browser.py``.
It has three parts:

- ``Server``: ``streamlit run app.py`` of any checkout (``app_dir``) on loopback, pinned to
  core 0 (``taskset -a -c 0``; both cores with ``cores=2``), its memory read from /proc
  (the resident memory of the process and its children) and its log checked for tracebacks.
- ``Student``: a synthetic student that speaks Streamlit's own browser protocol (protobuf over
  the WebSocket at ``/_stcore/stream``) and renders nothing. It opens the page, presses Play
  through the button's real widget state, and then behaves as the browser's code does
  (Streamlit 1.67's frontend, read from ``streamlit/static`` and the protobuf comments):
  it sends every widget's current value with each rerun; it turns each ``auto_rerun`` message
  into a timer that asks for the fragment's rerun every ``interval`` seconds (whether or not the
  last one has answered), drops the timer on ``stop_auto_rerun`` and drops all timers when a
  full script run starts (a ``new_session`` with no fragment ids); it keeps the forward-message
  cache (cacheable messages by hash, expired after ``max_cached_message_age`` runs, reported in
  ``cached_message_hashes`` so the server sends references) and resolves ``ref_hash``. It counts
  the "#### Epoch N" texts it receives, notes "queued" and exception elements.
- ``BrowserWatcher``: a real headless chromium page (Playwright, Debian's chromium) that reads the
  visible "Epoch N" heading on every animation frame in the page: what a student actually sees.
  It also records the widget states the browser sends with Play, so a run can check that the
  synthetic students send the same values.

``run_class`` drives a whole class in one asyncio event loop (all students, all pages): everyone
opens the page at once, presses Play at evenly spaced moments in random order within
``play_within`` seconds, and the figures are taken over a window of ``seconds`` after the last
press. Every wait is bounded; all traffic goes to 127.0.0.1.

Why over 400 lines: the protocol client has to model the browser's timers, widget states,
element tree and message cache together, or the server would see traffic no browser sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
#: As in tests/browser/conftest.py (TESTING.md): without the background-networking flags chromium
#: floods the closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

#: What the other side must keep for this harness to work: the playground's page address, the
#: user key of its Play button (Streamlit puts it at the end of the widget id and in the CSS class
#: ``st-key-<key>``), the epoch counter's markdown and the word shown to a queued session.
PAGE = "playground"
PLAY_KEY = "pg_play"
EPOCH_TEXT = re.compile(r"^#### Epoch (\d+)")
QUEUED_WORD = "queued"

T = TypeVar("T")
_FINISHED = ForwardMsg.ScriptFinishedStatus
_SUCCESS = (_FINISHED.FINISHED_SUCCESSFULLY, _FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc; 0 once it is gone)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass  # the process ended while we read it
    return total


def tracebacks(log: str, app_dir: Path) -> list[str]:
    """The tracebacks in a server log, but for Streamlit's own race on a closing WebSocket.

    Streamlit 1.67 (uvicorn/starlette) logs ``WebSocketDisconnected`` from its own code when a
    browser closes mid-message (TESTING.md); that one, and only when it passes through no file
    of the app, is ignored (the browser tests' server uses this ``Server`` too).
    """

    def through_app(block: str) -> bool:
        files = re.findall(r'File "([^"]+)"', block)
        return any(f.startswith(str(app_dir)) and "/.venv/" not in f and "site-packages" not in f for f in files)

    blocks = log.split("Traceback (most recent call last):")[1:]
    return [b for b in blocks if through_app(b) or not ("WebSocketDisconnected" in b and "starlette_websocket.py" in b)]


class Server:
    """``streamlit run app.py`` of ``app_dir`` on a free loopback port, pinned to ``cores`` cores.

    One core (the default) is core 0, the model of a small hosted server (TESTING.md); the
    harness itself runs on core 1 (``pinned``). Python is this interpreter (the venv), the
    ``playground`` package is the one in ``app_dir`` (it is first on PYTHONPATH and the script's
    folder), and ``.streamlit/config.toml`` is read from ``app_dir`` as a real deployment would.
    """

    def __init__(
        self, app_dir: Path = ROOT, cores: int | None = 1, env: Mapping[str, str] | None = None,
        log_name: str = "class-server",
    ) -> None:  # fmt: skip
        """``cores`` None: not pinned (the browser tests' server); ``log_name``: its log is artifacts/<name>-<port>.log."""
        self.app_dir = Path(app_dir).resolve()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{log_name}-{self.port}.log"
        path = os.pathsep.join(p for p in (str(self.app_dir), os.environ.get("PYTHONPATH", "")) if p)
        full_env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": path,
                    "PLAYGROUND_TRAINING_THREAD": "1", **(env or {})}  # fmt: skip
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.address", "127.0.0.1", "--server.port", str(self.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        preexec = None
        if cores is not None:
            cpu_set = set(range(max(1, cores)))

            def pin_child() -> None:  # without taskset: the same pinning, set in the child before python starts
                os.sched_setaffinity(0, cpu_set & os.sched_getaffinity(0) or os.sched_getaffinity(0))

            if shutil.which("taskset"):  # taskset execs python: same pid
                command = ["taskset", "-a", "-c", ",".join(str(c) for c in sorted(cpu_set)), *command]
            elif hasattr(os, "sched_setaffinity"):
                preexec = pin_child
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            command, cwd=self.app_dir, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=preexec,
        )  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start; log:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    def tracebacks(self) -> list[str]:
        return tracebacks(self.log(), self.app_dir)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def pinned(core: int = 1) -> Iterator[bool]:
    """Run this thread (and the threads and processes it starts: the event loop's thread, Playwright's
    driver, chromium) on ``core``; restore the thread's affinity after.

    Yields False, pinning nothing, where the core does not exist (a one-core runner).
    """
    if not hasattr(os, "sched_setaffinity"):
        yield False
        return
    before = os.sched_getaffinity(0)
    if core not in before:
        yield False
        return
    os.sched_setaffinity(0, {core})
    try:
        yield True
    finally:
        os.sched_setaffinity(0, before)


# -- one synthetic student -------------------------------------------------------------------------


def initial_widget_state(element: Element) -> WidgetState | None:
    """The value the browser registers for a widget when it draws it (None: it sends nothing).

    Checked against what chromium sends (``BrowserWatcher.play_widget_states``): checkboxes and
    toggles, sliders and select sliders, select boxes and number inputs. Buttons have no state
    until pressed. Other widget types are not modelled: they send nothing, and the server keeps
    their last value, as it does for any widget a rerun does not mention.
    """
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    widget = getattr(element, kind)
    state = WidgetState(id=getattr(widget, "id", ""))
    if kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
    elif kind == "slider" and widget.type == Slider.Type.SELECT_SLIDER:
        values = list(widget.raw_value) or [widget.options[int(i)] for i in (widget.value or widget.default)]
        state.string_array_value.data.extend(values)
    elif kind == "slider":
        state.double_array_value.data.extend(widget.value if widget.set_value else widget.default)
    elif kind == "selectbox":
        if widget.HasField("raw_value"):
            state.string_value = widget.raw_value
        elif widget.HasField("default"):
            state.string_value = widget.options[widget.default]
        else:
            return None
    elif kind == "number_input":
        if not (widget.HasField("value") or widget.HasField("default")):
            return None
        number = widget.value if widget.HasField("value") else widget.default
        if widget.data_type == widget.DataType.INT:
            state.int_value = int(number)
        else:
            state.double_value = number
    else:
        return None
    return state


class MessageCache:
    """The browser's forward-message cache (``ForwardMsgCache`` in Streamlit's frontend).

    A message the server marks cacheable is kept by its hash with the run count it was last used
    in; at the end of each run an entry older than ``max_age`` runs goes (for a fragment run,
    only entries drawn by those fragments). The hashes kept go back with every rerun request, and
    the server then sends a mere reference (``ref_hash``) instead of a message kept here.
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[bytes, int, str]] = {}  # hash -> (message, run count, fragment id)
        self.runs = 0
        self.hits = 0
        self.misses = 0

    def receive(self, msg: ForwardMsg, raw: bytes) -> ForwardMsg | None:
        """The message to act on: itself, or the cached one a reference points to (None: a miss)."""
        if msg.HasField("ref_hash"):
            entry = self.entries.get(msg.ref_hash)
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            self.entries[msg.ref_hash] = (entry[0], self.runs, entry[2])
            full = ForwardMsg()
            full.ParseFromString(entry[0])
            full.metadata.CopyFrom(msg.metadata)
            return full
        if msg.metadata.cacheable and msg.hash:
            old = self.entries.get(msg.hash)
            fragment = msg.delta.fragment_id if msg.HasField("delta") else ""
            self.entries[msg.hash] = (raw, self.runs, old[2] if old else fragment)
        return msg

    def run_finished(self, max_age: int, fragment_ids: list[str]) -> None:
        self.runs += 1
        for key, (_raw, used, fragment) in list(self.entries.items()):
            if fragment_ids and (not fragment or fragment not in fragment_ids):
                continue
            if self.runs - used > max_age:
                del self.entries[key]


@dataclass
class StudentResult:
    """What one synthetic student saw. Times are wall-clock seconds (``time.time()``)."""

    index: int
    opened_s: float | None = None  # connect -> the first full script run finished
    play_at: float | None = None  # when Play was pressed
    first_response_s: float | None = None  # Play -> the first message with a changed epoch
    epochs_per_s: float = 0.0  # over the measurement window
    updates_per_s: float = 0.0  # epoch texts with a new number, per second of the window
    frames_per_s: float = 0.0  # epoch texts received (changed or not), per second of the window
    kbytes_per_s: float = 0.0  # what the server sent it during the window
    reruns_per_s: float = 0.0  # timer reruns it asked for during the window
    timers_at_end: dict[str, float] = field(default_factory=dict)  # fragment id -> interval (s)
    cache_hits: int = 0  # messages the server sent as a reference to one this student kept
    final_epoch: int = 0
    max_epoch: int = 0
    ever_queued: bool = False
    queued_at_end: bool = False
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # protocol or connection trouble


class Student:
    """One synthetic student on one WebSocket: a browser that renders nothing."""

    def __init__(self, index: int, url: str, page: str = PAGE, query: str = "") -> None:
        self.result = StudentResult(index)
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.page_url = f"{url}/{page}" + (f"?{query}" if query else "")
        self.page, self.query = page, query
        self.page_script_hash = ""
        self.max_cached_age = 2
        self.cache = MessageCache()
        self.run_id, self.run_fragments = "", list[str]()
        self.got_new_session = False
        self.widgets: dict[str, WidgetState] = {}
        # The element tree as the browser keeps it: delta path -> (widget id, run id, fragment id).
        self.elements: dict[tuple[int, ...], tuple[str, str, str]] = {}
        self.play: tuple[str, str] | None = None  # (widget id, fragment id) of the Play button
        self.timers: dict[str, tuple[float, asyncio.Task[None]]] = {}
        self.opened = asyncio.Event()
        self.epochs: list[tuple[float, int]] = []  # (time, epoch) of every epoch text received
        self.received: list[tuple[float, int]] = []  # (time, bytes) of every message
        self.reruns: list[float] = []  # when each timer rerun was asked for
        self.last_queued = False
        self.play_widget_states: list[WidgetState] = []
        self._ws: Any = None
        self._receiver: asyncio.Task[None] | None = None
        self._connected_at = 0.0

    # Sending: the rerun request the browser's sendRerunBackMsg builds.
    def _rerun(self, fragment_id: str = "", auto: bool = False, trigger: str | None = None) -> bytes:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query
        cs.widget_states.SetInParent()
        for state in self.widgets.values():
            cs.widget_states.widgets.add().CopyFrom(state)
        if trigger:  # a button press: true for this one request only, as the browser deletes it after
            cs.widget_states.widgets.add(id=trigger, trigger_value=True)
        if self.page_script_hash:
            cs.page_script_hash = self.page_script_hash
        else:
            cs.page_name = self.page
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.cached_message_hashes.extend(self.cache.entries)
        info = cs.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = self.page_url, False, "light"
        self.got_new_session = False  # the browser counts a run for its cache only if it saw it start
        return back.SerializeToString()

    async def _send(self, data: bytes) -> None:
        try:
            await self._ws.send(data)
        except Exception as exc:  # the connection went away: note it, stop asking
            self._note_error(f"send: {type(exc).__name__}: {exc}")
            self._stop_timers()

    def _note_error(self, text: str) -> None:
        if len(self.result.errors) < 20:
            self.result.errors.append(text)

    # Timers: the browser's setInterval per fragment (handleAutoRerun / cleanupAutoReruns).
    def _set_timer(self, fragment_id: str, interval: float) -> None:
        current = self.timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return  # the same pace: the browser keeps its timer running
        if current is not None:
            current[1].cancel()
        if interval > 0:
            self.timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))
        else:
            self.timers.pop(fragment_id, None)

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.reruns.append(time.time())
            await self._send(self._rerun(fragment_id, auto=True))

    def _stop_timers(self, fragment_ids: list[str] | None = None) -> None:
        for fid in list(self.timers) if fragment_ids is None else fragment_ids:
            entry = self.timers.pop(fid, None)
            if entry is not None:
                entry[1].cancel()

    # Receiving.
    def _on_message(self, msg: ForwardMsg, now: float) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash or self.page_script_hash
            if msg.new_session.config.max_cached_message_age:
                self.max_cached_age = msg.new_session.config.max_cached_message_age
            self.run_id = msg.metadata.run.script_run_id
            self.run_fragments = list(msg.metadata.run.fragment_ids)
            self.got_new_session = True
            if not self.run_fragments:
                self._stop_timers()  # a full run: the browser clears every fragment's timer
        elif kind == "delta":
            self._on_delta(msg, now)
        elif kind == "script_finished":
            self._on_finished(msg, now)
        elif kind == "auto_rerun":
            self._set_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._stop_timers(list(msg.stop_auto_rerun.fragment_ids))
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self._note_error(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.result.exceptions.append(msg.session_event.script_compilation_exception.message)

    def _on_delta(self, msg: ForwardMsg, now: float) -> None:
        delta, path = msg.delta, tuple(msg.metadata.delta_path)
        if delta.WhichOneof("type") == "add_block":
            self.elements[path] = ("", self.run_id, delta.fragment_id)  # its children stay until stale
            return
        if delta.WhichOneof("type") != "new_element":
            return
        for other in [p for p in self.elements if len(p) > len(path) and p[: len(path)] == path]:
            del self.elements[other]  # an element replaced a block: its children are gone
        element = delta.new_element
        kind = element.WhichOneof("type")
        widget_id = str(getattr(getattr(element, kind), "id", "")) if kind else ""
        self.elements[path] = (widget_id, self.run_id, delta.fragment_id)
        if widget_id:
            state = initial_widget_state(element)
            if state is not None:
                self.widgets[widget_id] = state
            if kind == "button" and widget_id.endswith("-" + PLAY_KEY):
                self.play = (widget_id, delta.fragment_id)
        if kind == "exception":
            self.result.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:500])
        body = element.markdown.body if kind == "markdown" else element.alert.body if kind == "alert" else ""
        found = EPOCH_TEXT.match(body)
        if found:
            epoch = int(found.group(1))
            self.epochs.append((now, epoch))
            self.result.max_epoch = max(self.result.max_epoch, epoch)
            # A frame with an epoch counter and no "queued" notice means this session trains now.
            self.last_queued = False
        if kind == "alert" and QUEUED_WORD in body:  # the notice, not any text (the home page's mentions it)
            self.result.ever_queued = self.last_queued = True

    def _on_finished(self, msg: ForwardMsg, now: float) -> None:
        status, run = msg.script_finished, msg.metadata.run
        fragments = list(run.fragment_ids)
        if status in _SUCCESS:
            # The browser's clearStaleNodes + removeInactiveWidgetState: elements of the finished
            # run's scope that this run did not draw go, and so do their widgets' states.
            for path, (_w, run_id, fragment) in list(self.elements.items()):
                if run_id != run.script_run_id and (not fragments or fragment in fragments):
                    del self.elements[path]
            active = {w for w, _r, _f in self.elements.values() if w}
            self.widgets = {k: v for k, v in self.widgets.items() if k in active}
        if status != _FINISHED.FINISHED_EARLY_FOR_RERUN and self.got_new_session:
            self.cache.run_finished(self.max_cached_age, fragments)
        if status == _FINISHED.FINISHED_SUCCESSFULLY and not fragments and not self.opened.is_set():
            self.result.opened_s = now - self._connected_at
            self.opened.set()

    async def _receive(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self._ws:
                now = time.time()
                data = raw if isinstance(raw, bytes) else raw.encode()
                self.received.append((now, len(data)))
                msg = ForwardMsg()
                msg.ParseFromString(data)
                resolved = self.cache.receive(msg, data)
                if resolved is None:
                    self._note_error(f"cache miss for {msg.ref_hash}")
                    continue
                self._on_message(resolved, now)
        except ConnectionClosed as exc:
            self._note_error(f"connection closed: {exc}")
        finally:
            self._stop_timers()

    # The student's life: open the page (``open``), press Play (``press_play``), leave (``close``).
    async def open(self, open_timeout: float) -> None:
        """Connect and ask for the page as a browser does; return once its first full run finished."""
        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        self._connected_at = time.time()
        try:
            self._ws = await connect(
                self.ws_url,
                subprotocols=[Subprotocol("streamlit")],
                max_size=None,  # frames carry pictures; a browser has no message limit
                ping_interval=None,  # a browser sends no pings; it answers the server's, as websockets does
                open_timeout=open_timeout,
                close_timeout=2,
            )
        except Exception as exc:  # a refused connection is a finding, not a crash of the whole class
            self._note_error(f"connect: {type(exc).__name__}: {exc}")
            return
        self._receiver = asyncio.create_task(self._receive())
        await self._send(self._rerun())
        try:
            await asyncio.wait_for(self.opened.wait(), max(0.1, self._connected_at + open_timeout - time.time()))
        except TimeoutError:
            self._note_error(f"the page did not open within {open_timeout:.0f} s")

    async def close(self) -> None:
        """Leave: no more timers, the connection closed (as a closed tab)."""
        self.result.timers_at_end = {fid: interval for fid, (interval, _task) in self.timers.items()}
        self._stop_timers()
        if self._receiver is not None:
            self._receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._receiver
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)

    async def press_play(self) -> None:
        if not self.opened.is_set():
            return  # never opened: nothing to press
        if self.play is None:
            self._note_error("no Play button on the page")
            return
        widget_id, fragment_id = self.play
        self.result.play_at = time.time()
        data = self._rerun(fragment_id, trigger=widget_id)
        states = BackMsg()
        states.ParseFromString(data)
        self.play_widget_states = list(states.rerun_script.widget_states.widgets)
        await self._send(data)

    def summarise(self, start: float, end: float) -> StudentResult:
        """Fill in the window's figures: ``start`` and ``end`` bound the measurement window."""
        r, seconds = self.result, max(end - start, 1e-9)
        before = [(t, e) for t, e in self.epochs if t <= start]
        inside = [(t, e) for t, e in self.epochs if start < t <= end]
        at_start = before[-1][1] if before else 0
        # Epochs per second between the epoch numbers seen: from the last one seen before the window
        # (else the first inside it) to the last one inside. On a busy server a student sees a
        # number every few seconds, so dividing by the window instead would count the unseen end.
        since_play = [(t, e) for t, e in before if r.play_at is None or t > r.play_at]  # training all along
        samples = since_play[-1:] + inside
        if len(samples) >= 2 and samples[-1][0] > samples[0][0]:
            r.epochs_per_s = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
        else:
            r.epochs_per_s = 0.0
        previous, changes = at_start, 0
        for _t, e in inside:
            changes += e != previous
            previous = e
        r.updates_per_s, r.frames_per_s = changes / seconds, len(inside) / seconds
        r.kbytes_per_s = sum(n for t, n in self.received if start < t <= end) / 1000 / seconds
        r.reruns_per_s = sum(start < t <= end for t in self.reruns) / seconds
        r.cache_hits = self.cache.hits
        r.final_epoch = self.epochs[-1][1] if self.epochs else 0
        r.queued_at_end = self.last_queued
        if r.play_at is not None:
            epoch_at_play = ([e for t, e in self.epochs if t <= r.play_at] or [0])[-1]
            after = [t for t, e in self.epochs if t > r.play_at and e != epoch_at_play]
            r.first_response_s = after[0] - r.play_at if after else None
        return r


# -- one real browser page ----------------------------------------------------------------------------

#: In the page, from its first script on: on every animation frame, read the visible "Epoch N"
#: headings (a fragment rerun keeps a hidden stale copy: skip invisible ones, take the largest) and
#: log each change with its wall-clock time; note when Play is clicked. textContent, not innerText
#: (which lays the page out).
OBSERVER = """
(() => {
  window.__epochLog = []; window.__lastEpoch = null; window.__playClick = null; window.__frames = 0;
  document.addEventListener('click', (e) => {
    if (window.__playClick === null && e.target.closest && e.target.closest('.st-key-__KEY__ button')) {
      window.__playClick = performance.timeOrigin + performance.now();
    }
  }, true);
  const tick = () => {
    window.__frames++;
    let best = null;
    for (const h of document.getElementsByTagName('h4')) {
      const m = /^Epoch (\\d+)/.exec(h.textContent);
      if (m && h.checkVisibility({visibilityProperty: true, opacityProperty: true})) {
        best = best === null ? +m[1] : Math.max(best, +m[1]);
      }
    }
    if (best !== null && best !== window.__lastEpoch) {
      window.__lastEpoch = best;
      window.__epochLog.push([performance.timeOrigin + performance.now(), best]);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
""".replace("__KEY__", PLAY_KEY)


@dataclass
class BrowserResult:
    """What one real chromium page showed. Updates are visible changes of the epoch counter."""

    index: int
    opened_s: float | None = None  # navigation -> Play button shown and the script finished
    play_at: float | None = None  # the click event in the page
    first_response_s: float | None = None  # click -> the counter first shows a new epoch
    epochs_per_s: float = 0.0
    updates_per_s: float = 0.0
    animation_frames_per_s: float = 0.0  # how often the page could run requestAnimationFrame
    final_epoch: int = 0
    exceptions: int = 0  # [data-testid="stException"] elements at the end
    page_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class BrowserWatcher:
    """A real chromium page on the playground, in its own browser context."""

    def __init__(self, index: int, url: str, page: str = PAGE, query: str = "") -> None:
        self.result = BrowserResult(index)
        self.url = f"{url}/{page}" + (f"?{query}" if query else "")
        self.page: Any = None
        self.context: Any = None
        self.play_widget_states: list[WidgetState] = []
        self.log: list[tuple[float, int]] = []
        self.frames: list[tuple[float, int]] = []  # (time, rAF count) at the window's edges

    def _on_websocket(self, ws: Any) -> None:
        def sent(payload: bytes | str) -> None:
            back = BackMsg()
            with contextlib.suppress(Exception):
                back.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
                states = list(back.rerun_script.widget_states.widgets)
                if any(s.trigger_value and s.id.endswith("-" + PLAY_KEY) for s in states):
                    self.play_widget_states = states

        ws.on("framesent", sent)

    async def open(self, browser: Any, open_timeout: float) -> None:
        try:
            self.context = await browser.new_context(viewport={"width": 1280, "height": 900})
            self.page = await self.context.new_page()
            self.page.on("pageerror", lambda exc: self.result.page_errors.append(str(exc)[:300]))
            self.page.on("websocket", self._on_websocket)
            await self.page.add_init_script(OBSERVER)
            start = time.time()
            await self.page.goto(self.url, timeout=open_timeout * 1000)
            await self.page.locator(f".st-key-{PLAY_KEY} button").wait_for(timeout=open_timeout * 1000)
            await self.page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
                timeout=open_timeout * 1000,
            )
            self.result.opened_s = time.time() - start
        except Exception as exc:
            self.result.errors.append(f"open: {type(exc).__name__}: {str(exc)[:300]}")

    async def press_play(self) -> None:
        if self.result.opened_s is None:
            return
        try:
            await self.page.locator(f".st-key-{PLAY_KEY} button").click(timeout=30_000)
        except Exception as exc:
            self.result.errors.append(f"play: {type(exc).__name__}: {str(exc)[:300]}")

    async def mark(self) -> None:
        """Note the animation-frame count now (called at the window's start and end)."""
        if self.page is not None and self.result.opened_s is not None:
            with contextlib.suppress(Exception):
                self.frames.append((time.time(), int(await self.page.evaluate("() => window.__frames"))))

    async def collect(self, start: float, end: float) -> BrowserResult:
        r = self.result
        if self.page is None or r.opened_s is None:
            return r
        try:
            log, click = await self.page.evaluate("() => [window.__epochLog, window.__playClick]")
            r.exceptions = await self.page.locator('[data-testid="stException"]').count()
        except Exception as exc:
            r.errors.append(f"collect: {type(exc).__name__}: {str(exc)[:300]}")
            return r
        self.log = [(t / 1000, int(e)) for t, e in log]
        seconds = max(end - start, 1e-9)
        before = [(t, e) for t, e in self.log if t <= start]
        inside = [(t, e) for t, e in self.log if start < t <= end]
        # As for the students: between the numbers seen since Play (the click time is read below).
        clicked = None if click is None else click / 1000
        samples = [(t, e) for t, e in before if clicked is None or t > clicked][-1:] + inside
        if len(samples) >= 2 and samples[-1][0] > samples[0][0]:
            r.epochs_per_s = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
        else:
            r.epochs_per_s = 0.0
        r.updates_per_s = len(inside) / seconds  # the log holds changes only
        r.final_epoch = self.log[-1][1] if self.log else 0
        if len(self.frames) == 2:
            (t0, f0), (t1, f1) = self.frames
            r.animation_frames_per_s = (f1 - f0) / max(t1 - t0, 1e-9)
        if click is not None:
            r.play_at = click / 1000
            epoch_at_play = ([e for t, e in self.log if t <= r.play_at] or [0])[-1]
            after = [t for t, e in self.log if t > r.play_at and e != epoch_at_play]
            r.first_response_s = after[0] - r.play_at if after else None
        return r

    async def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):
                await self.context.close()


# -- a whole class -----------------------------------------------------------------------------------


@dataclass
class ClassResult:
    """A class's figures: per student, per page, the server's memory and the window."""

    students: list[StudentResult]
    browsers: list[BrowserResult]
    seconds: float
    play_within: float
    window_start: float
    peak_rss: int = 0
    open_all_s: float = 0.0  # start -> every student's and page's page open (or given up)
    #: Late joiners: one more student opens the page every few seconds of the window, while the
    #: class trains (connect -> first full script run finished, s; None: did not open).
    late_open_s: list[float | None] = field(default_factory=list)
    widget_state_mismatches: list[str] = field(default_factory=list)
    unmodelled_widgets: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_widget_states(synthetic: list[WidgetState], browser: list[WidgetState]) -> tuple[list[str], list[str]]:
    """(values the synthetic student sends that differ from the browser's, widget ids only the browser sends)."""
    theirs = {s.id: s for s in browser}
    ours = {s.id: s for s in synthetic}
    wrong = [
        f"{k}: sent {ours[k]} browser {theirs.get(k)}".replace("\n", " ") for k in ours if ours[k] != theirs.get(k)
    ]
    return wrong, sorted(k for k in theirs if k not in ours)


async def _sample_memory(pid: int, into: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(rss_bytes(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_class(
    server: Server,
    students: int,
    browsers: int = 2,
    seconds: float = 30.0,
    play_within: float = 5.0,
    page: str = PAGE,
    query: str | Sequence[str] = "",
    open_timeout: float = 180.0,
    seed: int = 0,
    progress: Any = None,
    late_joiners: int = 3,
) -> ClassResult:
    """Run one class on ``server`` and return its figures.

    ``students`` synthetic students and ``browsers`` chromium pages open the page at once; once all
    have opened (at most ``open_timeout`` s), everyone presses Play at evenly spaced moments within
    ``play_within`` s, in an order shuffled by ``seed``; the window of ``seconds`` starts after the
    last press. The server's memory is sampled every 0.5 s throughout. ``query``: the page's link
    settings, or several (a mixed class): student i (and page i) takes the i-th, round robin.
    """
    queries = [query] if isinstance(query, str) else list(query)
    link = lambda i: queries[i % len(queries)]

    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    rss: list[int] = []
    late_open: list[float | None] = []
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(_sample_memory(server.proc.pid, rss, stop_sampling))
    pupils = [Student(i, server.url, page, link(i)) for i in range(students)]
    watchers = [BrowserWatcher(i, server.url, page, link(i)) for i in range(browsers)]
    pw_manager: Any = None
    chromium: Any = None
    try:
        if watchers:
            from playwright.async_api import async_playwright

            pw_manager = async_playwright()
            pw = await pw_manager.start()
            chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # 1. Everyone opens the page at once (each open is bounded by open_timeout by itself).
        start = time.time()
        opening = [asyncio.create_task(s.open(open_timeout)) for s in pupils]
        opening += [asyncio.create_task(w.open(chromium, open_timeout)) for w in watchers]
        await asyncio.wait(opening, timeout=open_timeout + 10)
        t0 = time.time()
        open_all_s = t0 - start
        say(f"{sum(s.opened.is_set() for s in pupils)}/{students} students and "
            f"{sum(w.result.opened_s is not None for w in watchers)}/{browsers} pages opened in {open_all_s:.1f} s; "
            f"pressing Play over {play_within:.0f} s")  # fmt: skip
        # 2. Everyone presses Play at an evenly spaced moment, in random order.
        everyone: list[Student | BrowserWatcher] = [*pupils, *watchers]
        order = list(range(len(everyone)))
        random.Random(seed).shuffle(order)
        step = play_within / max(1, len(everyone) - 1)

        async def press(who: Student | BrowserWatcher, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.time()))
            await who.press_play()

        await asyncio.wait_for(
            asyncio.gather(*(press(everyone[i], t0 + rank * step) for rank, i in enumerate(order))),
            play_within + 60,
        )
        # 3. The window starts after the last press (a slow page's click may land late).
        window_start = max(t0 + play_within, time.time()) + 0.5
        window_end = window_start + seconds
        await asyncio.sleep(max(0.0, window_start - time.time()))
        await asyncio.gather(*(w.mark() for w in watchers))
        say(f"measuring for {seconds:.0f} s")
        # Late joiners open the page while everyone else trains (spread over the window's middle).
        for k in range(late_joiners):
            await asyncio.sleep(max(0.0, window_start + (k + 1) * seconds / (late_joiners + 2) - time.time()))
            late = Student(students + k, server.url, page, link(students + k))
            try:
                await late.open(open_timeout)
                late_open.append(late.result.opened_s)
            finally:
                await late.close()
        await asyncio.sleep(max(0.0, window_end - time.time()))
        await asyncio.gather(*(w.mark() for w in watchers))
        browser_results = [await w.collect(window_start, window_end) for w in watchers]
    finally:
        # Leave: students close their connections, pages their contexts; nothing keeps running.
        await asyncio.gather(*(s.close() for s in pupils), return_exceptions=True)
        for w in watchers:
            await w.close()
        if chromium is not None:
            with contextlib.suppress(Exception):
                await chromium.close()
        if pw_manager is not None:
            with contextlib.suppress(Exception):
                await pw_manager.__aexit__(None, None, None)
        stop_sampling.set()
        with contextlib.suppress(Exception):
            await sampler
    result = ClassResult(
        students=[s.summarise(window_start, window_end) for s in pupils],
        browsers=browser_results,
        seconds=seconds,
        play_within=play_within,
        window_start=window_start,
        peak_rss=max(rss, default=0),
        open_all_s=open_all_s,
        late_open_s=late_open,
    )
    synthetic = next((s.play_widget_states for s in pupils if s.play_widget_states), None)
    real = next((w.play_widget_states for w in watchers if w.play_widget_states), None)
    if synthetic is not None and real is not None:
        result.widget_state_mismatches, result.unmodelled_widgets = compare_widget_states(synthetic, real)
    return result


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` in a thread of its own, from synchronous code.

    A thread, because the calling thread may already have an event loop running (Playwright's sync
    API keeps one in pytest's thread once a sync browser fixture exists). The thread is created here,
    so it inherits this thread's CPU affinity (``pinned``), as do the processes it starts.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name="class-harness", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


# -- figures -----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0-100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(q / 100 * len(ordered))) - 1)]


def summary(result: ClassResult) -> dict[str, Any]:
    """The figures of one class, as printed in the table and the JSON line."""
    s = result.students
    eps = [x.epochs_per_s for x in s]
    ups = [x.updates_per_s for x in s]
    first = [x.first_response_s for x in s if x.first_response_s is not None]
    opened = [x.opened_s for x in s if x.opened_s is not None]
    b = result.browsers
    b_first = [x.first_response_s for x in b if x.first_response_s is not None]

    def med(v: list[float]) -> float | None:
        return statistics.median(v) if v else None

    return {
        "students": len(s),
        "browsers": len(b),
        "opened": len(opened),
        "pressed": sum(x.play_at is not None for x in s),
        "trained": sum(x.max_epoch > 0 for x in s),
        "epochs_per_s_min": min(eps, default=None),
        "epochs_per_s_median": med(eps),
        "epochs_per_s_max": max(eps, default=None),
        "updates_per_s_median": med(ups),
        "frames_per_s_median": med([x.frames_per_s for x in s]),
        "kbytes_per_s_median": med([x.kbytes_per_s for x in s]),
        "reruns_per_s_median": med([x.reruns_per_s for x in s]),
        "first_response_s_median": med(first),
        "first_response_s_p95": percentile(first, 95),
        "first_response_s_max": max(first, default=None),
        "responded": len(first),
        "open_s_median": med(opened),
        "open_s_p95": percentile(opened, 95),
        "open_s_max": max(opened, default=None),
        "open_all_s": result.open_all_s,
        "late_open_s_max": max((x for x in result.late_open_s if x is not None), default=None),
        "late_opened": sum(x is not None for x in result.late_open_s),
        "ever_queued": sum(x.ever_queued for x in s),
        "queued_at_end": sum(x.queued_at_end for x in s),
        "exceptions": sum(len(x.exceptions) for x in s) + sum(x.exceptions for x in b),
        "student_errors": sum(bool(x.errors) for x in s),
        "peak_rss_mb": result.peak_rss / 1e6,
        "tracebacks": len(result.tracebacks),
        "browser_epochs_per_s_median": med([x.epochs_per_s for x in b]),
        "browser_updates_per_s_median": med([x.updates_per_s for x in b]),
        "browser_first_response_s_median": med(b_first),
        "browser_first_response_s_max": max(b_first, default=None),
        "browser_open_s_max": max((x.opened_s for x in b if x.opened_s is not None), default=None),
        "browser_animation_fps_median": med([x.animation_frames_per_s for x in b]),
        "browser_page_errors": sum(len(x.page_errors) for x in b),
        "browser_errors": sum(bool(x.errors) for x in b),
        "widget_state_mismatches": len(result.widget_state_mismatches),
        "unmodelled_widgets": len(result.unmodelled_widgets),
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
