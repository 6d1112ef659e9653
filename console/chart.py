"""An alarm's evidence as a small SVG chart for the work-order page, and the helpers that find its data.

The chart is plain markup (no script, no external CSS), so the page embeds it inline and it scales to any
screen through its viewBox. Every text value is escaped; the store's failures become an empty chart.
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from core.registry import AssetRegistry, UnknownAsset
from rules.evaluation import number
from storage.store import ReadingStore

log = logging.getLogger(__name__)

MAX_POINTS = 400  # a day of 1 s readings must not become a 5 MB page
_MIN_SPAN = timedelta(minutes=5)  # a single reading still gets a readable time axis
_TIME_STEPS = tuple(timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720)) + tuple(
    timedelta(days=d) for d in (1, 2, 7, 14, 28)
)
_SERIES, _OVER, _THRESHOLD, _ALARM, _GRID, _INK = "#1f6feb", "#cf222e", "#9a6700", "#cf222e", "#d0d7de", "#57606a"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML, even escaped

_Point = tuple[datetime, float]


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plot area in viewBox units and the time and value ranges it shows."""

    left: float
    right: float
    top: float
    bottom: float
    start: datetime
    end: datetime
    low: float
    high: float

    def x(self, ts: datetime) -> float:
        return self.left + (ts - self.start) / (self.end - self.start) * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)


def render_evidence_chart(
    series: Sequence[tuple[datetime, float]],
    *,
    alarm_at: datetime,
    threshold: float | None,
    field_label: str,
    unit: str,
    tz: tzinfo,
    width: int = 640,
    height: int = 220,
    threshold_label: str = "threshold",
    alarm_label: str = "alarm",
    empty_text: str = "no readings",
    font_size: int | None = None,
) -> str:
    """SVG markup of one field around an alarm: the readings, the threshold, the alarm time, local-time labels.

    Readings that are not finite are left out and at most MAX_POINTS are drawn (each bucket's lowest and
    highest, so a spike survives); readings above the threshold are marked in red.
    """
    if width < 200 or height < 120:
        raise ValueError(f"chart size {width}×{height} is too small to label; use at least 200×120")
    points = _finite_sorted(series)
    limit = threshold if threshold is not None and math.isfinite(threshold) else None
    label = _describe(points, alarm_at, limit, tz, field_label, unit, threshold_label, alarm_label, empty_text)
    font = font_size or max(11, round(width / 40))  # ≈ 9 px when a phone shrinks the default 640 to 360
    if not points:
        body = [_text(width / 2, height / 2, empty_text, cls="empty", anchor="middle", fill=_INK)]
        return _svg(width, height, font, label, body)
    drawn = _downsample(points, MAX_POINTS)
    values = [v for _, v in drawn] + ([limit] if limit is not None else [])
    y_ticks, decimals = _nice_ticks(*_value_range(values))
    start, end = _time_range(drawn, alarm_at)
    start, end, x_ticks = _time_ticks(start, end, tz)
    tick_labels = [_tick(t, decimals) for t in y_ticks]
    left = max(len(t) for t in tick_labels) * font * 0.6 + 10
    frame = _Frame(left, width - 10, 2 * font + 4, height - font - 12, start, end, y_ticks[0], y_ticks[-1])
    body = [
        *_value_axis(frame, y_ticks, tick_labels, unit),
        *_time_axis(frame, x_ticks, tz, width, font),
        *_threshold_line(frame, limit, threshold_label, font),
        *_series_marks(frame, drawn, limit),
        *_alarm_marker(frame, alarm_at, alarm_label, width, font),
    ]
    return _svg(width, height, font, label, body)


def evidence_series(
    store: ReadingStore,
    *,
    registry: AssetRegistry,
    asset_id: str,
    field: str,
    alarm_at: datetime,
    before: timedelta = timedelta(minutes=30),
    after: timedelta = timedelta(minutes=10),
    now: datetime,
) -> list[tuple[datetime, float]]:
    """The field's numeric readings from `before` the alarm to `after` it (not past `now`), oldest first.

    [] with a warning when the asset is no longer in the site file or the store fails: the page must render
    while InfluxDB is down.
    """
    start = alarm_at - before
    end = min(alarm_at + after, now) + timedelta(microseconds=1)  # history's end is exclusive; keep a reading at `now`
    if end <= start:
        return []
    try:
        samples = store.history(registry.get(asset_id), field, start, end)
    except UnknownAsset as exc:
        log.warning("evidence chart for %s field %s: %s", asset_id, field, exc)
        return []
    except Exception as exc:  # the chart is a side panel: any store failure (down, refused query) leaves it empty
        log.warning("evidence chart for %s field %s: reading the store failed: %s", asset_id, field, exc)
        return []
    return [(s.ts, value) for s in samples if (value := number(s.value)) is not None]


