"""Reading PDFs back in tests: their text (pypdf), pictures of their pages (Debian's
pdftoppm) and the QR codes on them (Debian's zbarimg), as a person and a phone would.

Pictures land in test-artifacts/pdf/ (git-ignored) to look at. Without pdftoppm or zbarimg
the tests that need them skip, loudly; under CI=true they fail (.ci/run installs both).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "pdf"
MM = 72 / 25.4  # PDF points in a millimetre


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace collapsed (a name may wrap across lines)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def page_texts(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def page_size_mm(data: bytes, page: int = 0) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(data)).pages[page].mediabox
    return round(float(box.width) / MM, 1), round(float(box.height) / MM, 1)


def font_names(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.get_object().values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = (
            f"{name} is not installed (Debian: poppler-utils / zbar-tools; .ci/run installs them)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def render_pages(data: bytes, name: str, *, dpi: int = 100) -> list[Path]:
    """Each page as a PNG in test-artifacts/pdf/, named ``name``-N.png."""
    pdftoppm = tool("pdftoppm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(data)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        [pdftoppm, "-r", str(dpi), "-png", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
        check=True,
        timeout=60,
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def qr_payloads(data: bytes, *, dpi: int = 150) -> list[str]:
    """What a phone's camera would read from the first page's QR codes."""
    zbarimg = tool("zbarimg")
    pdftoppm = tool("pdftoppm")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "page.pdf"
        source.write_bytes(data)
        subprocess.run(
            [
                pdftoppm,
                "-r",
                str(dpi),
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(source),
                str(Path(work) / "page"),
            ],
            check=True,
            timeout=60,
        )
        found = subprocess.run(
            [
                zbarimg,
                "--quiet",
                "--raw",
                "-Sdisable",
                "-Sqrcode.enable",
                str(Path(work) / "page.png"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    return [line for line in found.stdout.splitlines() if line]
