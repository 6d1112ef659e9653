"""The spool never wedges: bad data is split out of a group commit, file faults leave nothing half-taken.

The split and the hostile input run on SQLite and PostgreSQL (conftest.py); the file faults are SQLite's own.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import FakeClock
from core.measurements import FIELD_TYPES, AssetKind
from core.reading import FieldValue, Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from storage.spool import Spool, SpoolUnavailable
from storage.spool_base import SpoolBase
from tests.unit.core.test_config import MINIMAL
from tests.unit.storage.conftest import MakeSpool

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SITE_TEXT = MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n'
SITE_TEXT += '[[circuits]]\nid = "C1"\narea = "lobby"\nrated_power_w = 100\n'
REGISTRY = AssetRegistry.from_site(parse_site(SITE_TEXT))
ASSET_OF_KIND = {AssetKind.METER: "B1-0101-W", AssetKind.ELEVATOR: "L1", AssetKind.CIRCUIT: "C1"}


class PassThroughValidator(ReadingValidator):
    """A fake of our own validation port that lets everything through, so the database is what refuses."""

    def coerced_fields(self, reading: Reading, now: datetime) -> dict[str, FieldValue]:
        return dict(reading.fields)


def open_spool(path: Path, *, validator: type[ReadingValidator] = ReadingValidator, **kw: object) -> Spool:
    clock = FakeClock(NOW)
    return Spool(path / "spool.db", validator(REGISTRY, clock), clock, **kw)  # type: ignore[arg-type]


def open_any(make_spool: MakeSpool, *, validator: type[ReadingValidator] = ReadingValidator, **kw: Any) -> SpoolBase:
    clock = FakeClock(NOW)
    return make_spool(validator(REGISTRY, clock), clock, **kw)


def meter(n: int, asset: str = "B1-0101-W") -> Reading:
    return Reading(asset, NOW - timedelta(minutes=n), {"total": float(n)})


def test_a_reading_the_database_refuses_is_split_out_of_its_group(make_spool: MakeSpool) -> None:
    spool = open_any(make_spool, validator=PassThroughValidator)
    poison = Reading("B1-\ud800", NOW, {"total": 1.0})  # SQLite cannot encode a lone surrogate
    messages = [([meter(n)], f"m{n}") for n in range(6)]
    messages.insert(3, ([poison], "poison"))
    assert spool.accept_many(messages) == 7
    assert [item.reading.fields["total"] for item in spool.take(100)] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    letters = spool.dead_letters()
    assert [(d.source, "the spool refused it" in d.error) for d in letters] == [("poison", True)]
    assert spool.stats.split_commits >= 3  # the group, then halves, down to the one message
    assert spool.accept_many([([meter(9)], "after")]) == 1  # no transaction was left open


def test_one_poll_of_many_readings_loses_only_the_refused_reading(make_spool: MakeSpool) -> None:
    spool = open_any(make_spool, validator=PassThroughValidator)
    poll = [meter(1), Reading("\udcff", NOW, {"total": 2.0}), meter(3)]
    assert spool.accept_many([(poll, "modbus")]) == 1
    assert sorted(item.reading.fields["total"] for item in spool.take(100)) == [1.0, 3.0]
    assert spool.dead_letter_count() == 1


def test_an_integer_json_cannot_hold_becomes_a_dead_letter(make_spool: MakeSpool) -> None:
    spool = open_any(make_spool, validator=PassThroughValidator)
    assert spool.accept_many([([Reading("L1", NOW, {"floor": 2**70})], "big"), ([meter(1)], "ok")]) == 2
    assert spool.depth == 1
    (letter,) = spool.dead_letters()
    assert "Integer exceeds 64-bit range" in letter.error and b"1180591620717411303424" in letter.payload


def test_dead_letter_text_a_database_refuses_is_made_safe(make_spool: MakeSpool) -> None:
    spool = open_any(make_spool)
    spool.accept_many([([Reading("NOPE", NOW, {"total": 1.0})], "facilities/x/\ud800/telemetry")])
    (letter,) = spool.dead_letters()
    assert letter.source == "facilities/x/\ufffd/telemetry" and "unknown asset id" in letter.error


def _fill_until_full(spool: Spool) -> int:
    """Commit until the file is full; returns how many readings went in."""
    spool._db.execute(f"PRAGMA max_page_count = {spool._db.execute('PRAGMA page_count').fetchone()[0] + 2}")
    n = 0
    with pytest.raises(SpoolUnavailable, match="database or disk is full"):
        while True:
            spool.accept_many([([meter(n % 500)], "fill")])
            n += 1
    return n


def test_a_full_file_takes_nothing_of_the_group_and_recovers_when_space_returns(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    spooled = _fill_until_full(spool)
    depth = spool.depth
    assert depth == spooled and spool.health.error is not None and spool.health.since == NOW
    with pytest.raises(SpoolUnavailable):
        spool.accept_many([([meter(1)], "a"), ([meter(2)], "b")])
    with pytest.raises(SpoolUnavailable):
        spool.reject(source="x", payload=b"y" * 20_000, error="bad")
    assert spool.depth == depth and spool.stats.unavailable >= 3
    spool._db.execute("PRAGMA max_page_count = 1073741823")  # space is back
    assert spool.accept_many([([meter(1)], "a"), ([meter(2)], "b")]) == 2
    assert spool.depth == depth + 2 and spool.health.error is None
    assert len(spool.take(100_000)) == depth + 2


def test_a_locked_file_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    spool = open_spool(tmp_path, busy_timeout_s=0.05)
    other = sqlite3.connect(tmp_path / "spool.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(SpoolUnavailable, match="locked"):
        spool.accept_many([([meter(1)], "a")])
    other.execute("ROLLBACK")
    assert spool.accept_many([([meter(1)], "a")]) == 1


def test_consumers_learn_of_a_commit_without_polling(make_spool: MakeSpool) -> None:
    spool = open_any(make_spool, consumers=("store", "rules"))
    assert not spool.wait_for_readings("rules", 0.01)
    spool.accept_many([([meter(1)], "a")])
    assert spool.wait_for_readings("rules", 0)
    assert spool.oldest_pending_at("rules") == NOW
    (row,) = spool.take_rows(10, "rules")
    spool.advance("rules", row[0])
    assert not spool.wait_for_readings("rules", 0) and spool.oldest_pending_at("rules") is None
    assert spool.oldest_pending_at("store") == NOW


# Any JSON value (and then some) for every field of every asset kind, plus unknown fields.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(max_size=300)
    | st.sampled_from(["\x00", "\ud800", "x" * 70_000, "1e400", "-5", "ON", "moving"])
)
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(), c), max_leaves=5
)
kinds = st.sampled_from(list(ASSET_OF_KIND))


@st.composite
def hostile_reading(draw: st.DrawFn) -> Reading:
    kind = draw(kinds)
    names = [*FIELD_TYPES[kind], "extra", "", "bad name"]
    fields = draw(st.dictionaries(st.sampled_from(names), json_values, min_size=1, max_size=6))
    return Reading(ASSET_OF_KIND[kind], NOW - timedelta(seconds=draw(st.integers(0, 3600))), fields)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(hostile_reading(), min_size=1, max_size=3), min_size=1, max_size=8))
def test_every_reading_is_committed_or_dead_lettered(make_spool: MakeSpool, group: list[list[Reading]]) -> None:
    spool = open_any(make_spool, place=uuid.uuid4().hex)
    before = spool.dead_letter_count()
    assert spool.accept_many([(readings, f"m{i}") for i, readings in enumerate(group)]) == len(group)
    committed = spool.take(1000)
    assert len(committed) + spool.dead_letter_count() - before == sum(map(len, group))
    for item in committed:  # what was committed is what every store can hold
        for value in item.reading.fields.values():
            assert not isinstance(value, int) or isinstance(value, bool) or -(2**63) <= value < 2**63
            assert not isinstance(value, str) or (len(value) <= 256 and "\x00" not in value)
    spool.close()
