"""The Perceptron page's pieces: its per-user state, its controls and callbacks, and the live training view.

``PerceptronState`` is everything the page remembers for a user besides its widgets'
values (the neuron, the trainer, whether it is running, what the link asked for); the
page gets it once with ``state.page_state`` and hands it to each function here. The
numbers come from ``playground.lessons.perceptron``, the figures from
``playground.ui.charts.perceptron``. This is the Streamlit side, not a lesson.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import streamlit as st

from playground.lessons import activations
from playground.lessons import perceptron as lesson
from playground.spec import OPTIMIZERS, Spec
from playground.trainer import Trainer
from playground.ui import live, state, widgets
from playground.ui.charts.perceptron import loss_figure, plane_figure

PAGE = "perceptron"
XOR_PRESET = "/playground?dataset=xor&hidden=4&activation=tanh&lr=0.03"
FRAME_SECONDS = 0.2  # one live frame every 0.2 s
#: The perceptron learns slowly enough to watch: one epoch a frame, trained by the server's service.
EPOCHS_PER_FRAME = 1
TRAIN_DOMAIN = 6.0  # the data sets live in [-6, 6]²
LR_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, lesson.MAX_LR)
#: Slider read-out: 4 significant digits, so a learned -0.0156 shows as -0.0156 (not "-0.0"), 3.5 as 3.5.
SLIDER_FORMAT = "%.4g"
NEURON_LABELS = {
    "x1": "x₁ · lectures attended",
    "x2": "x₂ · hours procrastinated",
    "w0": "w₀ · bias",
    "w1": "w₁ · weight of x₁",
    "w2": "w₂ · weight of x₂",
}


@dataclass
class PerceptronState:
    """What the Perceptron page keeps for one user, besides its widgets' values."""

    link_read: bool = False  # the first visit has read the link
    link_notices: list[str] = field(default_factory=list)  # one per link parameter that was ignored
    link_lr: float = field(default_factory=lambda: lesson.default_training_spec().train.lr)  # stays selectable
    neuron: lesson.Neuron = field(default_factory=lesson.Neuron)  # the sliders start from it on every visit
    trainer: Trainer | None = None  # built by ``sync_trainer``
    #: The live training (Play on or off, this session's slot in the training service), one epoch a frame.
    run: live.LiveRun = field(default_factory=lambda: live.LiveRun(epochs_per_frame=EPOCHS_PER_FRAME))

    @property
    def running(self) -> bool:
        """Play pressed, not yet paused or finished."""
        return self.run.running

    def current_trainer(self) -> Trainer:
        """The trainer ``sync_trainer`` built: every button and live frame comes after it."""
        if self.trainer is None:
            raise RuntimeError("sync_trainer(ps, spec) runs before the buttons and the live view")
        return self.trainer


def read_link(ps: PerceptronState, default: Spec) -> None:
    """On the first visit: the neuron and the training spec the link asks for, with a notice per bad parameter."""
    if ps.link_read:
        return
    params = state.query_params()
    ps.neuron, notices = lesson.parse_neuron(params)
    spec, more = lesson.link_spec(params, default)  # its notices name this page's data sets only
    state.set_page_spec(PAGE, spec, default)
    ps.link_notices = notices + more
    ps.link_lr = spec.train.lr
    ps.link_read = True


def link_warnings(ps: PerceptronState) -> None:
    for notice in ps.link_notices:
        st.warning(f"Link setting ignored: {notice}", icon=":material/link_off:")


# -- 1-2. The neuron: its sliders, the forward pass and the plane.


def neuron_controls(ps: PerceptronState) -> lesson.Neuron:
    """Inputs, weights and activation; each widget's value starts from this user's neuron (kept across pages)."""
    neuron = ps.neuron
    values: dict[str, float] = {}
    for name, label in NEURON_LABELS.items():
        key = f"pc_{name}"
        state.get(key, functools.partial(getattr, neuron, name))
        values[name] = getattr(neuron, name)
        if state.visible(name):
            lim = lesson.WEIGHT_LIMIT
            values[name] = st.slider(label, -lim, lim, step=0.1, format=SLIDER_FORMAT, key=key)
    g = neuron.g
    state.get("pc_g", lambda: neuron.g)
    if state.visible("g"):
        g = st.radio(
            "Activation g", lesson.ACTIVATIONS, format_func=activations.LABELS.__getitem__, horizontal=True, key="pc_g"
        )
    ps.neuron = lesson.Neuron(g=g, **values)
    return ps.neuron


