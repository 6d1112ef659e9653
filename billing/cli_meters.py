"""`facilities billing meters …`: record a meter swap or a manual reading (抄表) from the shell, and list them.

A Typer sub-app of its own; the composition root registers it under `facilities billing` and hands it the
function that opens the reading store, so billing imports no adapter.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from billing.manual_readings import list_manual_readings, record_manual_reading, record_swap
from billing.registers import Replacement
from billing.service import list_replacements
from core.clock import SystemClock
from core.config_files import ConfigError
from core.settings import Settings
from core.site import Site
from core.site_loader import load_site
from storage.store import ReadingStore

SiteOption = Annotated[Path | None, typer.Option("--site", help="Site file (TOML); default $FACILITIES_SITE_FILE.")]
MeterOption = Annotated[str, typer.Option("--meter", help="The meter's id in the site file, e.g. W-0101.")]
WhenOption = Annotated[str, typer.Option("--at", help="When, with the zone: 2026-10-15T10:30:00+08:00.")]
NoteOption = Annotated[str, typer.Option(help="Why, for the audit trail (e.g. the work order).")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who entered it (default: the login name).")]


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _context() -> tuple[Settings, Any]:
    from storage.database import make_engine, session_factory, upgrade

    try:
        settings = Settings()
    except ValidationError as exc:
        raise _fail(f"bad FACILITIES_* environment setting:\n{exc}") from None
    upgrade(settings.database_url)
    return settings, session_factory(make_engine(settings.database_url))


def _site(settings: Settings, path: Path | None) -> Site:
    try:
        return load_site(path or settings.site_file)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _when(text: str, option: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r}: not a time; write 2026-10-15T10:30:00+08:00") from None
    if when.tzinfo is None:
        raise _fail(f"{option} {text!r}: give the zone, e.g. 2026-10-15T10:30:00+08:00")
    return when


def _register(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _fail(f"{option} {text!r}: not a number") from None
    return value


def _entry(site: Path | None, at: str) -> tuple[Settings, Any, Site, datetime]:
    """Settings, sessions, the site and the entry's time, or a one-line exit."""
    settings, sessions = _context()
    return settings, sessions, _site(settings, site), _when(at, "--at")


def make_meters_app(open_store: Callable[[Settings], ReadingStore]) -> typer.Typer:
    """The `meters` sub-app; `open_store(settings)` opens the reading store manual readings go to."""
    app = typer.Typer(help="Meter swaps and manual readings (抄表) for billing.", no_args_is_help=True)

    @app.command("replace")
    def replace(
        meter: MeterOption,
        at: WhenOption,
        old_final: Annotated[str, typer.Option(help="The old meter's last register.")],
        new_initial: Annotated[str, typer.Option(help="The new meter's first register.")],
        note: NoteOption = "",
        by: ByOption = None,
        site: SiteOption = None,
    ) -> None:
        """Record that a meter was swapped: periods billed from now on bill the two meters' legs."""
        _, sessions, loaded, when = _entry(site, at)
        swap = Replacement(
            meter, when, _register(old_final, "--old-final"), _register(new_initial, "--new-initial"), note
        )
        try:
            record_swap(sessions, loaded, swap, now=SystemClock().now(), by=by or getpass.getuser())
        except ValueError as exc:
            raise _fail(str(exc)) from None
        typer.echo(
            f"{meter} swapped at {when.isoformat()}: old final {swap.old_final}, new initial {swap.new_initial}; "
            "bill the period again (with --adjust if it is final)"
        )

    @app.command("read")
    def read(
        meter: MeterOption,
        at: WhenOption,
        value: Annotated[str, typer.Option(help="The register as read, e.g. 1234.5.")],
        note: NoteOption = "",
        by: ByOption = None,
        site: SiteOption = None,
    ) -> None:
        """Enter a register read by hand (抄表) for a meter that cannot report."""
        settings, sessions, loaded, when = _entry(site, at)
        register = _register(value, "--value")
        store = open_store(settings)
        try:
            record_manual_reading(
                sessions, store, loaded, meter, when, register,
                clock=SystemClock(), by=by or getpass.getuser(), note=note,
            )  # fmt: skip
        except ValueError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"{meter} read {register} at {when.isoformat()}")

    @app.command("list")
    def list_(site: SiteOption = None) -> None:
        """Recorded swaps and manual readings of the site, oldest first."""
        settings, sessions = _context()
        loaded = _site(settings, site)
        for meter_id, swaps in sorted(list_replacements(sessions, loaded.id).items()):
            for swap in swaps:
                typer.echo(
                    f"swap    {meter_id:<14} {swap.replaced_at.isoformat()}  old final {swap.old_final}  "
                    f"new initial {swap.new_initial}  {swap.note}"
                )
        for reading in list_manual_readings(sessions, loaded.id):
            typer.echo(
                f"reading {reading.meter_id:<14} {reading.read_at.isoformat()}  {reading.value}  "
                f"by {reading.recorded_by}  {reading.note}"
            )

    return app
