"""MNIST and Fashion-MNIST from their standard IDX files, checksums verified.

MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges.
Fashion-MNIST: Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research, MIT licence).

Where the files are looked for, in order:

1. ``$PLAYGROUND_DATA_DIR`` (the folder itself, or its ``mnist/`` / ``fashion_mnist/`` subfolder);
2. the user cache ``~/.cache/playground/<name>`` (or ``$XDG_CACHE_HOME``);
3. for MNIST, the copy shipped in the package (``playground/data/mnist``, see its SOURCE.md), so
   the app and the command line work offline and a restarted hosted app starts at once;
   for Fashion-MNIST, ``/usr/share/datasets/fashion-mnist`` (Debian's dataset-fashion-mnist).

When they are absent they are downloaded into the user cache from the
canonical mirrors, with progress; when that fails (no network) ``DataMissing``
says exactly where to put the files. Each file is accepted when either its
gzip file or its uncompressed content has a known MD5, and its IDX header
matches the expected shape.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from playground.datasets import Dataset

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class IdxFile:
    name: str
    shape: tuple[int, ...]
    md5s: frozenset[str]  # gzip-file MD5s and/or uncompressed-content MD5s


@dataclass(frozen=True)
class Source:
    title: str
    credit: str
    mirrors: tuple[str, ...]
    files: tuple[IdxFile, IdxFile, IdxFile, IdxFile]  # train images, train labels, test images, test labels
    class_names: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()


#: MNIST ships with the package (about 11 MB of gzip files, with their credit in SOURCE.md).
SHIPPED_MNIST = Path(__file__).resolve().parent / "data" / "mnist"

SOURCES: dict[str, Source] = {
    "mnist": Source(
        title="MNIST",
        credit="MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files=(
            IdxFile(
                "train-images-idx3-ubyte.gz",
                (60000, 28, 28),
                frozenset({"f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"}),
            ),
            IdxFile(
                "train-labels-idx1-ubyte.gz",
                (60000,),
                frozenset({"d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"}),
            ),
            IdxFile(
                "t10k-images-idx3-ubyte.gz",
                (10000, 28, 28),
                frozenset({"9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"}),
            ),
            IdxFile(
                "t10k-labels-idx1-ubyte.gz",
                (10000,),
                frozenset({"ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"}),
            ),
        ),
        class_names=tuple(str(d) for d in range(10)),
        system_dirs=(str(SHIPPED_MNIST),),
    ),
    "fashion_mnist": Source(
        title="Fashion-MNIST",
        credit="Fashion-MNIST by Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research, MIT licence)",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        files=(
            IdxFile("train-images-idx3-ubyte.gz", (60000, 28, 28), frozenset({"8d4fb7e6c68d591d4c3dfef9ec88bf0d"})),
            IdxFile("train-labels-idx1-ubyte.gz", (60000,), frozenset({"25c81989df183df01b3e8a0aad5dffbe"})),
            IdxFile("t10k-images-idx3-ubyte.gz", (10000, 28, 28), frozenset({"bef4ecab320f06d8554ea6380940ec79"})),
            IdxFile("t10k-labels-idx1-ubyte.gz", (10000,), frozenset({"bb300cfdad3c16e7a12a480ee83cd310"})),
        ),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}


class DataMissing(FileNotFoundError):
    """The files are not on disk and could not be downloaded; the message says where to put them."""


class DataCorrupt(ValueError):
    """A file is there but is not the expected IDX data (wrong checksum or header)."""


def cache_dir(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "playground" / name


def candidate_dirs(name: str, data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders searched for the files, in order (``data_dir`` first when given)."""
    dirs: list[Path] = []
    for chosen in (data_dir, os.environ.get("PLAYGROUND_DATA_DIR")):
        if not chosen:
            continue
        root = Path(chosen)
        dirs += [root / name, root / name.replace("_", "-")]
        if name == "mnist":  # a bare folder of IDX files is taken to be MNIST
            dirs.append(root)
    dirs.append(cache_dir(name))
    dirs += [Path(d) for d in SOURCES[name].system_dirs]
    return dirs


def _find_file(directory: Path, filename: str) -> Path | None:
    for candidate in (filename, filename.removesuffix(".gz")):
        path = directory / candidate
        if path.is_file():
            return path
    return None


def find_files(name: str, data_dir: str | os.PathLike[str] | None = None) -> list[Path] | None:
    """The four files from the first folder that holds all of them, or None."""
    for directory in candidate_dirs(name, data_dir):
        paths = [_find_file(directory, f.name) for f in SOURCES[name].files]
        if all(p is not None for p in paths):
            return [p for p in paths if p is not None]
    return None


