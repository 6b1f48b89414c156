"""Code export: the PyTorch script runs and trains; the Keras code is the lecture's program."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from playground import Spec
from playground.export import keras_code, pytorch_script

QUERIES = [
    "dataset=xor&hidden=4&activation=tanh&optimizer=adam&lr=0.03&epochs=60",
    "dataset=three_class&problem=multiclass&hidden=6&activation=relu&epochs=20&l2=0.001&dropout=0.1",
    "dataset=multi_gauss&problem=regression&hidden=8&epochs=5&optimizer=rmsprop",
    "dataset=circle&loss=mse&features=x1_sq,x2_sq&hidden=&epochs=5&early-stopping=true&reduce-lr=true",
    "dataset=spiral&hidden=8,8&optimizer=momentum&epochs=3",
]


@pytest.mark.parametrize("query", QUERIES)
def test_exports_are_valid_python(query: str) -> None:
    spec = Spec.from_query(query)
    ast.parse(pytorch_script(spec))
    ast.parse(keras_code(spec))


def test_exported_pytorch_script_trains(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "train.py"
    script.write_text(pytorch_script(Spec.from_query(QUERIES[0])))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    losses = [float(m) for m in re.findall(r"val_loss ([0-9.]+)", out.stdout)]
    accs = [float(m) for m in re.findall(r"val_acc ([0-9.]+)", out.stdout)]
    assert len(losses) == 60 and losses[-1] < losses[0] * 0.5 and accs[-1] >= 0.9


def test_exported_script_for_custom_csv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "points.csv"
    rows = ["x1,x2,label"] + [f"{x},{y},{int(x * y > 0)}" for x in range(-5, 6) for y in range(-5, 6) if x and y]
    data.write_text("\n".join(rows))
    spec = Spec.from_query("dataset=custom&hidden=4&activation=tanh&epochs=3")
    script = tmp_path / "train.py"
    script.write_text(pytorch_script(spec, custom_classes=2))
    out = subprocess.run([sys.executable, str(script), str(data)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "epoch 3:" in out.stdout


def test_keras_code_is_the_lectures_mnist_program() -> None:
    spec = Spec.from_query(
        "dataset=mnist&problem=multiclass&hidden=128,64&activation=relu&dropout=0.3&optimizer=adam&lr=0.001"
        "&batch-size=128&epochs=100&validation-split=0.2&early-stopping=true&early-stopping-patience=5&reduce-lr=true&reduce-lr-factor=0.5&reduce-lr-patience=3"
    )
    code = keras_code(spec)
    for line in [
        'layers.Dense(128, activation="relu")',
        "layers.Dropout(0.3)",
        'layers.Dense(64, activation="relu")',
        'layers.Dense(10, activation="softmax")',
        "keras.optimizers.Adam(learning_rate=0.001",
        'loss="sparse_categorical_crossentropy"',
        "batch_size=128",
        "validation_split=0.2",
        'EarlyStopping(monitor="val_loss", patience=5',
        'ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3',
        "keras.datasets.mnist.load_data()",
    ]:
        assert line in code, line


def test_exported_mnist_script_reads_idx_files(mnist_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = Spec.from_query(
        "dataset=mnist&problem=multiclass&hidden=32&activation=relu&optimizer=adam&lr=0.001&batch-size=256&epochs=1&validation-split=0.2"
    )
    script = tmp_path / "mnist.py"
    script.write_text(pytorch_script(spec))
    out = subprocess.run([sys.executable, str(script), str(mnist_dir)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    acc = float(re.findall(r"test accuracy: ([0-9.]+)", out.stdout)[0])
    assert acc > 0.85
