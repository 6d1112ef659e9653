"""The evidence chart read back as XML, the evidence window read from a real embedded store, and the field
and threshold found in the evidence the real rule kinds write."""

from __future__ import annotations

import itertools
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from console.chart import MAX_POINTS, evidence_field, evidence_series, render_evidence_chart
from core.measurements import AssetKind
from core.reading import FieldValue, Reading
from core.registry import AssetInfo, AssetRegistry
from rules.config import AnyRule
from rules.engine import RuleEngine
from rules.events import AlarmEvent as Event
from rules.events import AlarmRaised
from rules.library import builtin_rules
from storage.embedded import EmbeddedStore
from storage.points import Point, to_point
from storage.store import Aggregate, Sample, StoredValue, StoreUnavailable
from tests.unit.rules.support import T0 as SITE_T0
from tests.unit.rules.support import local, make_engine, minutes, reading, seconds
from workorders.alarms import AlarmFacts

T0 = datetime(2026, 3, 2, 1, 20, tzinfo=UTC)  # 09:20 in Shanghai
ALARM_AT = T0 + timedelta(minutes=30)
SHANGHAI = ZoneInfo("Asia/Shanghai")
COORDINATES = ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy")


def parse(svg: str) -> ET.Element:
    """The markup as XML, which fails on anything not well-formed."""
    return ET.fromstring(svg)  # noqa: S314 (our own output, parsed to check it)


def chart(
    series: Sequence[tuple[datetime, float]],
    *,
    alarm_at: datetime = ALARM_AT,
    threshold: float | None = None,
    tz: tzinfo = UTC,
) -> ET.Element:
    return parse(
        render_evidence_chart(
            series, alarm_at=alarm_at, threshold=threshold, field_label="Vibration", unit="mm/s", tz=tz
        )
    )


def every_minute(values: Sequence[float], start: datetime = T0) -> list[tuple[datetime, float]]:
    return [(start + minutes(i), value) for i, value in enumerate(values)]


def marks(root: ET.Element, cls: str) -> list[ET.Element]:
    return [element for element in root.iter() if element.get("class") == cls]


def only(root: ET.Element, cls: str) -> ET.Element:
    [element] = marks(root, cls)
    return element


def at(element: ET.Element, name: str) -> float:
    return float(element.attrib[name])


def polyline(root: ET.Element) -> list[tuple[float, float]]:
    pairs = only(root, "series").attrib["points"].split()
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in pairs)]


def y_of(root: ET.Element) -> Callable[[float], float]:
    """Value → y as the axis labels say it: fitted through the end ticks, checked against all of them."""
    ticks = [(float(t.text or ""), at(t, "y")) for t in marks(root, "tick-y")]
    (v0, y0), (v1, y1) = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return y0 + (value - v0) * (y1 - y0) / (v1 - v0)

    assert all(y(v) == pytest.approx(found, abs=0.1) for v, found in ticks)
    return y


def x_labels(root: ET.Element) -> list[tuple[float, str]]:
    return [(at(t, "x"), t.text or "") for t in marks(root, "tick-x")]


def assert_finite_coordinates(root: ET.Element) -> None:
    for element in root.iter():
        for name in COORDINATES:
            if name in element.attrib:
                assert math.isfinite(at(element, name)), (element.tag, name, element.attrib[name])
        for pair in element.get("points", "").split():
            assert all(math.isfinite(float(c)) for c in pair.split(","))


# --- the chart ---------------------------------------------------------------------------------------


def test_the_root_scales_to_a_phone_and_tells_a_screen_reader_what_it_shows() -> None:
    root = chart(every_minute([0.1, 0.2, 0.45, 0.2]), threshold=0.3, alarm_at=T0 + minutes(2))

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("viewBox"), root.get("width"), root.get("role")) == ("0 0 640 220", "100%", "img")
    label = root.attrib["aria-label"]
    assert label == "Vibration from 01:20 to 01:23: 0.1 to 0.45 mm/s, threshold 0.3 mm/s, alarm at 01:22"
    assert root.findtext("{http://www.w3.org/2000/svg}title") == label


