"""House rules that keep a shared server safe for a whole class.

Everything per user lives in ``st.session_state``. Imported modules are shared by
every session of the server, so a module-level mutable object (a dict, a list,
a model) in ``playground/`` would leak between students; the one exception is the
training service (``playground.ui.live._server``), which reaches a session's trainer
only through that session's handle; ``st.cache_resource``
is shared too and may only hold read-only data. These tests fail when such a
thing appears. (Page scripts under ``app_pages/`` are re-run per session, so
their top-level names are per run, not shared.)
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

#: The one sanctioned server-wide object: the training service with the frame scheduler
#: (``playground.ui.live.LiveServer``). It hands each session an opaque handle to its own slot.
ALLOWED_MODULE_STATE = {("playground/ui/live.py", "_server")}
MUTABLE_CALLS = {
    "dict", "list", "set", "defaultdict", "OrderedDict", "deque", "Lock", "RLock", "Trainer", "Generator",
    "TrainingService", "LiveServer", "FrameScheduler", "Semaphore", "BoundedSemaphore", "Event",
}  # fmt: skip


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def is_mutable(value: ast.expr) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in MUTABLE_CALLS
    return False


def test_no_mutable_module_level_state_in_shared_modules() -> None:
    offenders = []
    for path in python_files("playground"):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.parse(path.read_text()).body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                name = target.id
                if name.isupper() or name.startswith("__"):
                    continue  # constants by convention: never mutated
                if is_mutable(value) and (rel, name) not in ALLOWED_MODULE_STATE:
                    offenders.append(f"{rel}:{node.lineno} {name}")
    assert not offenders, "module-level mutable state is shared by every user: " + ", ".join(offenders)


def test_module_constants_are_never_mutated() -> None:
    """UPPER_CASE module objects are read-only: no .append/.update/item assignment on them anywhere."""
    constants: set[str] = set()
    for path in python_files("playground"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        constants.add(target.id)
    offenders = []
    for path in [*python_files("playground", "app_pages"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"append", "extend", "update", "pop", "clear", "add", "insert", "setdefault"}
            ):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in constants:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner.id}.{node.func.attr}")
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in constants
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}[...] =")
    assert not offenders, offenders


def test_cache_resource_only_holds_read_only_data() -> None:
    """Every st.cache_resource function must say in its docstring that what it returns is read-only."""
    offenders = []
    for path in [*python_files("playground", "app_pages"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr == "cache_resource":
                    doc = (ast.get_docstring(node) or "").lower()
                    returns = ast.unparse(node.returns) if node.returns else ""
                    if "read-only" not in doc or any(bad in returns for bad in ("Trainer", "Module", "Optimizer")):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not offenders, "st.cache_resource is shared by all users: " + ", ".join(offenders)


def test_only_the_state_module_touches_session_state_and_query_params() -> None:
    offenders = []
    for path in [*python_files("playground", "app_pages"), ROOT / "app.py"]:
        rel = path.relative_to(ROOT).as_posix()
        if rel == "playground/ui/state.py":
            continue
        text = path.read_text()
        for needle in ("st.session_state", "st.query_params"):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert not offenders, offenders


def test_engine_files_import_no_ui() -> None:
    for path in python_files("playground"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("playground/ui/"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"streamlit", "plotly"}, f"{rel} imports {name}"
                assert not name.startswith("playground.ui"), f"{rel} imports {name}"


def test_streamlit_magic_is_off_and_no_page_has_a_bare_conditional_expression() -> None:
    """Magic wrote a stray ``st.error(...) if c else st.markdown(...)`` (a DeltaGenerator) into the page as help text."""
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "magicEnabled = false" in config
    offenders = []
    for path in [*python_files("app_pages", "playground/ui"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Expr) and isinstance(node.value, (ast.IfExp, ast.BoolOp)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"use an if statement, not an expression, for these: {offenders}"


def test_pages_read_as_scripts_and_long_files_say_why() -> None:
    """Every page script is at most 150 lines; a module over 400 lines gives the reason in its docstring."""
    long_pages = [p.name for p in (ROOT / "app_pages").glob("*.py") if len(p.read_text().splitlines()) > 150]
    assert not long_pages, f"pages over 150 lines: {long_pages}"
    unexplained = []
    for path in python_files("playground"):
        if len(path.read_text().splitlines()) > 400:
            doc = ast.get_docstring(ast.parse(path.read_text())) or ""
            if "400 lines" not in doc:
                unexplained.append(path.relative_to(ROOT).as_posix())
    assert not unexplained, f"over 400 lines without a reason in the docstring: {unexplained}"


def test_pages_keep_their_state_in_one_typed_object() -> None:
    """No loose "page:thing" keys: a page's remembered state is its dataclass under state:<page>.

    The shared keys stay: ``spec:<page>`` and ``notices:<page>`` (read by the header) and
    ``state:<page>`` itself.
    """
    import re

    loose = []
    for path in [*python_files("app_pages", "playground/ui")]:
        for key in re.findall(r"""state\.(?:get|put|pop|peek)\(f?["']([a-z_]+):""", path.read_text()):
            if key not in ("spec", "notices", "state"):
                loose.append(f"{path.relative_to(ROOT)}: {key}:")
    assert not loose, loose


def test_the_training_service_is_the_one_server_wide_object() -> None:
    """Exactly one module-level service object, in the live loop; nothing else in the app builds one."""
    found = []
    for path in [*python_files("playground", "app_pages"), ROOT / "app.py"]:
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if name in ("TrainingService", "LiveServer"):
                    found.append((rel, name))
    assert sorted(found) == [("playground/ui/live.py", "LiveServer"), ("playground/ui/live.py", "TrainingService")]
