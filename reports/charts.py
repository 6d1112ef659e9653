"""Small SVG bar charts for the report's PDF (WeasyPrint draws SVG; no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLOURS = ("#0b7a3e", "#2f6db5", "#c77d12", "#8a4fb0")


def bar_chart(rows: Sequence[tuple[str, float]], *, width: int = 480, bar: int = 18, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), longest = full width; values printed at the bar's end."""
    top = max((value for _, value in rows), default=0.0) or 1.0
    label_w, gap = 150, 6
    height = len(rows) * (bar + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="chart">']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar + gap)
        length = max(0.0, (width - label_w - 70) * value / top)
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<text x="0" y="{y + bar - 5}" font-size="11">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + bar - 5}" font-size="11">{value:g}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)
