"""Benchmark: a class presses Play at once, on one server, with and without "clicks first".

Runs the load test's scenario (tests/browser/test_load_browser.py: 30 browser
contexts on one server on loopback, each pressing Play on the playground) in
turns, under two settings, and prints for each the median and the maximum
time from pressing Play to the first chart update, and the server's peak
memory:

- **clicks first** (the defaults): for ``PLAYGROUND_CLICK_FIRST_SECONDS`` = 1 s
  after a page answers a click, other sessions' timer frames wait, and while
  clicks keep coming (a click within ``PLAYGROUND_RUSH_SECONDS`` = 3 s) the
  fast views' frames (``PLAYGROUND_SERVER_FRAMES`` = 5 a second in all) come
  ``PLAYGROUND_RUSH_SLOWDOWN`` = 2.5 times rarer and the network diagram
  skips every other frame;
- **reference**: the same code with all of it off, so every timer frame
  computes at the budget's pace while the class is still pressing Play.

Both have the rest: Play reruns only the playground's live fragment, at most
``PLAYGROUND_FRAMES_AT_ONCE`` = 2 frames compute at once. The settings
alternate (clicks first, reference, clicks first, ...) so that the noise of a
shared machine falls on both. Figures are medians over the rounds; compare
the two within one run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_load.py [rounds]   # ~5 min a round
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "clicks first": {},
    "reference": {"PLAYGROUND_CLICK_FIRST_SECONDS": "0", "PLAYGROUND_RUSH_SECONDS": "0"},
}
FIGURES = re.compile(r"after pressing Play: median ([0-9.]+) s, max ([0-9.]+) s.*?peak memory ([0-9.]+) GB")


def one_round(extra: dict[str, str]) -> tuple[float, float, float]:
    """Run the load test once with these settings: (median s, max s, peak GB)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", **extra}
    test = "tests/browser/test_load_browser.py"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0 or "1 passed" not in done.stdout:  # a skip (no chromium) has no figures
        raise SystemExit(f"the load test did not pass under {extra or 'the defaults'}:\n{done.stdout[-2000:]}")
    found = FIGURES.search((ROOT / "artifacts" / "load.txt").read_text())
    assert found, "artifacts/load.txt has no figures"
    median, most, memory = (float(g) for g in found.groups())
    return median, most, memory


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in SETTINGS}
    for r in range(rounds):
        for name, extra in SETTINGS.items():
            results[name].append(one_round(extra))
            median, most, memory = results[name][-1]
            print(
                f"round {r + 1} {name:12s}: median {median:.2f} s, max {most:.2f} s, memory {memory:.2f} GB", flush=True
            )
    print("\nfirst chart update after pressing Play, 30 contexts (medians over the rounds)")
    for name, runs in results.items():
        medians, maxima = [m for m, _, _ in runs], [x for _, x, _ in runs]
        print(f"{name:12s}: median {statistics.median(medians):.2f} s, max {statistics.median(maxima):.2f} s")
    ratio = statistics.median(x for _, x, _ in results["reference"]) / statistics.median(
        x for _, x, _ in results["clicks first"]
    )
    print(f"with clicks first, the slowest context is {ratio:.1f}x faster than the reference's")


if __name__ == "__main__":
    main()
