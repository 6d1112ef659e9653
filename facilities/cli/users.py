"""`facilities users`: web console accounts and the sign-in audit log."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from facilities.cli.common import database_sessions, fail, settings_from_env

users_app = typer.Typer(
    help="Web console accounts (/console): staff and crews sign in with these.", no_args_is_help=True
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")]
Sites = Annotated[
    list[str] | None,
    typer.Option("--site", help="A site the role holds on (repeat for more); none: every site."),
]


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Sign-in name, e.g. 'wang.wei'.")],
    name: Annotated[str, typer.Option(help="Name shown on pages and in the audit log, e.g. '王伟'.")],
    role: Annotated[str, typer.Option(help="admin, staff (service centre) or crew.")],
    team: Annotated[str | None, typer.Option(help="Their team in the alerts file, e.g. 'elevator-crew'.")] = None,
    site: Sites = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a console account (the password is asked for, or read from stdin) with its role on the sites named,
    or on every site without --site."""
    from console.users import UserError, create_user

    password = _password(password_stdin)
    sessions = database_sessions(settings_from_env())
    try:
        with sessions() as session:
            member = create_user(
                session, username=username, display_name=name, role=role, password=password, team=team,
                now=datetime.now(UTC), sites=site or (),
            )  # fmt: skip
            session.commit()
    except UserError as exc:
        raise fail(str(exc)) from None
    where = ", ".join(site) if site else "every site"
    typer.echo(f"console user {member.username} ({member.role} on {where}) created")


@users_app.command("list")
def users_list() -> None:
    """Every console account with its roles per site (`*`: every site) and whether it is active."""
    from console.users import users_with_grants

    with database_sessions(settings_from_env())() as session:
        for row, grants in users_with_grants(session):
            state = "active" if row.active else "disabled"
            typer.echo(f"{row.username}\t{row.display_name}\t{grants.describe()}\t{state}")


@users_app.command("grant")
def users_grant(
    username: Annotated[str, typer.Argument(help="The account, e.g. 'wang'.")],
    site: Annotated[str, typer.Option(help="The site's id from its site file, or '*' for every site.")],
    role: Annotated[str, typer.Option(help="admin, staff (service centre) or crew, on that site.")],
    team: Annotated[str | None, typer.Option(help="For crew: their team there, e.g. 'elevator-crew'.")] = None,
) -> None:
    """Give an account a role on a site (replacing the role it had there); it signs in on that site's console."""
    from console.users import UserError, grant_user

    try:
        with database_sessions(settings_from_env())() as session:
            grants = grant_user(session, username, site_id=site, role=role, team=team, now=datetime.now(UTC))
            session.commit()
    except UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{username.strip().lower()}: {grants.describe()}")


@users_app.command("revoke")
def users_revoke(
    username: Annotated[str, typer.Argument(help="The account.")],
    site: Annotated[str, typer.Option(help="The site whose role to take away, or '*' for the all-sites one.")],
) -> None:
    """Take an account's role on a site away; its sessions there stop at their next page."""
    from console.users import UserError, revoke_user

    try:
        with database_sessions(settings_from_env())() as session:
            grants = revoke_user(session, username, site_id=site)
            session.commit()
    except UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{username.strip().lower()}: {grants.describe()}")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Option(help="The account.")], password_stdin: PasswordStdin = False
) -> None:
    """Set a new password; the account's open sessions end."""
    from console.users import UserError, set_password

    password = _password(password_stdin)
    try:
        with database_sessions(settings_from_env())() as session:
            set_password(session, username, password)
            session.commit()
    except UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"password of {username} changed")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Option(help="The account.")]) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    from console.users import UserError, set_active

    try:
        with database_sessions(settings_from_env())() as session:
            set_active(session, username, False)
            session.commit()
    except UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{username} disabled")


@users_app.command("audit")
def users_audit(
    username: Annotated[str | None, typer.Option(help="Only this username's entries.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 50,
) -> None:
    """The sign-in audit log: sign-ins, failures, refusals, sign-outs and ended sessions, newest first."""
    from access.audit import entries

    with database_sessions(settings_from_env())() as session:
        rows, total = entries(session, limit=limit, username=username)
        for row in rows:
            who = row.username + (f" (#{row.user_id})" if row.user_id is not None else "")
            typer.echo(f"{row.at.isoformat()}\t{row.event}\t{who}\t{row.client}\t{row.detail}")
    typer.echo(f"{len(rows)} of {total} entries", err=True)