def _read_bytes(path: Path) -> tuple[bytes, str, str | None]:
    """The uncompressed content, its MD5, and the MD5 of the gzip file (if gzipped)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise DataCorrupt(f"{path}: not a readable gzip file ({exc})") from None
        return content, hashlib.md5(content).hexdigest(), hashlib.md5(raw).hexdigest()
    return raw, hashlib.md5(raw).hexdigest(), None


def parse_idx(content: bytes, expected_shape: tuple[int, ...], label: str = "file") -> np.ndarray:
    """Parse IDX bytes of unsigned bytes (type 0x08) with the expected shape."""
    ndim = len(expected_shape)
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DataCorrupt(f"{label}: too short for an IDX header")
    if content[0] != 0 or content[1] != 0 or content[2] != 0x08 or content[3] != ndim:
        raise DataCorrupt(f"{label}: not an IDX file of unsigned bytes with {ndim} dimensions")
    dims = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if dims != expected_shape:
        raise DataCorrupt(f"{label}: shape {dims}, expected {expected_shape}")
    body = np.frombuffer(content, dtype=np.uint8, offset=header)
    if body.size != int(np.prod(expected_shape)):
        raise DataCorrupt(f"{label}: {body.size} values, expected {int(np.prod(expected_shape))}")
    return body.reshape(expected_shape)


def read_verified(path: Path, spec: IdxFile, verify: bool = True) -> np.ndarray:
    content, md5_content, md5_gzip = _read_bytes(path)
    if verify and md5_content not in spec.md5s and md5_gzip not in spec.md5s:
        raise DataCorrupt(f"{path}: checksum mismatch (MD5 {md5_content}); the file is damaged or not {spec.name}")
    return parse_idx(content, spec.shape, str(path))


def download(name: str, target: Path | None = None, progress: Progress | None = None, timeout: float = 20.0) -> Path:
    """Fetch the four files into ``target`` (the user cache) from the first mirror that works."""
    source = SOURCES[name]
    target = target or cache_dir(name)
    target.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for index, spec in enumerate(source.files):
        dest = target / spec.name
        if dest.is_file():
            continue
        for mirror in source.mirrors:
            url = mirror + spec.name
            try:
                _fetch(url, dest, spec, timeout, _file_progress(progress, spec.name, index))
                break
            except (OSError, ValueError, DataCorrupt) as exc:
                errors.append(f"{url}: {exc}")
        else:
            raise DataMissing(missing_message(name, errors))
    if progress:
        progress("done", 1.0)
    return target


def _file_progress(progress: Progress | None, filename: str, index: int) -> Callable[[float], object]:
    """Progress of one of the four files, reported as a share of the whole download."""
    return lambda fraction: progress(filename, (index + fraction) / 4) if progress else None


def _fetch(url: str, dest: Path, spec: IdxFile, timeout: float, progress: Callable[[float], object]) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # fixed https/http mirrors
        total = int(response.headers.get("Content-Length") or 0)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                done = 0
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if total:
                        progress(min(done / total, 1.0))
            read_verified(Path(tmp), spec)  # checksum and header, before it is kept
            shutil.move(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def missing_message(name: str, errors: list[str] | None = None) -> str:
    source = SOURCES[name]
    names = ", ".join(f.name for f in source.files)
    lines = [
        f"{source.title} is not on this machine and could not be downloaded.",
        f"Put the four files ({names}) in {cache_dir(name)}",
        "or in a folder named by the environment variable PLAYGROUND_DATA_DIR, then reload.",
    ]
    if errors:
        lines.append("Download errors: " + "; ".join(errors[-2:]))
    return " ".join(lines)


@dataclass
class ImageData:
    """Raw uint8 images and labels, before any split."""

    train_images: np.ndarray  # [60000, 28, 28] uint8
    train_labels: np.ndarray  # [60000] uint8
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
    credit: str


def load_arrays(
    name: str = "mnist",
    download_missing: bool = True,
    progress: Progress | None = None,
    verify: bool = True,
    data_dir: str | os.PathLike[str] | None = None,
) -> ImageData:
    """The four arrays, from disk or downloaded. Raises DataMissing or DataCorrupt."""
    if name not in SOURCES:
        raise ValueError(f"unknown image data set {name!r}; expected one of {', '.join(SOURCES)}")
    paths = find_files(name, data_dir)
    if paths is None:
        if not download_missing:
            raise DataMissing(missing_message(name))
        target = download(name, progress=progress)
        paths = [p for p in (_find_file(target, f.name) for f in SOURCES[name].files) if p is not None]
    source = SOURCES[name]
    arrays = [read_verified(path, spec, verify) for path, spec in zip(paths, source.files, strict=True)]
    labels_ok = all(int(a.max()) < len(source.class_names) for a in (arrays[1], arrays[3]))
    if not labels_ok:
        raise DataCorrupt(f"{name}: a label is outside 0-{len(source.class_names) - 1}")
    return ImageData(arrays[0], arrays[1], arrays[2], arrays[3], class_names=source.class_names, credit=source.credit)


def to_dataset(images: ImageData, name: str, validation_split: float) -> Dataset:
    """Pixels scaled to [0, 1] and flattened to 784; the last ``validation_split``
    of the training set is held out, as Keras's ``fit(validation_split=...)`` does."""
    x = torch.from_numpy(images.train_images.reshape(len(images.train_images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(images.train_labels.astype(np.int64))
    n_val = int(len(x) * validation_split)
    n_train = len(x) - n_val
    x_test = torch.from_numpy(images.test_images.reshape(len(images.test_images), -1).astype(np.float32) / 255.0)
    y_test = torch.from_numpy(images.test_labels.astype(np.int64))
    return Dataset(
        name=name,
        x_train=x[:n_train],
        y_train=y[:n_train],
        x_val=x[n_train:],
        y_val=y[n_train:],
        num_classes=len(images.class_names),
        x_test=x_test,
        y_test=y_test,
        image_side=images.train_images.shape[1],
    )


def load_dataset(
    name: str, validation_split: float, data_dir: str | None = None, progress: Progress | None = None
) -> Dataset:
    """MNIST or Fashion-MNIST as a train/validation/test ``Dataset``."""
    return to_dataset(load_arrays(name, progress=progress, data_dir=data_dir), name, validation_split)
