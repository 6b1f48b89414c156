"""8 · MNIST, end to end: the lecture's complete Keras example, trained for real in the browser.

Set up the recipe (sidebar), train it live one epoch per frame, read the test
results, try the network on a drawn digit or a test image, and keep the model
as a .safetensors file. All numbers come from ``playground.lessons.mnist`` and
the trainer; the drawing pieces and the page's state (``MnistState``) are in
``playground.ui.mnist_views``. The images are loaded once per server (read-only arrays).
"""

from __future__ import annotations

import os

import streamlit as st

from playground import mnist
from playground.datasets import Dataset
from playground.lessons import mnist as mt
from playground.spec import Spec
from playground.ui import live, state, widgets
from playground.ui import mnist_views as views


@st.cache_resource(max_entries=2, show_spinner="Reading the images (once per server) ...")
def full_data(name: str, data_dir: str | None, download: bool) -> Dataset:
    """All 70,000 images as float tensors, shared read-only by every user (the trainer never writes to them)."""
    return mnist.to_dataset(mnist.load_arrays(name, download_missing=download, data_dir=data_dir), name, 0.0)


def data_for(spec: Spec) -> Dataset:
    """The spec's data set and split: views of the cached tensors, no copy."""
    full = full_data(spec.data.dataset, os.environ.get("PLAYGROUND_DATA_DIR"), mt.downloads_allowed())
    return mt.with_validation_split(full, spec.data.validation_split)


# -- 1. the recipe ----------------------------------------------------------------------------------
st.title("8 · MNIST, end to end")
ps = state.page_state(mt.PAGE, views.MnistState)
spec, cap_notices = mt.fit_to_page(state.page_spec(mt.PAGE, mt.DEFAULT_SPEC))  # first: it reads the link's notices
widgets.page_header(mt.PAGE)
st.write(
    "The lecture ends with a complete Keras program: a dense network 784 → 128 → 64 → 10 with dropout, "
    "trained with Adam on 60,000 handwritten digits. Here it runs for real. Press **Train** and watch it learn."
)
for notice in cap_notices:
    st.warning(f"Link setting changed: {notice}", icon=":material/link_off:")
spec = views.recipe(spec)
state.set_page_spec(mt.PAGE, spec, mt.DEFAULT_SPEC)
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
views.follow_spec(ps, spec)  # a new architecture drops the trainer; the training settings change it live
views.code_export(spec)

# -- 2. training you can watch -----------------------------------------------------------------------
views.buttons(ps, data_for)
st.fragment(views.training_view, run_every=live.frame_interval(views.FRAME_SECONDS) if ps.running else None)(ps)

# -- 3. results on the test set ----------------------------------------------------------------------
results = views.update_results(ps)
if results is not None:
    views.results_section(results, test_x, class_names)

# -- 4. try it ---------------------------------------------------------------------------------------
views.try_it(ps, test_x, test_y, class_names)

# -- 5. keep it --------------------------------------------------------------------------------------
views.keep_it(ps, data_for)
