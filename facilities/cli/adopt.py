"""`facilities devices adopt`: add a device to the site file from the command line, keeping its comments.

The file is checked as the hub would load it; a file that fails is written back as it was. Then the running hub
reloads it: through `POST /admin/reload` when an admin key is given (`--key` or FACILITIES_API_KEY), which prints
what changed, or else by SIGHUP to the hub found through its pid file (facilities/hub_pidfile.py) on this data
folder. `--no-reload` only writes the file. A Home Assistant entity the hub discovered is
adopted from the console or `POST /devices/adopt`, where the hub knows its topic and template; here, give the
state topic and the JSON path (`--topic tele/pump_plug/SENSOR --path ENERGY.Total`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from collectors.mqtt.discovery import DiscoveredEntity
from core.config_files import ConfigError
from core.inventory import Adoption
from core.site_loader import load_site
from facilities.adopt import SiteEditor
from facilities.cli.common import fail, hub_url, settings_from_env
from facilities.hub_pidfile import reload_running_hub


def adopt(
    asset_id: Annotated[str, typer.Argument(help="The new asset id, e.g. PUMP-E or leak-b1-pump.")],
    kind: Annotated[str, typer.Option("--kind", help="electricity, water or gas (a meter), or a sensor kind.")],
    area: Annotated[str | None, typer.Option("--area", help="The public area it is in.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="The unit (flat) it belongs to.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="A third-party device's state topic.")] = None,
    path: Annotated[str | None, typer.Option("--path", help="Where its value is in the JSON payload.")] = None,
    field: Annotated[str | None, typer.Option("--field", help="Our field name; default total or the kind.")] = None,
    site: Annotated[Path | None, typer.Option("--site", help="Site file; default $FACILITIES_SITE_FILE.")] = None,
    reload: Annotated[bool, typer.Option(help="Reload the running hub afterwards.")] = True,
    key: Annotated[
        str | None, typer.Option(envvar="FACILITIES_API_KEY", help="An admin key: reload through the hub's API.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="The hub URL (with --key).")] = None,
) -> None:
    """Add a device to the site file (meters or sensors, and a mapping for a third-party topic), then reload the hub."""
    settings = settings_from_env()
    site_file = site or settings.site_file
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
    if not reload:
        typer.echo("Not reloaded: the running hub reads it on SIGHUP, POST /admin/reload or its next start.")
    elif key:
        _reload_through_api(url or hub_url(settings), key)
    else:
        signalled = reload_running_hub(settings.data_dir, site_file)
        typer.echo(signalled.reason + ("" if signalled.pid else "; it reads the file when it starts"))


def _reload_through_api(url: str, key: str) -> None:
    """POST /admin/reload; prints what changed, or fails saying that the file is written but not yet running."""
    try:
        response = httpx.post(f"{url.rstrip('/')}/admin/reload", headers={"X-API-Key": key}, timeout=120)
        body: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise fail(f"the file is written but the hub at {url} was not reloaded: {exc}") from None
    if response.status_code != 200:
        message = body.get("error", {}).get("message", response.text) if isinstance(body, dict) else response.text
        raise fail(f"the file is written but the hub at {url} answered {response.status_code}: {message}")
    changes = [f"{name} {', '.join(body[name])}" for name in ("added", "changed", "removed", "subscribed")
               if body.get(name)]  # fmt: skip
    typer.echo(f"hub at {url} reloaded: {'; '.join(changes) or 'nothing changed'}")
