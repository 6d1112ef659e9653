"""Threshold rules: exact firing time, hysteresis, no flapping, dedup, cooldown, per-car baselines."""

from __future__ import annotations

from rules.events import AlarmCleared, AlarmRaised
from tests.unit.rules.support import T0, make_engine, minutes, reading, seconds

NOISE = """
id = "noise"
kind = "threshold"
severity = "warning"
targets = { assets = ["B1-L1"] }
field = "noise_db"
above = 55.0
clear = 52.0
for = "60s"
"""


def test_fires_on_the_tick_exactly_for_after_the_first_loud_reading_not_a_second_before() -> None:
    engine, _ = make_engine(NOISE)

    assert engine.on_reading(reading("B1-L1", T0, noise_db=56.0)) == []
    assert engine.on_tick(T0 + seconds(59)) == []
    [raised] = engine.on_tick(T0 + seconds(60))

    assert isinstance(raised, AlarmRaised)
    assert (raised.rule_id, raised.asset_id, raised.severity.value) == ("noise", "B1-L1", "warning")
    assert (raised.started_at, raised.raised_at) == (T0, T0 + seconds(60))
    assert raised.evidence["value"] == 56.0
    assert raised.evidence["limit"] == 55.0
    assert raised.alarm_id == "noise:B1-L1:20260301T160100Z"


def test_fires_on_a_reading_at_the_deadline_without_ticks() -> None:
    engine, _ = make_engine(NOISE)

    for offset in (0, 20, 40, 59):
        assert engine.on_reading(reading("B1-L1", T0 + seconds(offset), noise_db=57.0)) == []
    [raised] = engine.on_reading(reading("B1-L1", T0 + seconds(60), noise_db=57.0))

    assert raised.raised_at == T0 + seconds(60)


def test_a_quiet_reading_before_the_deadline_resets_the_duration() -> None:
    engine, _ = make_engine(NOISE)

    engine.on_reading(reading("B1-L1", T0, noise_db=56.0))
    engine.on_reading(reading("B1-L1", T0 + seconds(30), noise_db=55.0))  # at the limit is not above it
    engine.on_reading(reading("B1-L1", T0 + seconds(40), noise_db=56.0))

    assert engine.on_tick(T0 + seconds(99)) == []
    [raised] = engine.on_tick(T0 + seconds(100))
    assert raised.started_at == T0 + seconds(40)


def test_clears_only_at_the_clear_level_and_does_not_flap_around_the_trigger() -> None:
    engine, _ = make_engine(NOISE)
    engine.on_reading(reading("B1-L1", T0, noise_db=58.0))
    [raised] = engine.on_tick(T0 + seconds(60))

    events = []
    for i in range(60):  # ten minutes see-sawing between 53 and 56.5 dB(A): one alarm, still firing
        value = 53.0 if i % 2 else 56.5
        events += engine.on_reading(reading("B1-L1", T0 + seconds(70 + 10 * i), noise_db=value))
        events += engine.on_tick(T0 + seconds(75 + 10 * i))
    assert events == []

    [cleared] = engine.on_reading(reading("B1-L1", T0 + seconds(700), noise_db=52.0))
    assert isinstance(cleared, AlarmCleared)
    assert (cleared.alarm_id, cleared.cleared_at) == (raised.alarm_id, T0 + seconds(700))
    assert cleared.evidence["value"] == 52.0


def test_see_sawing_below_the_duration_never_fires() -> None:
    engine, _ = make_engine(NOISE)
    events = []
    for i in range(120):  # loud for 50 s, then one quiet reading, over and over
        value = 50.0 if i % 6 == 5 else 60.0
        events += engine.on_reading(reading("B1-L1", T0 + seconds(10 * i), noise_db=value))
        events += engine.on_tick(T0 + seconds(10 * i + 5))
    assert events == []


def test_a_hundred_confirming_readings_raise_one_alarm_and_one_clear() -> None:
    engine, _ = make_engine(NOISE)
    events = []
    for i in range(100):
        events += engine.on_reading(reading("B1-L1", T0 + seconds(10 * i), noise_db=61.0))
    for i in range(100, 200):
        events += engine.on_reading(reading("B1-L1", T0 + seconds(10 * i), noise_db=45.0))

    assert [(type(e).__name__, e.raised_at) for e in events] == [
        ("AlarmRaised", T0 + seconds(60)),
        ("AlarmCleared", T0 + seconds(60)),
    ]
    assert isinstance(events[1], AlarmCleared)
    assert events[1].cleared_at == T0 + seconds(1000)


