"""The spool contract on SQLite and PostgreSQL (conftest.py): bounds, dead letters, a cursor per consumer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from storage.spool import Spool
from storage.spool_base import SpoolBase
from tests.unit.core.test_config import MINIMAL
from tests.unit.storage.conftest import MakeSpool

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REGISTRY = AssetRegistry.from_site(parse_site(MINIMAL))


def reading(n: int, asset: str = "B1-0101-W") -> Reading:
    return Reading(asset, NOW - timedelta(minutes=n), {"total": float(n)})


def open_sqlite(path: Path, **kw: Any) -> Spool:
    """A SQLite spool file in `path` (its own modes: test_spool_shared.py)."""
    clock = FakeClock(NOW)
    return Spool(path / "spool.db", ReadingValidator(REGISTRY, clock), clock, **kw)


def open_spool(make_spool: MakeSpool, **kw: Any) -> SpoolBase:
    clock = FakeClock(NOW)
    return make_spool(ReadingValidator(REGISTRY, clock), clock, **kw)


def totals(spool: SpoolBase, consumer: str = "store") -> list[float]:
    return [float(item.reading.fields["total"]) for item in spool.take(100, consumer)]


def test_group_is_taken_up_to_the_bound_and_the_rest_left_to_the_caller(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool, max_readings=3)
    messages = [([reading(n)], f"m{n}") for n in range(5)]
    assert spool.accept_many(messages) == 3
    assert spool.depth == 3
    assert spool.accept_many(messages[3:]) == 0
    assert spool.stats.refused_full == 2
    assert totals(spool) == [0.0, 1.0, 2.0]


def test_a_message_larger_than_the_bound_still_enters_an_empty_spool(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool, max_readings=2)
    assert spool.accept_many([([reading(n) for n in range(5)], "burst")]) == 1
    assert spool.depth == 5


def test_invalid_readings_become_dead_letters_beside_the_good_ones(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool)
    bad_future = Reading("B1-0101-W", NOW + timedelta(hours=2), {"total": 1.0})
    assert spool.accept_many([([reading(1), bad_future, reading(2, "NOPE")], "t")]) == 1
    assert totals(spool) == [1.0]
    errors = [d.error for d in spool.dead_letters()]
    assert len(errors) == 2
    assert any("in the future" in e for e in errors) and any("unknown asset id 'NOPE'" in e for e in errors)
    assert spool.dead_letter_count() == 2 == spool.stats.dead_lettered


def test_readings_are_deleted_only_when_every_consumer_is_past_them(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool, consumers=("store", "rules"))
    spool.accept_many([([reading(n)], "t") for n in range(4)])
    first_two = spool.take_rows(2, "store")
    spool.advance("store", first_two[-1][0])
    assert spool.depth == 4  # the rules engine has not seen them yet
    assert totals(spool, "store") == [2.0, 3.0]
    assert totals(spool, "rules") == [0.0, 1.0, 2.0, 3.0]

    rules_rows = spool.take_rows(3, "rules")
    spool.advance("rules", rules_rows[-1][0])
    assert spool.depth == 2  # both are past the first two
    assert spool.lag("store") == 2 and spool.lag("rules") == 1


def test_cursors_survive_a_restart_and_dropped_consumers_do_not_pin_the_spool(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool, consumers=("store", "rules"))
    spool.accept_many([([reading(n)], "t") for n in range(3)])
    rows = spool.take_rows(10, "store")
    spool.advance("store", rows[0][0])
    spool.close()

    reopened = open_spool(make_spool, consumers=("store", "rules"))
    assert totals(reopened, "store") == [1.0, 2.0]
    assert reopened.depth == 3
    reopened.close()

    store_only = open_spool(make_spool, consumers=("store",))  # rules switched off
    assert store_only.depth == 3  # opening deletes nothing
    assert totals(store_only) == [1.0, 2.0]
    store_only.advance("store", rows[1][0])
    assert store_only.depth == 1  # the rules cursor, no longer configured, does not pin the spool


def test_opening_a_spool_with_fewer_consumers_deletes_nothing(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool, consumers=("store", "rules"))
    spool.accept_many([([reading(n)], "t") for n in range(3)])
    spool.advance("store", spool.take_rows(10, "store")[-1][0])
    spool.close()
    reader = open_spool(make_spool)  # e.g. `facilities deadletters list`
    reader.close()
    again = open_spool(make_spool, consumers=("store", "rules"))
    assert totals(again, "rules") == [0.0, 1.0, 2.0]


def test_refused_reading_moves_to_dead_letters(make_spool: MakeSpool) -> None:
    spool = open_spool(make_spool)
    spool.accept_many([([reading(n)], "t") for n in range(2)])
    first = spool.take_rows(1)[0]
    spool.move_to_dead_letters(first, "store said no")
    assert totals(spool) == [1.0]
    assert spool.depth == 1
    [letter] = spool.dead_letters()
    assert letter.source == "store" and letter.error == "store said no"
    assert b'"asset_id": "B1-0101-W"' in letter.payload


def test_a_spool_needs_a_consumer(tmp_path: Path) -> None:
    """SQLite's; a spool in PostgreSQL may have none (a producer-only view: tests/integration/storage)."""
    with pytest.raises(ValueError, match="at least one consumer"):
        open_sqlite(tmp_path, consumers=())
