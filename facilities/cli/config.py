"""`facilities config`: check a site file as `run` would read it."""

from __future__ import annotations

import typer

from facilities.cli.common import SiteOption, fail, settings_from_env, site_from

config_app = typer.Typer(help="Check site configuration.", no_args_is_help=True)


@config_app.command("check")
def config_check(site: SiteOption = None) -> None:
    """Validate a site file, resolve its Modbus and DL/T 645 devices as `run` would, and summarise it."""
    from collectors.dlt645.devices import devices_from_site as dlt645_devices
    from collectors.modbus.devices import devices_from_site as modbus_devices

    loaded = site_from(settings_from_env(), site)
    try:  # profile names, overrides and shared lines: the errors `run` would stop on, before a site visit
        polled = len(modbus_devices(loaded)) + len(dlt645_devices(loaded))
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"{loaded.source}: site {loaded.id} ({loaded.info.name}): {len(loaded.buildings)} buildings, "
        f"{len(loaded.units)} units, {len(loaded.areas)} public areas, {len(loaded.meters)} meters, "
        f"{len(loaded.elevators)} elevators, {len(loaded.circuits)} lighting circuits; {polled} polled devices"
    )
