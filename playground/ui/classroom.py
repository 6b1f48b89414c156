"""Classroom mode: links that open a page on a preset with chosen controls hidden.

A link's ``hide=`` parameter lists control names (comma-separated); each page
skips a control whose name is listed (``state.visible(name)``). The names are
the spec's settings plus a few page controls, listed in ``HIDEABLE`` with the
words a teacher sees. Pure: no Streamlit calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from playground.presets import Preset

#: Control name -> what a teacher sees in the link maker.
HIDEABLE: dict[str, str] = {
    "presets": "the Presets box",
    "dataset": "data set",
    "noise": "noise",
    "samples": "number of points",
    "validation_split": "validation share",
    "regenerate": "Regenerate button",
    "features": "input features",
    "layers": "add / remove layers and neurons",
    "activation": "activation",
    "problem": "problem type",
    "loss": "loss function",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "batch_size": "batch size",
    "l1": "L1 penalty",
    "l2": "L2 penalty",
    "dropout": "dropout",
    "early_stopping": "early stopping",
    "reduce_lr": "reduce-LR-on-plateau",
    "epochs": "number of epochs",
    "click_class": "add points by clicking",
    "csv": "CSV upload",
    "export": "code export",
    "g": "perceptron activation g",
    "depth": "depth (activations page)",
    "canvas": "drawing canvas (MNIST)",
    "upload": "model upload (MNIST)",
}


def classroom_link(page: str, preset: Preset | None, hidden: Iterable[str]) -> str:
    """``/page?preset-params&hide=a,b`` for the chosen page, preset and hidden controls."""
    params: list[tuple[str, str]] = list(preset.params) if preset is not None else []
    names = [name for name in hidden if name]
    if names:
        params.append(("hide", ",".join(names)))
    query = urlencode(params, safe=",")
    return f"/{page}" + (f"?{query}" if query else "")
