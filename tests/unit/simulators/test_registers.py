"""Back-to-back simulated windows continue the meters' registers; the saved state is checked like any input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simulators.community import CommunitySimulator, Message
from simulators.registers import (
    RegisterStateError,
    SavedRegisters,
    check_continues,
    load_registers,
    save_registers,
    state_path,
)
from simulators.runner import backfill
from tests.unit.simulators.test_community import SITE

T0 = datetime(2026, 9, 1, 16, tzinfo=UTC)  # evening peak in Shanghai: every meter is used


def run(simulator: CommunitySimulator, end: datetime) -> dict[str, list[float]]:
    totals: dict[str, list[float]] = {}

    def publish(messages: list[Message]) -> int:
        for asset_id, body in messages:
            if isinstance(body, dict) and "total" in body:
                totals.setdefault(asset_id, []).append(float(body["total"]))  # type: ignore[arg-type]
        return len(messages)

    backfill(simulator, publish, end)  # type: ignore[arg-type]
    return totals


def window_after(first: CommunitySimulator, start: datetime, *, resume: bool) -> CommunitySimulator:
    second = CommunitySimulator(SITE, seed=1, start=start)
    if resume:
        second.resume(first.registers(), first.now)
    return second


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(hours=5)])
def test_a_window_after_another_continues_every_register(gap: timedelta) -> None:
    first = CommunitySimulator(SITE, seed=1, start=T0)
    before = run(first, T0 + timedelta(hours=6))
    second = window_after(first, first.now + gap, resume=True)
    after = run(second, second.start + timedelta(hours=6))
    assert set(before) == set(after) and before
    for meter_id, totals in after.items():
        assert totals[0] >= before[meter_id][-1], meter_id
        assert totals == sorted(totals)


def test_without_resuming_registers_restart_from_the_seed_and_go_back() -> None:
    """What the test above guards against (168.215 → 164.579): it can fail."""
    first = CommunitySimulator(SITE, seed=1, start=T0)
    before = run(first, T0 + timedelta(hours=6))
    after = run(window_after(first, first.now, resume=False), first.now + timedelta(hours=6))
    assert any(after[m][0] < before[m][-1] for m in before)


def test_the_gap_between_windows_is_consumed_as_any_other_time() -> None:
    first = CommunitySimulator(SITE, seed=1, start=T0)
    run(first, T0 + timedelta(hours=1))
    saved = first.registers()
    second = CommunitySimulator(SITE, seed=1, start=first.now + timedelta(days=1))
    second.resume(saved, first.now)
    grown = second.registers()
    meters = second.meters.items()
    household_power = [m for m, meter in meters if meter.household and not meter.vacant and m.endswith("-E")]
    assert household_power and all(grown[m] > saved[m] for m in household_power)  # the fridge never sleeps


def test_registers_saved_after_the_start_are_refused() -> None:
    simulator = CommunitySimulator(SITE, seed=1, start=T0)
    with pytest.raises(ValueError, match="after the start"):
        simulator.resume({}, T0 + timedelta(seconds=1))


def test_meters_new_to_the_site_start_from_the_seed() -> None:
    simulator = CommunitySimulator(SITE, seed=1, start=T0)
    some = next(iter(simulator.meters))
    missing = simulator.resume({some: 12.5, "GONE-METER": 3.0}, T0)
    assert simulator.meters[some].register == 12.5
    assert some not in missing and set(missing) == set(simulator.meters) - {some}


def saved(**changes: object) -> SavedRegisters:
    values: dict[str, object] = {"site": "lakeview", "seed": 1, "at": T0, "registers": {"B1-0101-E": 168.215}}
    return SavedRegisters.model_validate({**values, **changes})


def test_saved_registers_round_trip(tmp_path: Path) -> None:
    path = state_path(tmp_path, "lakeview", 1)
    assert load_registers(path, site_id="lakeview", seed=1) is None
    save_registers(path, saved())
    assert load_registers(path, site_id="lakeview", seed=1) == saved()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not saved registers"),
        ("[]", "not saved registers"),
        (json.dumps({"site": "lakeview", "seed": 1, "at": "2026-09-01T00:00:00", "registers": {}}), "timezone"),
        ('{"site": "lakeview", "seed": 1, "at": "2026-09-01T00:00:00Z", "registers": {"M": NaN}}', "finite"),
        ('{"site": "lakeview", "seed": 1, "at": "2026-09-01T00:00:00Z", "registers": {"M": -1}}', "non-negative"),
        ('{"site": "other", "seed": 1, "at": "2026-09-01T00:00:00Z", "registers": {}}', "site 'other'"),
        ('{"site": "lakeview", "seed": 2, "at": "2026-09-01T00:00:00Z", "registers": {}}', "seed 2"),
        ('{"site": "lakeview", "seed": 1, "at": "2026-09-01T00:00:00Z", "registers": {}, "x": 1}', "x: Extra"),
    ],
)
def test_a_bad_state_file_is_an_error_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegisterStateError, match=problem) as caught:
        load_registers(path, site_id="lakeview", seed=1)
    assert str(path) in str(caught.value)


def test_bad_unicode_in_the_state_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b'{"site": "\xff\xfe"}')
    with pytest.raises(RegisterStateError, match="cannot read"):
        load_registers(path, site_id="lakeview", seed=1)


def test_a_window_before_the_saved_end_is_refused(tmp_path: Path) -> None:
    check_continues(saved(), T0, tmp_path)  # at the end: fine
    check_continues(saved(), T0 + timedelta(days=1), tmp_path)  # after a gap: fine
    with pytest.raises(RegisterStateError, match="--fresh"):
        check_continues(saved(), T0 - timedelta(seconds=1), tmp_path)
