"""The MNIST page's Streamlit pieces: its per-user state, the buttons, the live training view and the sections.

``MnistState`` is everything the page remembers for one user besides its widgets'
values and its spec (``state.page_spec``): the trainer, whether it trains, the
test results of its weights, the last upload's message. The page obtains it once
(``state.page_state``) and hands it to the functions here, which draw with ``st.``.

The images are cached once per server by the page (read-only tensors); the
functions that build a trainer take the page's ``data_for`` to reach them. The
numbers come from ``playground.lessons.mnist`` and ``mnist_model_file``, the
figures from the pure builders in ``charts.mnist``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from playground import mnist
from playground.datasets import Dataset
from playground.device import describe, resolve_device
from playground.lessons import mnist as mt
from playground.lessons import mnist_model_file as mf
from playground.spec import Spec
from playground.trainer import Trainer
from playground.ui import live, state
from playground.ui.charts import mnist as charts
from playground.ui.controls import draw_controls

#: The page's data for a spec: views of the images it caches once per server.
DataFor = Callable[[Spec], Dataset]
#: Seconds between live frames on a quiet server (``live.frame_interval`` stretches it when busy).
#: The server's training service trains in the background, a slice of an epoch at a time.
FRAME_SECONDS = 0.25


@dataclass
class MnistState:
    """What the MNIST page remembers for one user (besides its widgets' values and its spec)."""

    #: The network in training, or loaded from a file; None until Train (or after Reset, or a new architecture).
    trainer: Trainer | None = None
    #: The live training: Train on or off, and this session's slot in the server's training service.
    run: live.LiveRun = field(default_factory=live.LiveRun)
    #: The test results of the trainer's weights at ``results.epoch``; evaluated again when the epoch moves.
    results: mt.Results | None = None
    #: What the last upload did: "Loaded ..." or why the file was refused ("" before any upload).
    upload_message: str = ""

    @property
    def running(self) -> bool:
        """Whether Train is on (the service trains this session's network)."""
        return self.run.running


# -- the recipe and the trainer ---------------------------------------------------------------------


def recipe(spec: Spec) -> Spec:
    """The sidebar: every part of the lecture's recipe, bounded for a shared server."""
    st.sidebar.header("The recipe")
    spec, errors = mt.spec_from_controls(spec, draw_controls(mt.CONTROLS, mt.control_values(spec)))
    for error in errors:
        st.sidebar.error(error, icon=":material/error:")
    return spec


def follow_spec(ps: MnistState, spec: Spec) -> None:
    """Bring the trainer to ``spec``: new data, architecture or seed drop it (the next Train builds a new network);
    the learning rate, optimizer, dropout, batch, epochs and callbacks change it live."""
    tr = ps.trainer
    if tr is not None and mt.needs_new_trainer(tr.spec, spec):
        reset(ps)
    elif tr is not None and tr.spec != spec:
        with ps.run.reading():  # the service may be training it right now
            tr.update_training(spec)


def start_training(ps: MnistState, data_for: DataFor) -> None:
    """Train: a new trainer for a new network, again from the same initial weights after the end, else go on."""
    tr, spec = ps.trainer, state.page_spec(mt.PAGE, mt.DEFAULT_SPEC)
    if tr is None or mt.needs_new_trainer(tr.spec, spec):
        ps.run.pause()
        tr = ps.trainer = Trainer(spec, data=data_for(spec))
    elif tr.done:
        ps.run.reset(tr)  # a finished run starts again from the same initial weights
    ps.run.play(tr)


def stop(ps: MnistState) -> None:
    ps.run.pause()


def reset(ps: MnistState) -> None:
    stop(ps)
    ps.trainer = None
    ps.results = None


def code_export(spec: Spec) -> None:
    """The same model as Keras and PyTorch code, in an expander."""
    with st.expander("The same model as code: Keras (as in the lecture) and PyTorch", icon=":material/code:"):
        try:
            from playground import export

            keras_tab, torch_tab = st.tabs(["Keras", "PyTorch"])
            keras_tab.code(export.keras_code(spec), language="python")
            torch_tab.code(export.pytorch_script(spec), language="python")
        except ImportError:  # the exporter is optional; the recipe is in the sidebar either way
            st.caption("Code export is not available in this version.")


# -- training you can watch ---------------------------------------------------------------------------


def buttons(ps: MnistState, data_for: DataFor) -> None:
    """Train (or Continue, or Train again), Stop and Reset, each unless classroom mode hides it."""
    tr = ps.trainer
    done = tr is not None and tr.done
    train_label = "Train again" if done else "Continue" if tr is not None and tr.epoch else "Train"
    cols = st.columns(4)
    if state.visible("train"):
        cols[0].button(train_label, key="train", on_click=start_training, args=(ps, data_for), disabled=ps.running,
                       icon=":material/play_arrow:", type="primary")  # fmt: skip
    if state.visible("stop"):
        cols[1].button("Stop", key="stop", on_click=stop, args=(ps,), disabled=not ps.running, icon=":material/stop:")
    if state.visible("reset"):
        cols[2].button("Reset", key="reset", on_click=reset, args=(ps,), icon=":material/restart_alt:")


def training_view(ps: MnistState) -> None:
    """The body of the live fragment: the progress and the curves of what the service has trained so far."""
    with live.frame_turn():
        _training_frame(ps)


def _training_frame(ps: MnistState) -> None:
    tr = ps.trainer
    if ps.running and tr is not None:
        ps.run.tick(tr, FRAME_SECONDS)
        if tr.done:
            stop(ps)
            st.rerun()
    if tr is None:
        st.caption(f"Not trained yet. Training will run on: {describe(resolve_device('auto'))}.")
        return
    epochs = tr.spec.train.epochs
    with ps.run.reading():  # one epoch's numbers, never half of the next
        history, partial = list(tr.history), tr.partial
        within = 0.0 if partial is None else partial.next_start / len(tr.x_train)
    last = history[-1] if history else None
    text = f"Epoch {tr.epoch} of at most {epochs}"
    if last is not None:
        text += f" · validation accuracy {100 * (last.val_acc or 0):.2f} % · lr {tr.lr:.2g}"
    st.progress(min((tr.epoch + within) / epochs, 1.0), text=text)
    note = tr.status_text() if tr.history else "No epochs yet: these are the initial (or loaded) weights."
    if tr.history and not tr.done and not ps.running:
        note = "Stopped: Continue goes on from here, with everything learned so far."
    st.caption(f"Device: {describe(tr.device)} · {tr.seconds:.1f} s of training. {note}")
    if history:
        h = history
        figs = charts.training_figures(
            [r.epoch for r in h], [r.train_loss for r in h], [r.val_loss for r in h],
            [r.train_acc for r in h], [r.val_acc for r in h], [r.lr for r in h],
            tr.lr_drops, tr.best_epoch, tr.epoch if tr.stop_reason == "early_stopping" else None,
        )  # fmt: skip
        for col, fig, key in zip(st.columns(3), figs, ("loss", "acc", "lr"), strict=True):
            col.plotly_chart(fig, key=f"curve_{key}", width="stretch")


# -- results on the test set ----------------------------------------------------------------------------


def update_results(ps: MnistState) -> mt.Results | None:
    """The test results of the trainer's weights, evaluated again when its epoch moved; None while training."""
    if ps.running:
        return None
    tr = ps.trainer
    if tr is not None and (ps.results is None or ps.results.epoch != tr.epoch):
        ps.results = mt.evaluate(tr)
    return ps.results


def results_section(results: mt.Results, test_x: np.ndarray, class_names: tuple[str, ...]) -> None:
    """Test accuracy, loss and mistakes, then the confusion matrix, per-class accuracy, mistakes, first layer."""
    st.subheader("Results on the 10,000 test images")
    m = st.columns(3)
    m[0].metric("Test accuracy", f"{100 * results.test_acc:.2f} %")
    m[1].metric("Test loss", f"{results.test_loss:.4f}")
    m[2].metric("Mistakes", f"{int((results.predicted != results.labels).sum())}")
    t_cm, t_cls, t_wrong, t_w = st.tabs(["Confusion matrix", "Per class", "Mistakes", "First layer"])
    t_cm.plotly_chart(charts.confusion_figure(results.confusion, class_names), key="confusion", width="stretch")
    t_cls.plotly_chart(charts.per_class_figure(results.per_class_acc, class_names), key="per_class", width="stretch")
    wrong = mt.misclassified(results, 24)
    t_wrong.caption(
        "Test digits the network got wrong, the most confident first: true → predicted, and the probability of each."
    )
    gallery = charts.mistakes_figure(
        test_x[wrong], results.labels[wrong], results.predicted[wrong], results.probs[wrong], class_names
    )
    t_wrong.plotly_chart(gallery, key="wrong")
    t_w.caption("Each tile is one first-layer neuron's 784 weights: blue pixels push it up, orange pixels down.")
    t_w.plotly_chart(charts.weights_figure(results.first_layer), key="weights", width="stretch")


# -- try it -------------------------------------------------------------------------------------------------


def try_it(ps: MnistState, test_x: np.ndarray, test_y: np.ndarray, class_names: tuple[str, ...]) -> None:
    """A digit drawn on the canvas, or a test image picked by number, and the network's probabilities for it."""
    st.subheader("Try it")
    tr = ps.trainer
    if tr is None:
        st.info("Train the network (or load a saved model below) to try it on your own digit.", icon=":material/info:")
        return
    if ps.running:
        st.caption("Stop the training (or let it finish) to try the network.")
        return
    draw_col, pick_col = st.columns(2)
    with draw_col:
        st.markdown("**Draw a digit** (white on black, like MNIST)")
        st.write("")  # room for the canvas's toolbar
        canvas = None
        if state.visible("canvas"):
            # Imported here: the component registers itself on import, which works only inside a Streamlit run.
            from streamlit_drawable_canvas import st_canvas

            canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", width=280,
                               height=280, drawing_mode="freedraw", return_image_data=True, key="canvas")  # fmt: skip
        raw = canvas.image_data if canvas is not None else None
        digit = mt.preprocess_digit(raw) if raw is not None else None
        if digit is None:
            st.caption("Draw with the mouse; the probabilities appear here.")
        else:
            probs = mt.predict_images(tr, digit)[0]
            st.plotly_chart(charts.digit_figure(digit, "What the network sees (28×28)", 200), key="drawn_digit")
            st.plotly_chart(charts.probability_figure(probs, class_names), key="drawn_probs", width="stretch")
    with pick_col:
        st.markdown("**Or pick a test image**")
        index = int(st.number_input("Test image number", 0, len(test_x) - 1, 0, key="test_index"))
        image = test_x[index]
        label = int(test_y[index])
        probs = mt.predict_images(tr, image)[0]
        st.plotly_chart(charts.digit_figure(image, f"Test image {index}: {class_names[label]}", 200), key="test_digit")
        st.plotly_chart(charts.probability_figure(probs, class_names, label), key="test_probs", width="stretch")


