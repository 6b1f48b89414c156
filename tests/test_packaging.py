"""The project installs as a package: a wheel with the engine, the shipped MNIST and a ``playground`` command.

The wheel is built from this checkout without network (``--no-build-isolation``) and
installed into a temporary folder; its command line runs there, and the shipped
MNIST files inside it are the ones the loader verifies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_pyproject_pins_the_same_runtime_dependencies_as_requirements_txt() -> None:
    pins = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(project["dependencies"]) == sorted(pins)
    assert project["scripts"]["playground"] == "playground.cli:main"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, installed (without its dependencies) into a fresh folder."""
    wheels, target = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(wheels)], check=True,
                   cwd=wheels)  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "playground/data/mnist/train-images-idx3-ubyte.gz" in names and "playground/data/mnist/SOURCE.md" in names
    assert not [n for n in names if n.startswith(("tests/", "app_pages/", "bench/"))]
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def test_the_installed_package_has_a_playground_command_that_trains(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed), "OMP_NUM_THREADS": "1", "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("PLAYGROUND_DATA_DIR", None)
    command = installed / "bin" / "playground"
    assert command.is_file()
    out = subprocess.run(
        [sys.executable, str(command), "train", "--dataset", "xor", "--epochs", "3", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert '"event": "end"' in out.stdout
    # The engine imported is the installed copy, and it finds its own shipped MNIST.
    probe = "from playground import mnist; print(mnist.SHIPPED_MNIST); print(mnist.find_files('mnist')[0])"
    where = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    shipped, first = where.stdout.split()
    assert shipped.startswith(str(installed)) and first.startswith(shipped)
