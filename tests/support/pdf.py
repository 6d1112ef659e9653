"""PDF documents as the tests read them: pages turned into PNG (pdftoppm) and their text (pdftotext).

poppler-utils is installed by scripts/install-services.sh; missing, the test skips locally and fails under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (poppler-utils; scripts/install-services.sh)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run every PDF test")
        pytest.skip(message)
    return found


def png_pages(pdf: bytes, folder: Path, *, dpi: int = 80) -> list[Path]:
    """Each page of `pdf` as a PNG file in `folder`, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-r", str(dpi), "-png", str(source), str(folder / "page")], check=True,
                   timeout=60)  # fmt: skip
    return sorted(folder.glob("page-*.png"))


def text_of(pdf: bytes, folder: Path) -> str:
    """The text of `pdf`, page after page."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "text.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([_tool("pdftotext"), "-layout", str(source), "-"], check=True, capture_output=True,
                          timeout=60)  # fmt: skip
    return done.stdout.decode("utf-8")
