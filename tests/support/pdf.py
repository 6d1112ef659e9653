"""PDF documents as the tests read them: pages turned into PNG (pdftoppm), their text and words (pdftotext).

poppler-utils is installed by scripts/install-services.sh; missing, the test skips locally and fails under CI.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Placed:
    """Something read off a page (a word, a QR code's text) and its box, in PDF points from the page's top left."""

    text: str
    page: int  # from 1
    left: float
    top: float
    right: float
    bottom: float


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


def words_of(pdf: bytes, folder: Path) -> list[Placed]:
    """Every word of `pdf` with its page and box (pdftotext -tsv), page after page."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "words.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([_tool("pdftotext"), "-tsv", str(source), "-"], check=True, capture_output=True, timeout=60)
    rows = csv.DictReader(io.StringIO(done.stdout.decode("utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE)
    words = []
    for row in rows:
        if row["level"] != "5":  # 1 page, 3 flow, 4 line, 5 word
            continue
        left, top = float(row["left"]), float(row["top"])
        words.append(Placed(row["text"], int(row["page_num"]), left, top, left + float(row["width"]),
                            top + float(row["height"])))  # fmt: skip
    return words