def forward_pass(neuron: lesson.Neuron) -> None:
    """The forward pass with the numbers, three read-outs, and the input plane with the boundary line."""
    z_line, y_line = lesson.forward_latex(neuron)
    st.latex(z_line)
    st.latex(y_line)
    m1, m2, m3 = st.columns(3)
    m1.metric("z (weighted sum + bias)", lesson.fmt(neuron.z))
    m2.metric("ŷ = g(z)", lesson.fmt_output(neuron.y_hat))
    m3.metric("side of the line", "z ≥ 0: class 1" if neuron.z >= 0 else "z < 0: class 0")
    axis, y_hat = lesson.output_grid(neuron, lesson.WEIGHT_LIMIT)
    segment = lesson.boundary_segment(neuron.w0, neuron.w1, neuron.w2, lesson.WEIGHT_LIMIT)
    line_text = f"{lesson.fmt(neuron.w0)} + {lesson.fmt_factor(neuron.w1)}·x₁ + {lesson.fmt_factor(neuron.w2)}·x₂ = 0"
    st.caption(
        f"The decision boundary is the line where z = 0: **{line_text}**. "
        "The plane is shaded by ŷ (orange: low, blue: high); the star is your input."
        if segment is not None
        else "With w₁ = w₂ = 0 there is no line: every input gets the same ŷ."
    )
    fig = plane_figure(
        axis,
        y_hat,
        lesson.shading_range(neuron.g, y_hat),
        segment,
        point=(neuron.x1, neuron.x2),
        point_label=f"ŷ = {lesson.fmt_output(neuron.y_hat)}",
        height=430,
    )
    st.plotly_chart(fig, key="pc_plane", config={"displayModeBar": False})


# -- 3. Training: the callbacks, the settings, the trainer and its buttons.


def stop(ps: PerceptronState) -> None:
    ps.run.pause()


def play(ps: PerceptronState) -> None:
    trainer = ps.current_trainer()
    if trainer.done:
        ps.run.reset(trainer)
    ps.run.play(trainer)


def step(ps: PerceptronState) -> None:
    ps.run.step(ps.current_trainer())


def reset(ps: PerceptronState) -> None:
    ps.run.reset(ps.current_trainer())


def use_trained(ps: PerceptronState) -> None:
    """The learned weights into the sliders as they are (not rounded to the slider's step of 0.1)."""
    trained = lesson.trained_neuron(ps.current_trainer().weights())
    for name in ("w0", "w1", "w2"):
        state.put(f"pc_{name}", lesson.weight_value(getattr(trained, name)))


def training_controls(ps: PerceptronState, spec: Spec) -> Spec:
    """Data set, optimizer and learning rate; returns ``spec`` with the chosen ones (not yet a perceptron's)."""
    c1, c2, c3 = st.columns(3)
    changes: dict[str, object] = {}
    if state.visible("dataset"):
        state.get("pc_dataset", lambda: spec.data.dataset)
        changes["dataset"] = c1.selectbox(
            "Data set",
            tuple(lesson.TRAIN_DATASETS),
            format_func=lesson.TRAIN_DATASETS.__getitem__,
            key="pc_dataset",
            on_change=stop,
            args=(ps,),
        )
    if state.visible("optimizer"):
        state.get("pc_optimizer", lambda: spec.train.optimizer)
        changes["optimizer"] = c2.selectbox("Optimizer", OPTIMIZERS, key="pc_optimizer")
    if state.visible("lr"):
        link_lr = min(ps.link_lr, max(LR_CHOICES))
        lr_choices = sorted({*LR_CHOICES, link_lr})  # a link's own rate stays selectable
        state.get("pc_lr", lambda: spec.train.lr if spec.train.lr in lr_choices else link_lr)
        changes["lr"] = c3.select_slider("Learning rate", lr_choices, key="pc_lr")
    return spec.replace(**changes)


def sync_trainer(ps: PerceptronState, spec: Spec) -> Trainer:
    """This user's trainer for ``spec``: built on the first visit, rebuilt (and stopped) when the data or
    the seed change, otherwise given the new training settings (optimizer, learning rate) as it stands."""
    if ps.trainer is None:
        ps.trainer = Trainer(spec, device="cpu")
    elif ps.trainer.spec.data != spec.data or ps.trainer.spec.seed != spec.seed:
        stop(ps)
        ps.trainer = Trainer(spec, device="cpu")
    elif ps.trainer.spec != spec:
        with ps.run.reading():  # the service may be training it right now
            ps.trainer.update_training(spec)
    return ps.trainer


