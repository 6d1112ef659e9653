"""`facilities keys`: API keys, created and revoked."""

from __future__ import annotations

from typing import Annotated

import typer

from facilities.cli.common import database_sessions, fail, settings_from_env

keys_app = typer.Typer(help="API keys: create and revoke.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, staff, crew or fee_module.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. 'crew-phone-zhang'.")],
    team: Annotated[
        str | None, typer.Option(help="The alerts team whose work orders a crew key works, e.g. 'elevator-crew'.")
    ] = None,
) -> None:
    """Create an API key; it is printed once and stored only as a hash.

    A crew key works (acknowledge, arrive, resolve, comment) its team's orders, those assigned to its name and
    those nobody has taken; without --team only the last two.
    """
    from api.keys_cli import create_key

    try:
        key = create_key(database_sessions(settings_from_env()), role, name, team)
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(key)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Option("--id", help="The key's id (GET /keys lists them).")]) -> None:
    """Revoke an API key at once."""
    from api.keys_cli import revoke_key

    try:
        revoke_key(database_sessions(settings_from_env()), key_id)
    except (ValueError, LookupError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"key {key_id} revoked")
