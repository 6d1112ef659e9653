"""The virtual community behaves like a real one, and each fault shows exactly what it should."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.site_loader import parse_site
from simulators.community import CommunitySimulator
from simulators.runner import backfill
from simulators.scenarios import Fault, FaultKind, Scenario, ScenarioError, load_scenario, parse_fault_option
from tests.unit.core.test_config import MINIMAL

SITE = parse_site(
    MINIMAL.replace('utilities = ["water"]', 'utilities = ["water", "electricity", "gas"]')
    + """
[[buildings]]
id = "B2"
floors = 6
units = [{ id = "B2-0101", vacant = true }]

[[areas]]
id = "corridor"
kind = "corridor"
building = "B1"

[[areas]]
id = "garage"
kind = "garage"

[[elevators]]
id = "L1"
building = "B1"
highest_floor = 6

[[circuits]]
id = "CORRIDOR-LIGHT"
area = "corridor"

[[circuits]]
id = "GARAGE-LIGHT"
area = "garage"
"""
)
# Midnight in Asia/Shanghai (the site's zone) on a Thursday.
START = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def at_local(hour: float, day: int = 0) -> datetime:
    return START + timedelta(days=day, hours=hour)


def simulator(*faults: Fault, seed: int = 7) -> CommunitySimulator:
    return CommunitySimulator(SITE, seed=seed, start=START, scenario=Scenario(faults=faults))


def snapshot(sim: CommunitySimulator, when: datetime) -> dict[str, object]:
    return {asset: body for asset, body in sim.step(when)}


def test_same_seed_same_community() -> None:
    a, b = simulator(seed=3), simulator(seed=3)
    times = [at_local(h) for h in range(1, 30, 3)]
    assert [a.due(t) for t in times] == [b.due(t) for t in times]
    assert simulator(seed=4).step(at_local(20)) != simulator(seed=3).step(at_local(20))


def test_registers_only_grow_and_vacant_units_stand_still() -> None:
    sim = simulator()
    previous = {m: s.register for m, s in sim.meters.items()}
    for quarter in range(1, 4 * 48):
        sim.advance(at_local(quarter / 4))
        for meter_id, state in sim.meters.items():
            assert state.register >= previous[meter_id], meter_id
            previous[meter_id] = state.register
    start = simulator().meters
    for utility in "WEG":
        assert sim.meters[f"B2-0101-{utility}"].register == start[f"B2-0101-{utility}"].register
    assert sim.meters["B1-0101-E"].register > start["B1-0101-E"].register


def test_households_use_no_water_or_gas_at_night_but_electricity_keeps_running() -> None:
    sim = simulator()
    sim.advance(at_local(0.5))
    night = {m: s.register for m, s in sim.meters.items()}
    sim.advance(at_local(5.0))
    for meter_id, state in sim.meters.items():
        if meter_id.endswith(("-W", "-G")):
            assert state.register == night[meter_id], meter_id
    assert sim.meters["B1-0101-E"].register > night["B1-0101-E"]


def test_each_asset_reports_on_its_own_interval() -> None:
    sim = simulator()
    counts: Counter[str] = Counter()
    for minute in range(1, 61):
        counts.update(asset for asset, _ in sim.due(START + timedelta(minutes=minute)))
    assert counts["B1-0101-W"] == 4  # every 900 s
    assert counts["CORRIDOR-LIGHT"] == 60  # every 60 s
    assert counts["L1"] == 60  # every 10 s, but steps are a minute apart: one report per step


def test_backfill_sends_what_the_devices_would_have_sent() -> None:
    sim = simulator()
    sent: list[str] = []
    summary = backfill(sim, lambda ms: len([sent.append(a) for a, _ in ms]), START + timedelta(hours=6))
    assert summary.messages == len(sent)
    per_asset = Counter(sent)
    assert per_asset["B1-0101-W"] == 24 and per_asset["GARAGE-LIGHT"] == 360


def test_leak_flows_at_night_at_its_rate() -> None:
    sim = simulator(Fault(kind=FaultKind.LEAK, asset="B1-0201-W", start="+1h30m", flow_m3_per_h=0.03))
    sim.advance(at_local(2))
    before = sim.meters["B1-0201-W"].register
    sim.advance(at_local(5))
    assert sim.meters["B1-0201-W"].register - before == pytest.approx(0.09)


def test_tap_running_stops_after_its_duration() -> None:
    sim = simulator(Fault(kind=FaultKind.TAP_RUNNING, asset="B1-0201-W", start="+1h", duration="30m"))
    sim.advance(at_local(1))
    before = sim.meters["B1-0201-W"].register
    sim.advance(at_local(4))
    assert sim.meters["B1-0201-W"].register - before == pytest.approx(0.3)


def test_corridor_lights_follow_the_dark_unless_stuck_on() -> None:
    normal = simulator()
    assert snapshot(normal, at_local(12))["CORRIDOR-LIGHT"]["on"] is False  # type: ignore[index]
    assert snapshot(normal, at_local(22))["CORRIDOR-LIGHT"]["on"] is True  # type: ignore[index]
    assert snapshot(normal, at_local(36))["GARAGE-LIGHT"]["on"] is True  # type: ignore[index]
    stuck = simulator(Fault(kind=FaultKind.LIGHTS_STUCK_ON, asset="CORRIDOR-LIGHT", start="+7h"))
    assert snapshot(stuck, at_local(12))["CORRIDOR-LIGHT"]["on"] is True  # type: ignore[index]


def test_entrapment_door_fault_and_fault_code() -> None:
    trapped = snapshot(simulator(Fault(kind=FaultKind.ENTRAPMENT, asset="L1", start="+1h")), at_local(1.5))["L1"]
    assert {k: trapped[k] for k in ("state", "door", "alarm", "in_door_zone")} == {  # type: ignore[index]
        "state": "stopped", "door": "closed", "alarm": True, "in_door_zone": False,
    }  # fmt: skip
    door = snapshot(simulator(Fault(kind=FaultKind.DOOR_FAULT, asset="L1")), at_local(1))["L1"]
    assert (door["state"], door["door"]) == ("moving", "open")  # type: ignore[index]
    faulted = simulator(Fault(kind=FaultKind.FAULT_CODE, asset="L1", code=47))
    samples = [snapshot(faulted, at_local(1, day=0) + timedelta(minutes=m))["L1"] for m in range(30)]
    # Stopped at a landing for the whole episode: no flicker between in and out of the door zone.
    assert {(s["fault_code"], s["state"], s["in_door_zone"]) for s in samples} == {(47, "stopped", True)}  # type: ignore[index]


def test_bearing_wear_grows_vibration_day_by_day() -> None:
    sim = simulator(Fault(kind=FaultKind.BEARING_WEAR, asset="L1", vibration_growth_per_day=0.5))
    baseline = sim.elevators["L1"].baseline_vibration
    day_two = snapshot(sim, at_local(0, day=2))["L1"]["vibration"]  # type: ignore[index]
    assert day_two == pytest.approx(baseline * 2.0, rel=0.15)


def test_silent_meter_and_malformed_payloads() -> None:
    sim = simulator(
        Fault(kind=FaultKind.METER_SILENT, asset="B1-0101-W", start="+1h"),
        Fault(kind=FaultKind.MALFORMED_PAYLOADS, asset="B1-0102-W"),
    )
    early = snapshot(sim, at_local(0.5))
    late = snapshot(sim, at_local(2))
    assert "B1-0101-W" in early and "B1-0101-W" not in late
    assert isinstance(late["B1-0102-W"], bytes)


def test_replacement_and_rollover_reset_the_register() -> None:
    sim = simulator(
        Fault(kind=FaultKind.METER_REPLACED, asset="B1-0101-E", start="+1h", new_total=0.0),
        Fault(kind=FaultKind.REGISTER_ROLLOVER, asset="B1-0102-E", start="+1h", maximum=10_000.0),
    )
    sim.advance(at_local(1.1))
    assert sim.meters["B1-0101-E"].register < 1.0
    wrapped = False
    last = sim.meters["B1-0102-E"].register
    for quarter in range(5, 4 * 24):
        sim.advance(at_local(quarter / 4))
        current = sim.meters["B1-0102-E"].register
        assert current < 10_000.0
        wrapped |= current < last
        last = current
    assert wrapped


def test_a_fault_for_an_unknown_asset_is_refused() -> None:
    with pytest.raises(ValueError, match="asset 'NOPE' is not in the site file"):
        simulator(Fault(kind=FaultKind.LEAK, asset="NOPE"))


def test_scenario_file_and_command_line_faults(tmp_path: Path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text('[[faults]]\nkind = "leak"\nasset = "B1-0201-W"\nstart = "2026-11-26T01:30:00+08:00"\n')
    [fault] = load_scenario(path).faults
    assert fault.window(START)[0] == datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    assert parse_fault_option("entrapment:L1@+2h").window(START)[0] == START + timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[faults]]\nkind = "flood"\nasset = "X"\n', "faults.0.kind"),
        ('[[faults]]\nkind = "leak"\nasset = "X"\nstart = "+1x"\n', "write it like 90s"),
        ('[[faults]]\nkind = "leak"\nasset = "X"\nstart = "2026-11-26T01:30:00"\n', "needs a zone"),
        ('[[faults]]\nkind = "leak"\nasset = "X"\nflow = 1\n', "faults.0.flow: Extra inputs"),
    ],
)
def test_bad_scenarios_are_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


def test_bad_fault_option() -> None:
    with pytest.raises(ScenarioError, match="KIND:ASSET"):
        parse_fault_option("flood:B1-0101-W")
