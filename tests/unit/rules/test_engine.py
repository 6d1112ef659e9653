"""The engine around the evaluators: late readings, ticks, targeting, overrides and restarts."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from core.clock import FakeClock
from rules.engine import RuleEngine
from rules.events import AlarmCleared, AlarmRaised
from rules.events import AlarmEvent as Event
from rules.machine import Status
from rules.state_store import StoredState
from rules.targets import DuplicateRule
from tests.unit.rules.support import T0, MemoryStateStore, make_engine, minutes, reading, rules, seconds, site

NOISE = """
id = "noise"
kind = "threshold"
targets = { kinds = ["elevator"] }
field = "noise_db"
above = 55.0
clear = 52.0
for = "5m"
"""


def test_a_reading_older_than_or_as_old_as_the_last_one_is_ignored() -> None:
    engine, _ = make_engine(NOISE)
    engine.on_reading(reading("B1-L1", T0 + seconds(10), noise_db=40.0))

    assert engine.on_reading(reading("B1-L1", T0 + seconds(5), noise_db=90.0)) == []
    assert engine.on_reading(reading("B1-L1", T0 + seconds(10), noise_db=90.0)) == []
    assert engine.on_tick(T0 + minutes(30)) == []
    assert engine.ignored_late == 2


def summary(events: list[Event]) -> list[tuple[str, object]]:
    return [(type(e).__name__, e.raised_at if isinstance(e, AlarmRaised) else e.cleared_at) for e in events]


def test_alarms_are_the_same_with_ticks_every_second_or_none_at_all() -> None:
    stream = [(0, 60.0), (15, 40.0), (30, 60.0), (45, 60.0), (60, 40.0)]  # minutes, dB(A)
    ticking, _ = make_engine(NOISE)
    quiet, _ = make_engine(NOISE)
    with_ticks: list[Event] = []
    without: list[Event] = []
    for minute, value in stream:
        for second in range(0, 15 * 60, 1) if minute else ():
            with_ticks += ticking.on_tick(T0 + minutes(minute - 15) + seconds(second))
        with_ticks += ticking.on_reading(reading("B1-L1", T0 + minutes(minute), noise_db=value))
        without += quiet.on_reading(reading("B1-L1", T0 + minutes(minute), noise_db=value))

    expected = [
        ("AlarmRaised", T0 + minutes(5)),  # the value is held until the next reading says otherwise
        ("AlarmCleared", T0 + minutes(15)),
        ("AlarmRaised", T0 + minutes(35)),
        ("AlarmCleared", T0 + minutes(60)),
    ]
    assert summary(with_ticks) == expected
    assert summary(without) == expected


def test_rules_target_by_id_kind_utility_building_area_kind_tag_and_vacancy() -> None:
    def watched(targets: str) -> list[str]:
        text = f'id = "r"\nkind = "silence"\ntargets = {targets}\n'
        engine, _ = make_engine(text)
        return [asset for _, asset in engine.watched()]

    assert watched('{ assets = ["B1-L1", "GARAGE-LIGHT"] }') == ["B1-L1", "GARAGE-LIGHT"]
    assert watched('{ kinds = ["elevator"] }') == ["B1-L1", "B2-L1"]
    assert watched('{ utilities = ["water"], buildings = ["B2"] }') == ["B2-0101-W"]
    assert watched('{ area_kinds = ["corridor", "garage"] }') == ["B1-CORRIDOR-LIGHT", "GARAGE-LIGHT"]
    assert watched('{ tags = { unit = "B1-0102" } }') == ["B1-0102-E", "B1-0102-W"]
    assert watched("{ vacant = true }") == ["B1-0202-E", "B1-0202-W"]
    assert watched('{ kinds = ["meter"], buildings = ["B1"], vacant = false, exclude = ["B1-0101-E"] }') == [
        "B1-0101-W",
        "B1-0102-E",
        "B1-0102-W",
        "B1-0201-E",
        "B1-0201-W",
    ]


def test_a_per_asset_override_changes_that_asset_only_and_can_switch_the_rule_off() -> None:
    engine, _ = make_engine(
        NOISE.replace('for = "5m"', 'for = "0s"') + 'overrides = { "B2-L1" = { above = 60.0, clear = 57.0 } }\n'
    )
    events = engine.on_reading(reading("B1-L1", T0, noise_db=58.0))
    events += engine.on_reading(reading("B2-L1", T0, noise_db=58.0))
    events += engine.on_reading(reading("B2-L1", T0 + seconds(1), noise_db=61.0))

    assert [(e.asset_id, e.evidence["limit"]) for e in events] == [("B1-L1", 55.0), ("B2-L1", 60.0)]

    off, _ = make_engine(NOISE + 'overrides = { "B2-L1" = { enabled = false } }\n')
    assert off.watched() == [("noise", "B1-L1")]


def test_duplicate_rule_ids_are_refused() -> None:
    with pytest.raises(DuplicateRule, match="repeated: noise"):
        make_engine(NOISE, NOISE)


def test_a_restarted_engine_keeps_its_open_alarm_without_raising_it_again() -> None:
    store = MemoryStateStore()
    first, _ = make_engine(NOISE, store=store)
    first.on_reading(reading("B1-L1", T0, noise_db=60.0))
    [raised] = first.on_tick(T0 + minutes(5))

    second, _ = make_engine(NOISE, store=store, start=T0 + minutes(6))
    assert second.restore() == []
    assert second.open_alarms() == [raised]
    assert second.on_reading(reading("B1-L1", T0 + minutes(6), noise_db=61.0)) == []
    assert second.on_reading(reading("B1-L1", T0 + minutes(5), noise_db=40.0)) == []  # older than seen: ignored
    [cleared] = second.on_reading(reading("B1-L1", T0 + minutes(7), noise_db=50.0))

    assert isinstance(cleared, AlarmCleared)
    assert (cleared.alarm_id, cleared.started_at) == (raised.alarm_id, T0)
    assert store.rows[("noise", "B1-L1")].status == Status.CLEARED


def test_a_pending_duration_survives_a_restart() -> None:
    store = MemoryStateStore()
    first, _ = make_engine(NOISE, store=store)
    first.on_reading(reading("B1-L1", T0, noise_db=60.0))

    second, _ = make_engine(NOISE, store=store, start=T0 + minutes(1))
    second.restore()
    assert second.on_tick(T0 + minutes(5) - seconds(1)) == []
    [raised] = second.on_tick(T0 + minutes(5))
    assert raised.started_at == T0


def test_an_alarm_whose_rule_is_gone_is_cleared_on_restore_and_forgotten() -> None:
    store = MemoryStateStore()
    first, _ = make_engine(NOISE.replace('for = "5m"', 'for = "0s"'), store=store)
    [raised] = first.on_reading(reading("B1-L1", T0, noise_db=60.0))

    second, _ = make_engine(NOISE.replace('id = "noise"', 'id = "noise-v2"'), store=store, start=T0 + minutes(3))
    [cleared] = second.restore()

    assert isinstance(cleared, AlarmCleared)
    assert (cleared.alarm_id, cleared.reason, cleared.cleared_at) == (raised.alarm_id, "rule_removed", T0 + minutes(3))
    assert (cleared.tags["site"], cleared.title) == ("test", ("超限", "Out of range"))
    assert ("noise", "B1-L1") not in store.rows


def test_status_changes_are_written_at_once_and_memory_only_at_checkpoints() -> None:
    store = MemoryStateStore()
    engine, _ = make_engine(NOISE, store=store)
    engine.on_reading(reading("B1-L1", T0, noise_db=40.0))
    assert store.rows == {}

    engine.on_reading(reading("B1-L1", T0 + seconds(10), noise_db=60.0))
    assert store.rows[("noise", "B1-L1")].status == Status.PENDING
    engine.on_reading(reading("B2-L1", T0 + seconds(20), noise_db=41.0))
    assert ("noise", "B2-L1") not in store.rows

    engine.checkpoint()
    assert store.rows[("noise", "B2-L1")].last_ts == T0 + seconds(20)
    assert store.rows[("noise", "B2-L1")].status == Status.NORMAL
    assert store.rows[("noise", "B1-L1")].memory["since"] == "2026-03-02T00:00:10+08:00"


def test_without_autosave_nothing_is_written_until_flush() -> None:
    store = MemoryStateStore()
    engine = RuleEngine(
        rules(NOISE.replace('for = "5m"', 'for = "0s"')), site(), FakeClock(T0), store=store, autosave=False
    )
    [raised] = engine.on_reading(reading("B1-L1", T0, noise_db=60.0))
    assert store.rows == {}

    engine.flush()
    assert store.rows[("noise", "B1-L1")].alarm_id == raised.alarm_id


def test_silence_after_a_restart_counts_from_the_restart_not_from_before_the_downtime() -> None:
    store = MemoryStateStore()
    text = 'id = "silent"\nkind = "silence"\ntargets = { assets = ["B1-0101-W"] }\n'
    first, _ = make_engine(text, store=store)
    first.on_reading(reading("B1-0101-W", T0, total=1.0))
    first.checkpoint()

    second, _ = make_engine(text, store=store, start=T0 + minutes(180))
    second.restore()
    assert second.on_tick(T0 + minutes(239)) == []
    [raised] = second.on_tick(T0 + minutes(240))
    assert raised.evidence["last_seen"] == "2026-03-02T00:00:00+08:00"


class FailingStore(MemoryStateStore):
    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def save(self, states: Sequence[StoredState]) -> None:
        if self.down:
            raise ConnectionError("database is down")
        super().save(states)


def test_a_database_outage_does_not_swallow_alarms_and_the_state_is_written_once_it_is_back() -> None:
    store = FailingStore()
    engine, _ = make_engine(NOISE.replace('for = "5m"', 'for = "0s"'), store=store)

    [raised] = engine.on_reading(reading("B1-L1", T0, noise_db=60.0))
    assert store.rows == {}

    store.down = False
    engine.on_reading(reading("B2-L1", T0 + seconds(1), noise_db=60.0))
    assert store.rows[("noise", "B1-L1")].alarm_id == raised.alarm_id
