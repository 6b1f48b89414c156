"""One module per lesson page, named after it: the numbers each page shows (no Streamlit, no Plotly)."""
