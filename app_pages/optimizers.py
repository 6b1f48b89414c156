"""Placeholder for the optimizers page (being built)."""

import streamlit as st

st.title("optimizers")
st.info("This page is being built.")
