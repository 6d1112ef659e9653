"""QR codes read back off a rendered PDF the way a camera reads them: zxing-cpp, not segno that drew them.

A test that only looks at the page's text would pass with a QR code pointing at the wrong checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image

from tests.support.pdf import Placed, png_pages

QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
DPI = 150  # about 9 px a module on a 38 mm label: margin to spare (the example sheet still decodes at 60 dpi)


def qr_codes_of(pdf: bytes, folder: Path, *, dpi: int = DPI) -> list[Placed]:
    """Every QR code on every page of `pdf`: its text, page and box in PDF points (comparable with `words_of`)."""
    found = []
    scale = 72 / dpi
    for page, png in enumerate(png_pages(pdf, folder, dpi=dpi), start=1):
        with Image.open(png) as image:
            codes = zxingcpp.read_barcodes(image.convert("L"), formats=QR, text_mode=zxingcpp.TextMode.Plain)
        for code in codes:
            at = code.position
            xs = [corner.x for corner in (at.top_left, at.top_right, at.bottom_left, at.bottom_right)]
            ys = [corner.y for corner in (at.top_left, at.top_right, at.bottom_left, at.bottom_right)]
            found.append(Placed(code.text, page, min(xs) * scale, min(ys) * scale, max(xs) * scale, max(ys) * scale))
    return found
