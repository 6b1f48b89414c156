"""Placeholder for the losses page (being built)."""

import streamlit as st

st.title("losses")
st.info("This page is being built.")
