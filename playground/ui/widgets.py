"""Small Streamlit pieces every page uses: presets, link notices, the device line.

Each page calls ``page_header(page)`` after its title: it shows the notices
from a bad link ("lr: got -1 ...; using the default instead") and the page's
presets as links.

Links to a page with settings are HTML anchors with ``target="_self"``:
Streamlit opens a Markdown link in a new tab (and a new session), so a teacher
clicking presets piled up tabs. In the same tab the browser loads the address
and the page reads its settings from it, as from any shared link.
"""

from __future__ import annotations

import html

import streamlit as st

from playground.presets import Preset, presets_for
from playground.spec import Spec
from playground.ui import state


def show_notices(page: str) -> None:
    """One warning per link parameter that was ignored."""
    for notice in state.notices(page):
        st.warning(f"Link setting ignored: {notice}", icon=":material/link_off:")


def same_tab_link(href: str, text: str, bold: bool = False) -> str:
    """An HTML anchor to ``href`` that opens in this tab; draw it with ``st.markdown(..., unsafe_allow_html=True)``.

    The address and the text are escaped here, so neither can inject markup.
    """
    label = html.escape(text, quote=False)
    if bold:
        label = f"<strong>{label}</strong>"
    return f'<a href="{html.escape(href, quote=True)}" target="_self">{label}</a>'


def preset_href(preset: Preset) -> str:
    """The preset's address; in classroom mode the hidden controls stay hidden on the page it opens."""
    return preset.href(hide=sorted(state.hidden_controls()))


def preset_links(page: str) -> None:
    """The page's named presets, each a link that opens the page on that moment (in this tab)."""
    presets = presets_for(page)
    if not presets or not state.visible("presets"):
        return
    with st.expander("Presets: moments of the lecture", icon=":material/bookmarks:"):
        for preset in presets:
            link = same_tab_link(preset_href(preset), preset.name, bold=True)
            st.markdown(f"{link} — {html.escape(preset.description, quote=False)}", unsafe_allow_html=True)


def page_header(page: str, default: Spec | None = None) -> None:
    """Link notices and presets; with ``default``, the page's spec is read from the link first."""
    if default is not None:
        state.page_spec(page, default)
    show_notices(page)
    preset_links(page)
