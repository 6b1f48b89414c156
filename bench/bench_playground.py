"""Benchmark: what one live frame of the network playground costs on the server.

Prints medians, each beside its reference: training throughput of the
default networks, the live boundary picture (what the page sends while
training), the paused boundary figure rebuilt (``charts.boundary_figure``) or
reused with only its heatmap replaced, the network
diagram with and without Plotly's validation, and the serialisation
Streamlit does for every chart. What the browser then spends drawing is
measured by tests/browser/test_playground_browser.py.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_playground.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import plotly.io as pio
import plotly.tools as ptools

from playground import datasets
from playground.lessons.network import DEFAULT
from playground.spec import FEATURE_LABELS
from playground.trainer import Trainer
from playground.ui.charts import base as charts
from playground.ui.charts import network as charts_network


def median_ms(fn: Callable[[], object], repeats: int = 9) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def epochs_per_second(tr: Trainer, seconds: float = 1.0, repeats: int = 5) -> float:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = len(tr.train(epochs=100_000, max_seconds=seconds / repeats))
        rates.append(done / (time.perf_counter() - start))
    return statistics.median(rates)


def streamlit_serialise(fig: object) -> str:
    # What st.plotly_chart does with a figure before sending it.
    return str(pio.to_json(ptools.return_figure_from_figure_or_data(fig, True), validate=False))


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    for name in ("circle", "xor", "spiral"):
        tr = Trainer(DEFAULT.replace(dataset=name), device="cpu")
        tr.train(2)
        rows.append(
            (f"epochs/s, {name}, 4-2 tanh, 250 train points, batch 10", f"{epochs_per_second(tr):.0f}", "target >= 60")
        )

    tr = Trainer(DEFAULT.replace(dataset="xor"), device="cpu")
    tr.train(20)
    axis, _ = datasets.grid(100)
    values = tr.predict_grid(100)
    pts = (tr.data.x_train.numpy(), tr.data.y_train.numpy(), None, None)
    rows.append(("predict 100x100 grid (ms)", f"{median_ms(lambda: tr.predict_grid(100)):.1f}", ""))
    fig = charts.boundary_figure(axis, values, "binary", *pts)
    rebuild = median_ms(lambda: charts.boundary_figure(axis, values, "binary", *pts))

    def reuse() -> None:
        fig.data[0].z = charts.finite(tr.predict_grid(100))

    def live_frame() -> bytes:
        return charts_network.png_bytes(charts_network.boundary_picture(tr.predict_grid(100), "binary", *pts))

    rows.append(
        (
            "live boundary picture incl. predict + PNG (ms)",
            f"{median_ms(live_frame):.1f}",
            f"{len(live_frame()) / 1000:.0f} kB PNG",
        )
    )
    rows.append(
        ("boundary figure: reuse, new z incl. predict (ms)", f"{median_ms(reuse):.1f}", f"rebuild {rebuild:.1f}")
    )
    rows.append(
        (
            "boundary figure: Streamlit serialisation (ms)",
            f"{median_ms(lambda: streamlit_serialise(fig)):.1f}",
            f"{len(streamlit_serialise(fig)) / 1000:.0f} kB",
        )
    )

    labels = [FEATURE_LABELS[f] for f in tr.spec.data.features]

    def diagram(validate: bool) -> object:
        return charts_network.network_figure(
            tr.neuron_grids(24), tr.weights(), labels, tr.spec.model.activation, "binary", validate=validate
        )

    fast, slow = median_ms(lambda: diagram(False)), median_ms(lambda: diagram(True))
    rows.append(("network diagram 2-4-2-1, unvalidated (ms)", f"{fast:.1f}", f"validated {slow:.1f}"))
    big_spec = DEFAULT.replace(features=tuple(FEATURE_LABELS), hidden=(16,) * 6, activation=("tanh",))
    big = Trainer(big_spec, device="cpu")
    big_labels = list(FEATURE_LABELS.values())

    def big_diagram(validate: bool) -> object:
        return charts_network.network_figure(
            big.neuron_grids(16), big.weights(), big_labels, big_spec.model.activation, "binary", validate=validate
        )

    fast, slow = median_ms(lambda: big_diagram(False), 3), median_ms(lambda: big_diagram(True), 3)
    rows.append(("network diagram 7-16x6-1, unvalidated (ms)", f"{fast:.1f}", f"validated {slow:.1f}"))
    rows.append(
        (
            "network diagram 7-16x6-1: Streamlit serialisation (ms)",
            f"{median_ms(lambda: streamlit_serialise(big_diagram(False)), 3):.1f}",
            "",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>8}  reference")
    for label, value, ref in rows:
        print(f"{label:<{width}}  {value:>8}  {ref}")
    print("\nload average:", " ".join(f"{x:.1f}" for x in np.loadtxt("/proc/loadavg", usecols=(0, 1, 2))))


if __name__ == "__main__":
    main()
