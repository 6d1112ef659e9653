"""A live reload of the site (issue 19): a firing alarm is neither raised again nor forgotten; removed pairs clear."""

from __future__ import annotations

from core.reading import Reading
from core.site_loader import parse_site
from rules.events import AlarmCleared, AlarmRaised
from tests.unit.rules.support import SITE_TOML, T0, MemoryStateStore, make_engine, reading, rules, seconds, site
from tests.unit.rules.test_threshold import NOISE

LOUD = NOISE.replace('targets = { assets = ["B1-L1"] }', 'targets = { kinds = ["elevator"] }').replace("60s", "0s")
B3 = '\n[[elevators]]\nid = "B3-L1"\nbuilding = "B2"\nhighest_floor = 2\n'


def loud(asset_id: str, at: int, db: float = 70.0) -> Reading:
    return reading(asset_id, T0 + seconds(at), noise_db=db)


def test_an_unchanged_firing_alarm_stays_firing_and_is_not_raised_again() -> None:
    store = MemoryStateStore()
    engine, _ = make_engine(LOUD, store=store)
    [raised] = engine.on_reading(loud("B1-L1", 1))
    assert isinstance(raised, AlarmRaised)

    bigger = parse_site(SITE_TOML + B3, source="site.toml")
    assert engine.reload(rules(LOUD), bigger) == []
    assert [(a.rule_id, a.asset_id) for a in engine.open_alarms()] == [("noise", "B1-L1")]
    assert engine.on_reading(loud("B1-L1", 2)) == []  # still loud: no second alarm
    [new] = engine.on_reading(loud("B3-L1", 3))  # the added car is watched at once
    assert isinstance(new, AlarmRaised) and new.asset_id == "B3-L1"


def test_a_removed_asset_or_rule_clears_its_open_alarm_once_and_forgets_its_row() -> None:
    store = MemoryStateStore()
    engine, _ = make_engine(LOUD, store=store)
    engine.on_reading(loud("B1-L1", 1))
    engine.on_reading(loud("B2-L1", 1))
    engine.flush()

    without_b2 = parse_site(SITE_TOML.replace('id = "B2-L1"', 'id = "B2-L9"'), source="site.toml")
    [cleared] = engine.reload(rules(LOUD), without_b2)
    assert isinstance(cleared, AlarmCleared)
    assert (cleared.asset_id, cleared.reason) == ("B2-L1", "rule_removed")
    assert ("noise", "B2-L1") not in store.rows
    assert [a.asset_id for a in engine.open_alarms()] == ["B1-L1"]

    [gone] = engine.reload((), without_b2)  # the rule itself removed
    assert gone.asset_id == "B1-L1" and engine.open_alarms() == [] and engine.watched() == []


def test_a_changed_rule_comes_back_from_its_saved_state_still_firing() -> None:
    store = MemoryStateStore()
    engine, _ = make_engine(LOUD, store=store)
    engine.on_reading(loud("B1-L1", 1))
    stricter = LOUD.replace("clear = 52.0", "clear = 50.0")
    assert engine.reload(rules(stricter), site()) == []
    assert [a.asset_id for a in engine.open_alarms()] == ["B1-L1"]
    [cleared] = engine.on_reading(loud("B1-L1", 5, db=49.0))
    assert isinstance(cleared, AlarmCleared) and cleared.reason == "condition_cleared"
