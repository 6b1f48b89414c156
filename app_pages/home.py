"""Home page: the lecture map, the device in use, how to use the app in class, and a classroom-link maker."""

import streamlit as st

from playground.device import describe, resolve_device
from playground.presets import presets_for
from playground.ui import widgets
from playground.ui.classroom import HIDEABLE, classroom_link
from playground.ui.pages import PAGES

st.title("Deep Learning Playground")
st.write(
    "Build a neural network and watch it learn. The pages follow the lecture "
    "*deep learning fundamentals*, from one perceptron to a network that reads handwriting."
)
st.caption(f":material/memory: Computing on: **{describe(resolve_device('auto'))}**")

st.subheader("The lecture map")
# The lecture's first half down the left column, its second half down the right: each column reads
# in order, and so does the page when a narrow screen stacks the columns.
half = (len(PAGES) + 1) // 2
for column, infos in zip(st.columns(2), (PAGES[:half], PAGES[half:]), strict=True):
    for info in infos:
        with column.container(border=True):
            st.page_link(info.file, label=info.title, icon=info.icon)
            st.caption(info.summary)
            moments = presets_for(info.url_path)
            if moments:
                links = (widgets.same_tab_link(widgets.preset_href(p), p.name) for p in moments)
                st.markdown(" · ".join(links), unsafe_allow_html=True)  # presets open in this tab

st.subheader("How to use this in class")
st.markdown(
    """
1. **Follow the map.** Each page is one step of the lecture; the links under it open the page on a
   moment of the lecture (a *preset*), ready to project.
2. **Share a link.** Every page keeps its settings in the address bar: what you see is what your
   students get when you send them the link. A bad value in a link falls back to its default with a notice.
3. **Classroom mode.** Hide the controls a lesson does not need, so students focus on the one that matters.
   Make such a link below.
4. **Many students, one server.** Each student's network lives in their own browser session; the
   server trains the whole class's networks together, up to 100 at once (past that a student is told
   they are queued). A closed tab stops training and keeps what was learned.
"""
)

st.subheader("Make a classroom link")
page_titles = {info.url_path: info.title for info in PAGES}
left, right = st.columns(2)
chosen_page = left.selectbox("Page", list(page_titles), format_func=page_titles.__getitem__, key="classroom_page")
presets = presets_for(chosen_page)
preset_names = ["(page defaults)"] + [p.name for p in presets]
chosen_preset = right.selectbox("Open on", preset_names, key="classroom_preset")
hidden = st.multiselect("Hide these controls", list(HIDEABLE), format_func=HIDEABLE.__getitem__, key="classroom_hide")
preset = next((p for p in presets if p.name == chosen_preset), None)
link = classroom_link(chosen_page, preset, hidden)
st.code(link, language=None)
st.caption("Append this to the app's address (for example https://your-app.streamlit.app) and share it.")

st.divider()
st.caption(
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges. Fashion-MNIST by Han Xiao, "
    "Kashif Rasul and Roland Vollgraf (Zalando Research). 2-D data sets after TensorFlow Playground."
)