def test_the_polyline_has_every_reading_in_time_order_whatever_order_they_came_in() -> None:
    values = [float(i % 7) for i in range(40)]
    series = every_minute(values)
    shuffled = series[1::2] + series[::2]

    points = polyline(chart(shuffled))

    assert len(points) == 40
    xs = [x for x, _ in points]
    assert xs == sorted(xs) and len(set(xs)) == 40
    y = y_of(chart(shuffled))
    assert [py for _, py in points] == pytest.approx([y(v) for v in values], abs=0.1)


def test_a_reading_above_the_threshold_is_marked_and_one_just_below_is_not() -> None:
    values = [1.0] * 10
    values[3], values[6] = 5.0, 2.9
    root = chart(every_minute(values), threshold=3.0)

    points = polyline(root)
    marked = [(at(c, "cx"), at(c, "cy")) for c in marks(root, "over")]
    assert marked == [points[3]]


def test_the_threshold_line_sits_at_its_value_on_the_axis_even_outside_the_readings() -> None:
    for threshold in (3.0, -1.0, 0.75):
        root = chart(every_minute([0.0, 0.5, 2.0, 1.0]), threshold=threshold)

        line, y = only(root, "threshold"), y_of(root)
        assert at(line, "y1") == at(line, "y2") == pytest.approx(y(threshold), abs=0.1)
        tick_values = [float(t.text or "") for t in marks(root, "tick-y")]
        assert tick_values[0] <= threshold <= tick_values[-1]


def test_the_alarm_marker_lies_between_the_readings_either_side_of_the_alarm() -> None:
    root = chart(every_minute([1.0] * 20), alarm_at=T0 + minutes(10.5))

    points = polyline(root)
    line = only(root, "alarm")
    assert at(line, "x1") == at(line, "x2")
    assert points[10][0] < at(line, "x1") < points[11][0]
    assert only(root, "alarm-label").text == "alarm"


def test_every_text_is_escaped_so_the_chart_is_safe_inline() -> None:
    hostile = '<script>alert("x")</script> & Co'
    markup = render_evidence_chart(
        every_minute([1.0, 2.0]),
        alarm_at=T0,
        threshold=1.5,
        tz=UTC,
        field_label=hostile,
        unit=hostile,
        threshold_label=hostile,
        alarm_label=hostile,
    )
    empty = render_evidence_chart([], alarm_at=T0, threshold=None, field_label="x", unit="", tz=UTC, empty_text=hostile)

    for svg in (markup, empty):
        assert "<script" not in svg
        assert not any(e.tag.endswith("script") for e in parse(svg).iter())
    root = parse(markup)
    assert hostile in root.attrib["aria-label"]
    assert [only(root, cls).text for cls in ("unit", "threshold-label", "alarm-label")] == [hostile] * 3
    assert only(parse(empty), "empty").text == hostile


def test_an_empty_series_centres_the_empty_text() -> None:
    root = chart([], threshold=2.0)

    text = only(root, "empty")
    assert (text.text, at(text, "x"), at(text, "y"), text.get("text-anchor")) == ("no readings", 320.0, 110.0, "middle")
    assert marks(root, "series") == marks(root, "point") == []
    assert "no readings" in root.attrib["aria-label"]


def test_a_single_reading_is_a_dot_with_axes_around_it() -> None:
    root = chart([(T0 + minutes(30), 7.0)], threshold=3.0)

    dot, y = only(root, "point"), y_of(root)
    assert marks(root, "series") == []
    assert at(dot, "cy") == pytest.approx(y(7.0), abs=0.1)
    assert at(dot, "cx") == at(only(root, "alarm"), "x1")
    assert len(marks(root, "over")) == 1
    assert 3 <= len(marks(root, "tick-x")) <= 5
    assert_finite_coordinates(root)


