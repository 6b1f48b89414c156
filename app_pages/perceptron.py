"""The Perceptron page: one neuron to touch, then train, then watch it fail on xor.

1. Inputs, weights and activation (defaults: the lecture's "will I pass this class?").
2. The forward pass with the numbers, and the input plane with the boundary line.
3. Training a perceptron live (Play / Pause / Step / Reset) on a 2-D data set.
4. The code: the lecture's Keras and the same in PyTorch, with the current weights.
"""

import functools

import streamlit as st

from playground.lessons import activations
from playground.lessons import perceptron as lesson
from playground.spec import OPTIMIZERS
from playground.trainer import Trainer
from playground.ui import live, state, widgets
from playground.ui.charts.perceptron import loss_figure, plane_figure

PAGE = "perceptron"
DEFAULT = lesson.default_training_spec()
XOR_PRESET = "/playground?dataset=xor&hidden=4&activation=tanh&lr=0.03"
FRAME_SECONDS = 0.2  # one live frame (one or a few epochs) every 0.2 s
TRAIN_DOMAIN = 6.0  # the data sets live in [-6, 6]²
LR_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, lesson.MAX_LR)
#: Slider read-out: 4 significant digits, so a learned -0.0156 shows as -0.0156 (not "-0.0"), 3.5 as 3.5.
SLIDER_FORMAT = "%.4g"


def _first_visit() -> tuple[lesson.Neuron, list[str]]:
    """The neuron and training spec a link asks for, with a notice per bad parameter."""
    neuron, notices = lesson.parse_neuron(state.query_params())
    spec, more = lesson.link_spec(state.query_params(), DEFAULT)  # its notices name this page's data sets only
    state.set_page_spec(PAGE, spec, DEFAULT)
    return neuron, notices + more


link_neuron, link_notices = state.get("perceptron:link", _first_visit)
link_lr = min(state.get("perceptron:link_lr", lambda: state.page_spec(PAGE, DEFAULT).train.lr), max(LR_CHOICES))
neuron: lesson.Neuron = state.get("perceptron:neuron", lambda: link_neuron)
spec = state.page_spec(PAGE, DEFAULT)

st.title("1 · The perceptron")
widgets.page_header(PAGE)
for notice in link_notices:
    st.warning(f"Link setting ignored: {notice}", icon=":material/link_off:")
st.markdown(
    "A perceptron multiplies each input by a weight, adds a bias $w_0$ and passes the sum through a "
    "non-linear **activation** $g$. The lecture's example: *will I pass this class?* from "
    "$x_1$ = lectures attended and $x_2$ = hours spent procrastinating."
)

# -- 1. Controls: each widget's value starts from this user's neuron (kept across pages).
left, right = st.columns([1, 2], gap="large")
with left:
    st.subheader("Inputs and weights")
    labels = {
        "x1": "x₁ · lectures attended",
        "x2": "x₂ · hours procrastinated",
        "w0": "w₀ · bias",
        "w1": "w₁ · weight of x₁",
        "w2": "w₂ · weight of x₂",
    }
    values: dict[str, float] = {}
    for name, label in labels.items():
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
    neuron = lesson.Neuron(g=g, **values)
    state.put("perceptron:neuron", neuron)

# -- 2. The forward pass with the numbers, and the plane.
with right:
    st.subheader("Forward pass")
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

# -- 3. Training: the shared trainer with no hidden layer (sigmoid output, cross-entropy).
st.divider()
st.subheader("Train the perceptron")
st.markdown(
    "Gradient descent moves the weights to lower the binary cross-entropy; watch the line move epoch by epoch. "
    "Training always uses the sigmoid output, as the lecture's `Dense(units=1, activation='sigmoid')`."
)


def _stop() -> None:
    state.put("perceptron:running", False)
    live.release()


def _trainer() -> Trainer:
    return state.get("perceptron:trainer", lambda: Trainer(spec, device="cpu"))


def _play() -> None:
    if _trainer().done:
        _trainer().reset()
    state.put("perceptron:running", True)


def _step() -> None:
    _stop()
    _trainer().train(epochs=1)


def _reset() -> None:
    _stop()
    _trainer().reset()


def _use_trained() -> None:
    """The learned weights into the sliders as they are (not rounded to the slider's step of 0.1)."""
    trained = lesson.trained_neuron(_trainer().weights())
    for name in ("w0", "w1", "w2"):
        state.put(f"pc_{name}", lesson.weight_value(getattr(trained, name)))