def evidence_field(evidence: Mapping[str, object]) -> tuple[str | None, float | None]:
    """(field, threshold) of the reading that raised an alarm, as its evidence tells; None where it does not.

    Threshold rules name the field ("field") and the level it crossed ("limit", in the field's unit, also with
    a baseline). State rules put each condition's field under its own name beside "conditions"; their levels
    are only in that text. Flow and spike evidence name the register ("field") but their "limit" is use within
    a window, not a level on it, so they get no threshold line; silence, lighting and entrapment watch no
    numeric field.
    """
    field = evidence.get("field")
    if isinstance(field, str) and field:
        if "used" in evidence or "rising_since" in evidence:  # flow and spike: "limit" is use in a window
            return field, None
        return field, number(evidence.get("limit"))
    if isinstance(evidence.get("conditions"), str):
        numeric = [key for key, value in evidence.items() if number(value) is not None]
        return (numeric[0] if len(numeric) == 1 else None), None
    return None, None


def _finite_sorted(series: Sequence[tuple[datetime, float]]) -> list[_Point]:
    return sorted(((ts, float(v)) for ts, v in series if math.isfinite(v)), key=lambda p: p[0])


def _downsample(points: list[_Point], limit: int) -> list[_Point]:
    """At most `limit` points: the lowest and highest of each run of neighbours, in time order."""
    if len(points) <= limit:
        return points
    size = math.ceil(len(points) / (limit // 2))
    kept: list[_Point] = []
    for first in range(0, len(points), size):
        run = points[first : first + size]
        low = min(range(len(run)), key=lambda i: run[i][1])
        high = max(range(len(run)), key=lambda i: run[i][1])
        kept.extend(run[i] for i in sorted({low, high}))
    return kept


def _value_range(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high > low:
        return low, high
    pad = abs(low) * 0.1 or 1.0  # a flat series still needs a scale to sit on
    return low - pad, high + pad


def _nice_ticks(low: float, high: float) -> tuple[list[float], int]:
    """3–5 round values 1, 2 or 5 × 10ⁿ apart whose ends enclose [low, high], and the decimals they need."""
    exponent = math.floor(math.log10((high - low) / 4))
    for shift, mantissa in ((0, 1), (0, 2), (0, 5), (1, 1), (1, 2), (1, 5)):
        step = mantissa * 10.0 ** (exponent + shift)
        first, last = math.floor(low / step), math.ceil(high / step)
        if last - first <= 4:
            break
    # Step ratios of at most 2.5 mean the first step with ≤ 4 intervals still has at least 2.
    return [i * step for i in range(first, last + 1)], max(0, -(exponent + shift))


def _time_range(points: list[_Point], alarm_at: datetime) -> tuple[datetime, datetime]:
    start, end = min(points[0][0], alarm_at), max(points[-1][0], alarm_at)
    if end - start < _MIN_SPAN:
        middle = start + (end - start) / 2
        start, end = middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2
    return start, end


def _time_ticks(start: datetime, end: datetime, tz: tzinfo) -> tuple[datetime, datetime, list[datetime]]:
    """3–5 ticks at whole local steps: the smallest step with at most 5 inside [start, end]; when that leaves
    fewer than 3, the range widens to the steps around it."""
    for step in _TIME_STEPS:
        floor = _floor_local(start, step, tz)
        ticks = _steps(floor if floor >= start else floor + step, end, step)
        if len(ticks) <= 5:
            break
    if len(ticks) < 3:
        ticks = _steps(floor, end, step)
        while ticks[-1] < end or len(ticks) < 3:
            ticks.append(ticks[-1] + step)
        start, end = ticks[0], ticks[-1]
    return start, end, ticks[:: math.ceil(len(ticks) / 5)]  # only thins spans beyond 20 weeks


def _floor_local(ts: datetime, step: timedelta, tz: tzinfo) -> datetime:
    # Aware arithmetic within one tzinfo is wall-clock time, so ticks fall on local whole hours across DST.
    local = ts.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (local - midnight) // step * step


def _steps(first: datetime, end: datetime, step: timedelta) -> list[datetime]:
    ticks = []
    while first <= end:
        ticks.append(first)
        first += step
    return ticks


def _value_axis(frame: _Frame, ticks: list[float], labels: list[str], unit: str) -> list[str]:
    marks = [f'<text class="unit" x="4" y="{_n(frame.top / 2)}" fill="{_INK}">{_esc(unit)}</text>'] if unit else []
    for value, label in zip(ticks, labels, strict=True):
        y = _n(frame.y(value))
        marks.append(
            f'<line class="grid" x1="{_n(frame.left)}" x2="{_n(frame.right)}" y1="{y}" y2="{y}" stroke="{_GRID}"/>'
        )
        marks.append(_text(frame.left - 6, frame.y(value), label, cls="tick-y", anchor="end", fill=_INK))
    return marks


def _time_axis(frame: _Frame, ticks: list[datetime], tz: tzinfo, width: int, font: int) -> list[str]:
    pattern = "%m-%d %H:%M" if frame.end - frame.start > timedelta(days=1) else "%H:%M"
    marks = []
    for tick in ticks:
        label, x = tick.astimezone(tz).strftime(pattern), frame.x(tick)
        half = _text_width(label, font) / 2
        anchor = "start" if x - half < 0 else "end" if x + half > width else "middle"
        marks.append(_text(x, frame.bottom + font + 4, label, cls="tick-x", anchor=anchor, fill=_INK, middle=False))
    return marks


def _threshold_line(frame: _Frame, threshold: float | None, label: str, font: int) -> list[str]:
    if threshold is None:
        return []
    y = frame.y(threshold)
    label_y = y - 4 if y - font > frame.top else y + font  # below the line when it runs along the top
    return [
        f'<line class="threshold" data-value="{threshold!r}" x1="{_n(frame.left)}" x2="{_n(frame.right)}" '
        f'y1="{_n(y)}" y2="{_n(y)}" stroke="{_THRESHOLD}" stroke-width="1.5" stroke-dasharray="6 4"/>',
        # At the left end: the readings there are the ones before the alarm, usually under the line.
        _text(frame.left + 4, label_y, label, cls="threshold-label", anchor="start", fill=_THRESHOLD, middle=False),
    ]


def _series_marks(frame: _Frame, points: list[_Point], threshold: float | None) -> list[str]:
    coords = [(_n(frame.x(ts)), _n(frame.y(v))) for ts, v in points]
    if len(points) == 1:
        marks = [f'<circle class="point" cx="{coords[0][0]}" cy="{coords[0][1]}" r="4" fill="{_SERIES}"/>']
    else:
        joined = " ".join(f"{x},{y}" for x, y in coords)
        marks = [f'<polyline class="series" points="{joined}" fill="none" stroke="{_SERIES}" stroke-width="2"/>']
    if threshold is not None:
        marks += [
            f'<circle class="over" cx="{x}" cy="{y}" r="3.5" fill="{_OVER}"/>'
            for (x, y), (_, v) in zip(coords, points, strict=True)
            if v > threshold
        ]
    return marks


def _alarm_marker(frame: _Frame, alarm_at: datetime, label: str, width: int, font: int) -> list[str]:
    x = frame.x(alarm_at)
    after = x + 4 + _text_width(label, font) <= width  # the label goes right of the line when it fits
    return [
        f'<line class="alarm" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(frame.top)}" y2="{_n(frame.bottom)}" '
        f'stroke="{_ALARM}" stroke-width="1.5"/>',
        _text(
            x + 4 if after else x - 4,
            frame.top / 2,
            label,
            cls="alarm-label",
            anchor="start" if after else "end",
            fill=_ALARM,
            middle=False,
        ),
    ]


def _describe(
    points: list[_Point],
    alarm_at: datetime,
    threshold: float | None,
    tz: tzinfo,
    field_label: str,
    unit: str,
    threshold_label: str,
    alarm_label: str,
    empty_text: str,
) -> str:
    """What the chart shows, in words for screen readers: field, time span, value range, threshold, alarm."""
    local = alarm_at.astimezone(tz)
    alarm = f"{alarm_label} at {local:%H:%M}"
    suffix = f" {unit}" if unit else ""
    if not points:
        return f"{field_label}: {empty_text}; {alarm}"
    values = [v for _, v in points]
    pattern = "%m-%d %H:%M" if points[-1][0] - points[0][0] > timedelta(days=1) else "%H:%M"
    span = f"{points[0][0].astimezone(tz).strftime(pattern)} to {points[-1][0].astimezone(tz).strftime(pattern)}"
    text = f"{field_label} from {span}: {_number(min(values))} to {_number(max(values))}{suffix}"
    if threshold is not None:
        text += f", {threshold_label} {_number(threshold)}{suffix}"
    return f"{text}, {alarm}"


def _svg(width: int, height: int, font: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width: {width}px; height: auto" role="img" aria-label="{_esc(label)}" '
        f'font-family="system-ui, sans-serif" font-size="{font}"><title>{_esc(label)}</title>{"".join(body)}</svg>'
    )


def _text_width(text: str, font: int) -> float:
    """Roughly how wide `text` is drawn: CJK characters take a full em, Latin ones about 0.6."""
    return sum(font * (1.0 if unicodedata.east_asian_width(char) in "WF" else 0.6) for char in text)


def _text(x: float, y: float, content: str, *, cls: str, anchor: str, fill: str, middle: bool = True) -> str:
    baseline = ' dominant-baseline="middle"' if middle else ""
    return (
        f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{baseline} fill="{fill}">'
        f"{_esc(content)}</text>"
    )


def _esc(text: str) -> str:
    return html.escape(_CONTROL.sub("", text), quote=True)


def _n(coordinate: float) -> str:
    return f"{coordinate:.1f}"


def _tick(value: float, decimals: int) -> str:
    return f"{round(value, decimals) + 0.0:.{decimals}f}"  # + 0.0 turns -0.0 into 0.0


def _number(value: float) -> str:
    """A value for the spoken description: 4 significant digits, whole numbers from 1000 on (no exponent)."""
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"
