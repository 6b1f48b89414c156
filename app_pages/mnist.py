"""8 · MNIST, end to end: the lecture's complete Keras example, trained for real in the browser.

Set up the recipe (sidebar), train it live one epoch per frame, read the test
results, try the network on a drawn digit or a test image, and keep the model
as a .safetensors file. All numbers come from ``playground.lessons.mnist`` and
the trainer; the images are loaded once per server (read-only arrays).
"""

from __future__ import annotations

import os

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from playground import mnist
from playground.datasets import Dataset
from playground.device import describe, resolve_device
from playground.lessons import mnist as mt
from playground.spec import Spec
from playground.trainer import Trainer
from playground.ui import live, state, widgets
from playground.ui.charts import mnist as charts
from playground.ui.controls import draw_controls

PAGE = "mnist"
DEFAULT = mt.default_spec()
K_TRAINER, K_RUNNING, K_RESULTS = "mnist:trainer", "mnist:running", "mnist:results"


@st.cache_resource(max_entries=2, show_spinner="Reading the images (once per server) ...")
def full_data(name: str, data_dir: str | None, download: bool) -> Dataset:
    """All 70,000 images as float tensors, shared read-only by every user (the trainer never writes to them)."""
    return mnist.to_dataset(mnist.load_arrays(name, download_missing=download, data_dir=data_dir), name, 0.0)


def data_for(spec: Spec) -> Dataset:
    """The spec's data set and split: views of the cached tensors, no copy."""
    full = full_data(spec.data.dataset, os.environ.get("PLAYGROUND_DATA_DIR"), mt.downloads_allowed())
    return mt.with_validation_split(full, spec.data.validation_split)


def trainer() -> Trainer | None:
    return state.get(K_TRAINER, lambda: None)


def start() -> None:
    tr, spec = trainer(), state.page_spec(PAGE, DEFAULT)
    if tr is None or mt.needs_new_trainer(tr.spec, spec):
        tr = Trainer(spec, data=data_for(spec))
        state.put(K_TRAINER, tr)
    elif tr.done:
        tr.reset()  # a finished run starts again from the same initial weights
    state.put(K_RUNNING, True)


def stop() -> None:
    state.put(K_RUNNING, False)
    live.release()


def reset() -> None:
    stop()
    state.pop(K_TRAINER)
    state.pop(K_RESULTS)


def upload() -> None:
    """Load an uploaded model: its spec becomes the page's, its weights a new trainer's."""
    file = state.get("upload", lambda: None)  # the uploader's value (its on_change runs after it is set)
    if file is None:
        return
    try:
        spec, weights = mt.load_for_page(file.getvalue())
        tr = Trainer(spec, data=data_for(spec))
        mt.install_weights(tr, weights)
    except (mt.ModelFileError, mnist.DataMissing, mnist.DataCorrupt) as exc:
        state.put("mnist:upload_message", f"{file.name}: {exc}")
        return
    reset()
    state.put(K_TRAINER, tr)
    state.put("mnist:upload_message", f"Loaded {file.name}: {spec.model.hidden} hidden units on {spec.data.dataset}.")
    for c in mt.CONTROLS:
        state.pop(c.name)  # the controls re-read the loaded spec
    state.put(f"spec:{PAGE}", spec)


def recipe(spec: Spec) -> Spec:
    """The sidebar: every part of the lecture's recipe, bounded for a shared server."""
    st.sidebar.header("The recipe")
    spec, errors = mt.spec_from_controls(spec, draw_controls(mt.CONTROLS, mt.control_values(spec)))
    for error in errors:
        st.sidebar.error(error, icon=":material/error:")
    return spec


# -- 1. the recipe ----------------------------------------------------------------------------------
st.title("8 · MNIST, end to end")
spec, cap_notices = mt.fit_to_page(state.page_spec(PAGE, DEFAULT))  # first: it reads the link and its notices
widgets.page_header(PAGE)
st.write(
    "The lecture ends with a complete Keras program: a dense network 784 → 128 → 64 → 10 with dropout, "
    "trained with Adam on 60,000 handwritten digits. Here it runs for real. Press **Train** and watch it learn."
)
for notice in cap_notices:
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")
spec = recipe(spec)
state.set_page_spec(PAGE, spec, DEFAULT)
try:
    data = data_for(spec)
    test_x, test_y = mt.test_set(data)
    class_names = mnist.SOURCES[spec.data.dataset].class_names
    st.caption(f"Data: {mnist.SOURCES[spec.data.dataset].credit}; 60,000 training and 10,000 test images.")
except mnist.DataMissing as exc:
    st.error(str(exc), icon=":material/folder_off:")
    st.stop()
except mnist.DataCorrupt as exc:  # files found, but damaged or of another data set
    st.error(f"The {spec.data.dataset} files found are not usable: {exc}", icon=":material/folder_off:")
    st.info(mnist.missing_message(spec.data.dataset), icon=":material/info:")
    st.stop()
