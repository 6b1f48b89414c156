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
    "playground.controls",
    "playground.bounds",
    "playground.activations",
    "playground.losses",
    "playground.data_sets",
    "playground.optimizers",
    "playground.lessons",
    "playground.lessons.activations",
    "playground.lessons.perceptron",
    "playground.lessons.network",
    "playground.lessons.losses",
    "playground.lessons.gradient_descent",
    "playground.lessons.loss_surfaces",
    "playground.lessons.backprop",
    "playground.lessons.overfitting",
    "playground.lessons.overfitting_runs",
    "playground.lessons.mnist",
    "playground.lessons.mnist_model_file",
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
    """New engine modules (the core and the lessons) must be added to the import check above (ui/ is the UI side)."""
    files = [*(ROOT / "playground").glob("*.py"), *(ROOT / "playground" / "lessons").glob("*.py")]
    found = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in files
        if p.stem != "__main__"
    }
    missing = found - set(ENGINE_MODULES)
    # Helper modules added by pages are engine code too; check them all.
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in sorted(found))
    code += "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly'))))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"engine modules {sorted(missing)} import UI libraries: {out.stdout}"


#: The layers, from the top: a module may import its own layer and the ones below, never one above.
LAYERS = (("app_pages", "app"), ("playground.ui",), ("playground.lessons",), ("playground",))


def _layer(module: str) -> int:
    return next(
        i for i, prefixes in enumerate(LAYERS) if any(module == p or module.startswith(p + ".") for p in prefixes)
    )


def test_imports_only_point_down_pages_ui_lessons_core() -> None:
    """pages -> ui -> lessons -> core: the core never imports a lesson or the UI, a lesson never the UI."""
    import ast

    upward = []
    files = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "playground").rglob("*.py")]
    for path in files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target.split(".")[0] not in ("playground", "app_pages") or target == "playground.ui":
                    continue
                if _layer(target) < _layer(module):
                    upward.append(f"{module} imports {target}")
    assert not upward, upward
