"""The MNIST page's model files: one safetensors file with the weights, the spec and a checksum; never a pickle.

``save_model`` writes the network's weights as float32 tensors, with the spec as
JSON and a SHA-256 of both in the file's metadata. ``load_model`` reads such a
file back without unpickling anything and checks everything a student's file
could get wrong; each problem raises ``ModelFileError`` with a sentence a student
can read. ``load_for_page`` adds the page's caps, and ``install_weights`` puts the
loaded weights into a trainer.

The recipe and the caps are in ``playground.lessons.mnist``. No Streamlit, no Plotly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import struct
from typing import Any

import numpy as np
import torch

from playground.lessons.mnist import MAX_LAYERS, MAX_WIDTH, PIXELS, fit_to_page, needs_new_trainer
from playground.model import MLP, build_model, output_size
from playground.spec import Spec, SpecError
from playground.trainer import Trainer

FORMAT = "deep-learning-playground/mlp"
FORMAT_VERSION = "1"
MAX_FILE_BYTES = 16 * 1024 * 1024  # the largest capped network is ~3 MB


class ModelFileError(ValueError):
    """A model file is not one this app wrote, is truncated or was changed; the message says which."""


def _digest(spec_json: str, tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 over the spec's JSON text, then the tensors' names, shapes and float32 bytes, in name order.

    It detects accidental damage and casual edits (not a signature: anyone can recompute it).
    """
    h = hashlib.sha256(spec_json.encode("utf-8") + b"\0")
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        h.update(name.encode() + b"\0" + repr(arr.shape).encode() + b"\0" + arr.tobytes())
    return h.hexdigest()


def expected_shapes(spec: Spec, num_classes: int = 10) -> dict[str, tuple[int, ...]]:
    """The state_dict shapes of the network ``spec`` describes on 784 inputs."""
    widths = (PIXELS, *spec.model.hidden, output_size(spec.model.problem, num_classes))
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        shapes[f"layers.{i}.weight"] = (b, a)
        shapes[f"layers.{i}.bias"] = (b,)
    return shapes


def save_model(model: MLP, spec: Spec) -> bytes:
    """The model's weights as safetensors bytes, with the spec and a checksum in the metadata."""
    from safetensors.numpy import save

    tensors = {k: v.detach().float().cpu().numpy().astype("<f4") for k, v in model.state_dict().items()}
    spec_json = spec.to_json()
    metadata = {"format": FORMAT, "version": FORMAT_VERSION, "spec": spec_json, "sha256": _digest(spec_json, tensors)}
    return bytes(save(tensors, metadata=metadata))


def _header(data: bytes) -> tuple[dict[str, Any], int]:
    """The safetensors JSON header and where the tensor bytes start, checked for sanity."""
    if len(data) < 8:
        raise ModelFileError("The file is too short to be a safetensors model (it may be truncated).")
    (size,) = struct.unpack("<Q", data[:8])
    if size < 2 or 8 + size > len(data):
        raise ModelFileError("The file's header is damaged or the file is truncated.")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelFileError(
            "The file's header is not valid JSON: it is not a safetensors file, or it was changed."
        ) from None
    if not isinstance(header, dict):
        raise ModelFileError("The file's header is not a safetensors header.")
    return header, 8 + size


def _read_tensors(header: dict[str, Any], body: memoryview) -> dict[str, np.ndarray]:
    """Each tensor from its dtype, shape and byte offsets; only F32 is accepted."""
    tensors: dict[str, np.ndarray] = {}
    end_of_data = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or info.get("dtype") != "F32":
            raise ModelFileError(f"Tensor {name!r} is not stored as 32-bit floats.")
        shape, offsets = info.get("shape"), info.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(d, int) and 0 <= d < 2**24 for d in shape)):
            raise ModelFileError(f"Tensor {name!r} has a damaged shape.")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ModelFileError(f"Tensor {name!r} has damaged offsets.")
        start, stop = offsets
        count = math.prod(shape)
        if not (0 <= start <= stop <= len(body)) or stop - start != 4 * count:
            raise ModelFileError(f"Tensor {name!r} does not fit in the file (truncated or changed).")
        tensors[name] = np.frombuffer(body[start:stop], dtype="<f4").reshape(shape).copy()
        end_of_data = max(end_of_data, stop)
    if end_of_data != len(body):
        raise ModelFileError("The file has extra or missing bytes after the tensors (truncated or changed).")
    return tensors


def load_model(data: bytes) -> tuple[Spec, dict[str, torch.Tensor]]:
    """(spec, state_dict) from bytes written by ``save_model``; raises only ``ModelFileError``.

    Checks, in order: the safetensors layout, the format tag, the spec (strict
    parsing), the tensor names and shapes the spec implies, the checksum, and
    that every value is finite. Nothing is unpickled.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ModelFileError("Expected the bytes of a .safetensors file.")
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB: not a model from this page.")
    header, start = _header(data)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("This safetensors file was not saved by the playground (no playground metadata).")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"Model file version {meta.get('version')!r} is not supported (expected {FORMAT_VERSION})."
        )
    spec_json = str(meta.get("spec", ""))
    try:
        spec = Spec.from_json(spec_json)
    except SpecError as exc:
        raise ModelFileError(f"The spec stored in the file is invalid ({exc}).") from None
    if not spec.is_image or spec.model.problem != "multiclass":
        raise ModelFileError("The stored spec is not an MNIST / Fashion-MNIST classifier.")
    tensors = _read_tensors(header, memoryview(data)[start:])
    shapes = expected_shapes(spec, spec.num_classes or 10)
    if set(tensors) != set(shapes):
        raise ModelFileError("The file's tensors do not match the network its spec describes.")
    for name, shape in shapes.items():
        if tensors[name].shape != shape:
            raise ModelFileError(f"Tensor {name} has shape {tensors[name].shape}; the spec needs {shape}.")
    if meta.get("sha256") != _digest(spec_json, tensors):
        raise ModelFileError("The weights or spec do not match the file's checksum: the file was changed or damaged.")
    if not all(np.isfinite(t).all() for t in tensors.values()):
        raise ModelFileError("The file holds weights that are not finite numbers (NaN or infinity).")
    return spec, {k: torch.from_numpy(v) for k, v in tensors.items()}


def load_for_page(data: bytes) -> tuple[Spec, dict[str, torch.Tensor]]:
    """``load_model``, then the page's caps: a network beyond them is refused (``ModelFileError``)."""
    spec, state = load_model(data)
    capped, _notices = fit_to_page(spec)
    if needs_new_trainer(spec, capped):
        raise ModelFileError(
            f"This model's network {list(spec.model.hidden)} is larger than this page allows "
            f"(up to {MAX_LAYERS} hidden layers of {MAX_WIDTH} neurons)."
        )
    return capped, state


def model_from_file(data: bytes) -> tuple[Spec, MLP]:
    """A ready network from a model file (raises ``ModelFileError``)."""
    spec, state = load_model(data)
    model = build_model(spec, PIXELS, spec.num_classes or 10)
    model.load_state_dict(state)
    return spec, model


def install_weights(trainer: Trainer, state: dict[str, torch.Tensor]) -> None:
    """Put loaded weights into a trainer built for the same spec (its epoch 0 starts from them)."""
    trainer.model.load_state_dict({k: v.to(trainer.device) for k, v in state.items()})
    trainer.initial_state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    trainer.reset()