tr = trainer()
if tr is not None and mt.needs_new_trainer(tr.spec, spec):
    reset()  # new data, architecture or seed: the next Train builds a new network
    tr = None
elif tr is not None and tr.spec != spec:
    tr.update_training(spec)  # lr, optimizer, dropout, batch, epochs, callbacks change live

with st.expander("The same model as code: Keras (as in the lecture) and PyTorch", icon=":material/code:"):
    try:
        from playground import export

        keras_tab, torch_tab = st.tabs(["Keras", "PyTorch"])
        keras_tab.code(export.keras_code(spec), language="python")
        torch_tab.code(export.pytorch_script(spec), language="python")
    except ImportError:  # the exporter is optional; the recipe is in the sidebar either way
        st.caption("Code export is not available in this version.")

# -- 2. training you can watch -----------------------------------------------------------------------
running = bool(state.get(K_RUNNING, bool))
done = tr is not None and tr.done
buttons = st.columns(4)
train_label = "Train again" if done else "Continue" if tr is not None and tr.epoch else "Train"
if state.visible("train"):
    buttons[0].button(
        train_label, key="train", on_click=start, disabled=running, icon=":material/play_arrow:", type="primary"
    )
if state.visible("stop"):
    buttons[1].button("Stop", key="stop", on_click=stop, disabled=not running, icon=":material/stop:")
if state.visible("reset"):
    buttons[2].button("Reset", key="reset", on_click=reset, icon=":material/restart_alt:")


@st.fragment(run_every=0.25 if running else None)
def training_view() -> None:
    tr = trainer()
    if state.get(K_RUNNING, bool) and tr is not None:
        if live.acquire():
            tr.train(epochs=1)  # one epoch per frame (~1-3 s on one CPU thread): Stop acts within an epoch
            if tr.done:
                stop()
                st.rerun()
        else:
            st.info(live.queued_message(), icon=":material/hourglass_top:")
    if tr is None:
        st.caption(f"Not trained yet. Training will run on: {describe(resolve_device('auto'))}.")
        return
    epochs = tr.spec.train.epochs
    last = tr.history[-1] if tr.history else None
    text = f"Epoch {tr.epoch} of at most {epochs}"
    if last is not None:
        text += f" · validation accuracy {100 * (last.val_acc or 0):.2f} % · lr {tr.lr:.2g}"
    st.progress(min(tr.epoch / epochs, 1.0), text=text)
    note = tr.status_text() if tr.history else "No epochs yet: these are the initial (or loaded) weights."
    if tr.history and not tr.done and not state.get(K_RUNNING, bool):
        note = "Stopped: Continue goes on from here, with everything learned so far."
    st.caption(f"Device: {describe(tr.device)} · {tr.seconds:.1f} s of training. {note}")
    if tr.history:
        h = tr.history
        figs = charts.training_figures(
            [r.epoch for r in h], [r.train_loss for r in h], [r.val_loss for r in h],
            [r.train_acc for r in h], [r.val_acc for r in h], [r.lr for r in h],
            tr.lr_drops, tr.best_epoch, tr.epoch if tr.stop_reason == "early_stopping" else None,
        )  # fmt: skip
        for col, fig, key in zip(st.columns(3), figs, ("loss", "acc", "lr"), strict=True):
            col.plotly_chart(fig, key=f"curve_{key}", width="stretch")


training_view()

# -- 3. results on the test set ----------------------------------------------------------------------
tr = trainer()
results: mt.Results | None = state.get(K_RESULTS, lambda: None)
if tr is not None and not running and (results is None or results.epoch != tr.epoch):
    results = mt.evaluate(tr)
    state.put(K_RESULTS, results)
if results is not None and not running:
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

# -- 4. try it -----------------------------------------------------------------------------------------
st.subheader("Try it")
if tr is None:
    st.info("Train the network (or load a saved model below) to try it on your own digit.", icon=":material/info:")
elif running:
    st.caption("Stop the training (or let it finish) to try the network.")
else:
    draw_col, pick_col = st.columns(2)
    with draw_col:
        st.markdown("**Draw a digit** (white on black, like MNIST)")
        st.write("")  # room for the canvas's toolbar
        canvas = None if not state.visible("canvas") else st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", width=280, height=280,
                           drawing_mode="freedraw", return_image_data=True, key="canvas")  # fmt: skip
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

# -- 5. keep it ----------------------------------------------------------------------------------------
st.subheader("Keep it")
keep = st.columns(2)
if tr is not None and not running and state.visible("download"):
    keep[0].download_button("Download the model (.safetensors)", mt.save_model(tr.model, tr.spec), key="download",
                            file_name=f"{tr.spec.data.dataset}-{'-'.join(map(str, tr.spec.model.hidden))}.safetensors",
                            mime="application/octet-stream", icon=":material/download:")  # fmt: skip
if state.visible("upload"):
    keep[1].file_uploader("Load a saved model", type=["safetensors"], key="upload", on_change=upload)
message = state.get("mnist:upload_message", lambda: "")
if message:
    (keep[1].success if message.startswith("Loaded") else keep[1].error)(message)
