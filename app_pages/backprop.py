"""Placeholder for the backprop page (being built)."""

import streamlit as st

st.title("backprop")
st.info("This page is being built.")
