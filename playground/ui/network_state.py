"""The network playground's per-user state: one ``PlaygroundState``, and the spec and trainer kept in step.

What this module is: what the page remembers per user between runs, apart from its
widgets' values, as the fields of one dataclass (kept by ``state.page_state`` under
``state:playground``), and the few verbs that change it: ``read_link`` (the first
visit's link, fitted to the page), ``store_spec`` (the spec and the URL),
``sync_trainer`` (a new trainer when data or architecture changed, else the training
settings go live), ``stop`` and ``say``.

The page's spec (``state.page_spec("playground")``) is the one source of truth;
widgets are views of it (``network_sidebar``), each with the stable key ``pg_<setting>``.

What it is not: the sidebar (``network_sidebar``), the buttons (``network_controls``)
or the drawing (``network_views``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground import datasets
from playground.lessons import network
from playground.lessons.network import DEFAULT, CustomPoints
from playground.spec import Flag, Spec, SpecError
from playground.trainer import EpochRecord, Trainer
from playground.ui import live, state

if TYPE_CHECKING:
    import plotly.graph_objects as go

PAGE = "playground"
#: Settings of the view, not of the spec; they travel in the link too. Validation points are
#: hidden by default, as TF Playground's "show test data" (half the points: faster redraws).
VIEW_FLAGS = {"discretize": False, "show_validation": False}


def key(name: str) -> str:
    """The widget key of a setting: ``pg_<setting>``."""
    return f"pg_{name}"


def init_widget(name: str, value: Any) -> Any:
    """Widget ``pg_<name>``'s value, set to ``value`` when it has none yet."""
    return state.get(key(name), lambda: value)


def widget_value(name: str) -> Any:
    """Widget ``pg_<name>``'s value, None when it has none."""
    return state.peek(key(name))


@dataclass
class PlaygroundState:
    """What the playground remembers per user, apart from its widgets' values."""

    #: The user's trainer; None while there is nothing to train on (too few own points).
    trainer: Trainer | None = None
    #: What ``trainer`` was built from (``network.rebuild_key``): when it moves, a new trainer at epoch 0.
    trainer_key: tuple[object, ...] | None = None
    #: Why there is no trainer ("Add 4 more point(s) ..."), shown in its place.
    data_problem: str | None = None
    #: The user's own points, clicked on the plot or read from a CSV.
    points: CustomPoints = field(default_factory=CustomPoints)
    #: The points' version the last full page run drew: a click since then redraws the whole page.
    points_drawn: int | None = None
    #: The live training: Play on or off, and the handle to this session's slot in the server's training service.
    run: live.LiveRun = field(default_factory=live.LiveRun)
    #: A message for the next run: a rejected value, a bad file, the epoch limit.
    message: str | None = None
    #: Play was pressed with no trainer: say why until there is data.
    play_refused: bool = False
    #: The link was read, and fitted to the page, on the first visit; ``notices`` says what it changed.
    link_read: bool = False
    notices: list[str] = field(default_factory=list)
    #: The paused boundary chart, reused while its build key holds so a redraw only swaps the values.
    boundary_fig: tuple[object, go.Figure] | None = None
    #: The loss and accuracy charts by their y label, each reused while its trainer holds.
    curves_figs: dict[str, tuple[object, go.Figure]] = field(default_factory=dict)
    #: The network diagram's last drawing: (trainer key, figure, thinned history of the curves).
    network_snapshot: tuple[object, go.Figure, list[EpochRecord]] | None = None

    @property
    def running(self) -> bool:
        """Play is on: the live views have timers, and the service trains this session's network."""
        return self.run.running


def read_link(pg: PlaygroundState) -> Spec:
    """The page's spec; on the first visit read from the link and brought inside the page's bounds, with notices."""
    if not pg.link_read:
        fitted, notices = network.fit_to_page(state.page_spec(PAGE, DEFAULT))
        params = state.query_params()
        for name, default in VIEW_FLAGS.items():
            raw = params.get(name.replace("_", "-"))
            try:
                value = default if raw is None else Flag(help=name).parse(name, raw)
            except SpecError as exc:
                notices.append(f"{name.replace('_', '-')}: {exc.reason} (using the default instead)")
                value = default
            state.put(key(name), value)
        pg.notices = notices
        pg.link_read = True
        store_spec(fitted)
    return current_spec()


def current_spec() -> Spec:
    """This user's spec (the link was read by ``read_link`` at the top of the page)."""
    found: Spec = state.page_spec(PAGE, DEFAULT)
    return found


def store_spec(new: Spec) -> None:
    """Keep ``new`` as the page's spec and write it to the URL, with the view settings that differ from theirs."""
    extra: dict[str, str] = {}
    for name, default in VIEW_FLAGS.items():
        value = bool(init_widget(name, default))
        if value != default:
            extra[name.replace("_", "-")] = "true" if value else "false"
    state.set_page_spec(PAGE, new, DEFAULT, extra)


def sync_trainer(pg: PlaygroundState, current: Spec) -> Trainer | None:
    """Bring the trainer in step with ``current``: rebuilt (paused, epoch 0) when data or architecture changed,
    else its training settings updated live; returns it (None while there is no data)."""
    wanted = network.rebuild_key(current, pg.points)
    if pg.trainer_key != wanted:
        stop(pg)
        try:
            pg.trainer = network.make_trainer(current, pg.points)
            pg.data_problem = None
        except (datasets.DataError, ValueError) as exc:
            pg.trainer = None
            pg.data_problem = str(exc)
        pg.trainer_key = wanted
    elif pg.trainer is not None and pg.trainer.spec != current:
        with pg.run.reading():  # the service may be training it right now
            pg.trainer.update_training(current)
    return pg.trainer


def stop(pg: PlaygroundState) -> None:
    """Training off, and the server's training slot given back."""
    pg.run.pause()


def say(pg: PlaygroundState, message: str) -> None:
    """A message for the user, shown on the next run (a rejected value, a bad file)."""
    pg.message = message
