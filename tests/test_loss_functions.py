"""Loss functions against torch.nn.functional: curves, per-example losses and the empirical risk."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.lessons import losses as lf

probs = st.floats(min_value=0.001, max_value=0.999, allow_nan=False)


@given(st.lists(st.tuples(st.integers(0, 1), probs), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_empirical_risk_equals_torch(pairs: list[tuple[int, float]]) -> None:
    """BCE, CCE and MSE risks of any small dataset equal torch.nn.functional's."""
    y = np.array([p[0] for p in pairs], dtype=np.float64)
    p = np.array([p[1] for p in pairs], dtype=np.float64)
    table = lf.empirical_risk(y, p)
    ty, tp = torch.tensor(y), torch.tensor(p)
    assert table.risk["bce"] == pytest.approx(F.binary_cross_entropy(tp, ty).item(), rel=1e-9)
    assert table.risk["mse"] == pytest.approx(F.mse_loss(tp, ty).item(), rel=1e-9, abs=1e-15)
    two = torch.stack([1 - tp, tp], dim=-1)
    assert table.risk["cce"] == pytest.approx(F.nll_loss(two.log(), ty.long()).item(), rel=1e-9)
    # per example too (reduction="none")
    np.testing.assert_allclose(table.per_example["bce"], F.binary_cross_entropy(tp, ty, reduction="none").numpy())


def test_the_pages_example_dataset() -> None:
    """The page's five examples: the risk is the mean of the per-example losses, as torch computes it."""
    table = lf.empirical_risk(lf.EXAMPLE_TARGETS, lf.EXAMPLE_PREDICTIONS)
    ty = torch.tensor(lf.EXAMPLE_TARGETS, dtype=torch.float64)
    tp = torch.tensor(lf.EXAMPLE_PREDICTIONS, dtype=torch.float64)
    assert table.risk["bce"] == pytest.approx(F.binary_cross_entropy(tp, ty).item())
    assert table.risk["mse"] == pytest.approx(F.mse_loss(tp, ty).item())
    assert table.risk["cce"] == pytest.approx(table.risk["bce"])  # two classes: CCE is BCE


@pytest.mark.parametrize("target", [0, 1])
def test_curves_match_torch(target: int) -> None:
    """Each curve against the prediction equals torch's loss at every point."""
    p = lf.prediction_axis()
    assert np.all((p > 0) & (p < 1)) and np.all(np.diff(p) > 0)
    tp = torch.tensor(p)
    ty = torch.full_like(tp, float(target))
    np.testing.assert_allclose(lf.curve("bce", target, p), F.binary_cross_entropy(tp, ty, reduction="none"), rtol=1e-9)
    np.testing.assert_allclose(lf.curve("mse", target, p), F.mse_loss(tp, ty, reduction="none"), rtol=1e-9)
    probs = torch.tensor(lf.cce_probs(p, 3))
    ref = F.nll_loss(probs.log(), torch.full((len(p),), target), reduction="none")
    np.testing.assert_allclose(lf.curve("cce", target, p), ref.numpy(), rtol=1e-9)
    assert np.allclose(lf.cce_probs(p, 3).sum(-1), 1.0)


def test_confident_mistake_is_large_but_finite() -> None:
    """ŷ = 0 for y = 1 costs −log(ε) ≈ 16.1 (Keras's clipping), never inf."""
    assert lf.bce(1, 0.0) == pytest.approx(-np.log(lf.EPSILON))
    assert np.isfinite(lf.cce(np.array([0, 1.0]), np.array([1.0, 0.0])))
    assert lf.bce(1, 0.999) < lf.bce(1, 0.5) < lf.bce(1, 0.001)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown loss"):
        lf.curve("hinge", 1, lf.prediction_axis())
    with pytest.raises(ValueError, match="equally long"):
        lf.empirical_risk([1, 0], [0.5])


@given(st.text(max_size=12))
@settings(max_examples=80, deadline=None)
def test_parse_target_never_raises(raw: str) -> None:
    """Any link value gives a target in {0, 1}, with a notice unless it was valid."""
    target, notice = lf.parse_target(raw)
    assert target in (0, 1)
    assert (notice is None) == (raw.strip() in ("0", "1"))
