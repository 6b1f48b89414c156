"""Engine benchmarks, each side by side with a textbook PyTorch reference in one run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_engine.py [--mnist DIR] [--epochs 10] [--quick]

1. The lecture's MNIST model (784-128-64-10, dropout 0.3, Adam 0.001, batch 128,
   validation split 0.2): seconds per epoch with the engine's Trainer against a
   textbook ``DataLoader(TensorDataset)`` loop, epochs interleaved (engine epoch,
   reference epoch, ...) so both see the same machine load; median epoch time,
   their ratio, and the test accuracy of both after the same number of epochs.
2. TensorFlow Playground's default net (2-4-2 tanh, 250 training points, batch
   10): epochs per second, engine against a textbook DataLoader loop.
3. The 100x100 decision-boundary grid: milliseconds per evaluation.

Everything runs on one CPU thread. Prints a table; the targets (MNIST ratio <= 0.75,
>= 60 epochs/s, grid <= 5 ms) are for the reader, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground import Spec, Trainer
from playground.datasets import Dataset

torch.set_num_threads(1)

MNIST_SPEC = Spec.from_query(
    "dataset=mnist&problem=multiclass&hidden=128,64&activation=relu&dropout=0.3&optimizer=adam&lr=0.001"
    "&batch-size=128&validation-split=0.2&epochs=1000&seed=0"
)


class TextbookLoop:
    """The usual tutorial loop: nn.Sequential, DataLoader(shuffle=True), Adam."""

    def __init__(
        self, data: Dataset, hidden: tuple[int, ...], act: type[nn.Module], dropout: float, lr: float, batch: int
    ):
        torch.manual_seed(0)
        layers: list[nn.Module] = []
        width = data.x_train.shape[1]
        for h in hidden:
            layers += [nn.Linear(width, h), act()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        out = data.num_classes if data.num_classes > 2 else 1
        layers.append(nn.Linear(width, out))
        self.model = nn.Sequential(*layers)
        self.binary = out == 1
        self.optimizer = (
            torch.optim.Adam(self.model.parameters(), lr=lr)
            if not self.binary
            else torch.optim.SGD(self.model.parameters(), lr=lr)
        )
        self.loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=batch, shuffle=True)
        self.data = data

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.binary:
            return nn.functional.binary_cross_entropy_with_logits(out.squeeze(-1), y.float())
        return nn.functional.cross_entropy(out, y)

    def epoch(self) -> None:
        self.model.train()
        for xb, yb in self.loader:
            self.optimizer.zero_grad()
            loss = self.loss(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
        # The textbook loop also reports validation loss each epoch, as the engine does.
        self.evaluate(self.data.x_val, self.data.y_val)

    def epochs(self, count: int) -> None:
        for _ in range(count):
            self.epoch()

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.model.eval()
        out = self.model(x)
        if self.binary:
            return float(((out.squeeze(-1) > 0).long() == y).float().mean())
        return float((out.argmax(-1) == y).float().mean())


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_mnist(mnist_dir: str, epochs: int) -> list[tuple[str, str, str, str]]:
    engine = Trainer(MNIST_SPEC, device="cpu", data_dir=mnist_dir)
    data = engine.data
    ref = TextbookLoop(data, (128, 64), nn.ReLU, 0.3, 0.001, 128)
    engine_times, ref_times = [], []
    for _ in range(epochs):
        engine_times.append(timed(lambda: engine.train(1)))
        ref_times.append(timed(ref.epoch))
    assert data.x_test is not None and data.y_test is not None
    _, engine_acc = engine.evaluate("test")
    ref_acc = ref.evaluate(data.x_test, data.y_test)
    e, r = statistics.median(engine_times), statistics.median(ref_times)
    return [
        (
            "MNIST epoch, engine Trainer",
            f"{e:.3f} s",
            f"test acc {engine_acc:.4f} after {epochs}",
            f"ratio {e / r:.2f} (target <= 0.75)",
        ),
        ("MNIST epoch, DataLoader loop", f"{r:.3f} s", f"test acc {ref_acc:.4f} after {epochs}", "reference"),
    ]


def bench_playground(repeats: int, epochs: int) -> list[tuple[str, str, str, str]]:
    spec = Spec().replace(epochs=10_000)  # circle, 2-4-2 tanh, 500 points -> 250 train, batch 10
    engine = Trainer(spec, device="cpu")
    ref = TextbookLoop(engine.data, (4, 2), nn.Tanh, 0.0, 0.03, 10)
    ref.data = Dataset("circle", engine.x_train, engine.data.y_train, engine.x_val, engine.data.y_val, 2)
    ref.loader = DataLoader(TensorDataset(engine.x_train, engine.data.y_train), batch_size=10, shuffle=True)
    engine.train(5)
    ref.epoch()
    e_rates, r_rates = [], []
    for _ in range(repeats):
        e_rates.append(epochs / timed(lambda: engine.train(epochs)))
        r_rates.append(epochs / timed(lambda: ref.epochs(epochs)))
    e, r = statistics.median(e_rates), statistics.median(r_rates)
    return [
        (
            "Playground 2-4-2 tanh, engine",
            f"{e:.0f} epochs/s",
            f"val acc {engine.history[-1].val_acc:.3f}",
            f"{e / r:.2f}x reference (target >= 60/s)",
        ),
        ("Playground 2-4-2 tanh, DataLoader loop", f"{r:.0f} epochs/s", "", "reference"),
    ]


def bench_grid(repeats: int) -> list[tuple[str, str, str, str]]:
    engine = Trainer(Spec(), device="cpu")
    engine.train(5)
    engine.predict_grid(100)
    times = [timed(lambda: engine.predict_grid(100)) * 1000 for _ in range(repeats)]
    from playground.datasets import grid, make_features

    _axis, pts = grid(100)
    feats = make_features(pts, engine.spec.data.features)
    model = engine.model

    def raw() -> None:
        with torch.no_grad():
            torch.sigmoid(model(feats)).numpy()

    ref = [timed(raw) * 1000 for _ in range(repeats)]
    return [
        (
            "Boundary grid 100x100, engine",
            f"{statistics.median(times):.2f} ms",
            "features + forward + numpy",
            "target <= 5 ms",
        ),
        ("Boundary grid 100x100, bare forward", f"{statistics.median(ref):.2f} ms", "reference", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_mnist = os.environ.get(
        "PLAYGROUND_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")
    )
    parser.add_argument("--mnist", default=default_mnist, help="folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=10, help="MNIST epochs for each side")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    rows += bench_playground(repeats=3 if args.quick else 7, epochs=50 if args.quick else 200)
    rows += bench_grid(repeats=20 if args.quick else 100)
    if Path(args.mnist).is_dir():
        rows += bench_mnist(args.mnist, 2 if args.quick else args.epochs)
    else:
        rows.append(("MNIST", "skipped", f"no data in {args.mnist}", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, medians")
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
