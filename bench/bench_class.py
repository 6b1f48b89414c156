"""Benchmark: a class presses Play on one server; what each student gets.

For each student count, a fresh server (``streamlit run app.py`` of ``--app-dir``, pinned to core 0,
or to both cores with ``--cores 2``) takes ``--students`` synthetic students (Streamlit's real
WebSocket protocol, no rendering; ``bench/class_harness.py``) and ``--browsers`` real chromium pages
(which read the "Epoch N" counter on every animation frame). Everyone opens the playground at once,
presses Play within ``--play-within`` seconds, and the figures are taken over the ``--seconds``
after the last press. The harness runs on core 1, the browsers too.

Printed per student count: epochs/s per student (min / median / max), visible updates/s (epoch
texts with a new number), the time from Play to the first changed epoch (median / p95), the time to
open the page (connect to the first finished script run: median / p95 / max), how many students
were ever shown "queued", exceptions, the server's peak memory (process tree RSS) and tracebacks in
its log; then the real pages' figures; then one JSON line with everything (``CLASS_JSON {...}``).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_class.py --students 1 10 30
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_class.py --students 28 --mixed   # + 2 pages: a mixed class of 30
    .venv/bin/python bench/bench_class.py --students 30 --app-dir /work/before --env PLAYGROUND_MAX_TRAININGS=100
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

# A sibling module: this file runs as a script (``python bench/bench_class.py``), its folder first on sys.path.
from bench_batched import mixed_queries
from class_harness import ROOT, ClassResult, Server, fmt, pinned, run_class, run_sync, summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--students", type=int, nargs="+", default=[30], help="synthetic students; several: one class each")
    p.add_argument("--browsers", type=int, default=2, help="real chromium pages (default 2)")
    p.add_argument("--seconds", type=float, default=30.0, help="measurement window after the last Play (default 30)")
    p.add_argument("--play-within", type=float, default=5.0, help="everyone presses Play within this many seconds")
    p.add_argument("--cores", type=int, choices=(1, 2), default=1, help="server cores: 1 = core 0 (default), 2 = both")
    p.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout to serve (default: this repository)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="server environment (repeatable)")
    p.add_argument("--query", default="", help="the playground link's settings, e.g. 'dataset=xor&hidden=4,2'")
    p.add_argument(
        "--mixed", action="store_true",
        help="the issue's mixed class: a third default, a third spiral 8-8 ReLU Adam, a third random (bench_batched)",
    )  # fmt: skip
    p.add_argument("--open-timeout", type=float, default=180.0, help="give up on a page that has not opened by then")
    p.add_argument("--seed", type=int, default=0, help="the order of the presses")
    return p.parse_args(argv)


def env_pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env wants KEY=VALUE, not {item!r}")
        pairs[key] = value
    return pairs


def one_class(args: argparse.Namespace, students: int, env: dict[str, str]) -> ClassResult:
    """A fresh server, one class on it, the server stopped; its log's tracebacks go into the result."""
    with Server(args.app_dir, cores=args.cores, env=env) as server:
        print(f"# {students} students + {args.browsers} pages on {server.url} (log {server.log_path})", flush=True)
        with pinned(1) as on_core_1:
            if not on_core_1:
                print("# note: no core 1 here; the harness shares the server's core", flush=True)
            result = run_sync(
                run_class(
                    server, students, browsers=args.browsers, seconds=args.seconds, play_within=args.play_within,
                    query=mixed_queries(students + 3) if args.mixed else args.query,
                    open_timeout=args.open_timeout, seed=args.seed,
                    progress=lambda text: print(f"#   {text}", flush=True),
                )
            )  # fmt: skip
    result.tracebacks = server.tracebacks()
    return result


TABLE = (
    ("students", "students", 0),
    ("epochs/s min", "epochs_per_s_min", 1),
    ("med", "epochs_per_s_median", 1),
    ("max", "epochs_per_s_max", 1),
    ("updates/s med", "updates_per_s_median", 2),
    ("trained", "trained", 0),
    ("answered", "responded", 0),
    ("Play->1st med s", "first_response_s_median", 2),
    ("p95", "first_response_s_p95", 2),
    ("open med s", "open_s_median", 1),
    ("p95", "open_s_p95", 1),
    ("max", "open_s_max", 1),
    ("late open max s", "late_open_s_max", 1),
    ("queued", "ever_queued", 0),
    ("peak RSS MB", "peak_rss_mb", 0),
    ("exceptions", "exceptions", 0),
)
BROWSER_TABLE = (
    ("students", "students", 0),
    ("pages", "browsers", 0),
    ("page epochs/s med", "browser_epochs_per_s_median", 1),
    ("visible updates/s med", "browser_updates_per_s_median", 2),
    ("Play->1st med s", "browser_first_response_s_median", 2),
    ("max s", "browser_first_response_s_max", 2),
    ("page open max s", "browser_open_s_max", 1),
    ("rAF/s med", "browser_animation_fps_median", 0),
)


def table(rows: list[dict[str, object]], columns: tuple[tuple[str, str, int], ...]) -> str:
    cells = [[title for title, _, _ in columns]]
    cells += [[fmt(row[key], digits) for _, key, digits in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    env = env_pairs(args.env)
    print(f"# app {args.app_dir.resolve()}; server on {args.cores} core(s); env {env or 'default'}; "
          f"window {args.seconds:.0f} s after Play within {args.play_within:.0f} s", flush=True)  # fmt: skip
    rows, details = [], []
    for students in args.students:
        started = time.time()
        result = one_class(args, students, env)
        row = summary(result)
        row["wall_s"] = time.time() - started
        rows.append(row)
        details.append(result.as_dict())
        print(f"# done in {row['wall_s']:.0f} s: {row['opened']} opened, {row['pressed']} pressed, "
              f"{row['trained']} trained, {row['ever_queued']} queued, {row['tracebacks']} tracebacks, "
              f"{row['student_errors']} students with errors", flush=True)  # fmt: skip
        for mismatch in result.widget_state_mismatches:
            print(f"# widget state differs from chromium's: {mismatch}", flush=True)
        for missing in result.unmodelled_widgets:
            print(f"# chromium sends a widget state the students do not: {missing}", flush=True)
    print(
        f"\nSynthetic students, with {args.browsers} real page(s) training beside them. Per student over the window: "
        "epochs/s; updates/s = epoch texts with a new number; trained = saw an epoch above 0; answered = saw the "
        "epoch change after Play (Play->1st is over those); open = connect to the first finished run; late open = a "
        "student opening the page while the others train (3 in the window); queued = ever shown 'queued'"
    )
    print(table(rows, TABLE))
    print("\nReal chromium pages (the 'Epoch N' counter read every animation frame)")
    print(table(rows, BROWSER_TABLE))
    meta = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    print("CLASS_JSON " + json.dumps({"args": meta, "env": env, "summary": rows, "classes": details}))


if __name__ == "__main__":
    main()
