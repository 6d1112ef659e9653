"""`facilities readings`: stored values of one asset, latest or over a window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from core.durations import parse_span
from core.registry import AssetRegistry, UnknownAsset
from facilities.cli.common import SiteOption, fail, settings_from_env, site_from
from storage.store import Aggregate

readings_app = typer.Typer(help="Read stored meter, elevator, circuit and sensor readings.", no_args_is_help=True)


@readings_app.command("latest")
def readings_latest(
    asset: Annotated[str, typer.Option("--asset", help="Asset id, e.g. B1-0101-W.")],
    site: SiteOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the last stored value and time of each field of one asset."""
    from facilities.bootstrap import SetupError, build_store

    settings = settings_from_env()
    registry = AssetRegistry.from_site(site_from(settings, site))
    try:
        info = registry.get(asset)
        store = build_store(settings)
    except (UnknownAsset, SetupError) as exc:
        raise fail(str(exc)) from None
    value = store.latest(info)
    if value is None:
        raise fail(f"no readings stored for {asset}")
    if as_json:
        times = {name: when.isoformat() for name, when in value.times.items()}
        document = {"asset_id": asset, "ts": value.ts.isoformat(), "tags": info.tags, **value.fields, "times": times}
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    typer.echo(f"{asset} at {value.ts.isoformat()}")
    for name, field in sorted(value.fields.items()):
        when = value.times.get(name)
        typer.echo(f"  {name} = {field}" + (f"  ({when.isoformat()})" if when is not None and when != value.ts else ""))


@readings_app.command("history")
def readings_history(
    asset: Annotated[str, typer.Option("--asset", help="Asset id, e.g. B1-0101-W.")],
    field: Annotated[str, typer.Option(help="Field, e.g. total, vibration, on.")] = "total",
    since: Annotated[str, typer.Option(help="How far back: 90m, 24h, 7d.")] = "24h",
    every: Annotated[str | None, typer.Option(help="Bucket length (15m, 1h); raw samples if omitted.")] = None,
    aggregate: Annotated[Aggregate, typer.Option(help="Aggregate per bucket.")] = Aggregate.LAST,
    site: SiteOption = None,
) -> None:
    """Print one field of one asset over a time window."""
    from facilities.bootstrap import SetupError, build_store

    settings = settings_from_env()
    registry = AssetRegistry.from_site(site_from(settings, site))
    try:
        info = registry.get(asset)
        window = parse_span(since)
        bucket = parse_span(every) if every else None
        store = build_store(settings)
    except (UnknownAsset, SetupError, ValueError) as exc:
        raise fail(str(exc)) from None
    end = datetime.now(UTC)
    for sample in store.history(info, field, end - window, end, every=bucket, aggregate=aggregate):
        typer.echo(f"{sample.ts.isoformat(timespec='seconds')}  {sample.value}")
