"""`facilities patrols`: check the routes file, print the checkpoint labels, export patrol records."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from core.config_files import ConfigError
from core.settings import Settings
from core.site import Site
from facilities.cli.common import SiteOption, database_sessions, fail, settings_from_env, site_from

patrols_app = typer.Typer(help="Patrol routes (巡检): labels, records.", no_args_is_help=True)
FileOption = Annotated[Path | None, typer.Option("--file", help="Patrols file; default $FACILITIES_PATROLS_FILE.")]
OutOption = Annotated[Path, typer.Option("--out", help="Where to write the file.")]


def _book(settings: Settings, site: Site, path: Path | None) -> Any:
    from patrols.config import load_patrols

    chosen = path or settings.patrols_file
    if chosen is None:
        raise fail("no patrols file: pass --file or set FACILITIES_PATROLS_FILE (example: examples/patrols.toml)")
    try:
        return load_patrols(chosen, site)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@patrols_app.command("check")
def check(site: SiteOption = None, file: FileOption = None) -> None:
    """Validate the patrols file against the site; list its routes."""
    settings = settings_from_env()
    book = _book(settings, site_from(settings, site), file)
    for route in book.routes.values():
        every = f"every {route.every.total_seconds() / 3600:g} h"
        typer.echo(f"{route.id}: {route.name} ({route.role.value}, {every}): {' → '.join(route.checkpoints)}")


@patrols_app.command("labels")
def labels(
    out: OutOption,
    site: SiteOption = None,
    file: FileOption = None,
    route: Annotated[str | None, typer.Option("--route", help="Only this route's checkpoints.")] = None,
) -> None:
    """The printable sheet of checkpoint QR labels, as PDF."""
    from patrols.labels import label_sheet_pdf, reachable_base

    settings = settings_from_env()
    loaded = site_from(settings, site)
    book = _book(settings, loaded, file)
    if route is not None and route not in book.routes:
        raise fail(f"no route {route!r}; known: {', '.join(sorted(book.routes))}")
    base = reachable_base(settings.base_url)
    out.write_bytes(label_sheet_pdf(book, site_name=loaded.info.name, route_id=route, link_base=base))
    typer.echo(f"{out}: {len(book.stops(route) if route else book.checkpoints)} labels")
    if not base:
        typer.echo("The QR codes hold the bare codes (only the console's scan button reads them): set "
                   "FACILITIES_PUBLIC_URL so that any camera app opens the patrol at the checkpoint.")  # fmt: skip


@patrols_app.command("export")
def export(
    month: Annotated[str, typer.Option("--month", help="The month, e.g. 2026-11.")],
    out: OutOption,
    site: SiteOption = None,
    file: FileOption = None,
) -> None:
    """Every completed patrol of a month as CSV (one row per checkpoint visited)."""
    from patrols.export import patrols_csv
    from patrols.service import list_patrols

    settings = settings_from_env()
    loaded = site_from(settings, site)
    book = _book(settings, loaded, file)
    zone = ZoneInfo(loaded.info.timezone)
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=zone)
    except ValueError:
        raise fail(f"--month {month!r} is not a month like 2026-11") from None
    after = (first + timedelta(days=32)).replace(day=1)
    found = list_patrols(database_sessions(settings), loaded.id, since=first, until=after, completed_only=True)
    out.write_text("\ufeff" + patrols_csv(found, book, zone), encoding="utf-8")
    typer.echo(f"{out}: {len(found)} patrols")
