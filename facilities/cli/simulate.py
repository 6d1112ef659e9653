"""`facilities simulate`: publish a simulated community over MQTT, live or as a backfill."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from facilities.cli.common import SiteOption, fail, settings_from_env, site_from


def simulate(
    site: SiteOption = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second (60: an hour a minute).")] = 1.0,
    start: Annotated[str | None, typer.Option("--from", help="Backfill from this ISO time (with --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Backfill up to this ISO time.")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same community.")] = 1,
    scenario: Annotated[Path | None, typer.Option(help="Fault scenario file (TOML).")] = None,
    fault: Annotated[
        list[str] | None, typer.Option(help="KIND:ASSET or KIND:ASSET@START, repeatable, e.g. leak:B1-0502-W@+1h.")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after this many real seconds.")] = None,
    fresh: Annotated[
        bool, typer.Option(help="Start the meters' registers from the seed, not where the last window ended.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr while backfilling.")] = True,
) -> None:
    """Publish a simulated community over MQTT: live, accelerated, or a fast backfill of a past period.

    The meters' registers continue where the last window of this site and seed ended (saved under
    FACILITIES_DATA_DIR/simulate/), so back-to-back windows never make a register go back.
    """
    from facilities.cli.progress import BackfillProgress
    from simulators.community import CommunitySimulator
    from simulators.publisher import DevicePublisher
    from simulators.registers import (
        SavedRegisters,
        check_continues,
        load_registers,
        save_registers,
        state_path,
    )
    from simulators.runner import backfill, run_live
    from simulators.scenarios import Scenario, ScenarioError, load_scenario, parse_fault_option

    settings = settings_from_env()
    loaded = site_from(settings, site)
    state = state_path(settings.data_dir, loaded.id, seed)
    try:
        faults = [*(load_scenario(scenario).faults if scenario else ()), *(parse_fault_option(f) for f in fault or ())]
        begin = _aware(start) if start else datetime.now(UTC)
        finish = _aware(end) if end else None
        if finish is not None and finish <= begin:
            raise ValueError(f"--to {finish.isoformat()} is not after --from {begin.isoformat()}")
        simulator = CommunitySimulator(loaded, seed=seed, start=begin, scenario=Scenario(faults=tuple(faults)))
        saved = None if fresh else load_registers(state, site_id=loaded.id, seed=seed)
        if saved is not None:
            check_continues(saved, begin, state)
            simulator.resume(saved.registers, saved.at)
    except (ScenarioError, ValueError) as exc:  # RegisterStateError is a ValueError
        raise fail(str(exc)) from None
    registers_from = saved.at.isoformat() if saved is not None else "seed"
    password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
    publisher = DevicePublisher(
        settings.mqtt_host, settings.mqtt_port, loaded.id, username=settings.mqtt_username, password=password
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        if finish is not None:
            with BackfillProgress(begin, finish, enabled=progress) as bar:
                summary = backfill(
                    simulator, publisher.send, finish, flush=publisher.flush, progress=bar.update, stop=stop
                )
        else:
            summary = run_live(simulator, publisher.publish, speed=speed, duration_s=duration, stop=stop)
    finally:
        publisher.close()
    # Only after every message was confirmed: the next window continues from what the broker has.
    try:
        saved_now = SavedRegisters(site=loaded.id, seed=seed, at=simulator.now, registers=simulator.registers())
        save_registers(state, saved_now)
    except OSError as exc:  # a read-only data folder: the window was published; only the next one starts afresh
        typer.echo(f"the meters' registers were not saved, a next window starts from the seed: {exc}", err=True)
    typer.echo(
        json.dumps(
            {
                "simulated_from": summary.simulated_from.isoformat(),
                "simulated_to": summary.simulated_to.isoformat(),
                "messages": summary.messages,
                "faults": len(faults),
                "registers_from": registers_from,  # "seed", or the end of the last window they continue
                "registers_saved": str(state),
            }
        )
    )


def _aware(text: str) -> datetime:
    """An ISO date or time; without a zone it is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or time, e.g. 2026-09-01 or 2026-09-01T08:00+08:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
