"""`facilities maintenance`: check the plans, list what falls due, run the planner, report and export records."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from core.config_files import ConfigError
from core.settings import Settings
from core.site import Site
from facilities.cli.common import SiteOption, database_sessions, fail, settings_from_env, site_from

maintenance_app = typer.Typer(help="Planned maintenance (保养), contractors and inspections.", no_args_is_help=True)
FileOption = Annotated[
    Path | None, typer.Option("--file", help="Maintenance file; default $FACILITIES_MAINTENANCE_FILE or the example.")
]
PeriodOption = Annotated[str, typer.Option("--period", help="The month, e.g. 2026-10.")]
EXAMPLE = Path("examples/maintenance.toml")


def _teams(settings: Settings) -> frozenset[str] | None:
    if settings.alerts_file is None:
        return None
    from alerts.loading import load_alerts

    try:
        return frozenset(load_alerts(settings.alerts_file).teams)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _calendar(settings: Settings) -> Any:
    from alerts.config import Calendar
    from alerts.loading import load_alerts

    return load_alerts(settings.alerts_file).calendar if settings.alerts_file else Calendar()


def load(settings: Settings, site: Site, path: Path | None) -> Any:
    from maintenance.loading import load_maintenance

    try:
        return load_maintenance(path or settings.maintenance_file or EXAMPLE, site, teams=_teams(settings))
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _period(text: str) -> tuple[int, int]:
    try:
        when = datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise fail(f"--period {text!r} is not a month like 2026-10") from None
    return when.year, when.month


@maintenance_app.command("validate")
def validate(file: FileOption = None, site: SiteOption = None) -> None:
    """Check the maintenance file against the site (and the alerts file's teams); exit 2 on a problem."""
    from maintenance.config import ItemKind

    settings = settings_from_env()
    m = load(settings, site_from(settings, site), file)
    items = [i for p in m.plans for t in p.tasks for i in t.items]
    verify = sum(1 for i in items if i.verify)
    measured = sum(1 for i in items if i.kind is ItemKind.MEASURE)
    typer.echo(f"{file or settings.maintenance_file or EXAMPLE}: {len(m.plans)} plans, {len(m.tasks)} asset tasks, "
               f"{len(items)} checklist items ({measured} measured), {len(m.contractors)} contractors, "
               f"{len(m.inspections)} inspections")  # fmt: skip
    for warning in m.warnings:
        typer.echo(f"warning: {warning}")
    if verify:
        typer.echo(f"{verify} items are quoted from memory (verify = true): an engineer must check them")


@maintenance_app.command("due")
def due(
    days: Annotated[int, typer.Option(min=1, max=366, help="How far ahead to look.")] = 30,
    file: FileOption = None,
    site: SiteOption = None,
    on: Annotated[str | None, typer.Option("--from", help="Start day (YYYY-MM-DD); default today.")] = None,
) -> None:
    """The calendar due dates in the next DAYS days (working days of the alerts calendar) and the inspections."""
    from maintenance.cadence import due_dates

    settings = settings_from_env()
    m = load(settings, site_from(settings, site), file)
    zone = ZoneInfo(m.timezone)
    try:
        start = date.fromisoformat(on) if on else datetime.now(zone).date()
    except ValueError:
        raise fail(f"--from {on!r} is not a date like 2026-12-01") from None
    until = start + timedelta(days=days)
    calendar = _calendar(settings)
    lines: list[tuple[date, str]] = []
    for t in m.tasks:
        if t.task.cadence is not None:
            for d in due_dates(t.task.cadence, anchor=t.plan.anchor, until=until, calendar=calendar):
                if d >= start:
                    doer = t.contractor.name if t.contractor else (t.team or "")
                    lines.append((d, f"{t.task.name} · {t.asset.name} ({t.asset.id}) · {doer}"))
    for i in m.inspections:
        if i.due - timedelta(days=i.warn_days) <= until:
            state = "OVERDUE" if i.due < start else "due"
            lines.append((i.due, f"statutory inspection {state} · {i.asset} · certificate {i.certificate or '-'}"))
    for d, text in sorted(lines):
        typer.echo(f"{d.isoformat()}  {text}")


@maintenance_app.command("run")
def run(file: FileOption = None, site: SiteOption = None) -> None:
    """One planner pass now: open the planned orders that are due (the hub does this every 15 minutes)."""
    from core.clock import SystemClock
    from core.registry import AssetRegistry
    from maintenance.planner import Planner
    from workorders.unit_of_work import SqlAlchemyUnitOfWork

    settings = settings_from_env()
    loaded = site_from(settings, site)
    m = load(settings, loaded, file)
    sessions = database_sessions(settings)
    if settings.alerts_file is not None:
        from facilities.bootstrap import build_alerts

        alerts = build_alerts(settings, loaded, sessions, SystemClock())
        uow_factory: Any = alerts.uow
    else:
        uow_factory = lambda: SqlAlchemyUnitOfWork(sessions)  # noqa: E731
    from facilities.bootstrap import build_store

    planner = Planner(m, uow_factory, SystemClock(), calendar=_calendar(settings), store=build_store(settings),
                      registry=AssetRegistry.from_site(loaded))  # fmt: skip
    result = planner.run()
    typer.echo(f"opened {len(result.opened)} planned orders: {' '.join(result.opened) or '-'}")
    if result.failed:
        raise fail(f"{len(result.failed)} tasks failed (see the log): {', '.join(result.failed)}")


@maintenance_app.command("completion")
def completion(period: PeriodOption, site: SiteOption = None) -> None:
    """Planned-maintenance completion for a month: due, done by the due date, late, not done, and the misses."""
    from maintenance.reports import planned_completion

    settings = settings_from_env()
    loaded = site_from(settings, site)
    year, month = _period(period)
    result = planned_completion(database_sessions(settings), site_id=loaded.id, year=year, month=month,
                                tz=ZoneInfo(loaded.info.timezone))  # fmt: skip
    rate = "-" if result.rate is None else f"{result.rate:.1%}"
    typer.echo(f"{period}: {result.due} due, {result.on_time} on time ({rate}), {result.late} late, "
               f"{result.not_done} not done")  # fmt: skip
    for miss in result.misses:
        typer.echo(
            f"  {miss.due_on}  {miss.task_key}  {miss.work_order_code or '-'}  {'late' if miss.late else 'not done'}"
        )


@maintenance_app.command("export")
def export(
    period: PeriodOption,
    asset: Annotated[str | None, typer.Option(help="Only this asset.")] = None,
    site: SiteOption = None,
) -> None:
    """The month's records as CSV on standard output: one line per checklist item."""
    from maintenance.reports import occurrences, records_csv

    settings = settings_from_env()
    loaded = site_from(settings, site)
    year, month = _period(period)
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    views = occurrences(database_sessions(settings), loaded.id, asset_id=asset, due_from=start, due_before=end,
                        limit=100_000)  # fmt: skip
    sys.stdout.write(records_csv(views, ZoneInfo(loaded.info.timezone)))
