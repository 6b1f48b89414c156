"""Home page: the lecture map, the device in use, and how to use the app in class."""

import streamlit as st

from playground.device import describe, resolve_device
from playground.ui.pages import PAGES

st.title("Deep Learning Playground")
st.write(
    "Build a neural network and watch it learn. The pages follow the lecture "
    "*deep learning fundamentals*, from one perceptron to a network that reads handwriting."
)
st.subheader("The lecture map")
for info in PAGES:
    st.page_link(info.path, label=info.title, icon=info.icon)
    st.caption(info.summary)
st.caption(f"Computing on: {describe(resolve_device('auto'))}")
