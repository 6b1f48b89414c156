"""Shared fixtures: real MNIST (the copy shipped in ``playground/data/mnist``), one torch thread.

``$PLAYGROUND_TEST_MNIST`` points the tests at another folder of the four IDX
files. When the folder lacks them the tests that need MNIST skip with a clear
reason; under CI (CI=true) missing data is a failure, not a skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = Path(os.environ.get("PLAYGROUND_TEST_MNIST", ROOT / "playground" / "data" / "mnist"))
MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

torch.set_num_threads(1)
# Headless app tests (AppTest) run every page in this process, where a background thread would make
# the epochs a run sees depend on timing: here each live frame runs the training service's round
# itself. Real servers (the browser tests) keep the worker thread (tests/browser/conftest.py).
os.environ.setdefault("PLAYGROUND_TRAINING_THREAD", "0")


def mnist_available() -> bool:
    return all((MNIST_DIR / f).is_file() for f in MNIST_FILES)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with real MNIST; skips (or fails under CI) when it is missing."""
    if not mnist_available():
        message = f"real MNIST not found in {MNIST_DIR} (set PLAYGROUND_TEST_MNIST to its folder)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must have it")
        pytest.skip(message)
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist_arrays(mnist_dir: Path):  # type: ignore[no-untyped-def]
    from playground import mnist

    return mnist.load_arrays("mnist", download_missing=False, data_dir=mnist_dir)


@pytest.fixture(autouse=True)
def _sessions_of_a_finished_test_leave_the_training_service() -> Iterator[None]:
    """AppTest sessions never close their browser: free their slots when the test ends, as a closed tab would."""
    yield
    live = sys.modules.get("playground.ui.live")
    if live is not None:
        live.server().service.clear()
