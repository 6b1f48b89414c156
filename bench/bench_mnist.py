"""Benchmark: time to 97.5 % test accuracy with the lecture's MNIST recipe, engine vs a textbook loop.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_mnist.py [--mnist DIR] [--repeats 3] [--max-epochs 40]

The engine runs the page's default spec (784-128-64-10, dropout 0.3, Adam
0.001, batch 128, validation split 0.2, EarlyStopping 5, ReduceLROnPlateau 0.5/3);
the reference is the textbook ``DataLoader`` loop of ``bench_engine.py``
(same network and optimizer, no callbacks). Epochs are interleaved (engine
epoch, reference epoch, ...) so both see the same machine load. Training time
only is counted (each epoch's own validation pass included, the test-set check
after each epoch is not). Prints the epochs and seconds each needed to reach
97.5 % on the 10,000 test images, medians over ``--repeats`` seeds, and where
the engine's full run stopped. The per-epoch time comparison lives in
``bench_engine.py``; this file does not repeat it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import TextbookLoop

from playground import mnist
from playground.lessons import mnist as mt
from playground.trainer import Trainer

TARGET = 0.975
DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def one_race(mnist_dir: str, seed: int, max_epochs: int) -> dict[str, float]:
    """Both trainings side by side until each reaches the target (or max_epochs)."""
    spec = mt.default_spec().replace(seed=seed)
    data = mnist.load_dataset("mnist", spec.data.validation_split, data_dir=mnist_dir)
    assert data.x_test is not None and data.y_test is not None
    engine = Trainer(spec, data=data, device="cpu")
    ref = TextbookLoop(data, (128, 64), nn.ReLU, 0.3, 0.001, 128)  # initialises with torch.manual_seed(0)
    torch.manual_seed(seed)  # the seed then varies the reference's shuffling and dropout
    out: dict[str, float] = {}
    seconds = {"engine": 0.0, "reference": 0.0}
    for epoch in range(1, max_epochs + 1):
        if "engine_epochs" not in out and not engine.done:
            t0 = time.perf_counter()
            engine.train(1)
            seconds["engine"] += time.perf_counter() - t0
            _, acc = engine.evaluate("test")
            if acc is not None and acc >= TARGET:
                out["engine_epochs"], out["engine_s"], out["engine_acc"] = epoch, seconds["engine"], acc
        if "ref_epochs" not in out:
            t0 = time.perf_counter()
            ref.epoch()
            seconds["reference"] += time.perf_counter() - t0
            acc = ref.evaluate(data.x_test, data.y_test)
            if acc >= TARGET:
                out["ref_epochs"], out["ref_s"], out["ref_acc"] = epoch, seconds["reference"], acc
        if "engine_epochs" in out and "ref_epochs" in out:
            break
    # Then the engine's full recipe, to where early stopping ends it.
    while not engine.done:
        t0 = time.perf_counter()
        engine.train(1)
        seconds["engine"] += time.perf_counter() - t0
    _, final = engine.evaluate("test")
    out["full_epochs"], out["full_s"], out["full_acc"] = engine.epoch, seconds["engine"], final or 0.0
    return out


def median(runs: list[dict[str, float]], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def fmt(value: float | None, spec: str) -> str:
    return "not reached" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=str(DEFAULT_MNIST), help="folder with the four MNIST files")
    parser.add_argument("--repeats", type=int, default=1, help="seeds to run (medians are reported)")
    parser.add_argument("--max-epochs", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    runs = []
    for seed in range(args.repeats):
        run = one_race(args.mnist, seed, args.max_epochs)
        print(f"seed {seed}: {run}", flush=True)
        runs.append(run)
    e_s, r_s = median(runs, "engine_s"), median(runs, "ref_s")  # medians of each column
    rows = [
        (f"what (medians over {len(runs)} seed{'s' if len(runs) != 1 else ''})", "epochs", "seconds", "test acc"),
        ("engine: to 97.5 %", fmt(median(runs, "engine_epochs"), ".0f"), fmt(e_s, ".1f"), fmt(median(runs, "engine_acc"), ".4f")),
        ("DataLoader loop: to 97.5 %", fmt(median(runs, "ref_epochs"), ".0f"), fmt(r_s, ".1f"), fmt(median(runs, "ref_acc"), ".4f")),
        ("engine: full recipe (early stop)", fmt(median(runs, "full_epochs"), ".0f"), fmt(median(runs, "full_s"), ".1f"),
         fmt(median(runs, "full_acc"), ".4f")),
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    ratios = [r["engine_s"] / r["ref_s"] for r in runs if "engine_s" in r and "ref_s" in r]
    per_epoch = [
        (r["engine_s"] / r["engine_epochs"]) / (r["ref_s"] / r["ref_epochs"])
        for r in runs
        if "engine_s" in r and "ref_s" in r
    ]
    if ratios:
        print(f"time to 97.5 %, engine / DataLoader loop: median of per-seed ratios {statistics.median(ratios):.2f}")
        print(f"seconds per epoch on the way, engine / DataLoader loop: {statistics.median(per_epoch):.2f}")
    print(f"device: cpu, {torch.get_num_threads()} thread")


if __name__ == "__main__":
    main()
