"""Engine helpers of the network playground page: its bounds, the user's own points, the trainer.

What this module is: the page's rules as plain Python (no Streamlit, no Plotly).

* ``PAGE_DATASETS`` and the page's bounds (0-6 hidden layers of 1-16 neurons,
  as TensorFlow Playground), and ``fit_to_page(spec)``, which brings a spec
  from a link inside them with one notice per change;
* ``CustomPoints``: points a user clicked or uploaded (``datasets.parse_csv``),
  turned into a ``Dataset`` by ``datasets.from_points``;
* ``rebuild_key(spec, points)``: the settings whose change needs a new trainer
  (data and architecture); everything else goes through ``Trainer.update_training``;
* ``make_trainer(spec, points)``.

What it is not: the trainer itself (``playground.trainer``) or the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from playground import bounds, data_sets, datasets
from playground.bounds import PageBounds
from playground.spec import (
    DATASET_CLASSES,
    DATASETS_2D_CLASSIFY,
    DATASETS_2D_REGRESS,
    DEFAULT_LOSS,
    Spec,
    TrainSpec,
)
from playground.trainer import Trainer

#: Every 2-D set of the engine, then the user's own points.
PAGE_DATASETS = DATASETS_2D_CLASSIFY + DATASETS_2D_REGRESS + ("custom",)
#: The data sets' titles, from the registry.
DATASET_LABELS = {name: data_sets.REGISTRY[name].title for name in PAGE_DATASETS}

# TensorFlow Playground's bounds: up to 6 hidden layers of up to 8 neurons; we allow 16.
MAX_LAYERS = 6
MAX_NEURONS = 16
#: Generated points: enough to see a shape, few enough to train live.
SAMPLES_RANGE = (10, 2000)
BATCH_RANGE = (1, 512)
#: Clicked points needed before training starts (at least one on each side of the split).
MIN_POINTS = 4
#: Clicks beyond this are refused: a classroom demo, not a data set.
MAX_CLICKED = 500
#: The playground trains until paused; 1000 epochs is the default stop (the spec's is 200).
PAGE_EPOCHS = 1000

#: The page's default spec: the engine's default (circle, 4-2 tanh, SGD 0.03), trained longer.
DEFAULT = Spec(train=TrainSpec(epochs=PAGE_EPOCHS))


#: What this page can show: 2-D sets (and the user's points), at most 6 layers of 16 neurons.
BOUNDS = PageBounds(
    PAGE_DATASETS, DEFAULT, max_layers=MAX_LAYERS, max_width=MAX_NEURONS,
    ranges={"samples": SAMPLES_RANGE, "batch_size": BATCH_RANGE},
)  # fmt: skip


def fit_to_page(spec: Spec) -> tuple[Spec, list[str]]:
    """``spec`` brought inside this page's bounds (``BOUNDS``), with one notice per change."""
    return bounds.fit_to_page(spec, BOUNDS)


def problem_for_classes(num_classes: int) -> str:
    """The problem type a number of classes asks for (0 means regression)."""
    if num_classes == 0:
        return "regression"
    return "binary" if num_classes == 2 else "multiclass"


def with_problem(spec: Spec, problem: str) -> Spec:
    """``spec`` with a problem type, keeping its loss when that loss fits."""
    loss = spec.model.loss if spec.model.problem == problem else DEFAULT_LOSS[problem]
    return spec.replace(problem=problem, loss=loss)


def problems_for(dataset: str, custom_classes: int | None = None) -> tuple[str, ...]:
    """Problem types a data set allows: 2 classes may also use softmax (multiclass)."""
    classes = DATASET_CLASSES[dataset] if dataset != "custom" else custom_classes
    if classes is None:
        return ("binary", "multiclass", "regression")
    if classes == 0:
        return ("regression",)
    return ("binary", "multiclass") if classes == 2 else ("multiclass",)


@dataclass
class CustomPoints:
    """The user's own points: clicked on the plot, or read from a CSV."""

    points: list[tuple[float, float]] = field(default_factory=list)
    labels: list[float] = field(default_factory=list)
    num_classes: int = 2  # 0 for regression (CSV only)
    source: str = "clicks"  # "clicks" or the CSV's file name
    version: int = 0  # bumped on every change: the trainer is rebuilt when it moves

    def __len__(self) -> int:
        return len(self.points)

    def add(self, x1: float, x2: float, label: int) -> str | None:
        """Add a clicked point of class ``label``; returns why it was refused, or None."""
        if not (np.isfinite(x1) and np.isfinite(x2)) or max(abs(x1), abs(x2)) > datasets.DOMAIN:
            return f"A point must lie inside [-{datasets.DOMAIN:g}, {datasets.DOMAIN:g}]²."
        if self.source != "clicks":  # clicking after a CSV starts a new clicked set
            self.clear()
        if len(self.points) >= MAX_CLICKED:
            return f"At most {MAX_CLICKED} clicked points; clear them or upload a CSV."
        self.points.append((float(x1), float(x2)))
        self.labels.append(int(label))
        self.num_classes = max(2, int(max(self.labels)) + 1)
        self.version += 1
        return None

    def clear(self) -> None:
        self.points.clear()
        self.labels.clear()
        self.num_classes = 2
        self.source = "clicks"
        self.version += 1

    def load(self, data: bytes, name: str) -> None:
        """Replace the points by an uploaded CSV's (raises ``datasets.DataError``)."""
        found = datasets.parse_csv(data)
        self.points = [(float(a), float(b)) for a, b in found.points]
        self.labels = [float(v) for v in found.labels]
        self.num_classes = found.num_classes
        self.source = name
        self.version += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        pts = np.asarray(self.points, dtype=np.float32).reshape(-1, 2)
        dtype = np.float32 if self.num_classes == 0 else np.int64
        return pts, np.asarray(self.labels, dtype=dtype)

    def missing(self) -> int:
        """How many more points are needed before a network can train on them."""
        return max(0, MIN_POINTS - len(self.points))


def rebuild_key(spec: Spec, points: CustomPoints | None) -> tuple[object, ...]:
    """What a trainer is built from: a change here needs a new network (and epoch 0)."""
    d, m = spec.data, spec.model
    version = points.version if points is not None and d.dataset == "custom" else None
    return (
        d.dataset,
        d.samples,
        d.noise,
        d.validation_split,
        d.features,
        m.hidden,
        m.activation,
        m.problem,
        m.loss,
        spec.seed,
        version,
    )


def make_trainer(spec: Spec, points: CustomPoints | None) -> Trainer:
    """A trainer for a generated set, or for the user's points (raises ``DataError`` when too few)."""
    if spec.data.dataset != "custom":
        return Trainer(spec, device="cpu")
    if points is None or points.missing():
        need = MIN_POINTS if points is None else points.missing()
        raise datasets.DataError(f"Add {need} more point(s): click on the plot, or upload a CSV.")
    pts, labels = points.arrays()
    if spec.model.problem == "regression" and points.num_classes != 0:
        raise datasets.DataError("These points have classes; pick the binary or multiclass problem.")
    if spec.model.problem != "regression" and points.num_classes == 0:
        raise datasets.DataError("These points have regression targets; pick the regression problem.")
    data = datasets.from_points(pts, labels, points.num_classes, spec.data.validation_split, spec.seed)
    return Trainer(spec, data=data, device="cpu")
