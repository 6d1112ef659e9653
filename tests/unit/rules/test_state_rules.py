"""State rules (fault code, door open while moving, stopped outside a door zone) and entrapment."""

from __future__ import annotations

from rules.events import AlarmCleared, AlarmRaised
from rules.library import builtin_rules
from tests.unit.rules.support import T0, make_engine, reading, seconds

ELEVATOR_RULES = tuple(rule for rule in builtin_rules() if rule.id.startswith("elevator-"))


def test_a_fault_code_raises_at_once_once_and_clears_when_it_returns_to_zero() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)

    assert engine.on_reading(reading("B1-L1", T0, fault_code=0)) == []
    [raised] = engine.on_reading(reading("B1-L1", T0 + seconds(10), fault_code=7))
    assert engine.on_reading(reading("B1-L1", T0 + seconds(20), fault_code=7)) == []
    [cleared] = engine.on_reading(reading("B1-L1", T0 + seconds(30), fault_code=0))

    assert (raised.rule_id, raised.severity.value, raised.raised_at) == (
        "elevator-fault-code",
        "major",
        T0 + seconds(10),
    )
    assert raised.evidence["fault_code"] == 7
    assert raised.message("en") == "Elevator fault: B1-L1: fault_code ≠ 0 since 03-02 00:00"
    assert isinstance(cleared, AlarmCleared)
    assert cleared.cleared_at == T0 + seconds(30)


def test_door_open_while_moving_is_critical_even_when_the_fields_arrive_in_separate_readings() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)

    assert engine.on_reading(reading("B1-L1", T0, state="moving", door="closed")) == []
    [raised] = engine.on_reading(reading("B1-L1", T0 + seconds(5), door="open"))

    assert (raised.rule_id, raised.severity.value) == ("elevator-door-open-moving", "critical")
    assert (raised.evidence["state"], raised.evidence["door"]) == ("moving", "open")


def test_stopped_outside_a_door_zone_fires_after_fifteen_seconds_not_fourteen() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)

    assert engine.on_reading(reading("B1-L1", T0, state="stopped", door="closed", in_door_zone=False)) == []
    assert engine.on_tick(T0 + seconds(14)) == []
    [raised] = engine.on_tick(T0 + seconds(15))

    assert (raised.rule_id, raised.raised_at) == ("elevator-stopped-outside-door-zone", T0 + seconds(15))


def test_one_report_outside_the_door_zone_followed_by_a_normal_one_is_not_an_alarm() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)

    engine.on_reading(reading("B1-L1", T0, state="stopped", door="closed", in_door_zone=False))
    engine.on_reading(reading("B1-L1", T0 + seconds(10), state="idle", door="open", in_door_zone=True))

    assert engine.on_tick(T0 + seconds(60)) == []


def test_entrapment_fires_thirty_seconds_after_the_alarm_in_a_stopped_closed_car() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)
    engine.on_reading(reading("B1-L1", T0, state="moving", door="closed", alarm=False, floor=5, in_door_zone=True))

    assert engine.on_reading(reading("B1-L1", T0 + seconds(10), state="stopped", alarm=True)) == []
    assert engine.on_reading(reading("B1-L1", T0 + seconds(20), alarm=False)) == []  # the latch holds
    assert engine.on_tick(T0 + seconds(39)) == []
    [raised] = engine.on_tick(T0 + seconds(40))

    assert (raised.rule_id, raised.severity.value) == ("elevator-entrapment", "critical")
    assert (raised.started_at, raised.raised_at) == (T0 + seconds(10), T0 + seconds(40))
    assert raised.evidence["floor"] == 5
    assert raised.message("zh-CN") == (
        "困人：B1-L1 疑似困人：轿厢内报警按钮已按下，轿厢停在 5 层且门关闭（自 03-02 00:00 起）"
    )

    assert engine.on_reading(reading("B1-L1", T0 + seconds(60), alarm=True)) == []
    [cleared] = engine.on_reading(reading("B1-L1", T0 + seconds(90), door="open"))
    assert isinstance(cleared, AlarmCleared)
    assert cleared.cleared_at == T0 + seconds(90)


def test_no_entrapment_when_the_doors_open_in_time_or_the_alarm_is_never_pressed() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)
    events = engine.on_reading(reading("B1-L1", T0, state="stopped", door="closed", alarm=True, in_door_zone=True))
    events += engine.on_reading(reading("B1-L1", T0 + seconds(20), door="open"))
    events += engine.on_reading(reading("B1-L1", T0 + seconds(25), door="closed", alarm=False, state="idle"))
    events += engine.on_tick(T0 + seconds(300))

    assert events == []


def test_a_press_while_moving_counts_once_the_car_stops_with_doors_closed() -> None:
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)
    engine.on_reading(reading("B1-L1", T0, state="moving", door="closed", alarm=True, in_door_zone=True))
    engine.on_reading(reading("B1-L1", T0 + seconds(10), state="stopped", alarm=False))

    [raised] = engine.on_tick(T0 + seconds(40))
    assert isinstance(raised, AlarmRaised)
    assert raised.started_at == T0 + seconds(10)


def test_after_a_rescue_the_car_running_again_ends_the_latch_so_idling_with_closed_doors_is_not_entrapment() -> None:
    # Seen in the 48-hour scenario: the alarm was raised and cleared four times for one entrapment,
    # because the latch waited for open doors that the 1-minute reports never caught.
    engine, _ = make_engine(rule_list=ELEVATOR_RULES)
    engine.on_reading(reading("B1-L1", T0, state="stopped", door="closed", alarm=True, in_door_zone=False, floor=8))
    raised = engine.on_tick(T0 + seconds(30))
    assert ("AlarmRaised", "elevator-entrapment") in [(type(e).__name__, e.rule_id) for e in raised]

    events = engine.on_reading(reading("B1-L1", T0 + seconds(600), state="moving", alarm=False, in_door_zone=False))
    events += engine.on_reading(reading("B1-L1", T0 + seconds(660), state="idle", in_door_zone=True))
    events += engine.on_tick(T0 + seconds(900))
    entrapment = [type(e).__name__ for e in events if e.rule_id == "elevator-entrapment"]
    assert entrapment == ["AlarmCleared"]  # and not raised again while idling with closed doors