def training_buttons(ps: PerceptronState) -> None:
    """Play (or Pause while running), Step, Reset and "Use these weights above"."""
    b1, b2, b3, b4 = st.columns(4)
    if state.visible("play") and ps.running:
        b1.button("Pause", icon=":material/pause:", key="pc_pause", on_click=stop, args=(ps,), width="stretch")
    elif state.visible("play"):
        b1.button(
            "Play",
            icon=":material/play_arrow:",
            key="pc_play",
            on_click=play,
            args=(ps,),
            type="primary",
            width="stretch",
        )
    if state.visible("step"):
        b2.button(
            "Step (1 epoch)", icon=":material/skip_next:", key="pc_step", on_click=step, args=(ps,), width="stretch"
        )
    if state.visible("reset"):
        b3.button("Reset", icon=":material/replay:", key="pc_reset", on_click=reset, args=(ps,), width="stretch")
    if state.visible("use_weights"):
        b4.button(
            "Use these weights above",
            icon=":material/north:",
            key="pc_use",
            on_click=use_trained,
            args=(ps,),
            width="stretch",
        )


def why_one_line_fails(dataset: str) -> None:
    """On xor and circle: why one line cannot do it, and a link (in this tab) to the playground that can."""
    why_not = lesson.why_one_line_fails(dataset)
    if why_not:
        st.info(why_not, icon=":material/block:")
        link = widgets.same_tab_link(XOR_PRESET, "Open the network playground that solves xor")
        st.markdown(f":material/arrow_forward: {link}", unsafe_allow_html=True)  # in this tab, not a new one


def live_training(ps: PerceptronState, spec: Spec) -> None:
    """The live view: a fragment that reruns on its own timer while running."""

    @st.fragment(run_every=live.frame_interval(FRAME_SECONDS) if ps.running else None)
    def training_view() -> None:
        """One frame: pull an epoch if running, then draw the line, the data and the curves."""
        with live.frame_turn():
            training_frame(ps, spec)

    training_view()


def training_frame(ps: PerceptronState, spec: Spec) -> None:
    trainer = ps.current_trainer()
    if ps.running and not trainer.done:
        ps.run.tick(trainer, FRAME_SECONDS)
    if ps.running and trainer.done:
        stop(ps)
        st.rerun()  # a full rerun stops this fragment's timer
    with ps.run.reading():  # one epoch's weights and history, never half of the next
        learned = lesson.trained_neuron(trainer.weights())
        history = list(trainer.history)
    last = history[-1] if history else None
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("epoch", f"{trainer.epoch} / {spec.train.epochs}")
    k2.metric("training loss", f"{last.train_loss:.4f}" if last else "–")
    k3.metric("training accuracy", f"{last.train_acc:.3f}" if last and last.train_acc is not None else "–")
    k4.metric("validation accuracy", f"{last.val_acc:.3f}" if last and last.val_acc is not None else "–")
    st.caption(
        f"Learned weights: w₀ = {lesson.fmt(learned.w0)}, w₁ = {lesson.fmt(learned.w1)}, w₂ = {lesson.fmt(learned.w2)}. "
        + (trainer.status_text() or ("Training…" if ps.running else "Paused."))
    )
    p1, p2 = st.columns([3, 2])
    axis, y_hat = lesson.output_grid(learned, TRAIN_DOMAIN, resolution=50)
    segment = lesson.boundary_segment(learned.w0, learned.w1, learned.w2, TRAIN_DOMAIN)
    points = trainer.data.x_train.cpu().numpy()
    labels = trainer.data.y_train.cpu().numpy()
    p1.plotly_chart(
        plane_figure(axis, y_hat, (0.0, 1.0), segment, points=points, labels=labels, height=420),
        key="pc_train_plane",
        config={"displayModeBar": False},
    )
    if not history:
        p2.info("Press **Play** (or **Step**) and the loss curve appears here.", icon=":material/play_arrow:")
        return
    epochs = [r.epoch for r in history]
    curves = loss_figure(epochs, [r.train_loss for r in history], [r.val_loss for r in history], height=420)
    p2.plotly_chart(curves, key="pc_loss", config={"displayModeBar": False})
