"""Small Streamlit pieces every page uses: presets, link notices, the device line.

Each page calls ``page_header(page)`` after its title: it shows the notices
from a bad link ("lr: got -1 ...; using the default instead") and the page's
presets as links.
"""

from __future__ import annotations

import streamlit as st

from playground.presets import presets_for
from playground.spec import Spec
from playground.ui import state


def show_notices(page: str) -> None:
    """One warning per link parameter that was ignored."""
    for notice in state.notices(page):
        st.warning(f"Link setting ignored: {notice}", icon=":material/link_off:")


def preset_links(page: str) -> None:
    """The page's named presets, each a link that opens the page on that moment."""
    presets = presets_for(page)
    if not presets or not state.visible("presets"):
        return
    with st.expander("Presets: moments of the lecture", icon=":material/bookmarks:"):
        for preset in presets:
            st.markdown(f"[**{preset.name}**]({preset.href()}) — {preset.description}")


def page_header(page: str, default: Spec | None = None) -> None:
    """Link notices and presets; with ``default``, the page's spec is read from the link first."""
    if default is not None:
        state.page_spec(page, default)
    show_notices(page)
    preset_links(page)
