"""Data sets as tensors: TensorFlow Playground's 2-D sets, custom points, features.

The 2-D generators follow TensorFlow Playground's ``dataset.ts`` (circle, xor,
gauss, spiral, and the regression plane and multi-gaussian), plus moons and a
3-class set. Points live in the square [-6, 6]²; ``noise`` is in percent (0-50)
as on TF Playground's slider. Everything is drawn from an explicit
``numpy.random.Generator`` seeded by the spec, so a seed gives the same points
in any process or thread.

Labels are class indices (0/1, or 0..k-1) for classification, and a float in
[-1, 1] for regression.

``Dataset`` is the container the trainer consumes (raw inputs, not features);
``make_features`` turns raw (x1, x2) into the selected input features. MNIST
lives in ``playground.mnist``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from playground.spec import DATASET_CLASSES, DATASETS_2D_CLASSIFY, DATASETS_2D_REGRESS, FEATURES, Spec

#: Half-width of the input square drawn on every 2-D chart.
DOMAIN = 6.0


@dataclass
class Dataset:
    """Train / validation / optional test tensors, plus what they mean.

    ``x_*`` hold raw inputs (the (x1, x2) coordinates, or flattened pixels);
    ``y_*`` hold class indices (int64) or regression targets (float32).
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    num_classes: int  # 0 for regression
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    #: Image side for image data sets (28 for MNIST), None for 2-D data.
    image_side: int | None = None

    @property
    def is_2d(self) -> bool:
        return self.image_side is None

    def to(self, device: torch.device | str) -> Dataset:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return Dataset(
            self.name,
            self.x_train.to(device),
            self.y_train.to(device),
            self.x_val.to(device),
            self.y_val.to(device),
            self.num_classes,
            move(self.x_test),
            move(self.y_test),
            self.image_side,
        )


class DataError(ValueError):
    """User-supplied data (clicked points, an uploaded CSV) cannot be used."""


# ---------------------------------------------------------------------------
# TensorFlow Playground's generators. Each returns (points[n, 2], labels[n]).
# ---------------------------------------------------------------------------

