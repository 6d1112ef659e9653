"""`facilities keys`: API keys, created and revoked."""

from __future__ import annotations

from typing import Annotated

import typer

from facilities.cli.common import database_sessions, fail, settings_from_env

keys_app = typer.Typer(help="API keys: create, list and revoke.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, staff, crew or fee_module.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. 'crew-phone-zhang'.")],
    team: Annotated[
        str | None, typer.Option(help="The alerts team whose work orders a crew key works, e.g. 'elevator-crew'.")
    ] = None,
    site: Annotated[
        list[str] | None,
        typer.Option("--site", help="A site id the key holds its role on (repeat for more); none: every site."),
    ] = None,
) -> None:
    """Create an API key; it is printed once and stored only as a hash.

    The role holds on the sites named with --site, or on every site without one. A crew key works (acknowledge,
    arrive, resolve, comment) its team's orders, those assigned to its name and those nobody has taken; without
    --team only the last two.
    """
    from api.keys_cli import create_key

    try:
        key = create_key(database_sessions(settings_from_env()), role, name, team, site or ())
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """Every key (no secrets): id, name, lookup prefix, roles per site (`*`: every site), active or revoked."""
    from api.keys_cli import list_keys

    for key in list_keys(database_sessions(settings_from_env())):
        state = "revoked" if key.revoked else "active"
        typer.echo(f"{key.key_id}\t{key.name}\tfac_{key.prefix}…\t{key.grants.describe()}\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Option("--id", help="The key's id (GET /keys lists them).")]) -> None:
    """Revoke an API key at once."""
    from api.keys_cli import revoke_key

    try:
        revoke_key(database_sessions(settings_from_env()), key_id)
    except (ValueError, LookupError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"key {key_id} revoked")
