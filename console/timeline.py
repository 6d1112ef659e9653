"""A state alarm's evidence as a timeline: one band per text field (the car's state, its door) around the alarm.

Like `console.chart` (the threshold chart) it is plain SVG markup, escaped, scaled through its viewBox, and
empty-but-labelled when the store has nothing or fails: the order page must render while InfluxDB is down.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

from core.registry import AssetRegistry, UnknownAsset
from storage.store import ReadingStore

log = logging.getLogger(__name__)

TIMELINE_FIELDS = ("state", "door")
MAX_SEGMENTS = 200
_COLOURS = {
    "moving": "#1f6feb", "stopped": "#9a6700", "idle": "#8c959f", "fault": "#cf222e", "maintenance": "#6639ba",
    "open": "#cf222e", "closed": "#2da44e", "opening": "#bf8700", "closing": "#bf8700",
}  # fmt: skip
_OTHER = "#57606a"

Segment = tuple[datetime, datetime, str]


def timeline_series(
    store: ReadingStore,
    *,
    registry: AssetRegistry,
    asset_id: str,
    alarm_at: datetime,
    now: datetime,
    before: timedelta = timedelta(minutes=30),
    after: timedelta = timedelta(minutes=10),
) -> dict[str, list[tuple[datetime, str]]]:
    """Each timeline field's readings from `before` the alarm to `after` it (not past `now`); {} on failure."""
    start, end = alarm_at - before, min(alarm_at + after, now) + timedelta(microseconds=1)
    if end <= start:
        return {}
    try:
        asset = registry.get(asset_id)
        found = {name: store.history(asset, name, start, end) for name in TIMELINE_FIELDS}
    except UnknownAsset as exc:
        log.warning("timeline for %s: %s", asset_id, exc)
        return {}
    except Exception as exc:  # a side panel: a store failure leaves it empty
        log.warning("timeline for %s: reading the store failed: %s", asset_id, exc)
        return {}
    return {name: [(s.ts, str(s.value)) for s in samples] for name, samples in found.items() if samples}


def segments(points: Sequence[tuple[datetime, str]], end: datetime) -> list[Segment]:
    """Runs of one value: (from, to, value), the last one up to `end`; at most MAX_SEGMENTS (the last ones)."""
    runs: list[Segment] = []
    ordered = sorted(points)
    for i, (ts, value) in enumerate(ordered):
        until = ordered[i + 1][0] if i + 1 < len(ordered) else max(end, ts)
        if runs and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], until, value)
        else:
            runs.append((ts, until, value))
    return runs[-MAX_SEGMENTS:]


def render_timeline(
    series: Mapping[str, Sequence[tuple[datetime, str]]],
    *,
    alarm_at: datetime,
    end: datetime,
    tz: tzinfo,
    labels: Mapping[str, str],
    alarm_label: str,
    empty_text: str,
    width: int = 480,
    value_label: Callable[[str, str], str] = lambda _field, value: value,
) -> str:
    """SVG of each field's values as coloured bands, the value written in bands wide enough, and the alarm."""
    rows = [(name, segments(points, end)) for name, points in series.items() if points]
    row_h, top, left, right = 34, 10, 70, width - 10
    height = top + max(1, len(rows)) * (row_h + 8) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'style="width:100%;height:auto;font-family:sans-serif;font-size:15px">'
    ]
    if not rows:
        parts.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle">{_esc(empty_text)}</text>')
        return "".join([*parts, "</svg>"])
    start = min(run[0][0] for _, run in rows if run)
    stop = max(end, alarm_at, start + timedelta(minutes=1))

    def x(ts: datetime) -> float:
        return left + (ts - start) / (stop - start) * (right - left)

    for i, (name, runs) in enumerate(rows):
        y = top + i * (row_h + 8)
        parts.append(f'<text x="4" y="{y + row_h / 2 + 4:.1f}">{_esc(labels.get(name, name))}</text>')
        for begin, until, raw in runs:
            x0, x1 = x(begin), max(x(until), x(begin) + 1)
            colour, value = _COLOURS.get(raw, _OTHER), value_label(name, raw)
            parts.append(
                f'<rect class="band band-{_esc(name)}" x="{x0:.1f}" y="{y}" width="{x1 - x0:.1f}" height="{row_h}" '
                f'fill="{colour}"><title>{_esc(value)} {_clock(begin, tz)}–{_clock(until, tz)}</title></rect>'
            )
            if x1 - x0 > 13 * len(value) + 6:
                parts.append(
                    f'<text x="{(x0 + x1) / 2:.1f}" y="{y + row_h / 2 + 4:.1f}" fill="#fff" '
                    f'text-anchor="middle">{_esc(value)}</text>'
                )
    axis_y = top + len(rows) * (row_h + 8) + 14
    parts.append(f'<text x="{left}" y="{axis_y}">{_clock(start, tz)}</text>')
    parts.append(f'<text x="{right}" y="{axis_y}" text-anchor="end">{_clock(stop, tz)}</text>')
    ax = x(alarm_at)
    parts.append(
        f'<line class="alarm" x1="{ax:.1f}" y1="{top - 4}" x2="{ax:.1f}" y2="{axis_y - 12}" stroke="#cf222e" '
        f'stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{ax:.1f}" y="{axis_y + 14}" text-anchor="middle" fill="#cf222e">'
        f"{_esc(alarm_label)} {_clock(alarm_at, tz)}</text>"
    )
    svg = "".join([*parts, "</svg>"])
    return svg.replace(f'viewBox="0 0 {width} {height}"', f'viewBox="0 0 {width} {axis_y + 20}"')


def _clock(ts: datetime, tz: tzinfo) -> str:
    return ts.astimezone(tz).strftime("%H:%M")


def _esc(text: str) -> str:
    return html.escape("".join(ch for ch in text if ch.isprintable()), quote=True)
