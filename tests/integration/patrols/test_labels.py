"""The checkpoint label sheet rendered to PDF, turned into PNG pages and read back: every code, name and QR.

The QR codes are decoded as a camera reads them (zxing-cpp, not segno that drew them) and each is matched with the
code and name printed under it, so a label whose code leads to another checkpoint, or to none, fails here.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import segno
from PIL import Image

from core.site_loader import load_site
from patrols.config import Checkpoint, PatrolBook, load_patrols
from patrols.labels import label_sheet_pdf, labels, qr_payload, reachable_base
from tests.support.pdf import Placed, png_pages, text_of, words_of
from tests.support.qr import qr_codes_of

EXAMPLES = Path(__file__).parents[3] / "examples"
DOCS = Path(__file__).parents[3] / "docs" / "images"


def example_book() -> tuple[str, PatrolBook]:
    site = load_site(EXAMPLES / "site.toml")
    return site.info.name, load_patrols(EXAMPLES / "patrols.toml", site)


def middle(box: Placed) -> float:
    return (box.left + box.right) / 2


def printed_under(qr: Placed, codes: list[Placed], words: list[Placed]) -> tuple[str, str]:
    """The code and the name printed on `qr`'s label, spaces dropped (a wrapped line splits words anywhere).

    A label's words lie below its QR code and above the next row of codes, nearer its code than any other in its row;
    the short code is the label's large type, the name the small type after it.
    """
    on_page = [code for code in codes if code.page == qr.page]
    row = [code for code in on_page if code.top < qr.bottom and qr.top < code.bottom]
    next_row = min((code.top for code in on_page if code.top >= qr.bottom), default=math.inf)
    mine = [
        word
        for word in words
        if word.page == qr.page
        and qr.bottom <= word.top < next_row
        and min(row, key=lambda code: abs(middle(code) - middle(word))) == qr
    ]
    large = max((word.bottom - word.top for word in mine), default=0.0)
    code = [word.text for word in mine if word.bottom - word.top > 0.8 * large]
    name = [word.text for word in mine if word.bottom - word.top <= 0.8 * large]
    return "".join(code), "".join(name)


PUBLIC = "https://wuye.example.com/sites/lakeview"


def assert_each_label_reads_back(pdf: bytes, points: list[Checkpoint], folder: Path, base: str = "") -> list[Placed]:
    """Every QR code decodes to its checkpoint's link under `base` (else its bare short code), one per checkpoint
    and none other, with that checkpoint's code and name printed under it."""
    expected = {(f"{base}/console/patrols/at/{point.code}" if base else point.code): point.code for point in points}
    found = qr_codes_of(pdf, folder / "pages")
    assert sorted(qr.text for qr in found) == sorted(expected)
    words = words_of(pdf, folder)
    names = {point.code: point.name.replace(" ", "") for point in points}
    printed = [(expected[qr.text], names[expected[qr.text]]) for qr in found]
    assert [printed_under(qr, found, words) for qr in found] == printed
    return found


def test_the_label_sheet_shows_every_checkpoint(tmp_path: Path) -> None:
    site_name, book = example_book()
    pdf = label_sheet_pdf(book, site_name=site_name, link_base=PUBLIC)  # as printed with FACILITIES_PUBLIC_URL
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


@pytest.mark.parametrize("base", ["", PUBLIC])
@pytest.mark.parametrize("route_id", [None, "manager-daily", "repair-plant", "security-night"])
def test_each_qr_code_reads_back_as_the_checkpoint_printed_under_it(
    route_id: str | None, base: str, tmp_path: Path
) -> None:
    site_name, book = example_book()
    pdf = label_sheet_pdf(book, site_name=site_name, route_id=route_id, link_base=base)
    points = book.stops(route_id) if route_id is not None else list(book.checkpoints.values())
    assert_each_label_reads_back(pdf, points, tmp_path, base)


def test_the_longest_codes_and_names_read_back_on_every_page(tmp_path: Path) -> None:
    """Codes and names as long as the patrols file allows, over two pages: no name runs over the next label's code."""
    names = (
        ("東翼地下二層消防水泵房及穩壓設備間" * 5)[:80],
        ("湖景花園 <B&2> \"Fire pump\" 'north' & 長明燈 " * 3)[:80],
        "W" * 80,  # no place to break a line
    )
    points = [Checkpoint(code=f"B{i:02d}-UNIT-0302-NE", name=names[i % 3], items=("ok",)) for i in range(14)]
    assert all(len(point.code) == 16 and len(point.name) == 80 for point in points)
    book = PatrolBook(checkpoints={point.code: point for point in points}, routes={})
    pdf = label_sheet_pdf(book, site_name="湖景花園 Lakeview Gardens", link_base=PUBLIC)
    found = assert_each_label_reads_back(pdf, points, tmp_path, PUBLIC)
    per_page = [sum(qr.page == page for qr in found) for page in (1, 2)]
    assert per_page[0] >= 9 and sum(per_page) == 14  # rows of three from the first page on, not the title alone
    assert segno.make_qr(qr_payload(points[0].code), error="m").version <= 2  # the longest code still prints small
    assert segno.make_qr(qr_payload(points[0].code, PUBLIC), error="m").version <= 5  # its link: 37 modules


def test_each_qr_code_holds_its_checkpoint_code_and_prints_small() -> None:
    _, book = example_book()
    for label in labels(book, "manager-daily"):
        assert qr_payload(label.code) == label.code  # what the camera reads is what a person types
        qr = segno.make_qr(qr_payload(label.code), error="m")
        assert qr.version <= 2  # 25 modules or fewer: each module over 1.5 mm on a 38 mm label
        assert label.qr.startswith("data:image/svg+xml")
    assert [label.code for label in labels(book, "manager-daily")] == list(book.routes["manager-daily"].checkpoints)


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://wuye.example.com/", "https://wuye.example.com"),
        ("http://192.168.1.20:8000", "http://192.168.1.20:8000"),
        ("http://0.0.0.0:8000", ""),  # where the hub listens, no phone's way to it
        ("http://[::]:8000", ""),
        ("", ""),
        ("ftp://wuye.example.com", ""),
        ("http://[::1", ""),  # unparsable
    ],
)
def test_only_a_base_a_phone_can_open_goes_into_the_codes(url: str, base: str) -> None:
    assert reachable_base(url) == base
    assert qr_payload("PUMP", reachable_base(url)) == (f"{base}/console/patrols/at/PUMP" if base else "PUMP")
