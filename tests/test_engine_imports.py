"""The engine is a plain PyTorch library: importing it pulls in neither Streamlit nor Plotly."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

ENGINE_MODULES = [
    "playground",
    "playground.spec",
    "playground.datasets",
    "playground.model",
    "playground.callbacks",
    "playground.trainer",
    "playground.mnist",
    "playground.cli",
    "playground.export",
    "playground.presets",
    "playground.device",
]


def test_engine_imports_no_ui_libraries() -> None:
    """A fresh interpreter that imports every engine module has no streamlit/plotly in sys.modules."""
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly'))\n"
        "print('loaded=' + ','.join(bad))\n"
        "import torch; print('threads=' + str(torch.get_num_threads()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = dict(line.split("=", 1) for line in out.stdout.strip().splitlines())
    assert lines["loaded"] == "", f"engine imported UI libraries: {lines['loaded']}"
    assert lines["threads"] == "1"


def test_every_engine_file_is_listed() -> None:
    """New engine modules must be added to the import check above (ui/ is the UI side)."""
    found = {
        "playground." + p.stem if p.stem != "__init__" else "playground"
        for p in (ROOT / "playground").glob("*.py")
        if p.stem != "__main__"
    }
    missing = found - set(ENGINE_MODULES)
    # Helper modules added by pages are engine code too; check them all.
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in sorted(found))
    code += "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly'))))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"engine modules {sorted(missing)} import UI libraries: {out.stdout}"
