"""Alarm state survives a restart on a SQLite file and on PostgreSQL: no re-raise, no forgotten alarm."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from core.clock import FakeClock
from rules.engine import RuleEngine
from rules.events import AlarmCleared
from rules.state_store import SqlRuleStateStore, StoredState, create_schema
from tests.unit.rules.support import T0, minutes, reading, rules, seconds, site

pytestmark = pytest.mark.integration

NOISE = """
id = "noise"
kind = "threshold"
targets = { kinds = ["elevator"] }
field = "noise_db"
above = 55.0
clear = 52.0
for = "{for}"
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'facilities.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    create_schema(engine)
    create_schema(engine)  # idempotent: every start calls it
    yield engine
    engine.dispose()


@pytest.fixture
def site_id() -> str:
    """A site id of this test's own, so tests sharing the PostgreSQL database never see each other's rows."""
    return f"site-{uuid.uuid4().hex[:12]}"


def start(database: Engine, site_id: str, text: str, at: timedelta = timedelta(0)) -> RuleEngine:
    """An engine as the service builds it on start: a fresh store object on the same database, then restore."""
    return RuleEngine(rules(text), site(), FakeClock(T0 + at), store=SqlRuleStateStore(database, site_id))


def test_an_open_alarm_is_restored_not_raised_again_and_clears_later(database: Engine, site_id: str) -> None:
    text = NOISE.replace("{for}", "0s")
    first = start(database, site_id, text)
    first.restore()
    [raised] = first.on_reading(reading("B1-L1", T0, noise_db=60.5))

    second = start(database, site_id, text, minutes(2))
    assert second.restore() == []
    assert second.open_alarms() == [raised]
    assert second.on_readings(reading("B1-L1", T0 + seconds(10 * i), noise_db=61.0) for i in range(1, 50)) == []
    [cleared] = second.on_reading(reading("B1-L1", T0 + minutes(10), noise_db=50.0))

    assert isinstance(cleared, AlarmCleared)
    assert (cleared.alarm_id, cleared.started_at, cleared.cleared_at) == (raised.alarm_id, T0, T0 + minutes(10))
    third = start(database, site_id, text, minutes(11))
    assert third.restore() == []
    assert third.open_alarms() == []
    assert SqlRuleStateStore(database, site_id).open_alarms() == []


def test_a_pending_duration_and_a_silence_clock_survive_a_restart(database: Engine, site_id: str) -> None:
    text = NOISE.replace("{for}", "5m")
    silent = 'id = "silent"\nkind = "silence"\ntargets = { assets = ["B1-0101-W"] }\n'
    first = RuleEngine(rules(text, silent), site(), FakeClock(T0), store=SqlRuleStateStore(database, site_id))
    first.on_reading(reading("B1-L1", T0, noise_db=60.0))
    first.on_reading(reading("B1-0101-W", T0 + minutes(1), total=12.5))
    first.checkpoint()

    clock = FakeClock(T0 + minutes(2))
    second = RuleEngine(rules(text, silent), site(), clock, store=SqlRuleStateStore(database, site_id))
    assert second.restore() == []
    assert second.on_tick(T0 + minutes(5) - seconds(1)) == []
    [raised] = second.on_tick(T0 + minutes(5))
    assert (raised.rule_id, raised.started_at, raised.raised_at) == ("noise", T0, T0 + minutes(5))
    [silence] = second.on_tick(T0 + minutes(62))  # an hour from restart, later than an hour from last_seen
    assert silence.evidence["last_seen"] == "2026-03-02T00:01:00+08:00"


def test_an_alarm_of_a_removed_rule_is_cleared_and_its_row_deleted(database: Engine, site_id: str) -> None:
    text = NOISE.replace("{for}", "0s")
    first = start(database, site_id, text)
    [raised] = first.on_reading(reading("B1-L1", T0, noise_db=70.0))

    second = start(database, site_id, text.replace('id = "noise"', 'id = "noise-v2"'), minutes(1))
    [cleared] = second.restore()

    assert isinstance(cleared, AlarmCleared)
    assert (cleared.alarm_id, cleared.reason) == (raised.alarm_id, "rule_removed")
    assert SqlRuleStateStore(database, site_id).load_all() == []


def test_rows_round_trip_as_aware_utc_times_and_json_and_stay_within_their_site(database: Engine, site_id: str) -> None:
    store = SqlRuleStateStore(database, site_id)
    state = StoredState(
        rule_id="r",
        asset_id="B1-L1",
        status="firing",
        severity="critical",
        updated_at=T0 + minutes(1),
        since=T0,
        raised_at=T0 + seconds(30),
        alarm_id="r:B1-L1:20260301T160030Z",
        message_key="entrapment",
        evidence={"floor": 5, "door": "closed", "value": 0.25, "pressed": True, "offline": None},
        memory={"history": {"0": [1.5, 2.25]}},
    )
    store.save([state])
    store.save([state])  # an upsert, not a second row

    [loaded] = store.load_all()
    assert loaded == state
    assert loaded.since is not None and loaded.since.tzinfo == UTC
    assert SqlRuleStateStore(database, f"{site_id}-other").load_all() == []
    store.delete([("r", "B1-L1")])
    assert store.load_all() == []
