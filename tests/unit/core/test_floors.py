"""The floors hold: the import contracts in pyproject.toml pass, and the allocation policy
reads nothing of ours but enum-only modules."""

from __future__ import annotations

import ast
from contextlib import chdir
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"


def test_import_contracts_are_kept() -> None:
    from importlinter.cli import lint_imports

    with chdir(SRC.parent):
        assert lint_imports(no_cache=True) == 0, "an import contract is broken: run scripts/lint"


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


def test_the_policy_imports_only_enum_only_modules_of_ours() -> None:
    policy = SRC / "groundswell" / "allocation" / "policy.py"
    for module in _groundswell_imports(policy):
        path = _module_path(module)
        assert _groundswell_imports(path) == set(), f"{module} imports more of groundswell"
        tree = ast.parse(path.read_text())
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert imported <= {"enum", "__future__"}, f"{module} is not enum-only: {imported}"