# -- keep it ------------------------------------------------------------------------------------------------


def load_upload(ps: MnistState, data_for: DataFor) -> None:
    """The uploader's callback: its file's spec becomes the page's, its weights a new trainer's.

    A file the page cannot use leaves everything as it was and says why.
    """
    file = state.peek("upload")  # the uploader's value (its on_change runs after it is set)
    if file is None:
        return
    try:
        spec, weights = mf.load_for_page(file.getvalue())
        tr = Trainer(spec, data=data_for(spec))
        mf.install_weights(tr, weights)
    except (mf.ModelFileError, mnist.DataMissing, mnist.DataCorrupt) as exc:
        ps.upload_message = f"{file.name}: {exc}"
        return
    reset(ps)
    ps.trainer = tr
    ps.upload_message = f"Loaded {file.name}: {spec.model.hidden} hidden units on {spec.data.dataset}."
    for c in mt.CONTROLS:
        state.pop(c.name)  # the controls re-read the loaded spec
    state.set_page_spec(mt.PAGE, spec, mt.DEFAULT_SPEC)


def keep_it(ps: MnistState, data_for: DataFor) -> None:
    """Download the trained model as a .safetensors file, or load one saved before."""
    st.subheader("Keep it")
    keep = st.columns(2)
    tr = ps.trainer
    if tr is not None and not ps.running and state.visible("download"):
        keep[0].download_button("Download the model (.safetensors)", mf.save_model(tr.model, tr.spec), key="download",
                                file_name=f"{tr.spec.data.dataset}-{'-'.join(map(str, tr.spec.model.hidden))}.safetensors",
                                mime="application/octet-stream", icon=":material/download:")  # fmt: skip
    if state.visible("upload"):
        keep[1].file_uploader("Load a saved model", type=["safetensors"], key="upload", on_change=load_upload,
                              args=(ps, data_for))  # fmt: skip
    if ps.upload_message:
        if ps.upload_message.startswith("Loaded"):
            keep[1].success(ps.upload_message)
        else:
            keep[1].error(ps.upload_message)
