"""`facilities billing`: a month's statements, run, finalized, exported, pushed and reported."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from billing.cli_meters import make_meters_app
from core.clock import SystemClock
from core.config_files import ConfigError
from core.settings import Settings
from core.site import Site
from facilities.cli.common import SiteOption, database_sessions, fail, settings_from_env, site_from
from storage.store import ReadingStore

billing_app = typer.Typer(help="Metered billing for the fee module.", no_args_is_help=True)


def _open_store(settings: Settings) -> ReadingStore:
    from facilities.bootstrap import build_store  # here: `facilities --help` must not load the hub

    return build_store(settings)


billing_app.add_typer(make_meters_app(_open_store), name="meters")

PeriodOption = Annotated[str, typer.Option("--period", help="The month, e.g. 2026-10.")]


def _billing(settings: Settings, site: Site) -> Any:
    from billing.config import check_against_site, load_billing_config

    try:
        config = load_billing_config(settings.billing_file)
        check_against_site(config, site, source=str(settings.billing_file))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    return config


@billing_app.command("run")
def billing_run(
    period: PeriodOption,
    site: SiteOption = None,
    adjust: Annotated[bool, typer.Option(help="Issue adjusting statements where finals differ.")] = False,
) -> None:
    """Bill every unit for a month from its boundary readings; drafts are stored (re-running is safe)."""
    from billing.calculate import BillingError
    from billing.periods import BillingPeriod
    from billing.run import run_billing
    from facilities.bootstrap import SetupError, billing_reader, build_store

    settings = settings_from_env()
    loaded = site_from(settings, site)
    config = _billing(settings, loaded)
    try:
        store = build_store(settings)
        with typer.progressbar(length=len(loaded.meters), label="billing meters", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            result = run_billing(
                loaded, store, database_sessions(settings), BillingPeriod.parse(period), config,
                clock=SystemClock(), reader=billing_reader(store, config), adjust=adjust, progress=progress,
            )  # fmt: skip
    except (SetupError, BillingError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, default=str))


@billing_app.command("finalize")
def billing_finalize(period: PeriodOption, site: SiteOption = None) -> None:
    """Make a month's drafts final (immutable); drafts with lines to review are held back and listed."""
    from billing.periods import BillingPeriod
    from billing.run_lock import BillingBusy
    from billing.service import finalize_period

    settings = settings_from_env()
    loaded = site_from(settings, site)
    try:
        result = finalize_period(
            database_sessions(settings), loaded.id, BillingPeriod.parse(period), clock=SystemClock()
        )
    except (ValueError, BillingBusy) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{len(result.finalized)} statements final, {len(result.blocked)} held for review")
    for statement, reason in result.blocked:
        typer.echo(f"  {statement.unit_id}: {reason}")


@billing_app.command("export")
def billing_export(
    period: PeriodOption,
    out: Annotated[Path, typer.Option(help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    english: Annotated[bool, typer.Option(help="English CSV headers (default Chinese).")] = False,
    site: SiteOption = None,
) -> None:
    """Write a month's statements for the fee module: CSV (UTF-8 with BOM, for Excel) or JSON."""
    from billing.config import CsvHeaders
    from billing.exports import Names, export_csv, export_json
    from billing.periods import BillingPeriod
    from billing.service import list_statements

    settings = settings_from_env()
    loaded = site_from(settings, site)
    try:
        statements = list_statements(database_sessions(settings), loaded.id, BillingPeriod.parse(period))
    except ValueError as exc:
        raise fail(str(exc)) from None
    if fmt == "json":
        export_json(statements, out)
    elif fmt == "csv":
        headers = CsvHeaders.EN if english else CsvHeaders.ZH
        export_csv(statements, out, timezone=loaded.info.timezone, headers=headers, names=Names.of(loaded))
    else:
        raise fail(f"--format {fmt!r}: use csv or json")
    typer.echo(f"{len(statements)} statements written to {out}")


@billing_app.command("push")
def billing_push(period: PeriodOption, site: SiteOption = None) -> None:
    """Send a month's final statements to the fee module's webhook (FACILITIES_BILLING_WEBHOOK_URL), with retries;
    each carries an idempotency key and a confirmed one is never sent again."""
    from billing.periods import BillingPeriod
    from billing.service import list_statements
    from billing.webhook import WebhookPusher, push_statements

    settings = settings_from_env()
    loaded = site_from(settings, site)
    config = _billing(settings, loaded)
    if not settings.billing_webhook_url:
        raise fail("set FACILITIES_BILLING_WEBHOOK_URL (and _TOKEN) to the fee module's endpoint")
    token = settings.billing_webhook_token.get_secret_value() if settings.billing_webhook_token else None
    pusher = WebhookPusher(settings.billing_webhook_url, token=token, settings=config.export.webhook)
    try:
        sessions = database_sessions(settings)
        statements = list_statements(sessions, loaded.id, BillingPeriod.parse(period))
    except ValueError as exc:
        raise fail(str(exc)) from None
    results = push_statements(sessions, pusher, statements, clock=SystemClock())
    failed = [r for r in results if not r.delivered]
    typer.echo(f"{len(results) - len(failed)} final statements confirmed by {settings.billing_webhook_url}")
    for result in failed:
        typer.echo(f"  {result.statement_id}: not delivered after {result.attempts} attempts ({result.error})")
    if failed:
        raise typer.Exit(code=1)


@billing_app.command("report")
def billing_report(period: PeriodOption, site: SiteOption = None) -> None:
    """The month in numbers: consumption and amounts per building and utility, top consumers, lines to review."""
    from billing.periods import BillingPeriod
    from billing.report import monthly_report, render_text
    from billing.service import list_statements

    settings = settings_from_env()
    loaded = site_from(settings, site)
    try:
        month = BillingPeriod.parse(period)
    except ValueError as exc:
        raise fail(str(exc)) from None
    statements = list_statements(database_sessions(settings), loaded.id, month)
    typer.echo(render_text(monthly_report(loaded.id, month, statements)))
