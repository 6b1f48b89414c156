"""The network playground's controls: sidebar widgets, buttons and the per-user trainer.

The page's spec (``state.page_spec("playground")``) is the one source of truth.
Widgets are views of it: each has a stable key ``pg_<setting>``, is filled from
the spec when it first appears, and on change runs ``_apply(setting)``, which
validates the new spec (a ``SpecError`` becomes a message and the old value
comes back), stores it (and so the URL) and writes every widget back from it.
Classroom mode hides a control by its setting name (``?hide=lr,optimizer``).

The trainer lives in session state and is rebuilt (paused, epoch 0) only when
data or architecture change (``network.rebuild_key``); learning rate,
optimizer, regularization, dropout, batch size and epochs go live through
``Trainer.update_training``.
"""

from __future__ import annotations

import random
import time
from typing import Any

import streamlit as st

from playground import datasets, optimizers
from playground.lessons import network
from playground.lessons.network import DEFAULT, CustomPoints
from playground.spec import (
    ACTIVATIONS,
    FEATURE_LABELS,
    FEATURES,
    LOSSES_FOR_PROBLEM,
    OPTIMIZERS,
    Flag,
    Spec,
    SpecError,
    spec_for_dataset,
)
from playground.trainer import Trainer
from playground.ui import live, state

PAGE = "playground"
#: Live frames come every 0.1 s on a quiet server (``live.frame_interval`` stretches it when busy).
LIVE_FRAME_SECONDS = 0.1
#: Each live frame trains for 60 % of the time since the last one, within these bounds: when the
#: browser draws slowly, frames get rarer but the epochs per second hold up. Play trains for the
#: lower bound before the page answers the click.
TRAIN_SECONDS = (0.04, live.FRAME_BUDGET_SECONDS)
LR_CHOICES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_CHOICES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
PROBLEM_LABELS = {
    "binary": "Binary: sigmoid output",
    "multiclass": "Classes: softmax output",
    "regression": "Regression: linear output",
}
LOSS_LABELS = {
    "binary_crossentropy": "Binary cross-entropy",
    "categorical_crossentropy": "Categorical cross-entropy",
    "mse": "Mean squared error",
}
#: Settings of the view, not of the spec; they travel in the link too. Validation points are
#: hidden by default, as TF Playground's "show test data" (half the points: faster redraws).
VIEW_FLAGS = {"discretize": False, "show_validation": False}


def key(name: str) -> str:
    return f"pg_{name}"


# -- the spec, the user's points and the trainer --------------------------------------------------


def spec() -> Spec:
    """This user's spec, brought inside the page's bounds on the first visit (with notices)."""
    if not state.get("pg:fitted", lambda: False):
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
        state.put("pg:notices", notices)
        state.put("pg:fitted", True)
        _store(fitted)
    found: Spec = state.page_spec(PAGE, DEFAULT)
    return found


def _store(new: Spec) -> None:
    # View settings go in the link only when they differ from their defaults.
    extra: dict[str, str] = {}
    for name, default in VIEW_FLAGS.items():
        value = bool(_init(key(name), default))
        if value != default:
            extra[name.replace("_", "-")] = "true" if value else "false"
    state.set_page_spec(PAGE, new, DEFAULT, extra)


def points() -> CustomPoints:
    return state.get("pg:points", CustomPoints)


def trainer(current: Spec) -> Trainer | None:
    """The trainer for ``current``: rebuilt when data or architecture changed, else updated live."""
    wanted = network.rebuild_key(current, points())
    found: Trainer | None = state.get("pg:trainer", lambda: None)
    if state.get("pg:trainer_key", lambda: None) != wanted:
        stop()
        try:
            found = network.make_trainer(current, points())
            state.pop("pg:data_problem")
        except (datasets.DataError, ValueError) as exc:
            found = None
            state.put("pg:data_problem", str(exc))
        state.put("pg:trainer", found)
        state.put("pg:trainer_key", wanted)
    elif found is not None and found.spec != current:
        found.update_training(current)
    return found


def running() -> bool:
    return bool(state.get("pg:running", lambda: False))


def stop() -> None:
    state.put("pg:running", False)
    live.release()


def say(message: str) -> None:
    """A message for the user, shown on the next run (a rejected value, a bad file)."""
    state.put("pg:message", message)


# -- callbacks ---------------------------------------------------------------------------------


def _init(widget_key: str, value: Any) -> Any:
    """A widget's value, set to ``value`` when it has none yet."""
    return state.get(widget_key, lambda: value)


def _value(name: str) -> Any:
    return state.get(key(name), lambda: None)


