"""One fit_to_page for every page: whatever a link holds, the spec ends inside the page's bounds, once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.bounds import PageBounds, fit_to_page
from playground.lessons import mnist as mt
from playground.lessons import network
from playground.lessons import overfitting as of
from playground.spec import Spec, from_query_lenient

PAGES = {"network": network.BOUNDS, "overfitting": of.BOUNDS, "mnist": mt.BOUNDS}
LINKS = st.dictionaries(
    st.sampled_from(["dataset", "samples", "epochs", "hidden", "batch-size", "problem", "dropout", "validation-split"]),
    st.one_of(
        st.text(max_size=10),
        st.integers(-5, 50_000).map(str),
        st.sampled_from(["mnist", "spiral", "xor", "1024,1024,8,8,8,8,8", "0.7", "multiclass"]),
    ),
    max_size=5,
)


def inside(spec: Spec, b: PageBounds) -> bool:
    flat = spec.to_dict()
    return (
        spec.data.dataset in b.datasets
        and (b.problems is None or spec.model.problem in b.problems)
        and (b.max_layers is None or len(spec.model.hidden) <= b.max_layers)
        and (b.max_width is None or max(spec.model.hidden, default=0) <= b.max_width)
        and all(lo <= flat[name] <= hi for name, (lo, hi) in b.ranges.items())
        and all(flat[name] in offered for name, offered in b.choices.items())
    )


@pytest.mark.parametrize("page", PAGES)
@settings(max_examples=60, deadline=None)
@given(params=LINKS)
def test_any_link_fits_every_page_once(page: str, params: dict[str, str]) -> None:
    b = PAGES[page]
    spec, _ = from_query_lenient(params, b.fallback)
    fitted, notices = fit_to_page(spec, b)
    assert inside(fitted, b) and all(": " in n for n in notices)
    assert fit_to_page(fitted, b) == (fitted, [])  # a fitted spec is left alone
    if inside(spec, b):
        assert (fitted, notices) == (spec, [])


def test_the_nearest_offered_value_on_a_log_scale() -> None:
    fitted, notices = fit_to_page(mt.default_spec().replace(batch_size=100), mt.BOUNDS)
    assert fitted.train.batch_size == 128
    assert notices == ["batch-size: got 100; this page offers 16,32,64,128,256,512,1024 (using 128)"]
