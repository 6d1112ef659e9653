"""`facilities report monthly --period YYYY-MM`: the monthly operations report (月度小结) as PDF and Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from core.clock import SystemClock
from core.config_files import ConfigError
from facilities.cli.common import SiteOption, database_sessions, fail, settings_from_env, site_from

report_app = typer.Typer(help="Reports: the monthly operations report (月度小结).", no_args_is_help=True)


@report_app.command("monthly")
def monthly(
    period: Annotated[str, typer.Option("--period", help="The month, e.g. 2026-11.")],
    site: SiteOption = None,
    out_dir: Annotated[Path | None, typer.Option("--out-dir", help="Default: <data folder>/reports.")] = None,
) -> None:
    """Work orders, patrols, alarms, consumption and recurring problems of a month, as PDF and Excel."""
    from facilities.bootstrap import build_store
    from facilities.reporting import monthly_report

    settings = settings_from_env()
    loaded = site_from(settings, site)
    try:
        store = build_store(settings)
        try:
            report = monthly_report(settings, loaded, database_sessions(settings), store, period, SystemClock())
        finally:
            close = getattr(store, "close", None)
            if callable(close):
                close()
    except (ValueError, ConfigError) as exc:
        raise fail(str(exc)) from None
    from reports.files import write_monthly_files

    pdf, xlsx = write_monthly_files(report, ZoneInfo(loaded.info.timezone), out_dir or settings.data_dir / "reports")
    typer.echo(f"{pdf}\n{xlsx}")