def _hidden_from_widgets(current: Spec) -> dict[str, Any]:
    count = int(_value("layers"))
    old_h, old_a = current.model.hidden, current.model.activation
    hidden: list[int] = []
    acts: list[str] = []
    for i in range(count):
        width = _value(f"width_{i}") if i < len(old_h) else None
        act = _value(f"act_{i}") if i < len(old_a) else None
        # A new layer gets 2 neurons (as in TF Playground) and the previous layer's activation.
        hidden.append(int(width) if width is not None else 2)
        acts.append(str(act) if act is not None else (acts[-1] if acts else "tanh"))
    return {"hidden": tuple(hidden), "activation": tuple(acts)}


def _changed(name: str, current: Spec) -> Spec:
    if name == "dataset":
        new = spec_for_dataset(_value("dataset"), current)
        if new.data.dataset == "custom" and len(points()):
            new = network.with_problem(new, network.problem_for_classes(points().num_classes))
        return new
    if name == "features":
        chosen = tuple(f for f in FEATURES if _value(f"feat_{f}"))
        if not chosen:
            raise SpecError("features", "keep at least one input feature switched on")
        return current.replace(features=chosen)
    if name == "layers":
        return current.replace(**_hidden_from_widgets(current))
    if name == "problem":
        return network.with_problem(current, _value("problem"))
    value = _value(name)
    if isinstance(value, float):
        value = float(f"{value:.10g}")  # slider steps such as 0.15000000000000002 read cleanly in the link
    return current.replace(**{name: value})


def _apply(name: str) -> None:
    current = spec()
    try:
        new = _changed(name, current)
        state.pop("pg:message")
    except SpecError as exc:
        say(f"{exc.field}: {exc.reason}. The previous value is kept.")
        new = current
    _store(new)
    _sync_widgets(new)


def _sync_widgets(current: Spec) -> None:
    """Write every widget's value from the spec (after a change, a rejection or a new seed)."""
    flat = current.to_dict()
    for name in (
        "dataset",
        "noise",
        "validation_split",
        "samples",
        "batch_size",
        "seed",
        "problem",
        "loss",
        "optimizer",
        "lr",
        "l1",
        "l2",
        "dropout",
        "epochs",
    ):
        state.put(key(name), flat[name])
    for f in FEATURES:
        state.put(key(f"feat_{f}"), f in current.data.features)
    state.put(key("layers"), len(current.model.hidden))
    for i, (width, act) in enumerate(zip(current.model.hidden, current.model.activation, strict=True)):
        state.put(key(f"width_{i}"), width)
        state.put(key(f"act_{i}"), act)


def _view(name: str) -> None:
    _store(spec())


def play() -> None:
    state.pop("pg:message")
    found = state.get("pg:trainer", lambda: None)
    if found is None:
        # Shown while there is still no data ("Add 4 more point(s)"), gone once there is enough.
        state.put("pg:play_refused", True)
    elif found.done:
        say(
            found.status_text()
            + ("" if found.stop_reason == "diverged" else " Press Reset, or raise 'Stop after (epochs)'.")
        )
    else:
        state.put("pg:running", True)
        # The first epochs train right away, so the page that answers the click already shows
        # progress (on a busy server the first live frame may be a second or more away).
        if live.acquire():
            found.train(epochs=10_000, max_seconds=live.train_seconds(LIVE_FRAME_SECONDS, TRAIN_SECONDS[0]))
            state.put("pg:last_tick", time.perf_counter())
        if found.done:
            stop()


def pause() -> None:
    """Stop training and redraw the whole page: a full run is what stops the live views' timers."""
    stop()
    st.rerun()


def step() -> None:
    """One epoch, paused."""
    was_running = running()
    stop()
    state.pop("pg:message")
    found = state.get("pg:trainer", lambda: None)
    if found is not None and found.done:
        say(found.status_text())
    elif found is not None:
        found.train(1)
    if was_running:
        st.rerun()  # as Pause: only a full page run stops the live views' timers


def reset(new_weights: bool = False) -> None:
    """Back to epoch 0: the same initial weights (Reset) or new ones (Reinitialize)."""
    was_running = running()
    stop()
    state.pop("pg:message")
    found = state.get("pg:trainer", lambda: None)
    if found is not None:
        if new_weights:
            found.reinitialize()
        else:
            found.reset()
    if was_running:
        st.rerun()  # as Pause


def regenerate() -> None:
    """New data: a new seed, which (one seed for everything) also draws new initial weights."""
    new = spec().replace(seed=random.randrange(0, 2**31 - 1))
    _store(new)
    _sync_widgets(new)


def clear_points() -> None:
    points().clear()