def test_cooldown_holds_a_new_alarm_back_until_it_has_passed() -> None:
    engine, _ = make_engine(NOISE.replace('for = "60s"', 'for = "0s"\ncooldown = "10m"'))
    engine.on_reading(reading("B1-L1", T0, noise_db=60.0))
    [cleared] = engine.on_reading(reading("B1-L1", T0 + minutes(1), noise_db=50.0))

    assert engine.on_reading(reading("B1-L1", T0 + minutes(2), noise_db=60.0)) == []
    assert engine.on_tick(T0 + minutes(11) - seconds(1)) == []
    [again] = engine.on_tick(T0 + minutes(11))

    assert isinstance(cleared, AlarmCleared)
    assert (again.started_at, again.raised_at) == (T0 + minutes(2), T0 + minutes(11))
    assert again.alarm_id != cleared.alarm_id


def test_below_rule_fires_under_the_level_and_clears_above_the_clear_level() -> None:
    engine, _ = make_engine(
        """
        id = "low-load"
        kind = "threshold"
        targets = { assets = ["B1-L1"] }
        field = "load"
        below = 0.1
        clear = 0.2
        """
    )
    [raised] = engine.on_reading(reading("B1-L1", T0, load=0.05))
    assert engine.on_reading(reading("B1-L1", T0 + seconds(10), load=0.15)) == []
    [cleared] = engine.on_reading(reading("B1-L1", T0 + seconds(20), load=0.2))

    assert raised.message_key == "threshold.below"
    assert cleared.cleared_at == T0 + seconds(20)


VIBRATION = """
id = "vibration"
kind = "threshold"
severity = "major"
field = "vibration"
above = 2.0
clear = 1.5
when = [{ field = "state", op = "eq", value = "moving" }]
baseline = { samples = 10, min_samples = 5 }
"""


def test_vibration_is_judged_against_each_cars_own_baseline() -> None:
    engine, _ = make_engine(VIBRATION)
    ts = T0
    for car, level in (("B1-L1", 0.1), ("B2-L1", 0.3)):
        for i in range(5):
            engine.on_reading(reading(car, ts + seconds(10 * i), state="moving", vibration=level))
    ts += seconds(60)

    events = engine.on_reading(reading("B1-L1", ts, state="moving", vibration=0.25))
    events += engine.on_reading(reading("B2-L1", ts, state="moving", vibration=0.25))

    [raised] = events
    assert raised.asset_id == "B1-L1"
    assert (raised.evidence["baseline"], raised.evidence["limit"]) == (0.1, 0.2)


def test_vibration_while_standing_still_and_before_the_baseline_is_learnt_is_not_judged() -> None:
    engine, _ = make_engine(VIBRATION)
    events = []
    for i in range(4):
        events += engine.on_reading(reading("B1-L1", T0 + seconds(10 * i), state="moving", vibration=0.1))
    events += engine.on_reading(reading("B1-L1", T0 + seconds(40), state="moving", vibration=5.0))
    events += engine.on_reading(reading("B1-L1", T0 + seconds(50), state="idle", vibration=50.0))
    assert events == []


WEAR = """
id = "wear"
kind = "threshold"
severity = "major"
targets = { assets = ["B1-L1"] }
field = "vibration"
above = 2.0
clear = 1.5
when = [{ field = "state", op = "eq", value = "moving" }]
baseline = { samples = 5, min_samples = 5 }
"""


def test_vibration_creeping_up_over_days_still_fires_against_the_learnt_baseline() -> None:
    # A bearing wearing out: +1 % a reading. An average that kept learning would creep up with it and
    # the car would never look twice its normal; the held reference does not.
    engine, _ = make_engine(WEAR)
    events = []
    level = 0.1
    for i in range(200):
        events += engine.on_reading(reading("B1-L1", T0 + minutes(i), state="moving", vibration=round(level, 6)))
        if i >= 5:
            level *= 1.01
    [raised] = [e for e in events if isinstance(e, AlarmRaised)]
    assert raised.evidence["baseline"] == 0.1
    assert raised.evidence["value"] > 0.2
