"""The floors hold: the import contracts in pyproject.toml pass, and the allocation policy
reads nothing of ours but enum-only modules."""

from __future__ import annotations

import ast
import logging
import sys
from contextlib import chdir
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"


def test_import_contracts_are_kept() -> None:
    from importlinter.cli import lint_imports

    # import-linter configures logging with disable_existing_loggers: without putting the
    # loggers back, every later test in this process would log nothing (caplog sees nothing).
    loggers = [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    disabled = {lg.name: lg.disabled for lg in loggers}
    try:
        with chdir(SRC.parent):
            assert lint_imports(no_cache=True) == 0, (
                "an import contract is broken: run scripts/lint"
            )
    finally:
        for lg in loggers:
            lg.disabled = disabled[lg.name]


def _groundswell_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("groundswell"):
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("groundswell"))
    return found


def _module_path(module: str) -> Path:
    base = SRC.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


# The policy's own pure helpers (scoring arithmetic), which may use numpy.
PURE_POLICY_HELPERS = {
    "groundswell.allocation.cocm",
    "groundswell.allocation.pairwise",
    "groundswell.allocation.exactsum",
}


def _imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }


def _assert_pure(module: str, seen: set[str]) -> None:
    if module in seen:
        return
    seen.add(module)
    path = _module_path(module)
    for ours in _groundswell_imports(path):
        if ours in PURE_POLICY_HELPERS:
            _assert_pure(ours, seen)
            continue
        assert _groundswell_imports(_module_path(ours)) == set(), f"{ours} imports more of ours"
        imported = _imported_names(_module_path(ours))
        assert imported <= {"enum", "__future__"}, f"{ours} is not enum-only: {imported}"
    outside = {
        name.split(".")[0] for name in _imported_names(path) if not name.startswith("groundswell")
    }
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    assert outside <= allowed, f"{module} imports {outside - allowed}"


def test_the_policy_imports_only_pure_helpers_and_enum_only_modules_of_ours() -> None:
    _assert_pure("groundswell.allocation.policy", set())