c1, c2, c3 = st.columns(3)
changes: dict[str, object] = {}
if state.visible("dataset"):
    state.get("pc_dataset", lambda: spec.data.dataset)
    changes["dataset"] = c1.selectbox(
        "Data set",
        tuple(lesson.TRAIN_DATASETS),
        format_func=lesson.TRAIN_DATASETS.__getitem__,
        key="pc_dataset",
        on_change=_stop,
    )
if state.visible("optimizer"):
    state.get("pc_optimizer", lambda: spec.train.optimizer)
    changes["optimizer"] = c2.selectbox("Optimizer", OPTIMIZERS, key="pc_optimizer")
if state.visible("lr"):
    lr_choices = sorted({*LR_CHOICES, link_lr})  # a link's own rate stays selectable
    state.get("pc_lr", lambda: spec.train.lr if spec.train.lr in lr_choices else link_lr)
    changes["lr"] = c3.select_slider("Learning rate", lr_choices, key="pc_lr")
spec, _ = lesson.perceptron_spec(spec.replace(**changes))
state.set_page_spec(PAGE, spec, DEFAULT, extra=neuron.params())

trainer = _trainer()
if trainer.spec.data != spec.data or trainer.spec.seed != spec.seed:
    _stop()
    trainer = Trainer(spec, device="cpu")
    state.put("perceptron:trainer", trainer)
elif trainer.spec != spec:
    trainer.update_training(spec)

running = bool(state.get("perceptron:running", lambda: False))
b1, b2, b3, b4 = st.columns(4)
if state.visible("play") and running:
    b1.button("Pause", icon=":material/pause:", key="pc_pause", on_click=_stop, width="stretch")
elif state.visible("play"):
    b1.button("Play", icon=":material/play_arrow:", key="pc_play", on_click=_play, type="primary", width="stretch")
if state.visible("step"):
    b2.button("Step (1 epoch)", icon=":material/skip_next:", key="pc_step", on_click=_step, width="stretch")
if state.visible("reset"):
    b3.button("Reset", icon=":material/replay:", key="pc_reset", on_click=_reset, width="stretch")
if state.visible("use_weights"):
    b4.button("Use these weights above", icon=":material/north:", key="pc_use", on_click=_use_trained, width="stretch")

why_not = lesson.why_one_line_fails(spec.data.dataset)
if why_not:
    st.info(why_not, icon=":material/block:")
    link = widgets.same_tab_link(XOR_PRESET, "Open the network playground that solves xor")
    st.markdown(f":material/arrow_forward: {link}", unsafe_allow_html=True)  # in this tab, not a new one


@st.fragment(run_every=live.frame_interval(FRAME_SECONDS) if running else None)
def training_view() -> None:
    """One frame: pull an epoch if running, then draw the line, the data and the curves."""
    with live.frame_turn():
        training_frame()


def training_frame() -> None:
    trainer = _trainer()
    if state.get("perceptron:running", lambda: False) and not trainer.done:
        if live.acquire():
            live.keep_pace(FRAME_SECONDS)
            trainer.train(epochs=1, max_seconds=live.train_seconds(FRAME_SECONDS))
        else:
            st.info(live.queued_message(), icon=":material/hourglass_top:")
    if state.get("perceptron:running", lambda: False) and trainer.done:
        _stop()
        st.rerun()  # a full rerun stops this fragment's timer
    learned = lesson.trained_neuron(trainer.weights())
    history = trainer.history
    last = history[-1] if history else None
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("epoch", f"{trainer.epoch} / {spec.train.epochs}")
    k2.metric("training loss", f"{last.train_loss:.4f}" if last else "–")
    k3.metric("training accuracy", f"{last.train_acc:.3f}" if last and last.train_acc is not None else "–")
    k4.metric("validation accuracy", f"{last.val_acc:.3f}" if last and last.val_acc is not None else "–")
    st.caption(
        f"Learned weights: w₀ = {lesson.fmt(learned.w0)}, w₁ = {lesson.fmt(learned.w1)}, w₂ = {lesson.fmt(learned.w2)}. "
        + (trainer.status_text() or ("Training…" if state.get("perceptron:running", lambda: False) else "Paused."))
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


training_view()

# -- 4. The code, with the current weights.
with st.expander("Show the code", icon=":material/code:"):
    keras_tab, torch_tab = st.tabs(["Keras (the lecture)", "PyTorch"])
    keras_tab.code(lesson.keras_code(neuron), language="python")
    torch_tab.code(lesson.pytorch_code(neuron), language="python")
