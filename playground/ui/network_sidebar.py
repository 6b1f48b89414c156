"""The network playground's sidebar: data, features, network and training widgets, and the user's own points.

Widgets are views of the page's spec: each has a stable key ``pg_<setting>``, is
filled from the spec when it first appears, and on change runs ``_apply(pg, setting)``,
which validates the new spec (a ``SpecError`` becomes a message and the old value
comes back), stores it (and so the URL) and writes every widget back from it.
Classroom mode hides a control by its setting name (``?hide=lr,optimizer``).
The own-points callbacks (a click on the plot, Clear, a CSV) are here too: each may
change the data set or the problem, and so the widgets.

What it is not: the per-user state (``network_state``), the buttons (``network_controls``)
or the drawing (``network_views``).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import streamlit as st

from playground import datasets, optimizers
from playground import losses as loss_registry
from playground.controls import Control
from playground.lessons import network
from playground.spec import (
    ACTIVATIONS,
    FEATURE_LABELS,
    FEATURES,
    LOSSES_FOR_PROBLEM,
    OPTIMIZERS,
    Spec,
    SpecError,
    spec_for_dataset,
)
from playground.ui import state
from playground.ui.controls import draw_control
from playground.ui.network_state import (
    PlaygroundState,
    current_spec,
    init_widget,
    key,
    say,
    store_spec,
    widget_value,
)

LR_CHOICES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_CHOICES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
PROBLEM_LABELS = {
    "binary": "Binary: sigmoid output",
    "multiclass": "Classes: softmax output",
    "regression": "Regression: linear output",
}
#: The losses' titles, from the registry.
LOSS_LABELS = {name: loss.title for name, loss in loss_registry.REGISTRY.items()}
#: The settings whose widget holds the spec's flat value as it is.
PLAIN_SETTINGS = (
    "dataset", "noise", "validation_split", "samples", "batch_size", "seed",
    "problem", "loss", "optimizer", "lr", "l1", "l2", "dropout", "epochs",
)  # fmt: skip


# -- a changed widget, checked against the spec ------------------------------------------------------


def _hidden_from_widgets(current: Spec) -> dict[str, Any]:
    count = int(widget_value("layers"))
    old_h, old_a = current.model.hidden, current.model.activation
    hidden: list[int] = []
    acts: list[str] = []
    for i in range(count):
        width = widget_value(f"width_{i}") if i < len(old_h) else None
        act = widget_value(f"act_{i}") if i < len(old_a) else None
        # A new layer gets 2 neurons (as in TF Playground) and the previous layer's activation.
        hidden.append(int(width) if width is not None else 2)
        acts.append(str(act) if act is not None else (acts[-1] if acts else "tanh"))
    return {"hidden": tuple(hidden), "activation": tuple(acts)}


def _changed(pg: PlaygroundState, name: str, current: Spec) -> Spec:
    """The spec with the setting ``name`` taken from its widget (raises ``SpecError``)."""
    if name == "dataset":
        new = spec_for_dataset(widget_value("dataset"), current)
        if new.data.dataset == "custom" and len(pg.points):
            new = network.with_problem(new, network.problem_for_classes(pg.points.num_classes))
        return new
    if name == "features":
        chosen = tuple(f for f in FEATURES if widget_value(f"feat_{f}"))
        if not chosen:
            raise SpecError("features", "keep at least one input feature switched on")
        return current.replace(features=chosen)
    if name == "layers":
        return current.replace(**_hidden_from_widgets(current))
    if name == "problem":
        return network.with_problem(current, widget_value("problem"))
    value = widget_value(name)
    if isinstance(value, float):
        value = float(f"{value:.10g}")  # slider steps such as 0.15000000000000002 read cleanly in the link
    return current.replace(**{name: value})


def _apply(pg: PlaygroundState, name: str) -> None:
    current = current_spec()
    try:
        new = _changed(pg, name, current)
        pg.message = None
    except SpecError as exc:
        say(pg, f"{exc.field}: {exc.reason}. The previous value is kept.")
        new = current
    _keep(new)


def _keep(new: Spec) -> None:
    """Store ``new`` and write every widget's value from it (after a change, a rejection or a new seed)."""
    store_spec(new)
    flat = new.to_dict()
    for name in PLAIN_SETTINGS:
        state.put(key(name), flat[name])
    for f in FEATURES:
        state.put(key(f"feat_{f}"), f in new.data.features)
    state.put(key("layers"), len(new.model.hidden))
    for i, (width, act) in enumerate(zip(new.model.hidden, new.model.activation, strict=True)):
        state.put(key(f"width_{i}"), width)
        state.put(key(f"act_{i}"), act)


