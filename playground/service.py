"""The training service: one per server process, it trains every live session's network together.

A Streamlit server is one Python process that a whole class shares. Each student who presses
Play hands the service their trainer; a worker thread trains all of them in rounds. Networks of
the same shape (``batched.group_key``) are stacked into one batched program, which costs about
as much as one network alone, so thirty students train nearly as fast as one.

What a session holds: a ``SlotHandle`` (an opaque token kept in its per-user session state) and
its own ``Trainer``. What the service holds: for each handle that is playing, a reference to that
trainer and the time its browser last asked for a frame. A session reaches only its own slot:
every method takes the handle, and none returns another session's trainer, weights, data or
history (``tests/test_service.py`` tries). A slot is freed when its session pauses, resets,
changes its network, or its browser stops asking for frames (``stale_seconds``); the trainer,
with its weights, optimizer state and generators, stays with the session, so Play resumes
exactly where it was.

Pacing: the worker trains for at most ``training_cores`` of one core (it sleeps the rest, so
the server keeps answering clicks and drawing frames), each network at most
``max_epochs_per_second``. Half of each round's time gives every network the same number of
epochs, so nobody's pace collapses when a classmate builds something big; the other half gives
every student the same seconds, and the students who share a network kind (one batched
program) pool theirs, so the class's common network runs faster than a one-off
(``epoch_share``). A group whose epoch alone takes longer than a round (MNIST on a CPU: seconds) trains a slice of an epoch per round instead,
``round_seconds`` of batches, and goes on from there in the next (``batched.PartialEpoch``): it
gets its fair share of time and never holds the others up. A network's history is
bitwise the one it gets alone or on the command line (``playground.batched``).

Every change to a trainer that is in the service happens under the service's lock: the worker
holds it while it trains a group, and a page holds it (``reading``, ``step``, ``change``) while it
reads or changes its own trainer, so a page never sees a half-trained epoch.

No Streamlit or Plotly here: the UI's live loop (``playground.ui.live``) wraps it.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from playground import batched
from playground.trainer import Trainer


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class ServiceSettings:
    """How the service shares the server between the trainings (environment variables override the defaults)."""

    #: Sessions that train at once; past this many, the next one is told it is queued.
    max_trainings: int = 120
    #: A playing slot whose browser has asked for no frame this long is freed (a closed tab).
    stale_seconds: float = 5.0
    #: Share of one core the worker may train for: the rest stays free for clicks and frames.
    training_cores: float = 0.7
    #: Compute time a round aims at when many networks train: longer rounds cost less overhead
    #: per epoch, shorter ones let a page read its trainer sooner.
    round_seconds: float = 0.1
    #: Rounds start at least this far apart, so each trains several epochs (stacking the networks
    #: costs about as much as an epoch of them) rather than one epoch per round.
    round_period: float = 0.05
    #: No network trains faster than this (TensorFlow Playground's pace is about 60).
    max_epochs_per_second: float = 120.0
    #: Share of the training time handed out equally by epochs (every network the same pace); the
    #: rest is handed out equally by time, a student's seconds each, so a network that many students
    #: share (one batched program: each pays a fraction of it) runs faster than one built alone.
    epoch_share: float = 0.5
    #: A worker thread trains in the background. Off, each live frame runs a round itself
    #: (``serve_frame``): deterministic, for headless tests and hosts that forbid threads.
    background: bool = True

    @classmethod
    def from_environment(cls) -> ServiceSettings:
        """The defaults, with ``PLAYGROUND_MAX_TRAININGS``, ``PLAYGROUND_TRAINING_CORES`` and
        ``PLAYGROUND_MAX_EPOCHS_PER_SECOND`` applied when set."""
        base = cls()
        return cls(
            max_trainings=int(_env_float("PLAYGROUND_MAX_TRAININGS", base.max_trainings)),
            stale_seconds=base.stale_seconds,
            training_cores=min(1.0, max(0.05, _env_float("PLAYGROUND_TRAINING_CORES", base.training_cores))),
            round_seconds=base.round_seconds,
            max_epochs_per_second=max(1.0, _env_float("PLAYGROUND_MAX_EPOCHS_PER_SECOND", base.max_epochs_per_second)),
            background=os.environ.get("PLAYGROUND_TRAINING_THREAD", "1").strip() != "0",
        )


class SlotHandle:
    """A session's opaque key to its own slot: it carries a random token and nothing else."""

    __slots__ = ("_token",)

    def __init__(self) -> None:
        self._token = secrets.token_hex(16)

    def __repr__(self) -> str:
        return "SlotHandle(...)"


@dataclass
class _Slot:
    token: str
    trainer: Trainer
    last_seen: float
    #: A page that trains for the eye: this many epochs per frame its browser asks for, no more.
    per_frame: int | None = None
    #: How long this slot waits for its next frame before it counts as gone (its frames' pace).
    patience: float = 0.0
    #: Whether its browser is still connected, where the server can tell (a closed tab frees the slot at once).
    connected: Callable[[], bool] | None = None
    #: Epochs this slot may still train: earned at ``max_epochs_per_second`` of wall time, or
    #: ``per_frame`` at each frame. A new slot starts with one, so Play shows an epoch at once.
    allowance: float = 1.0
    #: Epochs the rounds owe this slot (its share of each round's time; fractions carry over).
    credit: float = 1.0


