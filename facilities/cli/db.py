"""`facilities db`: the relational database's schema."""

from __future__ import annotations

import typer

from facilities.cli.common import fail, settings_from_env

db_app = typer.Typer(help="The relational database (work orders, alarm state, keys).", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database named by FACILITIES_DATABASE_URL to the newest schema (the hub does it at start too)."""
    from storage.database import upgrade
    from storage.schema_version import SchemaTooNew

    settings = settings_from_env()
    try:
        upgrade(settings.database_url)
    except SchemaTooNew as exc:
        raise fail(str(exc)) from None
    typer.echo(f"database schema is up to date: {settings.database_url.split('@')[-1]}")
