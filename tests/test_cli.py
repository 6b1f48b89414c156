"""The command line: JSON lines per epoch, an end event, and exit status 2 for bad flags."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from playground.cli import main
from tests.conftest import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "playground", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_train_json_lines_and_end_event() -> None:
    out = run_cli(
        "train", "--dataset", "xor", "--hidden", "4,2", "--activation", "tanh", "--optimizer", "adam", "--lr", "0.03",
        "--batch-size", "10", "--epochs", "5", "--seed", "1", "--l2", "0.001", "--dropout", "0.3",
        "--early-stopping-patience", "5", "--restore-best-weights", "--reduce-lr-patience", "3", "--reduce-lr-factor", "0.5",
        "--validation-split", "0.2", "--samples", "500", "--noise", "10", "--device", "auto", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    epochs, end = lines[:-1], lines[-1]
    assert [e["epoch"] for e in epochs] == [1, 2, 3, 4, 5]
    assert set(epochs[0]) == {"epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr"}
    assert end["event"] == "end" and end["reason"] == "max_epochs" and end["epochs_run"] == 5
    assert end["test_loss"] is None and end["test_acc"] is None
    assert end["device"] == "cpu" and end["seconds"] > 0 and 1 <= end["best_epoch"] <= 5
    assert {"event", "reason", "epochs_run", "best_epoch", "test_loss", "test_acc", "seconds", "device"} <= set(end)


def test_no_hidden_layer_and_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--dataset", "gauss", "--hidden", "", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "train_loss" in out and "Finished: reached the maximum of 3 epochs." in out


def test_divergence_reports_reason_and_no_nan() -> None:
    out = run_cli(
        "train",
        "--dataset",
        "plane",
        "--hidden",
        "8,8",
        "--activation",
        "relu",
        "--lr",
        "10",
        "--epochs",
        "50",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert "NaN" not in out.stdout and "Infinity" not in out.stdout
    end = json.loads(out.stdout.splitlines()[-1])
    assert end["reason"] == "diverged" and end["diverged_epoch"] >= 1


def test_config_file_then_flags_override(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "spec.json"
    config.write_text(json.dumps({"dataset": "spiral", "hidden": [8, 8], "lr": 0.1}))
    assert main(["spec", "--config", str(config), "--lr", "0.2"]) == 0
    spec_json, query = capsys.readouterr().out.splitlines()
    spec = json.loads(spec_json)
    assert spec["dataset"] == "spiral" and spec["hidden"] == [8, 8] and spec["lr"] == 0.2
    assert "lr=0.2" in query and "hidden=8%2C8" in query


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["train", "--lr", "0"], "--lr"),
        (["train", "--lr", "nan"], "--lr"),
        (["train", "--hidden", "0"], "--hidden"),
        (["train", "--hidden", "2.5"], "--hidden"),
        (["train", "--hidden", "1,2,3,4,5,6,7,8,9"], "--hidden"),
        (["train", "--batch-size", "0"], "--batch-size"),
        (["train", "--activation", "swish"], "--activation"),
        (["train", "--dataset", "imagenet"], "--dataset"),
        (["train", "--bogus", "1"], "--bogus"),
        (["train", "--epochs"], "--epochs"),
        (["train", "--device", "tpu"], "--device"),
        (["train", "--config", "/nonexistent.json"], "--config"),
        (["train", "--noise", "99"], "--noise"),
        (["train", "--dataset", "plane", "--problem", "binary"], "--problem"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_flags_exit_2_with_one_line(args: list[str], names: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert names in err


def test_bad_config_json_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "bad.json"
    config.write_text("{not json")
    out = run_cli("train", "--config", str(config))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