def test_a_flat_series_gets_a_value_range_around_it() -> None:
    for level in (0.0, 5.0, -2000.0):
        root = chart(every_minute([level] * 30))

        ys = {y for _, y in polyline(root)}
        ticks = [at(t, "y") for t in marks(root, "tick-y")]
        assert len(ys) == 1 and min(ticks) < ys.pop() < max(ticks)
        assert len({t.text for t in marks(root, "tick-y")}) >= 3
        assert_finite_coordinates(root)


def test_readings_that_are_not_finite_are_left_out() -> None:
    values = [1.0, math.nan, 2.0, math.inf, 3.0, -math.inf, 4.0, 5.0, 6.0, 7.0]
    root = chart(every_minute(values), threshold=4.5)

    assert len(polyline(root)) == 7
    assert len(marks(root, "over")) == 3
    assert_finite_coordinates(root)
    only_nan = chart(every_minute([math.nan, math.nan]))
    assert only(only_nan, "empty").text == "no readings"


def test_a_day_of_second_readings_is_cut_to_the_cap_and_keeps_a_one_second_spike() -> None:
    values = [50.0 + 5.0 * math.sin(i / 3000) for i in range(86_400)]
    values[50_000] = 100.0
    series = [(T0 + seconds(i), v) for i, v in enumerate(values)]
    svg = render_evidence_chart(
        series, alarm_at=T0 + seconds(50_000), threshold=80.0, field_label="Noise", unit="dB", tz=UTC
    )

    root = parse(svg)
    points = polyline(root)
    assert len(points) <= MAX_POINTS
    assert min(y for _, y in points) == pytest.approx(y_of(root)(100.0), abs=0.1)
    assert len(marks(root, "over")) == 1
    assert len(svg) < 30_000


def test_time_labels_are_local_to_the_site() -> None:
    series = every_minute([1.0] * 40)
    in_utc, in_shanghai = x_labels(chart(series, tz=UTC)), x_labels(chart(series, tz=SHANGHAI))

    assert [x for x, _ in in_utc] == [x for x, _ in in_shanghai]
    assert [label for _, label in in_utc] == ["01:20", "01:30", "01:40", "01:50"]
    assert [label for _, label in in_shanghai] == ["09:20", "09:30", "09:40", "09:50"]


def test_hour_steps_fall_on_whole_local_hours() -> None:
    series = [(T0 + timedelta(hours=i), 1.0) for i in range(13)]  # 09:20 to 21:20 in Shanghai

    labels = [label for _, label in x_labels(chart(series, alarm_at=T0, tz=SHANGHAI))]

    assert labels == ["12:00", "15:00", "18:00", "21:00"]


@pytest.mark.parametrize(
    ("span", "pattern"),
    [
        (timedelta(minutes=7), r"\d\d:\d\d"),
        (timedelta(minutes=23), r"\d\d:\d\d"),
        (timedelta(minutes=40), r"\d\d:\d\d"),
        (timedelta(hours=3, minutes=7), r"\d\d:\d\d"),
        (timedelta(hours=30), r"\d\d-\d\d \d\d:\d\d"),
        (timedelta(days=3, hours=5), r"\d\d-\d\d \d\d:\d\d"),
        (timedelta(days=20), r"\d\d-\d\d \d\d:\d\d"),
    ],
)
def test_both_axes_have_three_to_five_round_labels(span: timedelta, pattern: str) -> None:
    start = T0 + seconds(17)
    series = [(start + span * i / 50, 0.013 + 0.7 * i / 50) for i in range(51)]
    root = chart(series, tz=SHANGHAI, alarm_at=start + span / 2)

    labels = x_labels(root)
    grid = marks(root, "grid")[0]
    assert 3 <= len(labels) <= 5
    assert all(re.fullmatch(pattern, text) for _, text in labels)
    assert all(at(grid, "x1") <= x <= at(grid, "x2") for x, _ in labels)
    assert 3 <= len(marks(root, "tick-y")) <= 5