def load_csv() -> None:
    upload = _value("csv")
    if upload is None:
        return
    try:
        points().load(upload.getvalue(), upload.name)
    except datasets.DataError as exc:
        say(f"{upload.name}: {exc}")
        return
    state.pop("pg:message")
    new = network.with_problem(spec_for_dataset("custom", spec()), network.problem_for_classes(points().num_classes))
    _store(new)
    _sync_widgets(new)


def add_clicked_point(chart_key: str) -> None:
    """A click on the plot selected a grid point: add a point of the chosen class there."""
    selection: Any = state.get(chart_key, lambda: None)
    try:
        picked = selection["selection"]["points"][0]
        x1, x2 = float(picked["x"]), float(picked["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return
    refused = points().add(x1, x2, int(_value("click_class") or 0))
    if refused:
        say(refused)
    else:
        state.pop("pg:message")  # "Add 4 more point(s)" and the like are answered by the click
    current = spec()
    if points().num_classes > 2 and current.model.problem == "binary":
        current = network.with_problem(current, "multiclass")
        _store(current)
        _sync_widgets(current)


# -- the sidebar -----------------------------------------------------------------------------


def _widget(kind: Any, name: str, label: str, value: Any, apply: str | None = None, **kwargs: Any) -> None:
    """Draw one control (unless classroom mode hides it), filled from the spec when first shown."""
    if not state.visible(apply or name):
        return
    state.get(key(name), lambda: value)
    kind(label, key=key(name), on_change=_apply, args=(apply or name,), **kwargs)


def sidebar(current: Spec) -> None:
    """Every setting of the page, in TensorFlow Playground's order: data, features, network, training."""
    flat = current.to_dict()
    sb = st.sidebar
    sb.header("Data", divider="orange")
    labels = network.DATASET_LABELS
    _widget(
        sb.selectbox,
        "dataset",
        "Data set",
        flat["dataset"],
        options=network.PAGE_DATASETS,
        format_func=labels.get,
    )
    if current.data.dataset == "custom":
        _custom_data_controls()
    else:
        _widget(sb.slider, "noise", "Noise (%)", flat["noise"], min_value=0.0, max_value=50.0, step=1.0)
        _widget(sb.number_input, "samples", "Points", flat["samples"], min_value=10, max_value=2000, step=50)
        if state.visible("regenerate"):
            sb.button("Regenerate", key=key("regenerate"), icon=":material/refresh:", on_click=regenerate,
                      help="New random points from a new seed. The seed also draws the initial weights, so one number in the link reproduces both.")  # fmt: skip
    _widget(
        sb.slider,
        "validation_split",
        "Validation share",
        flat["validation_split"],
        min_value=0.05,
        max_value=0.9,
        step=0.05,
    )
    _widget(sb.number_input, "batch_size", "Batch size", flat["batch_size"], min_value=1, max_value=512, step=1)
    _widget(
        sb.number_input,
        "seed",
        "Seed (data and initial weights)",
        flat["seed"],
        min_value=0,
        max_value=2**31 - 1,
        step=1,
    )

    sb.header("Features", divider="orange")
    cols = sb.columns(2)
    for i, f in enumerate(FEATURES):
        if state.visible(f"feat_{f}") and state.visible("features"):
            _init(key(f"feat_{f}"), f in current.data.features)
            cols[i % 2].checkbox(FEATURE_LABELS[f], key=key(f"feat_{f}"), on_change=_apply, args=("features",))

    sb.header("Network", divider="orange")
    _widget(sb.number_input, "layers", "Hidden layers", len(current.model.hidden), apply="layers", min_value=0, max_value=network.MAX_LAYERS, step=1)  # fmt: skip
    for i, (width, act) in enumerate(zip(current.model.hidden, current.model.activation, strict=True)):
        left, right = sb.columns(2)
        if state.visible("layers"):
            _init(key(f"width_{i}"), width)
            left.number_input(f"Layer {i + 1}: neurons", 1, network.MAX_NEURONS, step=1, key=key(f"width_{i}"), on_change=_apply, args=("layers",))  # fmt: skip
            _init(key(f"act_{i}"), act)
            right.selectbox(
                f"Layer {i + 1}: activation", ACTIVATIONS, key=key(f"act_{i}"), on_change=_apply, args=("layers",)
            )
    problems = network.problems_for(current.data.dataset, points().num_classes if len(points()) else None)
    _widget(sb.selectbox, "problem", "Output", flat["problem"], options=problems, format_func=PROBLEM_LABELS.get)
    _widget(
        sb.selectbox,
        "loss",
        "Loss",
        flat["loss"],
        options=LOSSES_FOR_PROBLEM[current.model.problem],
        format_func=LOSS_LABELS.get,
    )

    sb.header("Training", divider="orange")
    _widget(sb.selectbox, "optimizer", "Optimizer", flat["optimizer"], options=OPTIMIZERS)
    _optimizer_details(current)
    lrs = sorted({*LR_CHOICES, flat["lr"]})
    _widget(sb.select_slider, "lr", "Learning rate", flat["lr"], options=lrs)
    for name, label in (("l1", "L1 penalty rate"), ("l2", "L2 penalty rate")):
        _widget(sb.select_slider, name, label, flat[name], options=sorted({*REG_CHOICES, flat[name]}))
    _widget(sb.slider, "dropout", "Dropout rate", flat["dropout"], min_value=0.0, max_value=0.9, step=0.05)
    _widget(sb.number_input, "epochs", "Stop after (epochs)", flat["epochs"], min_value=1, max_value=10_000, step=100)


#: The TrainSpec's fields: an optimizer's hyperparameter the spec does not hold keeps the registry's default.
_SPEC_FIELDS = frozenset(Spec().to_dict())


def _details(optimizer: str) -> tuple[optimizers.Hyperparameter, ...]:
    """The optimizer's own settings the sidebar offers (the registry's, Keras's names and defaults)."""
    return tuple(h for h in optimizers.get(optimizer).hyperparameters if h.field in _SPEC_FIELDS)


def _optimizer_details(current: Spec) -> None:
    details = _details(current.train.optimizer)
    if not details or not state.visible("optimizer_details"):
        return
    flat = current.to_dict()
    with st.sidebar.expander("Optimizer details", icon=":material/tune:"):
        for h in details:
            fmt = "%.1e" if h.field == "epsilon" else "%.4f"
            _widget(
                st.number_input, h.field, h.label, flat[h.field], min_value=h.lo, max_value=h.hi, format=fmt, step=None
            )


def _custom_data_controls() -> None:
    sb = st.sidebar
    found = points()
    source = "clicked" if found.source == "clicks" else f"from {found.source}"
    words = f"{len(found)} points {source}"
    if len(found) >= network.MIN_POINTS:
        # Say where every point goes: the validation split holds some out (drawn as rings).
        n_train, n_val = datasets.split_counts(len(found), spec().data.validation_split)
        words += f": {n_train} for training (dots), {n_val} for validation (rings)"
    sb.caption(f"{words}. Click on the plot to add a point of the class below.")
    if state.visible("click_class"):
        state.get(key("click_class"), lambda: 0)
        sb.radio("Class of the next point", (0, 1, 2), key=key("click_class"), horizontal=True,
                 format_func=lambda c: ("orange", "blue", "green")[c] + f" ({c})")  # fmt: skip
    if state.visible("clear_points"):
        sb.button("Clear points", key=key("clear_points"), icon=":material/delete:", on_click=clear_points)
    if state.visible("csv"):
        sb.file_uploader("Or upload a CSV: x1, x2, label", type=["csv", "txt"], key=key("csv"), on_change=load_csv,
                         help="Coordinates in [-6, 6]; labels 0-9 (classes) or numbers in [-1, 1] (regression); up to 10,000 rows, 5 MB.")  # fmt: skip


def buttons(has_trainer: bool) -> None:
    """Play / Pause, Step, Reset and Reinitialize in one row."""
    cols = st.columns(5)
    if running():
        cols[0].button(
            "Pause", key=key("pause"), icon=":material/pause:", on_click=pause, type="primary", width="stretch"
        )
    else:
        cols[0].button(
            "Play", key=key("play"), icon=":material/play_arrow:", on_click=play, type="primary", width="stretch"
        )
    cols[1].button("Step", key=key("step"), icon=":material/skip_next:", on_click=step, disabled=not has_trainer, width="stretch",
                   help="Train one epoch.")  # fmt: skip
    cols[2].button("Reset", key=key("reset"), icon=":material/replay:", on_click=reset, disabled=not has_trainer, width="stretch",
                   help="Back to epoch 0 with the same initial weights: the run replays exactly.")  # fmt: skip
    cols[3].button("Reinitialize", key=key("reinit"), icon=":material/casino:", on_click=reset, args=(True,), disabled=not has_trainer,
                   width="stretch", help="New random initial weights, epoch 0.")  # fmt: skip


def view_toggles() -> tuple[bool, bool]:
    """(discretize output, show validation points): view settings, kept in the link."""
    out = []
    for name, label in (("discretize", "Discretize output"), ("show_validation", "Show validation points")):
        _init(key(name), VIEW_FLAGS[name])
        if state.visible(name):
            st.toggle(label, key=key(name), on_change=_view, args=(name,))
        out.append(bool(_value(name)))
    return out[0], out[1]
