"""`facilities alarms`: alarms firing now, from the stored rule state."""

from __future__ import annotations

import typer

from facilities.cli.common import SiteOption, settings_from_env, site_from

alarms_app = typer.Typer(help="Alarms raised by the rules engine.", no_args_is_help=True)


@alarms_app.command("list")
def alarms_list(site: SiteOption = None) -> None:
    """Alarms firing now, oldest first, from the stored rule state."""
    from rules.state_store import SqlRuleStateStore
    from storage.database import make_engine, upgrade

    settings = settings_from_env()
    loaded = site_from(settings, site)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    alarms = SqlRuleStateStore(engine, loaded.id).open_alarms()
    engine.dispose()
    typer.echo(f"{len(alarms)} alarms firing at site {loaded.id}")
    for alarm in alarms:
        when = alarm.raised_at.isoformat(timespec="seconds") if alarm.raised_at else "?"
        evidence = ", ".join(f"{k}={v}" for k, v in alarm.evidence.items())
        typer.echo(f"{when}  {alarm.severity:8}  {alarm.rule_id}  {alarm.asset_id}  {evidence}")