Generator2D = Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Class 1 inside radius 2.5, class 0 in the ring 3.5..5; the label is read
    # from the noisy position, so noise mislabels points near the border.
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * math.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shifted = pts + rng.uniform(-radius, radius, (n, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return pts, labels


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Quadrants: same sign of x1 and x2 is class 1. Points keep 0.3 away from the axes.
    pts = rng.uniform(-5, 5, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)
    shifted = pts + rng.uniform(-5, 5, (n, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return pts, labels


def _gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Two Gaussian clouds at (2, 2) and (-2, -2); variance grows 0.5 -> 4 with noise.
    variance = 0.5 + (4 - 0.5) * (noise / 0.5)
    half = n // 2
    centres = np.concatenate([np.tile([2.0, 2.0], (half, 1)), np.tile([-2.0, -2.0], (n - half, 1))])
    pts = centres + rng.normal(0, math.sqrt(variance), (n, 2))
    labels = np.concatenate([np.ones(half, np.int64), np.zeros(n - half, np.int64)])
    return pts, labels


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Two arms of 1.75 turns each, half a turn apart.
    pts_list, labels_list = [], []
    for label, delta in ((1, 0.0), (0, math.pi)):
        m = n // 2 if label == 1 else n - n // 2
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * math.pi + delta
        x = r * np.sin(t) + rng.uniform(-1, 1, m) * noise
        y = r * np.cos(t) + rng.uniform(-1, 1, m) * noise
        pts_list.append(np.stack([x, y], axis=1))
        labels_list.append(np.full(m, label, np.int64))
    return np.concatenate(pts_list), np.concatenate(labels_list)


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # scikit-learn's two half moons, scaled by 2.5 and centred in the square.
    half = n // 2
    t_out = rng.uniform(0, math.pi, half)
    t_in = rng.uniform(0, math.pi, n - half)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    pts = (np.concatenate([outer, inner]) - [0.5, 0.25]) * 2.5
    pts += rng.normal(0, 1, (n, 2)) * noise * 2
    labels = np.concatenate([np.zeros(half, np.int64), np.ones(n - half, np.int64)])
    return pts, labels


def _three_class(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Three Gaussian clouds on a circle of radius 3.2 at 90, 210 and 330 degrees.
    variance = 0.5 + (4 - 0.5) * (noise / 0.5)
    labels = np.arange(n, dtype=np.int64) % 3
    angles = np.deg2rad(90 + 120 * labels)
    centres = 3.2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    pts = centres + rng.normal(0, math.sqrt(variance) * 0.6, (n, 2))
    return pts, labels


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Target (x1 + x2) / 10, read at the noisy position, clipped to [-1, 1]
    # (TF Playground leaves the corners at up to ±1.2; clipping keeps one colour scale).
    radius = 6.0
    pts = rng.uniform(-radius, radius, (n, 2))
    shifted = pts + rng.uniform(-radius, radius, (n, 2)) * noise
    return pts, np.clip((shifted[:, 0] + shifted[:, 1]) / 10, -1, 1).astype(np.float32)


_GAUSSIANS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multi_gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    # Six bumps of sign ±1; each point takes the strongest bump's value,
    # which falls linearly from 1 at its centre to 0 at distance 2.
    radius = 6.0
    pts = rng.uniform(-radius, radius, (n, 2))
    shifted = pts + rng.uniform(-radius, radius, (n, 2)) * noise
    return pts, multi_gauss_target(shifted)


def multi_gauss_target(pts: np.ndarray) -> np.ndarray:
    dist = np.hypot(pts[:, None, 0] - _GAUSSIANS[None, :, 0], pts[:, None, 1] - _GAUSSIANS[None, :, 1])
    values = _GAUSSIANS[None, :, 2] * np.clip(1 - dist / 2, 0, 1)
    pick = np.argmax(np.abs(values), axis=1)
    return values[np.arange(len(pts)), pick].astype(np.float32)


GENERATORS: dict[str, Generator2D] = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "three_class": _three_class,
    "plane": _plane,
    "multi_gauss": _multi_gauss,
}
assert set(GENERATORS) == set(DATASETS_2D_CLASSIFY + DATASETS_2D_REGRESS)


#: One seed, two independent random streams: the points, and the train/validation split (the exports use them too).
POINTS_STREAM, SPLIT_STREAM = 0xDA7A, 0x5B11


def generate_points(name: str, samples: int, noise_percent: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The raw points and labels of a 2-D set, reproducible from ``seed``."""
    rng = np.random.default_rng([seed, POINTS_STREAM])
    points, labels = GENERATORS[name](rng, samples, noise_percent / 100.0)
    return points.astype(np.float32), labels


def split_counts(samples: int, validation_split: float) -> tuple[int, int]:
    """(training points, validation points) as ``split`` divides ``samples`` points."""
    n_val = round(samples * validation_split)
    if samples >= 2:
        n_val = min(max(n_val, 1), samples - 1)
    return samples - n_val, n_val


def split(
    points: np.ndarray, labels: np.ndarray, validation_split: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle with the seed, then hold out ``validation_split`` of the points.

    At least one point stays on each side when there are two or more points.
    """
    n = len(points)
    order = np.random.default_rng([seed, SPLIT_STREAM]).permutation(n)
    n_val = split_counts(n, validation_split)[1]
    train_idx, val_idx = order[n_val:], order[:n_val]
    return points[train_idx], labels[train_idx], points[val_idx], labels[val_idx]


def make_2d(spec: Spec) -> Dataset:
    """The 2-D data set a spec describes (not for image sets or custom data)."""
    name = spec.data.dataset
    points, labels = generate_points(name, spec.data.samples, spec.data.noise, spec.seed)
    classes = DATASET_CLASSES[name]
    assert classes is not None
    return from_points(points, labels, classes, spec.data.validation_split, spec.seed, name=name)


def from_points(
    points: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    validation_split: float,
    seed: int,
    name: str = "custom",
) -> Dataset:
    """A Dataset from raw 2-D points (generated, clicked or uploaded)."""
    x_tr, y_tr, x_va, y_va = split(np.asarray(points, np.float32), np.asarray(labels), validation_split, seed)
    y_dtype = torch.float32 if num_classes == 0 else torch.int64
    return Dataset(
        name=name,
        x_train=torch.as_tensor(x_tr, dtype=torch.float32),
        y_train=torch.as_tensor(y_tr, dtype=y_dtype),
        x_val=torch.as_tensor(x_va, dtype=torch.float32),
        y_val=torch.as_tensor(y_va, dtype=y_dtype),
        num_classes=num_classes,
    )


# ---------------------------------------------------------------------------
# Input features: TF Playground's seven, computed from (x1, x2).
# ---------------------------------------------------------------------------

_FEATURE_FNS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_sq": lambda a, b: a * a,
    "x2_sq": lambda a, b: b * b,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: torch.sin(a),
    "sin_x2": lambda a, b: torch.sin(b),
}
assert tuple(_FEATURE_FNS) == FEATURES


def make_features(raw: torch.Tensor, features: tuple[str, ...]) -> torch.Tensor:
    """Map raw points [n, 2] to the chosen features [n, len(features)]."""
    a, b = raw[:, 0], raw[:, 1]
    return torch.stack([_FEATURE_FNS[f](a, b) for f in features], dim=1)


def grid(resolution: int = 100, domain: float = DOMAIN) -> tuple[np.ndarray, torch.Tensor]:
    """Axis values and the [resolution², 2] grid of points over the square (row = x2)."""
    axis = np.linspace(-domain, domain, resolution, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    pts = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))
    return axis, pts


# ---------------------------------------------------------------------------
# Users' own data: a CSV of x1, x2, label.
# ---------------------------------------------------------------------------

CSV_MAX_BYTES = 5 * 1024 * 1024
CSV_MAX_ROWS = 10_000
CSV_MAX_CLASSES = 10


@dataclass
class PointSet:
    """Points a user brought: raw coordinates, labels and the problem they pose."""

    points: np.ndarray  # [n, 2] float32
    labels: np.ndarray  # [n] int64 classes, or float32 targets
    num_classes: int  # 0 for regression


def parse_csv(data: bytes, max_rows: int = CSV_MAX_ROWS, max_bytes: int = CSV_MAX_BYTES) -> PointSet:
    """Parse an uploaded CSV of two feature columns and a label column.

    A header row is optional. Labels that are all whole numbers 0..9 make a
    classification problem (their count is the number of classes); any other
    numbers make a regression problem (targets must lie in [-1, 1] as in TF
    Playground's regression sets). Coordinates must lie in [-6, 6]. Every
    rejection raises ``DataError`` naming the row or column.
    """
    if len(data) == 0:
        raise DataError("The file is empty: expected rows of x1, x2, label.")
    if len(data) > max_bytes:
        raise DataError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"The file is not UTF-8 text (bad byte at position {exc.start}).") from None
    if "\x00" in text:
        raise DataError("The file contains NUL bytes: it looks binary, not a CSV.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise DataError(f"The CSV cannot be read: {exc}.") from None
    if not rows:
        raise DataError("The file has no rows: expected rows of x1, x2, label.")
    start = 0
    if not _is_number(rows[0][0].strip() if rows[0] else ""):
        start = 1  # a header row
    body = rows[start:]
    if not body:
        raise DataError("The file has a header but no data rows.")
    if len(body) > max_rows:
        raise DataError(f"The file has {len(body)} rows; the limit is {max_rows}.")
    values = np.empty((len(body), 3), dtype=np.float64)
    for i, row in enumerate(body):
        line = i + start + 1
        if len(row) != 3:
            raise DataError(f"Row {line} has {len(row)} columns; expected 3 (x1, x2, label).")
        for j, cell in enumerate(row):
            column = ("x1", "x2", "label")[j]
            try:
                value = float(cell.strip())
            except ValueError:
                raise DataError(f"Row {line}, column {column}: {cell.strip()[:30]!r} is not a number.") from None
            if not math.isfinite(value):
                raise DataError(f"Row {line}, column {column}: {cell.strip()[:30]!r} is not a finite number.")
            if j < 2 and abs(value) > DOMAIN:
                raise DataError(f"Row {line}, column {column}: {value:g} is outside [-6, 6].")
            values[i, j] = value
    labels = values[:, 2]
    if np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() < CSV_MAX_CLASSES:
        classes = int(labels.max()) + 1
        if classes < 2:
            raise DataError("Column label has only one class; expected at least two (0 and 1).")
        found = sorted({int(v) for v in labels})
        if len(found) != classes:
            # A gap (say 0, 1, 7: a typo for 1) would silently make a softmax over 8 classes.
            missing = next(c for c in range(classes) if c not in found)
            first = int(np.argmax(labels > missing))
            raise DataError(
                f"Row {first + start + 1}, column label: class {int(labels[first])}, but no row has class {missing}. "
                f"Classes must be numbered 0, 1, 2, … without gaps; this file has {', '.join(map(str, found))}."
            )
        return PointSet(values[:, :2].astype(np.float32), labels.astype(np.int64), classes)
    if labels.min() < -1 or labels.max() > 1:
        bad = int(np.argmax((labels < -1) | (labels > 1))) + start + 1
        raise DataError(
            f"Row {bad}, column label: {labels[bad - start - 1]:g} is neither a class (0-9) "
            "nor a regression target in [-1, 1]."
        )
    return PointSet(values[:, :2].astype(np.float32), labels.astype(np.float32), 0)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
