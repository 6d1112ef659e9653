"""The printable sheet of checkpoint labels (巡检点二维码): a QR code, the short code and the name of each.

The QR code holds the checkpoint's short code, so a phone's camera in the console reads what a person would
type when no camera works. Rendered to PDF by WeasyPrint (Debian's pango; Chinese from any installed CJK font).
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from jinja2 import Environment, PackageLoader, select_autoescape

from patrols.config import PatrolBook

TEMPLATES = Environment(loader=PackageLoader("patrols", "templates"), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Label:
    code: str
    name: str
    qr: str  # an SVG data URI


def qr_payload(code: str) -> str:
    """What a checkpoint's QR code holds: its short code, exactly as typed on the phone."""
    return code


def labels(book: PatrolBook, route_id: str | None = None) -> list[Label]:
    """A label per checkpoint (of one route, or every checkpoint)."""
    points = book.stops(route_id) if route_id is not None else list(book.checkpoints.values())
    return [
        Label(point.code, point.name, segno.make_qr(qr_payload(point.code), error="m").svg_data_uri(border=2))
        for point in points
    ]


def label_sheet_html(book: PatrolBook, *, site_name: str, route_id: str | None = None) -> str:
    title = f"{site_name} · 巡检点 Checkpoints" + (f" · {book.route(route_id).name}" if route_id else "")
    return TEMPLATES.get_template("labels.html").render(title=title, labels=labels(book, route_id))


def label_sheet_pdf(book: PatrolBook, *, site_name: str, route_id: str | None = None) -> bytes:
    """The sheet as PDF bytes (A4, 3 labels a row)."""
    from weasyprint import HTML  # imported here: loading pango takes a moment the other commands need not wait

    pdf: bytes = HTML(string=label_sheet_html(book, site_name=site_name, route_id=route_id)).write_pdf()
    return pdf
