"""`facilities keys create --site …`, `keys list`, `users add --site …`, `users grant`, `users revoke`, `users list`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.auth import authenticate
from facilities.cli import app
from storage.database import make_engine, session_factory, upgrade

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path}/f.db"
    monkeypatch.setenv("FACILITIES_DATABASE_URL", url)
    upgrade(url)
    return session_factory(make_engine(url))


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_a_key_for_two_sites_holds_its_role_there_only(database: sessionmaker[Session]) -> None:
    code, secret = run(
        "keys", "create", "--role", "crew", "--team", "elevator-crew", "--name", "lift crew",
        "--site", "lakeview", "--site", "hillside",
    )  # fmt: skip
    assert code == 0, secret
    with database() as session:
        holder = authenticate(session, secret.strip())
    assert holder is not None
    assert holder.grants.describe() == "hillside=crew/elevator-crew, lakeview=crew/elevator-crew"
    assert holder.at("eastgate") is None

    code, everywhere = run("keys", "create", "--role", "admin", "--name", "ops")
    assert code == 0
    code, listed = run("keys", "list")
    assert code == 0
    lines = [line.split("\t") for line in listed.strip().splitlines()]
    assert [(line[0], line[1], line[3], line[4]) for line in lines] == [
        ("1", "lift crew", "hillside=crew/elevator-crew, lakeview=crew/elevator-crew", "active"),
        ("2", "ops", "*=admin", "active"),
    ]
    assert secret.strip() not in listed and everywhere.strip() not in listed


def test_a_bad_site_id_is_refused_and_nothing_is_created(database: sessionmaker[Session]) -> None:
    code, output = run("keys", "create", "--role", "staff", "--name", "x", "--site", "lake view")
    assert code != 0
    assert "--site: site 'lake view': use the site's id from its site file" in output
    assert run("keys", "list") == (0, "")


def test_users_are_granted_and_revoked_per_site(database: sessionmaker[Session]) -> None:
    code, output = run(
        "users", "add", "--username", "chen", "--name", "陈经理", "--role", "staff", "--site", "lakeview",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert (code, output.strip()) == (0, "console user chen (staff on lakeview) created"), output
    code, output = run("users", "grant", "chen", "--site", "hillside", "--role", "crew", "--team", "plumbing-crew")
    assert (code, output.strip()) == (0, "chen: hillside=crew/plumbing-crew, lakeview=staff"), output
    code, output = run("users", "grant", "chen", "--site", "hillside", "--role", "staff")
    assert (code, output.strip()) == (0, "chen: hillside=staff, lakeview=staff"), output
    code, output = run("users", "revoke", "chen", "--site", "lakeview")
    assert (code, output.strip()) == (0, "chen: hillside=staff"), output
    assert run("users", "list") == (0, "chen\t陈经理\thillside=staff\tactive\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grant", "chen", "--site", "hillside", "--role", "fee_module"), "role 'fee_module': choose one of admin"),
        (("grant", "chen", "--site", "hill side", "--role", "crew"), "site 'hill side': use the site's id"),
        (("grant", "nobody", "--site", "hillside", "--role", "crew"), "no console user 'nobody'"),
        (("grant", "chen", "--site", "hillside", "--role", "crew", "--team", "a b"), "team 'a b': use the team's"),
        (("revoke", "chen", "--site", "hillside"), "holds no grant on 'hillside' (holds *=crew)"),
    ],
)
def test_a_refused_grant_says_why_and_changes_nothing(
    database: sessionmaker[Session], args: tuple[str, ...], message: str
) -> None:
    added = ("add", "--username", "chen", "--name", "陈", "--role", "crew", "--password-stdin")
    assert run("users", *added, stdin=PASSWORD + "\n")[0] == 0
    code, output = run("users", *args)
    assert code != 0 and message in output, output
    assert run("users", "list") == (0, "chen\t陈\t*=crew\tactive\n")