@dataclass(frozen=True)
class ServiceStats:
    """Numbers about the whole service, no user data: for the pages' "N trainings share this server"."""

    training: int
    groups: int
    rounds: int


@dataclass
class _Pace:
    """Seconds per batch of each group shape, measured (an exponential average); no user data."""

    seconds: dict[tuple[object, ...], float] = field(default_factory=dict)

    def of(self, shape: tuple[object, ...]) -> float:
        return self.seconds.get(shape, 2e-4)

    def note(self, shape: tuple[object, ...], batches: int, spent: float) -> None:
        if batches > 0:
            each = spent / batches
            old = self.seconds.get(shape)
            self.seconds[shape] = each if old is None else 0.7 * old + 0.3 * each


class TrainingService:
    """Trains every playing slot's network in rounds, stacked by shape; see the module's docstring."""

    def __init__(
        self,
        settings: ServiceSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        start_worker: bool = True,
    ) -> None:
        self.settings = settings or ServiceSettings()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._slots: dict[str, _Slot] = {}
        self._pace = _Pace()
        self._rounds = 0
        self._last_round_start: float | None = None
        self._start_worker = start_worker
        self._worker: threading.Thread | None = None
        self._stopping = False

    # -- what a session does with its handle --------------------------------------------------

    def play(
        self,
        handle: SlotHandle,
        trainer: Trainer,
        epochs_per_frame: int | None = None,
        patience: float = 0.0,
        connected: Callable[[], bool] | None = None,
    ) -> bool:
        """Train ``trainer`` for this handle from now on (or keep doing so); False: the server is full (queued).

        Also counts as the browser asking for a frame. Handing a different trainer than before
        (a new network) replaces the old one in the slot. ``epochs_per_frame`` makes a page's
        network train that many epochs per frame its browser asks for, for the eye (the perceptron).
        ``patience``: the next frame may take this long (a busy server spaces frames seconds apart)
        before the slot counts as gone; at least ``stale_seconds``. ``connected`` says whether the
        browser is still there (checked at every round: a closed tab stops training at once).
        """
        now = self._clock()
        with self._lock:
            self._drop_stale(now)
            slot = self._slots.get(handle._token)
            if slot is None:
                if len(self._slots) >= self.settings.max_trainings:
                    return False
                slot = self._slots[handle._token] = _Slot(
                    handle._token, trainer, now, epochs_per_frame, patience, connected
                )
                if epochs_per_frame is not None:
                    slot.allowance = 0.0  # its frames bring its epochs
            else:
                slot.trainer, slot.last_seen, slot.per_frame = trainer, now, epochs_per_frame
                slot.patience, slot.connected = patience, connected
            if epochs_per_frame is not None:
                slot.allowance = min(slot.allowance + epochs_per_frame, 2.0 * epochs_per_frame)
        self._ensure_worker()
        self._wake.set()
        return True

    def serve_frame(self, handle: SlotHandle) -> None:
        """A live frame of this handle's page: without the worker thread, the frame runs a round itself."""
        del handle
        if not self.settings.background:
            self.run_round()

    def pause(self, handle: SlotHandle) -> None:
        """Free this handle's slot (Pause, Reset, a new network): the session keeps its trainer."""
        with self._lock:
            self._slots.pop(handle._token, None)

    def is_training(self, handle: SlotHandle) -> bool:
        """True while the service trains this handle's network."""
        with self._lock:
            return handle._token in self._slots

    @contextlib.contextmanager
    def reading(self, handle: SlotHandle) -> Iterator[None]:
        """Hold the service still while a page reads (or changes) its own trainer: no epoch is half done."""
        del handle  # the lock is the service's; the handle says who asks
        with self._lock:
            yield

    def step(self, handle: SlotHandle, trainer: Trainer, epochs: int = 1, max_seconds: float | None = None) -> None:
        """Train ``epochs`` epochs now, in this thread, with the same engine as the rounds (Step, a first chunk)."""
        with self.reading(handle):
            trainer.train(epochs, max_seconds)

    def active_count(self) -> int:
        """How many sessions are training on this server now."""
        with self._lock:
            self._drop_stale(self._clock())
            return len(self._slots)

    def stats(self) -> ServiceStats:
        with self._lock:
            keys = {batched.group_key(s.trainer) for s in self._slots.values()}
            return ServiceStats(len(self._slots), len(keys), self._rounds)

    # -- the rounds ------------------------------------------------------------------------------

    def _drop_stale(self, now: float) -> None:
        for token, slot in list(self._slots.items()):
            gone = slot.connected is not None and not slot.connected()
            if gone or now - slot.last_seen > max(self.settings.stale_seconds, slot.patience) or slot.trainer.done:
                del self._slots[token]

    def run_round(self) -> float:
        """Train one round: every playing network some epochs, group by group. Returns the seconds spent training.

        Each network earns ``max_epochs_per_second`` epochs a second of wall time (``allowance``)
        and is owed its group's share of ``round_seconds`` (``_shares``: half the time the same
        epochs for every group, half the same seconds for every student); a group trains the whole
        epochs its members are owed, at most what the slowest-earning member has earned.
        """
        now = self._clock()
        with self._lock:
            self._drop_stale(now)
            elapsed = 0.0 if self._last_round_start is None else now - self._last_round_start
            cap = self.settings.max_epochs_per_second
            groups: dict[tuple[object, ...], list[_Slot]] = {}
            for slot in self._slots.values():
                if slot.per_frame is None:  # the per-frame pages earn theirs in ``play``
                    slot.allowance = min(slot.allowance + cap * max(elapsed, 0.0), max(2.0, cap * 0.5))
                groups.setdefault(batched.group_key(slot.trainer), []).append(slot)
        if not groups:
            self._last_round_start = now
            return 0.0
        budget = self.settings.round_seconds
        # Seconds per epoch of each group (the shape's measured seconds per batch × its batches).
        batches = {
            key: math.ceil(slots[0].trainer.x_train.shape[0] / slots[0].trainer.batch_size)
            for key, slots in groups.items()
        }
        epoch_cost = {key: self._pace.of(key[:-1]) * batches[key] for key in groups}
        # Only a large data set's epoch is sliced (MNIST: seconds); a 2-D one always trains whole
        # epochs, whatever the measured seconds say on a busy machine.
        whole = [key for key in groups if epoch_cost[key] <= budget or not groups[key][0].trainer.is_large]
        owed = self._shares({key: (epoch_cost[key], len(groups[key])) for key in whole}, budget)
        spent = 0.0
        for key, slots in groups.items():
            sliced = key not in whole  # its epoch alone is longer than a round: a slice of it
            with self._lock:
                # The session may have paused or changed its network since the round began.
                members = [s for s in slots if self._slots.get(s.token) is s and batched.group_key(s.trainer) == key]
                ready = [s for s in members if s.allowance >= 1.0]
                if not ready:
                    continue
                if sliced:
                    slice_batches = max(1, int(budget / self._pace.of(key[:-1])))
                    took = batched.train_together([s.trainer for s in ready], 1, max_batches=slice_batches)
                    ran, used = slice_batches, slice_batches / batches[key]
                else:
                    for s in ready:  # this round's share, fractions carried over (at most two rounds' worth)
                        s.credit = min(s.credit + owed[key], 2.0 * owed[key] + 1.0)
                    count = int(min(min(s.credit for s in ready), min(s.allowance for s in ready)))
                    if count < 1:
                        continue
                    took = batched.train_together([s.trainer for s in ready], count)
                    ran, used = count * batches[key], float(count)
                    for s in ready:
                        s.credit -= used
                for s in ready:
                    s.allowance -= used
            self._pace.note(key[:-1], ran, took)
            spent += took
        self._rounds += 1
        self._last_round_start = now  # each slot earns its epochs over the wall time from round to round
        return spent

    def _shares(
        self, groups: dict[tuple[object, ...], tuple[float, int]], budget: float
    ) -> dict[tuple[object, ...], float]:
        """Epochs each group is owed this round, from (its epoch's seconds, its students) and the round's seconds.

        ``epoch_share`` of the round buys every group the same epochs (budget / the sum of the epochs'
        seconds); the rest is split equally among the students, each group buying epochs with its
        students' seconds together. One group alone gets the round's budget either way.
        """
        if not groups:
            return {}
        share = min(1.0, max(0.0, self.settings.epoch_share))
        cost_all = max(sum(cost for cost, _ in groups.values()), 1e-6)
        students = sum(n for _, n in groups.values())
        return {
            key: budget * (share / cost_all + (1.0 - share) * n / students / max(cost, 1e-6))
            for key, (cost, n) in groups.items()
        }

    # -- the worker thread ---------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if not (self._start_worker and self.settings.background):
            return
        if self._worker is not None and self._worker.is_alive():
            return
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="playground-training", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        share = self.settings.training_cores
        while not self._stopping:
            if self.active_count() == 0:
                self._last_round_start = None
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            started = time.monotonic()
            spent = self.run_round()
            # Train for at most ``share`` of the time, and start the next round ``round_period`` after this one.
            taken = time.monotonic() - started
            self._sleep(max(spent * (1.0 - share) / share, self.settings.round_period - taken, 0.002))

    def clear(self) -> None:
        """Free every slot (a test's sessions are gone when it ends; a server shutting down)."""
        with self._lock:
            self._slots.clear()

    def stop(self) -> None:
        """Stop the worker (tests)."""
        self._stopping = True
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout=5)
