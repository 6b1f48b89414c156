"""The one way a page brings a spec inside its bounds: ``PageBounds`` and ``fit_to_page``.

A link may carry anything the spec allows (MNIST on the 2-D playground, 1,024
neurons, 5,000 epochs); each page trains live on a shared server and declares
what it can show. ``fit_to_page`` changes only what lies outside, and says so
once per setting, in one form: "setting: what the page allows (using what)".
No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.spec import Spec, flag_name, spec_for_dataset


@dataclass(frozen=True)
class PageBounds:
    """What one page can train and draw."""

    datasets: tuple[str, ...]  # the data sets it offers
    fallback: Spec  # its default: the data set, problem and loss that replace a data set it lacks
    problems: tuple[str, ...] | None = None  # the problems it trains (None: whatever the data set allows)
    max_layers: int | None = None
    max_width: int | None = None
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # flat setting -> [lo, hi]
    choices: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # flat setting -> the values it offers


def _shown(value: Any) -> str:
    return (
        ",".join(map(str, value))
        if isinstance(value, tuple | list)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def fit_to_page(spec: Spec, bounds: PageBounds) -> tuple[Spec, list[str]]:
    """``spec`` inside ``bounds``, and one notice per setting that had to change."""
    notices: list[str] = []
    problem_ok = bounds.problems is None or spec.model.problem in bounds.problems
    if spec.data.dataset not in bounds.datasets or not problem_ok:
        f = bounds.fallback
        notices.append(
            f"dataset: this page uses {', '.join(bounds.datasets)}"
            + ("" if bounds.problems is None else f" ({' or '.join(bounds.problems)})")
            + f" (using {f.data.dataset} instead of {spec.data.dataset})"
        )
        spec = spec_for_dataset(f.data.dataset, spec).replace(problem=f.model.problem, loss=f.model.loss)
    changes: dict[str, Any] = {}
    hidden = spec.model.hidden
    if bounds.max_layers is not None and len(hidden) > bounds.max_layers:
        hidden = hidden[: bounds.max_layers]
    if bounds.max_width is not None and any(w > bounds.max_width for w in hidden):
        hidden = tuple(min(w, bounds.max_width) for w in hidden)
    if hidden != spec.model.hidden:
        changes["hidden"], changes["activation"] = hidden, spec.model.activation[: len(hidden)]
        notices.append(
            f"hidden: at most {bounds.max_layers or len(hidden)} layers of {bounds.max_width or max(hidden, default=1)} "
            f"neurons on this page (using {_shown(hidden)})"
        )
    flat = spec.to_dict()
    for name, (lo, hi) in bounds.ranges.items():
        value = flat[name]
        if not lo <= value <= hi:
            changes[name] = type(value)(min(max(value, lo), hi))
            notices.append(
                f"{flag_name(name)}: got {_shown(value)}; this page allows {lo:g} to {hi:g} (using {_shown(changes[name])})"
            )
    for name, offered in bounds.choices.items():
        value = flat[name]
        if value not in offered:
            # The nearest value on a log scale (batch sizes, rates): 100 becomes 128.
            changes[name] = min(offered, key=lambda o: abs(math.log(max(o, 1e-12) / max(value, 1e-12))))
            notices.append(
                f"{flag_name(name)}: got {_shown(value)}; this page offers {_shown(tuple(offered))} (using {_shown(changes[name])})"
            )
    return (spec.replace(**changes) if changes else spec), notices
