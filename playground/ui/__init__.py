"""The Streamlit side: session state and URL (``state``), and pure Plotly chart builders (``charts``)."""
