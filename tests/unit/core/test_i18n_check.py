"""scripts/i18n --check (run by scripts/lint) fails when a marked text has no Welsh or the .pot
is stale, and passes on the committed catalogue."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("i18n_check", ROOT / "scripts" / "i18n_check.py")
assert _spec and _spec.loader
i18n_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n_check)


def _catalogue(*entries: tuple[str, str]) -> Catalog:
    catalogue = Catalog(locale="cy")
    for msgid, msgstr in entries:
        catalogue.add(msgid, msgstr)
    return catalogue


def test_a_text_without_welsh_fails() -> None:
    pot = _catalogue(("Privacy", ""), ("Contact", ""))
    po = _catalogue(("Privacy", "Preifatrwydd"), ("Contact", ""))
    assert i18n_check.problems(pot, pot, po) == ["no Welsh for: 'Contact'"]
    assert i18n_check.problems(pot, pot, _catalogue(("Privacy", "Preifatrwydd"))) == [
        "no Welsh for: 'Contact'"
    ]


def test_a_stale_template_fails() -> None:
    extracted = _catalogue(("Privacy", ""), ("Contact", ""))
    committed = _catalogue(("Privacy", ""))
    po = _catalogue(("Privacy", "Preifatrwydd"), ("Contact", "Cysylltu"))
    [problem] = i18n_check.problems(extracted, committed, po)
    assert problem.startswith("messages.pot is stale (1 new, 0 gone)")
    assert i18n_check.problems(extracted, extracted, po) == []


def test_the_committed_catalogue_passes_the_check() -> None:
    result = subprocess.run(
        ["scripts/i18n", "--check"],
        cwd=ROOT,
        env={"GROUNDSWELL_VENV": str(Path(sys.executable).parents[1]), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