def regenerate() -> None:
    """New data: a new seed, which (one seed for everything) also draws new initial weights."""
    _keep(current_spec().replace(seed=random.randrange(0, 2**31 - 1)))


# -- the user's own points -----------------------------------------------------------------------------


def clear_points(pg: PlaygroundState) -> None:
    pg.points.clear()


def load_csv(pg: PlaygroundState) -> None:
    upload = widget_value("csv")
    if upload is None:
        return
    try:
        pg.points.load(upload.getvalue(), upload.name)
    except datasets.DataError as exc:
        say(pg, f"{upload.name}: {exc}")
        return
    pg.message = None
    classes = network.problem_for_classes(pg.points.num_classes)
    _keep(network.with_problem(spec_for_dataset("custom", current_spec()), classes))


def add_clicked_point(pg: PlaygroundState, chart_key: str) -> None:
    """A click on the plot selected a grid point: add a point of the chosen class there."""
    selection: Any = state.peek(chart_key)
    try:
        picked = selection["selection"]["points"][0]
        x1, x2 = float(picked["x"]), float(picked["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return
    refused = pg.points.add(x1, x2, int(widget_value("click_class") or 0))
    if refused:
        say(pg, refused)
    else:
        pg.message = None  # "Add 4 more point(s)" and the like are answered by the click
    current = current_spec()
    if pg.points.num_classes > 2 and current.model.problem == "binary":
        _keep(network.with_problem(current, "multiclass"))


# -- the sidebar -----------------------------------------------------------------------------------------


def _control(pg: PlaygroundState, c: Control, value: Any, apply: str | None = None, **changes: Any) -> None:
    """Draw one control with the one renderer (unless classroom mode hides it), bound to ``pg_<name>``.

    The widget is filled from the spec when first shown; a change runs ``_apply``, which validates
    the whole spec. ``changes`` adjust the declaration for this run (options that depend on the data).
    """
    if not state.visible(apply or c.name):
        return
    init_widget(c.name, value)
    c = dataclasses.replace(c, **changes) if changes else c
    draw_control(c, value, key=key(c.name), on_change=_apply, args=(pg, apply or c.name))


#: The page's plain settings, declared once (the data-dependent options are filled in at drawing time).
CONTROLS = {
    c.name: c
    for c in (
        Control("dataset", "selectbox", "Data set", options=network.PAGE_DATASETS, labels=network.DATASET_LABELS),
        Control("noise", "slider", "Noise (%)", lo=0.0, hi=50.0, step=1.0),
        Control("samples", "number", "Points", lo=10, hi=2000, step=50),
        Control("validation_split", "slider", "Validation share", lo=0.05, hi=0.9, step=0.05),
        Control("batch_size", "number", "Batch size", lo=1, hi=512, step=1),
        Control("seed", "number", "Seed (data and initial weights)", lo=0, hi=2**31 - 1, step=1),
        Control("layers", "number", "Hidden layers", lo=0, hi=network.MAX_LAYERS, step=1),
        Control("problem", "selectbox", "Output", labels=PROBLEM_LABELS),
        Control("loss", "selectbox", "Loss", labels=LOSS_LABELS),
        Control("optimizer", "selectbox", "Optimizer", options=OPTIMIZERS),
        Control("lr", "select_slider", "Learning rate", options=LR_CHOICES),
        Control("l1", "select_slider", "L1 penalty rate", options=REG_CHOICES),
        Control("l2", "select_slider", "L2 penalty rate", options=REG_CHOICES),
        Control("dropout", "slider", "Dropout rate", lo=0.0, hi=0.9, step=0.05),
        Control("epochs", "number", "Stop after (epochs)", lo=1, hi=10_000, step=100),
    )
}


def sidebar(pg: PlaygroundState, current: Spec) -> None:
    """Every setting of the page, in TensorFlow Playground's order: data, features, network, training."""
    flat = current.to_dict()
    sb = st.sidebar
    sb.header("Data", divider="orange")
    _control(pg, CONTROLS["dataset"], flat["dataset"])
    if current.data.dataset == "custom":
        _custom_data_controls(pg, current)
    else:
        _control(pg, CONTROLS["noise"], flat["noise"])
        _control(pg, CONTROLS["samples"], flat["samples"])
        if state.visible("regenerate"):
            sb.button("Regenerate", key=key("regenerate"), icon=":material/refresh:", on_click=regenerate,
                      help="New random points from a new seed. The seed also draws the initial weights, so one number in the link reproduces both.")  # fmt: skip
    for name in ("validation_split", "batch_size", "seed"):
        _control(pg, CONTROLS[name], flat[name])

    sb.header("Features", divider="orange")
    cols = sb.columns(2)
    for i, f in enumerate(FEATURES):
        if state.visible(f"feat_{f}") and state.visible("features"):
            init_widget(f"feat_{f}", f in current.data.features)
            cols[i % 2].checkbox(FEATURE_LABELS[f], key=key(f"feat_{f}"), on_change=_apply, args=(pg, "features"))

    sb.header("Network", divider="orange")
    _control(pg, CONTROLS["layers"], len(current.model.hidden), apply="layers")
    for i, (width, act) in enumerate(zip(current.model.hidden, current.model.activation, strict=True)):
        left, right = sb.columns(2)
        if state.visible("layers"):
            init_widget(f"width_{i}", width)
            left.number_input(
                f"Layer {i + 1}: neurons",
                1,
                network.MAX_NEURONS,
                step=1,
                key=key(f"width_{i}"),
                on_change=_apply,
                args=(pg, "layers"),
            )
            init_widget(f"act_{i}", act)
            right.selectbox(
                f"Layer {i + 1}: activation", ACTIVATIONS, key=key(f"act_{i}"), on_change=_apply, args=(pg, "layers")
            )
    problems = network.problems_for(current.data.dataset, pg.points.num_classes if len(pg.points) else None)
    _control(pg, CONTROLS["problem"], flat["problem"], options=problems)
    _control(pg, CONTROLS["loss"], flat["loss"], options=LOSSES_FOR_PROBLEM[current.model.problem])

    sb.header("Training", divider="orange")
    _control(pg, CONTROLS["optimizer"], flat["optimizer"])
    _optimizer_details(pg, current)
    for name in ("lr", "l1", "l2", "dropout", "epochs"):
        _control(pg, CONTROLS[name], flat[name])


#: The TrainSpec's fields: an optimizer's hyperparameter the spec does not hold keeps the registry's default.
_SPEC_FIELDS = frozenset(Spec().to_dict())


def _details(optimizer: str) -> tuple[optimizers.Hyperparameter, ...]:
    """The optimizer's own settings the sidebar offers (the registry's, Keras's names and defaults)."""
    return tuple(h for h in optimizers.get(optimizer).hyperparameters if h.field in _SPEC_FIELDS)


def _optimizer_details(pg: PlaygroundState, current: Spec) -> None:
    details = _details(current.train.optimizer)
    if not details or not state.visible("optimizer_details"):
        return
    flat = current.to_dict()
    with st.sidebar.expander("Optimizer details", icon=":material/tune:"):
        for h in (h for h in details if state.visible(h.field)):
            c = Control(h.field, "number", h.label, lo=h.lo, hi=h.hi, format="%.1e" if h.field == "epsilon" else "%.4f")
            init_widget(h.field, flat[h.field])
            draw_control(c, flat[h.field], key=key(h.field), on_change=_apply, args=(pg, h.field), where=st)


def _custom_data_controls(pg: PlaygroundState, current: Spec) -> None:
    sb = st.sidebar
    found = pg.points
    source = "clicked" if found.source == "clicks" else f"from {found.source}"
    words = f"{len(found)} points {source}"
    if len(found) >= network.MIN_POINTS:
        # Say where every point goes: the validation split holds some out (drawn as rings).
        n_train, n_val = datasets.split_counts(len(found), current.data.validation_split)
        words += f": {n_train} for training (dots), {n_val} for validation (rings)"
    sb.caption(f"{words}. Click on the plot to add a point of the class below.")
    if state.visible("click_class"):
        init_widget("click_class", 0)
        sb.radio("Class of the next point", (0, 1, 2), key=key("click_class"), horizontal=True,
                 format_func=lambda c: ("orange", "blue", "green")[c] + f" ({c})")  # fmt: skip
    if state.visible("clear_points"):
        sb.button("Clear points", key=key("clear_points"), icon=":material/delete:", on_click=clear_points, args=(pg,))
    if state.visible("csv"):
        sb.file_uploader("Or upload a CSV: x1, x2, label", type=["csv", "txt"], key=key("csv"),
                         on_change=load_csv, args=(pg,),
                         help="Coordinates in [-6, 6]; labels 0-9 (classes) or numbers in [-1, 1] (regression); up to 10,000 rows, 5 MB.")  # fmt: skip
