"""Benchmark: optimizer paths of 200 steps for the five optimizers, per surface (target < 100 ms).

Prints a table of medians: our walk (closed-form gradient + torch.optim's own update
functions) against the same gradients through ``Optimizer.step()`` and against the naive
reference (autograd's ``loss.backward()`` + ``Optimizer.step()``), all five optimizers together;
speed-up is reference / ours. Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/bench_optimizers.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.lessons import gradient_descent as op

STEPS = 200
REPEATS = 9
TARGET_MS = 100.0


def reference_race(surface: op.Surface, configs: list[op.OptimizerConfig], start: tuple[float, float]) -> None:
    """The textbook loop: forward, backward with autograd, optimizer step."""
    for cfg in configs:
        w = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
        opt = op.make_optimizer(cfg, [w])
        for _ in range(STEPS):
            opt.zero_grad()
            loss = surface.value(w[0], w[1])
            loss.backward()
            opt.step()


def class_race(surface: op.Surface, configs: list[op.OptimizerConfig], start: tuple[float, float]) -> None:
    """The same closed-form gradients, stepped through the torch.optim classes' ``Optimizer.step()``."""
    for cfg in configs:
        w = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
        opt = op.make_optimizer(cfg, [w])
        for _ in range(STEPS):
            w.grad = torch.tensor(surface.grad(*w.detach().tolist()), dtype=torch.float64)
            opt.step()


def median_ms(fn: object) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    print(f"{STEPS} steps x {len(op.OPTIMIZERS)} optimizers, median of {REPEATS} runs (ms); target < {TARGET_MS:.0f}")
    print(
        f"{'surface':<12} {'ours (ms)':>10} {'Optimizer.step (ms)':>20} {'autograd ref (ms)':>18} "
        f"{'speed-up':>9} {'< target':>9}"
    )
    worst = 0.0
    for name in op.SURFACES:
        surface = op.get_surface(name)
        configs = [op.OptimizerConfig(n, lr=surface.tuned_lr[n]) for n in op.OPTIMIZERS]
        op.race(surface, configs, surface.start, STEPS)  # warm-up
        ours = median_ms(lambda s=surface, c=configs: op.race(s, c, s.start, STEPS))
        cls = median_ms(lambda s=surface, c=configs: class_race(s, c, s.start))
        ref = median_ms(lambda s=surface, c=configs: reference_race(s, c, s.start))
        worst = max(worst, ours)
        ok = "yes" if ours < TARGET_MS else "NO"
        print(f"{name:<12} {ours:>10.1f} {cls:>20.1f} {ref:>18.1f} {ref / ours:>8.1f}x {ok:>9}")
    print(
        f"slowest surface: {worst:.1f} ms ({'meets' if worst < TARGET_MS else 'MISSES'} the {TARGET_MS:.0f} ms target)"
    )


if __name__ == "__main__":
    main()
