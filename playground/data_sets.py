"""The data-set registry: every data set the app knows, declared once.

Each entry: the name (the spec's and the link's value), the title the pages
show, its kind (a generated 2-D classification or regression set after
TensorFlow Playground, an image set, or the user's own points) and its number of
classes (0 for regression, None for "from the data"). The spec's vocabulary and
the pages' lists are read from here; the 2-D generators are
``playground.datasets.GENERATORS`` (a test checks they match). No Streamlit or Plotly here.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("2d_classify", "2d_regress", "image", "custom")


@dataclass(frozen=True)
class DataSet:
    name: str
    title: str
    kind: str  # one of KINDS
    classes: int | None  # 0: regression; None: the user's data decide


REGISTRY: dict[str, DataSet] = {
    d.name: d
    for d in (
        # TensorFlow Playground's sets; moons and three_class are additions.
        DataSet("circle", "Circle", "2d_classify", 2),
        DataSet("xor", "Exclusive or (xor)", "2d_classify", 2),
        DataSet("gauss", "Two Gaussians", "2d_classify", 2),
        DataSet("spiral", "Spiral", "2d_classify", 2),
        DataSet("moons", "Two moons", "2d_classify", 2),
        DataSet("three_class", "Three classes", "2d_classify", 3),
        DataSet("plane", "Regression: plane", "2d_regress", 0),
        DataSet("multi_gauss", "Regression: multi-Gaussian", "2d_regress", 0),
        DataSet("mnist", "MNIST digits", "image", 10),
        DataSet("fashion_mnist", "Fashion-MNIST", "image", 10),
        DataSet("custom", "Your own points (click or CSV)", "custom", None),
    )
}


def names(kind: str) -> tuple[str, ...]:
    """The data sets of one kind, in the registry's order."""
    return tuple(n for n, d in REGISTRY.items() if d.kind == kind)
