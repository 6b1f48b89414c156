"""Code export: the PyTorch script runs and trains; the Keras code is the lecture's program."""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from playground import Spec, export
from playground.export import keras_code, pytorch_script
from playground.spec import DATASETS_2D_CLASSIFY, DATASETS_2D_REGRESS, spec_for_dataset
from playground.trainer import Trainer

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


# -- every 2-D set: the same data as the app, and both exports run ---------------------------------

SETS_2D = [*DATASETS_2D_CLASSIFY, *DATASETS_2D_REGRESS]


def spec_2d(name: str, epochs: int = 2) -> Spec:
    return spec_for_dataset(name, Spec()).replace(epochs=epochs, hidden=[4], features=("x1", "x2", "x1_sq"))


def data_section(code: str) -> dict[str, np.ndarray]:
    """Run only the data part of an exported script and return its arrays."""
    namespace: dict = {"np": np, "sys": sys, "math": math}  # type: ignore[type-arg]
    exec(code.split(export.DATA_START, 1)[1].split(export.DATA_END)[0], namespace)
    return {k: namespace[k] for k in ("x_train", "y_train", "x_val", "y_val")}


@pytest.mark.parametrize("name", SETS_2D)
def test_both_exports_make_exactly_the_apps_data(name: str) -> None:
    """Same generator, seed, noise, features and split as the app's trainer: bit for bit."""
    spec = spec_2d(name).replace(seed=7, noise=20)
    tr = Trainer(spec, device="cpu")
    app = {"x_train": tr.x_train, "y_train": tr.data.y_train, "x_val": tr.x_val, "y_val": tr.data.y_val}
    for code in (pytorch_script(spec), keras_code(spec)):
        made = data_section(code)
        for key, expected in app.items():
            np.testing.assert_array_equal(made[key], expected.numpy(), err_msg=f"{name} {key}")


def _need_keras() -> None:
    """Keras runs in the exported script's own process (on the torch backend); CI must have it."""
    if importlib.util.find_spec("keras") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("keras is not installed (requirements-dev.txt); CI must have it")
        pytest.skip("keras is not installed")


def _run(code: str, tmp_path, *args: str) -> str:  # type: ignore[no-untyped-def]
    script = tmp_path / "exported.py"
    script.write_text(code)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "KERAS_BACKEND": "torch"}
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env=env)  # fmt: skip
    assert out.returncode == 0, (code, out.stderr[-3000:])
    return out.stdout


@pytest.mark.parametrize("name", SETS_2D)
def test_the_pytorch_export_of_every_2d_set_trains(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _run(pytorch_script(spec_2d(name, epochs=3)), tmp_path)
    assert len(re.findall(r"val_loss [0-9.]+", out)) == 3, out


@pytest.mark.slow  # Keras 3 on the torch backend: about 5 s a set
@pytest.mark.parametrize("name", SETS_2D)
def test_the_keras_export_of_every_2d_set_is_a_whole_script_that_trains(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _need_keras()
    out = _run(keras_code(spec_2d(name)), tmp_path)
    assert out.count("val_loss") >= 2, out[-2000:]  # one progress line per epoch


@pytest.mark.slow
def test_the_keras_export_of_own_points_reads_the_csv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _need_keras()
    data = tmp_path / "points.csv"
    data.write_text("x1,x2,label\n" + "".join(f"{a},{b},{int(a * b > 0)}\n" for a in range(-5, 6) for b in (-4, 4)))
    spec = Spec.from_query("dataset=custom&hidden=4&epochs=2")
    out = _run(keras_code(spec), tmp_path, str(data))
    assert out.count("val_loss") >= 2
