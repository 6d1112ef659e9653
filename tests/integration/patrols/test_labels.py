"""The checkpoint label sheet rendered to PDF, turned into PNG pages and read back: every code, name and QR."""

from __future__ import annotations

import os
from pathlib import Path

import segno
from PIL import Image

from core.site_loader import load_site
from patrols.config import load_patrols
from patrols.labels import label_sheet_pdf, labels, qr_payload
from tests.support.pdf import png_pages, text_of

EXAMPLES = Path(__file__).parents[3] / "examples"
DOCS = Path(__file__).parents[3] / "docs" / "images"


def test_the_label_sheet_shows_every_checkpoint(tmp_path: Path) -> None:
    site = load_site(EXAMPLES / "site.toml")
    book = load_patrols(EXAMPLES / "patrols.toml", site)
    pdf = label_sheet_pdf(book, site_name=site.info.name)
    assert pdf.startswith(b"%PDF")

    text = text_of(pdf, tmp_path)
    assert "湖景花園 Lakeview Gardens" in text
    for point in book.checkpoints.values():
        assert point.code in text and point.name in text

    [page] = png_pages(pdf, tmp_path / "pages")
    image = Image.open(page).convert("L")
    dark = sum(image.histogram()[:100]) / (image.width * image.height)
    assert 0.02 < dark < 0.4  # six QR codes on white, not a blank page and not a black one
    if os.environ.get("FACILITIES_UPDATE_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        image.save(DOCS / "patrol-labels.png")


def test_each_qr_code_holds_its_checkpoint_code_and_prints_small() -> None:
    site = load_site(EXAMPLES / "site.toml")
    book = load_patrols(EXAMPLES / "patrols.toml", site)
    for label in labels(book, "manager-daily"):
        assert qr_payload(label.code) == label.code  # what the camera reads is what a person types
        qr = segno.make_qr(qr_payload(label.code), error="m")
        assert qr.version <= 2  # 25 modules or fewer: each module over 1.5 mm on a 38 mm label
        assert label.qr.startswith("data:image/svg+xml")
    assert [label.code for label in labels(book, "manager-daily")] == list(book.routes["manager-daily"].checkpoints)
