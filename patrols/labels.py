"""The printable sheet of checkpoint labels (巡检点二维码): a QR code, the short code and the name of each.

The QR code holds a link to the checkpoint in the console, `<public URL>/console/patrols/at/<code>`, so any camera
app (an iPhone's, WeChat's scanner) opens the walker's patrol at that checkpoint; the console's own scan button
reads the code out of it. Without a public URL (FACILITIES_PUBLIC_URL unset, the CLI) the QR holds the bare short
code, which only the console's scan button understands. The code is printed under the QR for typing.
Rendered to PDF by WeasyPrint (Debian's pango; Chinese from any installed CJK font).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import segno
from jinja2 import Environment, PackageLoader, select_autoescape

from patrols.config import PatrolBook

TEMPLATES = Environment(loader=PackageLoader("patrols", "templates"), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Label:
    code: str
    name: str
    qr: str  # an SVG data URI


def qr_payload(code: str, link_base: str = "") -> str:
    """What a checkpoint's QR code holds: the console's link to it under `link_base`, else the bare short code."""
    return f"{link_base.rstrip('/')}/console/patrols/at/{quote(code, safe='')}" if link_base else code


def reachable_base(url: str) -> str:
    """`url` if a phone could open it; "" for none or a listening address (0.0.0.0, ::) that is no one's address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ""
    unusable = host in (None, "", "0.0.0.0", "::")  # noqa: S104 (compared, not bound)
    return url.rstrip("/") if parts.scheme in ("http", "https") and not unusable else ""


def labels(book: PatrolBook, route_id: str | None = None, *, link_base: str = "") -> list[Label]:
    """A label per checkpoint (of one route, or every checkpoint)."""
    points = book.stops(route_id) if route_id is not None else list(book.checkpoints.values())
    return [
        Label(
            point.code, point.name, segno.make_qr(qr_payload(point.code, link_base), error="m").svg_data_uri(border=2)
        )
        for point in points
    ]


def label_sheet_html(book: PatrolBook, *, site_name: str, route_id: str | None = None, link_base: str = "") -> str:
    title = f"{site_name} · 巡检点 Checkpoints" + (f" · {book.route(route_id).name}" if route_id else "")
    return TEMPLATES.get_template("labels.html").render(title=title, labels=labels(book, route_id, link_base=link_base))


def label_sheet_pdf(book: PatrolBook, *, site_name: str, route_id: str | None = None, link_base: str = "") -> bytes:
    """The sheet as PDF bytes (A4, 3 labels a row); `link_base` is the console's public URL (see the docstring)."""
    from weasyprint import HTML  # imported here: loading pango takes a moment the other commands need not wait

    html = label_sheet_html(book, site_name=site_name, route_id=route_id, link_base=link_base)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
