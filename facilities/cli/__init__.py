"""The `facilities` command line: one module per sub-app; this one puts them together in the order of --help."""

from __future__ import annotations

import sys

import typer

from facilities.cli import hub, simulate, status
from facilities.cli.alarms import alarms_app
from facilities.cli.billing import billing_app
from facilities.cli.config import config_app
from facilities.cli.dashboards import dashboards_app
from facilities.cli.db import db_app
from facilities.cli.deadletters import deadletters_app
from facilities.cli.devices import devices_app
from facilities.cli.keys import keys_app
from facilities.cli.maintenance import maintenance_app
from facilities.cli.patrols import patrols_app
from facilities.cli.portfolio import portfolio_app
from facilities.cli.readings import readings_app
from facilities.cli.report import report_app
from facilities.cli.secrets import secrets_app
from facilities.cli.users import users_app
from operations import cli as operations_cli

__all__ = ["app", "main"]

app = typer.Typer(help="Facilities monitoring for residential property management.", no_args_is_help=True)
for name, sub_app in (
    ("config", config_app),
    ("readings", readings_app),
    ("deadletters", deadletters_app),
    ("keys", keys_app),
    ("alarms", alarms_app),
    ("dashboards", dashboards_app),
    ("db", db_app),
    ("billing", billing_app),
    ("maintenance", maintenance_app),
    ("users", users_app),
    ("devices", devices_app),
    ("secrets", secrets_app),
    ("patrols", patrols_app),
    ("report", report_app),
    ("portfolio", portfolio_app),
):
    app.add_typer(sub_app, name=name)
app.command("status")(status.status)
app.command("backup")(operations_cli.backup)
app.command("restore")(operations_cli.restore)
for command in (hub.ingest, hub.collect, hub.run, hub.demo, simulate.simulate):
    app.command()(command)


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
