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


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Sign-in name, e.g. 'wang.wei'.")],
    name: Annotated[str, typer.Option(help="Name shown on pages and in the audit log, e.g. '王伟'.")],
    role: Annotated[str, typer.Option(help="admin, staff (service centre) or crew.")],
    team: Annotated[str | None, typer.Option(help="Their team in the alerts file, e.g. 'elevator-crew'.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a console account (the password is asked for, or read from stdin)."""
    from console.users import UserError, create_user

    password = _password(password_stdin)
    sessions = database_sessions(settings_from_env())
    try:
        with sessions() as session:
            member = create_user(
                session, username=username, display_name=name, role=role, password=password, team=team,
                now=datetime.now(UTC),
            )  # fmt: skip
            session.commit()
    except UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"console user {member.username} ({member.role}) created")


@users_app.command("list")
def users_list() -> None:
    """Every console account with its role, team and whether it is active."""
    from console.users import list_users

    with database_sessions(settings_from_env())() as session:
        for row in list_users(session):
            state = "active" if row.active else "disabled"
            typer.echo(f"{row.username}\t{row.display_name}\t{row.role}\t{row.team or '-'}\t{state}")


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
