"""Placeholder for the perceptron page (being built)."""

import streamlit as st

st.title("perceptron")
st.info("This page is being built.")
