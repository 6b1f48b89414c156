"""Where the engine computes: device choice and the CPU thread count.

``resolve_device("auto")`` picks cuda, then mps, then cpu. The thread count is
set to 1 when the engine is imported (``PLAYGROUND_THREADS`` overrides): on a
small shared server, one busy thread per training beats two fighting threads.
"""

from __future__ import annotations

import os

import torch

DEVICES = ("auto", "cpu", "cuda", "mps")


def configure_threads() -> int:
    """Set torch's intra-op threads from PLAYGROUND_THREADS (default 1)."""
    raw = os.environ.get("PLAYGROUND_THREADS", "1")
    try:
        threads = max(1, int(raw))
    except ValueError:
        threads = 1
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``auto`` -> cuda if present, else mps, else cpu. Unavailable names raise ValueError."""
    if isinstance(name, torch.device):
        return name
    name = (name or "auto").strip().lower()
    if name == "auto":
        name = os.environ.get("PLAYGROUND_DEVICE", "auto").strip().lower() or "auto"
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device cuda was asked for, but no CUDA GPU is available")
        return torch.device("cuda")
    if name == "mps":
        if not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
            raise ValueError("device mps was asked for, but Apple's MPS is not available")
        return torch.device("mps")
    raise ValueError(f"unknown device {name!r}; expected one of {', '.join(DEVICES)}")


def describe(device: torch.device) -> str:
    """Human words for a device: 'GPU (NVIDIA H100)' or 'CPU (1 thread)'."""
    if device.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "GPU (Apple MPS)"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"
