"""The batched training step against separate steps, side by side in one run; and a mixed class.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_batched.py [--rounds 3] [--epochs 20] [--device cpu|cuda]

1. N copies of TensorFlow Playground's default network (2-4-2-1 tanh, 250 training points,
   batch 10, SGD), N = 1, 10, 30, 100, each with its own seed:
   * **batched**: the engine's one epoch for all N at once (``playground.batched.train_together``);
   * **separate** (the reference, how the app trained before the service): N ``nn.Module``
     networks with their own fused ``torch.optim.SGD``, stepped one after another;
   * **matmul-bound**: only the batched matrix products of the same epoch (forward and
     backward), the limit no batched step can beat.
   Rounds alternate the three so they see the same machine load; medians of epochs per second
   per network, the ratio batched / separate, and batched / matmul-bound.
2. A mixed class of 30 through the training service's rounds (no Streamlit): 10 default networks,
   10 on the spiral with 8-8 ReLU and Adam, 10 with architectures drawn at random (1-6 layers of
   1-16 neurons, any activation and optimizer); epochs per second per student (min, median).

Targets (for the reader, not asserted): 30 networks ≥ 168 epochs/s each on one core (the issue's
stacked measurement); mixed class of 30 every student ≥ 20, median ≥ 40 (with the service's
share of the core).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground import batched
from playground.model import loss_fn
from playground.service import ServiceSettings, SlotHandle, TrainingService
from playground.spec import Spec
from playground.trainer import Trainer, make_optimizer

torch.set_num_threads(1)
DEFAULT = Spec().replace(epochs=10_000)


def batched_rate(trainers: list[Trainer], epochs: int) -> float:
    """Epochs per second per network, all networks in one batched program."""
    start = time.perf_counter()
    batched.train_together(trainers, epochs)
    return epochs / (time.perf_counter() - start)


class Separate:
    """The reference: one nn.Module and one fused torch.optim.SGD per network, stepped one after another."""

    def __init__(self, trainers: list[Trainer]) -> None:
        self.nets = []
        for t in trainers:
            model = type(t.model)(t.in_features, t.spec.model.hidden, t.spec.model.activation, 1).to(t.device)
            model.load_state_dict(t.model.state_dict())
            opt = make_optimizer(model.parameters(), t.spec.train, t.spec.train.lr)
            gen = torch.Generator(device=t.device).manual_seed(t.spec.seed)
            self.nets.append((model, opt, gen, t.x_train, t.data.y_train, t.batch_size))

    def rate(self, epochs: int) -> float:
        start = time.perf_counter()
        for _ in range(epochs):
            for model, opt, gen, x, y, bs in self.nets:
                perm = torch.randperm(len(x), generator=gen, device=x.device)
                xs, ys = x[perm], y[perm]
                for i in range(0, len(x), bs):
                    opt.zero_grad(set_to_none=True)
                    loss_fn(model(xs[i : i + bs]), ys[i : i + bs], "binary", "binary_crossentropy").backward()
                    opt.step()
                with torch.no_grad():  # the epoch's measurement, as the trainer makes it
                    loss_fn(model(x), y, "binary", "binary_crossentropy").item()
        return epochs / (time.perf_counter() - start)


def matmul_rate(trainers: list[Trainer], epochs: int) -> float:
    """Epochs per second per network if an epoch cost only its batched matrix products (forward and backward)."""
    group = batched.Group(trainers)
    s, rows = len(trainers), group.padded_batch
    shapes = group.shapes
    xs = [torch.randn(s, rows, i, device=group.device) for i, _ in shapes]
    ws = [torch.randn(s, i, o, device=group.device) for i, o in shapes]
    bs = [torch.randn(s, 1, o, device=group.device) for _, o in shapes]
    gs = [torch.randn(s, rows, o, device=group.device) for _, o in shapes]
    batches = -(-group.n // group.batch_size)
    start = time.perf_counter()
    for _ in range(epochs * batches):
        for x, w, b, g in zip(xs, ws, bs, gs, strict=True):
            torch.baddbmm(b, x, w)  # forward
            torch.bmm(x.transpose(1, 2), g)  # the kernel's gradient
            torch.bmm(g, w.transpose(1, 2))  # the input's gradient
    return epochs / (time.perf_counter() - start)


def compare(n: int, epochs: int, rounds: int, device: str) -> dict[str, float]:
    trainers = [Trainer(DEFAULT.replace(seed=k), device=device) for k in range(n)]
    separate = Separate(trainers)
    batched_rate(trainers, 2)  # warm up
    got: dict[str, list[float]] = {"batched": [], "separate": [], "matmul": []}
    sep_epochs = max(1, epochs // max(1, n // 10))
    for _ in range(rounds):
        got["batched"].append(batched_rate(trainers, epochs))
        got["separate"].append(separate.rate(sep_epochs))
        got["matmul"].append(matmul_rate(trainers, epochs))
    med = {k: statistics.median(v) for k, v in got.items()}
    return {
        "networks": n,
        "batched_epochs_per_s": med["batched"],
        "separate_epochs_per_s": med["separate"],
        "ratio": med["batched"] / med["separate"],
        "matmul_bound_epochs_per_s": med["matmul"],
        "share_of_matmul_bound": med["batched"] / med["matmul"],
    }


def random_query(rng: random.Random, seed: int) -> str:
    """A link to a network drawn at random: 1-6 layers of 1-16 neurons, any activation and optimizer."""
    layers = rng.randint(1, 6)
    hidden = ",".join(str(rng.randint(1, 16)) for _ in range(layers))
    act = rng.choice(["relu", "tanh", "sigmoid", "linear"])
    opt = rng.choice(["sgd", "momentum", "rmsprop", "adagrad", "adam"])
    return f"hidden={hidden}&activation={act}&optimizer={opt}&seed={seed}&epochs=10000"


def mixed_queries(students: int = 30) -> list[str]:
    """The issue's mixed class as links: a third on the default network, a third on the spiral with
    8-8 ReLU and Adam, a third drawn at random (``random_query``); student k takes the (k mod 3)-th kind."""
    rng = random.Random(0)
    kinds = [
        lambda k: f"seed={k}&epochs=10000",
        lambda k: f"dataset=spiral&hidden=8,8&activation=relu&optimizer=adam&lr=0.03&seed={k}&epochs=10000",
        lambda k: random_query(rng, k),
    ]
    return [kinds[k % 3](k) for k in range(students)]


def mixed_class(seconds: float, device: str) -> dict[str, float]:
    """30 students of three kinds through the service's own rounds (its share of the core, its pacing)."""
    queries = mixed_queries(30)
    specs = [Spec.from_query(q) for q in queries]
    trainers = [Trainer(s, device=device) for s in specs]
    svc = TrainingService(ServiceSettings(), start_worker=False)
    handles = [SlotHandle() for _ in trainers]
    share = svc.settings.training_cores
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for h, t in zip(handles, trainers, strict=True):
            svc.play(h, t)
        spent = svc.run_round()
        time.sleep(max(spent * (1 - share) / share, 0.002))  # as the worker thread paces itself
    wall = time.perf_counter() - start
    rates = [t.epoch / wall for t in trainers]
    return {
        "students": len(trainers),
        "groups": svc.stats().groups,
        "min_epochs_per_s": min(rates),
        "median_epochs_per_s": statistics.median(rates),
        "default_median": statistics.median(rates[0::3]),
        "spiral_median": statistics.median(rates[1::3]),
        "random_median": statistics.median(rates[2::3]),
        "training_cores": share,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--sizes", default="1,10,30,100")
    ap.add_argument("--mixed-seconds", type=float, default=10.0)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    rows = [compare(int(n), args.epochs, args.rounds, args.device) for n in args.sizes.split(",")]
    print(f"device {args.device}, {torch.get_num_threads()} thread(s); epochs per second per network, medians")
    print(f"{'networks':>8} {'batched':>9} {'separate':>9} {'ratio':>7} {'matmul-bound':>13} {'share':>6}")
    for r in rows:
        print(
            f"{r['networks']:>8} {r['batched_epochs_per_s']:>9.1f} {r['separate_epochs_per_s']:>9.1f} "
            f"{r['ratio']:>6.1f}x {r['matmul_bound_epochs_per_s']:>13.1f} {r['share_of_matmul_bound']:>6.2f}"
        )
    mixed = mixed_class(args.mixed_seconds, args.device)
    print(
        f"mixed class of {mixed['students']} ({mixed['groups']} groups) through the service at "
        f"{mixed['training_cores']} core: min {mixed['min_epochs_per_s']:.1f}, median {mixed['median_epochs_per_s']:.1f} "
        f"epochs/s (default {mixed['default_median']:.1f}, spiral {mixed['spiral_median']:.1f}, "
        f"random {mixed['random_median']:.1f})"
    )
    print(json.dumps({"sizes": rows, "mixed": mixed}))


if __name__ == "__main__":
    main()
