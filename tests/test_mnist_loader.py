"""MNIST loading: real files with checksums, corrupt files, missing files, and the download path.

The download is tested against a local stand-in (an HTTP server on loopback
serving copies of the real files): no test needs the network.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from playground import mnist
from tests.conftest import MNIST_FILES


def test_real_mnist_loads_with_checksums(mnist_arrays) -> None:  # type: ignore[no-untyped-def]
    a = mnist_arrays
    assert a.train_images.shape == (60000, 28, 28) and a.test_images.shape == (10000, 28, 28)
    assert a.train_labels.shape == (60000,) and int(a.train_labels.max()) == 9
    assert np.bincount(a.test_labels).tolist()[:3] == [980, 1135, 1032]  # MNIST's known test counts
    assert "LeCun" in a.credit
    ds = mnist.to_dataset(a, "mnist", 0.2)
    assert ds.x_train.shape == (48000, 784) and float(ds.x_train.max()) == 1.0
    # Keras's validation_split holds out the *last* 20 % of the training set.
    assert np.array_equal(ds.y_val.numpy(), a.train_labels[48000:])


def test_uncompressed_files_are_accepted(mnist_dir: Path, tmp_path: Path) -> None:
    for name in MNIST_FILES[2:]:
        (tmp_path / name.removesuffix(".gz")).write_bytes(gzip.decompress((mnist_dir / name).read_bytes()))
    for name in MNIST_FILES[:2]:
        shutil.copy(mnist_dir / name, tmp_path / name)
    arrays = mnist.load_arrays("mnist", download_missing=False, data_dir=tmp_path)
    assert arrays.test_images.shape == (10000, 28, 28)


@pytest.mark.parametrize("damage", ["flip", "truncate", "header"])
def test_corrupt_files_are_rejected(mnist_dir: Path, tmp_path: Path, damage: str) -> None:
    for name in MNIST_FILES:
        shutil.copy(mnist_dir / name, tmp_path / name)
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(target.read_bytes()))
    if damage == "flip":
        content[100] ^= 0xFF
    elif damage == "truncate":
        content = content[:5000]
    else:
        content[3] = 3
    target.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(mnist.DataCorrupt):
        mnist.load_arrays("mnist", download_missing=False, data_dir=tmp_path)


def without_shipped_copy(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    """MNIST as if the package shipped no copy: the downloader's path (for Fashion-MNIST, and old installs)."""
    monkeypatch.setitem(mnist.SOURCES, "mnist", dataclasses.replace(mnist.SOURCES["mnist"], system_dirs=(), **changes))


def test_the_shipped_copy_is_found_offline_with_its_credit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh machine (empty cache, no PLAYGROUND_DATA_DIR, no network) reads the MNIST files shipped in the package."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    found = mnist.find_files("mnist")
    assert found is not None and all(p.parent == mnist.SHIPPED_MNIST for p in found)
    arrays = mnist.load_arrays("mnist", download_missing=False)
    assert arrays.train_images.shape == (60000, 28, 28) and arrays.test_labels.shape == (10000,)
    credit = (mnist.SHIPPED_MNIST / "SOURCE.md").read_text()
    assert "Yann LeCun, Corinna Cortes and Christopher J. C. Burges" in credit
    assert not (tmp_path / "cache").exists()  # nothing was downloaded


def test_missing_files_say_where_to_put_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    without_shipped_copy(monkeypatch)
    with pytest.raises(mnist.DataMissing) as err:
        mnist.load_arrays("mnist", download_missing=False, data_dir=tmp_path / "empty")
    message = str(err.value)
    assert str(tmp_path / "cache" / "playground" / "mnist") in message and "PLAYGROUND_DATA_DIR" in message
    assert "train-images-idx3-ubyte.gz" in message


@pytest.fixture
def local_mirror(mnist_dir: Path, tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server holding copies of the real files: the canonical mirror's stand-in."""
    served = tmp_path / "mirror"
    served.mkdir()
    for name in MNIST_FILES:
        shutil.copy(mnist_dir / name, served / name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_download_from_mirror_with_progress(local_mirror: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    dead = "http://127.0.0.1:9/"  # nothing listens: the loader moves on to the next mirror
    without_shipped_copy(monkeypatch, mirrors=(dead, local_mirror))
    seen: list[tuple[str, float]] = []
    arrays = mnist.load_arrays("mnist", progress=lambda name, frac: seen.append((name, frac)))
    assert arrays.train_images.shape == (60000, 28, 28)
    assert all((cache / "playground" / "mnist" / name).is_file() for name in MNIST_FILES)
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) > 4


def test_download_failure_is_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    without_shipped_copy(monkeypatch, mirrors=("http://127.0.0.1:9/",))
    with pytest.raises(mnist.DataMissing, match="could not be downloaded"):
        mnist.load_arrays("mnist")


def test_a_wrong_download_is_not_kept(mnist_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "bad-mirror"
    mirror.mkdir()
    for name in MNIST_FILES:
        (mirror / name).write_bytes(gzip.compress(b"not mnist"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = dataclasses.replace(mnist.SOURCES["mnist"], mirrors=(mirror.as_uri() + "/",))
    monkeypatch.setitem(mnist.SOURCES, "mnist", source)
    with pytest.raises(mnist.DataMissing, match="checksum"):
        mnist.download("mnist")
    assert not list((tmp_path / "cache" / "playground" / "mnist").glob("*.gz"))