def test_y_labels_step_by_one_two_or_five_times_a_power_of_ten() -> None:
    for low, high in ((0.0, 1.0), (0.013, 0.71), (980.0, 1430.0), (-3.2, 7.9), (12345.6, 12345.9), (0.0, 1e-5)):
        root = chart(every_minute([low, high]))

        values = [Decimal(t.text or "") for t in marks(root, "tick-y")]
        steps = {b - a for a, b in itertools.pairwise(values)}
        assert 3 <= len(values) <= 5 and len(steps) == 1, (low, high, values)
        assert steps.pop().normalize().as_tuple().digits in ((1,), (2,), (5,))
        assert values[0] <= Decimal(str(low)) and Decimal(str(high)) <= values[-1]


def test_a_chart_too_small_to_label_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 200×120"):
        render_evidence_chart([], alarm_at=T0, threshold=None, field_label="x", unit="", tz=UTC, width=100)


# --- the evidence window -----------------------------------------------------------------------------

LIFT = AssetInfo("L1", AssetKind.ELEVATOR, {"site": "s", "building": "B1", "elevator_id": "L1"})
REGISTRY = AssetRegistry({"L1": LIFT})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "readings.db")
    offsets = (-40, -30, -5, 0, 5, 7, 9)  # minutes from the alarm
    store.write(
        [
            to_point(
                Reading("L1", ALARM_AT + minutes(m), {"vibration": 0.1 + m / 100, "floor": 3, "door": "open"}), LIFT
            )
            for m in offsets
        ]
    )
    yield store
    store.close()


def test_the_window_runs_from_before_the_alarm_to_now_when_now_comes_first(store: EmbeddedStore) -> None:
    found = evidence_series(
        store, registry=REGISTRY, asset_id="L1", field="vibration", alarm_at=ALARM_AT, now=ALARM_AT + minutes(7)
    )

    offsets = (-30, -5, 0, 5, 7)
    assert [ts for ts, _ in found] == [ALARM_AT + minutes(m) for m in offsets]
    assert [value for _, value in found] == pytest.approx([0.1 + m / 100 for m in offsets])


def test_the_window_ends_after_the_alarm_and_takes_integers_but_not_text(store: EmbeddedStore) -> None:
    def read(field: str) -> list[tuple[datetime, float]]:
        return evidence_series(
            store,
            registry=REGISTRY,
            asset_id="L1",
            field=field,
            alarm_at=ALARM_AT,
            before=minutes(5),
            after=minutes(8),
            now=ALARM_AT + minutes(60),
        )

    floors = read("floor")
    assert floors == [(ALARM_AT + minutes(m), 3.0) for m in (-5, 0, 5, 7)]
    assert all(type(value) is float for _, value in floors)
    assert read("door") == []
    assert read("load") == []  # never written


