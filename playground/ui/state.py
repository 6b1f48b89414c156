"""Per-user state: the only module that touches ``st.session_state`` and ``st.query_params``.

Everything per user lives in ``st.session_state`` (never at module level nor in
``st.cache_resource``, which every user of the server shares). Each page keeps
its own spec under ``spec:<page>``; the URL mirrors it so a link reopens the
same setup. Streamlit clears the query string when the user switches page, so
session state is the source of truth and each page writes its spec back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import streamlit as st

from playground.spec import Spec, from_query_lenient

T = TypeVar("T")

#: URL key that lists controls hidden in classroom mode (comma-separated names).
HIDE_KEY = "hide"


def get(key: str, factory: Callable[[], T]) -> T:
    """``st.session_state[key]``, created by ``factory()`` on first use."""
    if key not in st.session_state:
        st.session_state[key] = factory()
    value: T = st.session_state[key]
    return value


def page_state(page: str, kind: Callable[[], T]) -> T:
    """This user's state of ``page``: one small dataclass (``kind``) under the one key ``state:<page>``.

    Widgets keep their own keys (Streamlit needs them); everything else a page remembers
    (its trainer, whether it is running, its kept runs) is a field of this object, created
    on the first visit and passed to the page's views.
    """
    return get(f"state:{page}", kind)


def peek(key: str, default: Any = None) -> Any:
    """``st.session_state[key]`` if set (a widget's value, say), else ``default``; creates nothing."""
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def pop(key: str) -> None:
    st.session_state.pop(key, None)


def query_params() -> dict[str, str]:
    """The current URL's parameters as plain strings (the last of repeated keys)."""
    return {k: st.query_params.get(k, "") for k in st.query_params}


def page_spec(page: str, default: Spec) -> Spec:
    """This user's spec for ``page``; read from the URL on the first visit.

    A bad value in the link falls back to its default; the notices are kept
    under ``notices:<page>`` for ``show_notices``.
    """
    key = f"spec:{page}"
    if key not in st.session_state:
        spec, notices = from_query_lenient(query_params(), default)
        st.session_state[key] = spec
        st.session_state[f"notices:{page}"] = notices
    spec_value: Spec = st.session_state[key]
    return spec_value


def set_page_spec(page: str, spec: Spec, default: Spec, extra: dict[str, str] | None = None) -> None:
    """Store the page's spec and write it to the URL (only what differs from the default)."""
    st.session_state[f"spec:{page}"] = spec
    write_url(spec, default, extra)


def write_url(spec: Spec, default: Spec, extra: dict[str, str] | None = None) -> None:
    mine = spec.to_query()
    base = default.to_query()
    params = {k: v for k, v in mine.items() if base.get(k) != v}
    hidden = query_params().get(HIDE_KEY)
    if hidden:
        params[HIDE_KEY] = hidden
    params.update(extra or {})
    current = query_params()
    if current != params:
        st.query_params.from_dict(params)


def notices(page: str) -> list[str]:
    found: list[str] = st.session_state.get(f"notices:{page}", [])
    return found


def hidden_controls() -> set[str]:
    """Classroom mode: control names hidden by the link's ``hide=`` parameter."""
    key = "classroom:hidden"
    raw = query_params().get(HIDE_KEY)
    if raw is not None:
        st.session_state[key] = {part.strip().replace("-", "_") for part in raw.split(",") if part.strip()}
    found: set[str] = st.session_state.get(key, set())
    return found


def visible(name: str, hidden: Iterable[str] | None = None) -> bool:
    """Whether a control is shown (not hidden by classroom mode)."""
    hidden_set = set(hidden) if hidden is not None else hidden_controls()
    return name not in hidden_set
