"""Relearning a car's baseline after an overhaul: the held reference is forgotten and learnt again."""

from __future__ import annotations

import pytest

from rules.engine import RuleEngine
from rules.events import AlarmRaised
from tests.unit.rules.support import T0, MemoryStateStore, make_engine, reading, seconds
from tests.unit.rules.test_threshold import NOISE, VIBRATION


def learn(engine: RuleEngine, car: str, level: float, start: int) -> None:
    """Ten normal trips: the rule's `samples`, after which the reference is held."""
    for i in range(10):
        assert engine.on_reading(reading(car, T0 + seconds(start + 10 * i), state="moving", vibration=level)) == []


def test_after_a_reset_the_car_is_judged_against_its_new_normal() -> None:
    store = MemoryStateStore()
    engine, _ = make_engine(VIBRATION, store=store)
    learn(engine, "B1-L1", 0.1, 0)  # as delivered: 0.1 m/s², so 0.25 would be twice its normal
    saves = store.saves

    assert engine.reset_baseline("vibration", "B1-L1") is True
    assert store.saves == saves + 1  # saved at once: a restart does not bring the old reference back
    assert store.rows["vibration", "B1-L1"].memory["samples"] == 0

    # New rails after the overhaul ride at 0.15: that is the car's normal now. Once ten trips taught it,
    # 0.25 is under twice 0.15 and raises nothing; 0.31 is over it.
    learn(engine, "B1-L1", 0.15, 100)
    assert engine.on_reading(reading("B1-L1", T0 + seconds(300), state="moving", vibration=0.25)) == []
    [raised] = engine.on_reading(reading("B1-L1", T0 + seconds(310), state="moving", vibration=0.31))
    assert isinstance(raised, AlarmRaised) and raised.evidence["baseline"] == pytest.approx(0.15)


def test_other_cars_keep_their_baselines() -> None:
    engine, _ = make_engine(VIBRATION)
    learn(engine, "B1-L1", 0.1, 0)
    learn(engine, "B2-L1", 0.1, 0)
    engine.reset_baseline("vibration", "B1-L1")
    [raised] = engine.on_reading(reading("B2-L1", T0 + seconds(200), state="moving", vibration=0.25))
    assert raised.asset_id == "B2-L1"
    assert engine.on_reading(reading("B1-L1", T0 + seconds(200), state="moving", vibration=0.25)) == []


def test_a_rule_without_a_baseline_or_a_pair_not_watched_is_refused() -> None:
    engine, _ = make_engine(VIBRATION, NOISE)
    assert engine.reset_baseline("noise", "B1-L1") is False  # fixed levels: nothing to learn
    with pytest.raises(KeyError):
        engine.reset_baseline("vibration", "B9-NOPE")