class BrokenStore:
    """Our ReadingStore port as it looks while InfluxDB is down."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def write(self, points: Sequence[Point]) -> None:
        raise self.error

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        raise self.error

    def history(
        self,
        asset: AssetInfo,
        field: str,
        start: datetime,
        end: datetime,
        *,
        every: timedelta | None = None,
        aggregate: Aggregate = Aggregate.MEAN,
    ) -> list[Sample]:
        raise self.error

    def first_last(self, asset: AssetInfo, field: str, start: datetime, end: datetime) -> tuple[Sample, Sample] | None:
        raise self.error

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        raise self.error

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        raise self.error


@pytest.mark.parametrize(
    "error", [StoreUnavailable("InfluxDB at http://influx:8086 unreachable"), RuntimeError("store is closed")]
)
def test_a_failing_store_gives_no_readings_and_a_warning_naming_asset_and_field(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="console.chart"):
        found = evidence_series(
            BrokenStore(error), registry=REGISTRY, asset_id="L1", field="vibration", alarm_at=ALARM_AT, now=ALARM_AT
        )

    assert found == []
    [record] = caplog.records
    assert "L1" in record.getMessage() and "vibration" in record.getMessage() and str(error) in record.getMessage()


def test_an_asset_gone_from_the_site_file_gives_no_readings(
    store: EmbeddedStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="console.chart"):
        found = evidence_series(
            store, registry=REGISTRY, asset_id="OLD-L9", field="vibration", alarm_at=ALARM_AT, now=ALARM_AT
        )

    assert found == []
    assert "OLD-L9" in caplog.text and "vibration" in caplog.text


# --- the evidence's field and threshold --------------------------------------------------------------

NOISE = """
id = "noise"
kind = "threshold"
field = "noise_db"
above = 55.0
clear = 52.0
"""
ROUGH = """
id = "rough"
kind = "threshold"
field = "vibration"
above = 2.0
baseline = { samples = 2, min_samples = 2 }
"""
DARK = """
id = "dark"
kind = "threshold"
field = "power_w"
below = 10.0
"""
RISING = """
id = "rising"
kind = "continuous_flow"
targets = { assets = ["B1-0101-W"] }
rising_for = "1h"
"""
SPIKE = """
id = "spike"
kind = "consumption_spike"
targets = { assets = ["B1-0101-E"] }
window = "1d"
factor = 3.0
history = 1
min_history = 1
"""
SILENT = """
id = "silent"
kind = "silence"
targets = { assets = ["B1-0101-W"] }
intervals = 4
"""


def builtin(rule_id: str) -> tuple[AnyRule, ...]:
    return tuple(rule for rule in builtin_rules() if rule.id == rule_id)


def stored_evidence(raised: Event) -> Mapping[str, object]:
    """The evidence as a work order keeps it (AlarmOccurrence.evidence): through JSON, as the service stores it."""
    assert isinstance(raised, AlarmRaised)
    facts = AlarmFacts(raised.rule_id, raised.asset_id, "warning", raised.raised_at, "m", raised.evidence)
    return facts.json_evidence()


def raise_alarm(engine: RuleEngine, asset_id: str, feed: Sequence[tuple[datetime, dict[str, FieldValue]]]) -> Event:
    [raised] = [event for ts, fields in feed for event in engine.on_reading(reading(asset_id, ts, **fields))]
    return raised


def test_a_threshold_alarm_names_its_field_and_level() -> None:
    engine, _ = make_engine(NOISE)
    raised = raise_alarm(engine, "B1-L1", [(SITE_T0, {"noise_db": 56.5})])

    assert evidence_field(stored_evidence(raised)) == ("noise_db", 55.0)


def test_a_baseline_threshold_gives_its_level_in_the_fields_unit_not_the_multiple() -> None:
    engine, _ = make_engine(ROUGH)
    raised = raise_alarm(
        engine, "B1-L1", [(SITE_T0 + seconds(i), {"vibration": v}) for i, v in enumerate((0.1, 0.1, 0.5))]
    )

    assert evidence_field(stored_evidence(raised)) == ("vibration", 0.2)


def test_a_below_threshold_gives_its_lower_level_in_the_same_key() -> None:
    engine, _ = make_engine(DARK)
    raised = raise_alarm(engine, "GARAGE-LIGHT", [(SITE_T0, {"power_w": 2.0})])

    assert evidence_field(stored_evidence(raised)) == ("power_w", 10.0)


def test_a_state_rule_on_one_numeric_field_names_it_without_a_level() -> None:
    engine, _ = make_engine(rule_list=builtin("elevator-fault-code"))
    raised = raise_alarm(engine, "B1-L1", [(SITE_T0, {"fault_code": 0}), (SITE_T0 + seconds(9), {"fault_code": 7})])

    assert evidence_field(stored_evidence(raised)) == ("fault_code", None)


def test_a_state_rule_on_text_fields_has_no_field_to_chart() -> None:
    engine, _ = make_engine(rule_list=builtin("elevator-door-open-moving"))
    feed: list[tuple[datetime, dict[str, FieldValue]]] = [
        (SITE_T0, {"state": "moving", "door": "closed"}),
        (SITE_T0 + seconds(5), {"door": "open"}),
    ]

    assert evidence_field(stored_evidence(raise_alarm(engine, "B1-L1", feed))) == (None, None)


def entrapment() -> Event:
    engine, _ = make_engine(rule_list=builtin("elevator-entrapment"))
    engine.on_reading(reading("B1-L1", SITE_T0, state="moving", door="closed", alarm=False, floor=5))
    engine.on_reading(reading("B1-L1", SITE_T0 + seconds(10), state="stopped", alarm=True))
    [raised] = engine.on_tick(SITE_T0 + seconds(40))
    return raised


def running_water() -> Event:
    engine, _ = make_engine(RISING)
    return raise_alarm(engine, "B1-0101-W", [(SITE_T0 + minutes(15 * i), {"total": 100 + i / 100}) for i in range(5)])


def spiking_use() -> Event:
    """A day at 0.1 kWh an hour learnt as the baseline, then 15 kWh in the first three hours of the next."""
    engine, _ = make_engine(SPIKE)
    hourly_use = [0.0] + [0.1] * 24 + [5.0] * 3
    totals = [1000 + sum(hourly_use[: i + 1]) for i in range(len(hourly_use))]
    return raise_alarm(engine, "B1-0101-E", [(local(1, i), {"total": t}) for i, t in enumerate(totals)])


def silent_meter() -> Event:
    engine, _ = make_engine(SILENT)
    [raised] = engine.on_tick(SITE_T0 + minutes(60))
    return raised


def lights_left_on() -> Event:
    engine, _ = make_engine(rule_list=builtin("lights-left-on"), start=local(1, 6))
    engine.on_reading(reading("B1-CORRIDOR-LIGHT", local(1, 7), on=True, power_w=480.0))
    [raised] = engine.on_tick(local(1, 8, 30))
    return raised


@pytest.mark.parametrize(
    ("alarm", "keys"),
    [
        (entrapment, {"floor", "alarm_pressed_at"}),  # a number, but not what raised it
        (silent_meter, {"last_seen", "limit_s"}),
        (lights_left_on, {"on_since"}),
    ],
)
def test_other_kinds_do_not_name_a_field_with_a_level_on_its_scale(alarm: Callable[[], Event], keys: set[str]) -> None:
    evidence = stored_evidence(alarm())

    assert keys <= evidence.keys()
    assert evidence_field(evidence) == (None, None)


@pytest.mark.parametrize(
    ("alarm", "keys"),
    [
        (running_water, {"field", "total", "rising_since"}),
        (spiking_use, {"field", "used", "limit", "baseline"}),
    ],
)
def test_flow_and_spike_chart_their_register_without_a_threshold(alarm: Callable[[], Event], keys: set[str]) -> None:
    evidence = stored_evidence(alarm())

    assert keys <= evidence.keys()
    # Their "limit" is use within a window (m³ in an hour), not a level on the register: no threshold line.
    assert evidence_field(evidence) == ("total", None)


def test_evidence_that_says_nothing_usable_gives_none() -> None:
    assert evidence_field({}) == (None, None)
    assert evidence_field({"reason": "rule_removed"}) == (None, None)  # a clear after the rule was removed
    assert evidence_field({"field": "noise_db", "limit": "loud"}) == ("noise_db", None)
    assert evidence_field({"field": "", "limit": 3.0}) == (None, None)
    assert evidence_field({"conditions": "load > 900, speed > 1", "load": 950.0, "speed": 1.5}) == (None, None)
