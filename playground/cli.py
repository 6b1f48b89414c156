"""The command line: train a spec from a terminal, for scripts and lesson preparation.

    python -m playground train --dataset xor --hidden 4,2 --activation tanh --epochs 200 --json
    python -m playground spec --dataset spiral --hidden 8,8   # print the spec as JSON and as a URL query

Every setting of ``playground.spec`` is a flag named after it (``batch_size`` ->
``--batch-size``); ``--config FILE.json`` gives a whole spec that flags then
override. Any early-stopping flag turns early stopping on, any ``--reduce-lr-*``
flag turns reduce-LR-on-plateau on. A bad flag or value exits with status 2
and one line on stderr naming it; missing data exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from playground.spec import FIELDS, Flag, Spec, SpecError, flag_name, rule_for, spec_for_dataset


class UsageError(Exception):
    """A bad flag or value (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m playground", description="Train a neural network from the playground's spec.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command, help_text in (
        ("train", "train and print one line (or one JSON object) per epoch"),
        ("spec", "print the resulting spec as JSON and as a URL query, without training"),
    ):
        p = sub.add_parser(command, help=help_text, description=help_text)
        p.add_argument("--config", metavar="FILE.json", help="a whole spec as JSON; flags override it")
        for name, (_section, rule) in FIELDS.items():
            kwargs: dict[str, Any] = {"dest": name, "default": None, "help": f"{rule.help} ({rule.allowed()})"}
            if isinstance(rule, Flag):
                kwargs.update(nargs="?", const="true", metavar="BOOL")
            else:
                kwargs["metavar"] = name.upper()
            p.add_argument("--" + flag_name(name), **kwargs)
        if command == "train":
            p.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
            p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda or mps")
            p.add_argument("--data-dir", default=None, help="folder holding MNIST / Fashion-MNIST files")
    return parser


def spec_from_args(args: argparse.Namespace) -> Spec:
    base = Spec()
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise UsageError(f"--config: cannot read {args.config}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--config: {args.config} is not UTF-8 text") from None
        base = Spec.from_json(text)
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    if any(n.startswith("early_stopping_") or n == "restore_best_weights" for n in given):
        given.setdefault("early_stopping", "true")
    if any(n.startswith("reduce_lr_") for n in given):
        given.setdefault("reduce_lr", "true")
    if "dataset" in given:
        # Moving to another data set also moves the problem type and loss to ones that fit it.
        dataset = rule_for("dataset").parse("dataset", given.pop("dataset"))
        base = spec_for_dataset(dataset, base)
    return Spec.from_dict(given, base)


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become null (never NaN in the output)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def run_train(args: argparse.Namespace, spec: Spec) -> int:
    from playground.device import resolve_device
    from playground.mnist import DataCorrupt, DataMissing
    from playground.trainer import Trainer

    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        raise UsageError(f"--device: {exc}") from None
    try:
        trainer = Trainer(spec, device=device, data_dir=args.data_dir)
    except (DataMissing, DataCorrupt) as exc:
        print(f"playground: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for notice in trainer.notices:
        print(f"playground: note: {notice}", file=sys.stderr)
    start = time.perf_counter()
    if not args.json:
        print(f"{'epoch':>6} {'train_loss':>11} {'val_loss':>9} {'train_acc':>9} {'val_acc':>8} {'lr':>10}")
    for record in trainer.run():
        row = {k: _clean(v) for k, v in record.to_dict().items()}
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(
                f"{record.epoch:>6} {_fmt(record.train_loss):>11} {_fmt(record.val_loss):>9} "
                f"{_fmt(record.train_acc):>9} {_fmt(record.val_acc):>8} {record.lr:>10.3g}",
                flush=True,
            )
    summary = {k: _clean(v) for k, v in trainer.summary().items()}
    summary["seconds"] = round(time.perf_counter() - start, 4)
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(trainer.status_text())
        print(
            f"best epoch {summary['best_epoch']}, test accuracy {_fmt(summary['test_acc'])}, "
            f"{summary['seconds']:.2f} s on {summary['device']}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        spec = spec_from_args(args)
        if args.command == "spec":
            print(spec.to_json())
            print("?" + spec.to_query_string(only_changed=True))
            return 0
        return run_train(args, spec)
    except UsageError as exc:
        print(f"playground: error: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print(f"playground: error: --{flag_name(exc.field)}: {exc.reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("playground: interrupted", file=sys.stderr)
        return 130
