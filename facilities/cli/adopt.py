"""`facilities devices adopt`: add a device to the site file from the command line, keeping its comments.

The file is checked as the hub would load it; a file that fails is written back as it was. The running hub then
reads it on SIGHUP or `POST /admin/reload` (the command prints how). A Home Assistant entity the hub discovered is
adopted from the console or `POST /devices/adopt`, where the hub knows its topic and template; here, give the
state topic and the JSON path (`--topic tele/pump_plug/SENSOR --path ENERGY.Total`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collectors.mqtt.discovery import DiscoveredEntity
from core.config_files import ConfigError
from core.inventory import Adoption
from core.site_loader import load_site
from facilities.adopt import SiteEditor
from facilities.cli.common import fail, settings_from_env


def adopt(
    asset_id: Annotated[str, typer.Argument(help="The new asset id, e.g. PUMP-E or leak-b1-pump.")],
    kind: Annotated[str, typer.Option("--kind", help="electricity, water or gas (a meter), or a sensor kind.")],
    area: Annotated[str | None, typer.Option("--area", help="The public area it is in.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="The unit (flat) it belongs to.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="A third-party device's state topic.")] = None,
    path: Annotated[str | None, typer.Option("--path", help="Where its value is in the JSON payload.")] = None,
    field: Annotated[str | None, typer.Option("--field", help="Our field name; default total or the kind.")] = None,
    site: Annotated[Path | None, typer.Option("--site", help="Site file; default $FACILITIES_SITE_FILE.")] = None,
) -> None:
    """Add a device to the site file (meters or sensors, and a mapping for a third-party topic)."""
    site_file = site or settings_from_env().site_file
    entity = None
    if topic is not None:
        entity = DiscoveredEntity(
            unique_id=asset_id, component="sensor", node_id=None, object_id=kind, name=None, state_topic=topic,
            value_template=None, json_path=path or None, unit=None, device_class=kind, payload_on=None,
            payload_off=None, availability=(), device_ids=(), device_name=None, model=None, manufacturer=None,
            supported=True,
        )  # fmt: skip
    adoption = Adoption(asset_id=asset_id, kind=kind, unit=unit, area=area, field=field)
    editor = SiteEditor(site_file, lambda: load_site(site_file))
    try:
        editor.adopt(adoption, entity)
    except (ConfigError, OSError) as exc:
        raise fail(f"not adopted, {site_file} is unchanged:\n{exc}") from None
    typer.echo(f"{asset_id} added to {site_file}.")
    typer.echo("Reload the running hub: kill -HUP <pid>, or POST /admin/reload with an admin key.")
