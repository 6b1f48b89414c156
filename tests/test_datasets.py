"""2-D data sets (TF Playground's generators), features, and the CSV parser for users' own data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import Spec
from playground.datasets import (
    DOMAIN,
    GENERATORS,
    DataError,
    generate_points,
    grid,
    make_2d,
    make_features,
    parse_csv,
)
from playground.spec import DATASET_CLASSES


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("noise", [0.0, 25.0, 50.0])
def test_generators_shapes_labels_and_reproducibility(name: str, noise: float) -> None:
    pts, labels = generate_points(name, 300, noise, seed=4)
    assert pts.shape == (300, 2) and pts.dtype == np.float32 and len(labels) == 300
    assert np.isfinite(pts).all()
    classes = DATASET_CLASSES[name]
    if classes:
        assert set(np.unique(labels)) == set(range(classes))
    else:
        assert labels.dtype == np.float32 and np.abs(labels).max() <= 1.0 + 1e-6
    again = generate_points(name, 300, noise, seed=4)
    assert np.array_equal(pts, again[0]) and np.array_equal(labels, again[1])
    if not (name == "spiral" and noise == 0):  # the noise-free spiral is deterministic
        other = generate_points(name, 300, noise, seed=5)
        assert not np.array_equal(pts, other[0])


def test_noise_free_sets_stay_in_the_square_and_labels_follow_the_rule() -> None:
    pts, labels = generate_points("xor", 500, 0, seed=0)
    assert np.abs(pts).max() <= 5.3 + 1e-6 and np.abs(pts).min() >= 0.3 - 1e-6
    assert np.array_equal(labels, (pts[:, 0] * pts[:, 1] >= 0).astype(int))
    pts, labels = generate_points("circle", 500, 0, seed=0)
    assert np.array_equal(labels, (np.hypot(pts[:, 0], pts[:, 1]) < 2.5).astype(int))
    assert np.abs(pts).max() <= DOMAIN


def test_split_sizes_and_no_overlap() -> None:
    data = make_2d(Spec().replace(samples=200, validation_split=0.3))
    assert len(data.x_train) == 140 and len(data.x_val) == 60
    both = torch.cat([data.x_train, data.x_val])
    assert len(torch.unique(both, dim=0)) == 200


def test_features() -> None:
    raw = torch.tensor([[1.0, 2.0], [-3.0, 0.5]])
    f = make_features(raw, ("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"))
    expected = [[1, 2, 1, 4, 2, np.sin(1), np.sin(2)], [-3, 0.5, 9, 0.25, -1.5, np.sin(-3), np.sin(0.5)]]
    assert np.allclose(f.numpy(), expected)
    axis, pts = grid(5)
    assert axis[0] == -DOMAIN and axis[-1] == DOMAIN and pts.shape == (25, 2)
    assert pts[1, 0] > pts[0, 0] and pts[1, 1] == pts[0, 1]  # x1 varies fastest (rows are x2)


def test_csv_classification_regression_and_header() -> None:
    ps = parse_csv(b"x1,x2,label\n1,2,0\n-1,-2,1\n3,3,2\n")
    assert ps.num_classes == 3 and ps.points.shape == (3, 2) and list(ps.labels) == [0, 1, 2]
    ps = parse_csv(b"1;2;0.5\n-1;-2;-0.25\n")
    assert ps.num_classes == 0 and ps.labels.dtype == np.float32


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"x1,x2,label\n", "no data rows"),
        (b"1,2\n", "Row 1 has 2 columns"),
        (b"1,2,0\n1,2,3,4\n", "Row 2 has 4 columns"),
        (b"1,2,0\n1,abc,1\n", "Row 2, column x2: 'abc' is not a number"),
        (b"1,2,0\n1,nan,1\n", "not a finite number"),
        (b"1,99,0\n1,1,1\n", "outside [-6, 6]"),
        (b"1,2,0\n2,3,0\n", "only one class"),
        (b"1,2,5.5\n2,3,0\n", "neither a class"),
        # A typo (7 among 0/1) would silently make an 8-class softmax: name the row and the classes found.
        (b"x1,x2,label\n1,2,0\n2,3,1\n1,1,7\n", "Row 4, column label: class 7, but no row has class 2"),
        (b"1,2,0\n2,3,1\n1,1,7\n", "this file has 0, 1, 7"),
        (b"1,2,1\n2,3,2\n", "Row 1, column label: class 1, but no row has class 0"),
        (b"\xff\xfe\x00\x01garbage", "not UTF-8"),
        (b"a,b\x00,c\n", "NUL"),
    ],
)
def test_csv_rejections_name_row_or_column(data: bytes, words: str) -> None:
    with pytest.raises(DataError) as err:
        parse_csv(data)
    assert words in str(err.value)


def test_csv_caps() -> None:
    rows = b"".join(b"1,1,%d\n" % (i % 2) for i in range(10_001))
    with pytest.raises(DataError, match="limit is 10000"):
        parse_csv(rows)
    with pytest.raises(DataError, match="MB"):
        parse_csv(b"1,1,0\n" * 1_000_000)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_csv_fuzz_raises_only_data_error(data: bytes) -> None:
    try:
        ps = parse_csv(data)
    except DataError as exc:
        assert str(exc)
        return
    assert np.isfinite(ps.points).all() and len(ps.points) == len(ps.labels) >= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6), st.integers(0, 9)), min_size=1, max_size=40))
def test_csv_classes_are_exactly_zero_to_k_minus_one(rows: list[tuple[int, int, int]]) -> None:
    """An accepted classification file holds every class 0..k-1; any gap is refused with its row."""
    data = "".join(f"{a},{b},{c}\n" for a, b, c in rows).encode()
    try:
        ps = parse_csv(data)
    except DataError as exc:
        assert "only one class" in str(exc) or "no row has class" in str(exc)
        return
    assert set(ps.labels.tolist()) == set(range(ps.num_classes))
