"""Deep Learning Playground: the Streamlit entry point (``streamlit run app.py``).

Declares the pages with ``st.navigation`` in the lecture's order; the home page
draws the lecture map. All computation is in the ``playground`` engine. Page
paths are absolute so that another entry point (``cloud/streamlit_app.py``)
can run this file unchanged.
"""

import streamlit as st

from playground.ui.pages import PAGES, ROOT

st.set_page_config(page_title="Deep Learning Playground", page_icon=":material/neurology:", layout="wide")

home = st.Page(ROOT / "app_pages" / "home.py", title="Home: the lecture map", icon=":material/school:", default=True)
lessons = [st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path) for p in PAGES]
st.navigation({"Start": [home], "The lecture": lessons}).run()
