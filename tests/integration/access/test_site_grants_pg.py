"""Roles per site on real PostgreSQL: the upgrade keeps every existing key and account working on every site,
the table matches its model, and the database refuses a second role for one principal on one site."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from access.grant_store import SiteGrantRow
from access.grants import Grants, SiteRole
from access.roles import Role
from api.auth import authenticate, generate_key
from console.users import hash_password, sign_in
from storage.database import alembic_config, make_engine, session_factory, upgrade
from tests.support.postgres import sqlalchemy_url, throwaway_database
from tests.unit.api.harness import running_api

pytestmark = pytest.mark.integration
GRANTS = "0019_site_grants"
PASSWORD = "an account from before"


@pytest.fixture
def old_database() -> Iterator[str]:
    """A database of its own at the heads there were before site grants, as a running hub's would be."""
    with throwaway_database("facilities_grants") as dsn:
        url = sqlalchemy_url(dsn)
        config = alembic_config(url)
        script = ScriptDirectory.from_config(config)
        before = script.get_revision(GRANTS).down_revision  # the api_keys head it follows
        heads = [head for head in script.get_heads() if head != GRANTS] + [str(before)]
        for head in heads:
            command.upgrade(config, head)
        yield url


def current(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = set(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()
    return found


def insert_old_key(engine: sa.Engine, *, name: str, role: str, team: str | None, revoked: bool = False) -> str:
    """A key as the code before grants wrote it: a row in api_keys and nothing else."""
    new = generate_key()
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO api_keys (name, role, team, prefix, salt, key_hash, created_at, revoked_at) "
                "VALUES (:name, :role, :team, :prefix, :salt, :hash, :at, :revoked)"
            ),
            {
                "name": name, "role": role, "team": team, "prefix": new.prefix, "salt": new.salt,
                "hash": new.key_hash, "at": datetime(2026, 11, 1, tzinfo=UTC),
                "revoked": datetime(2026, 11, 2, tzinfo=UTC) if revoked else None,
            },
        )  # fmt: skip
    return new.secret


def test_the_upgrade_keeps_old_keys_and_accounts_working_on_every_site(old_database: str, tmp_path: Path) -> None:
    assert GRANTS not in current(old_database)
    engine = make_engine(old_database)
    crew = insert_old_key(engine, name="lift phone", role="crew", team="elevator-crew")
    admin = insert_old_key(engine, name="ops", role="admin", team=None)
    gone = insert_old_key(engine, name="lost", role="staff", team=None, revoked=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO console_users (username, display_name, role, team, password_hash, session_version, "
                "active, created_at) VALUES ('wang', '王师傅', 'crew', 'elevator-crew', :hash, 1, true, now())"
            ),
            {"hash": hash_password(PASSWORD)},
        )

    upgrade(old_database)

    assert GRANTS in current(old_database)
    sessions = session_factory(engine)
    with sessions() as session:
        holder = authenticate(session, crew)
        assert holder is not None
        assert holder.grants == Grants({"*": SiteRole(Role.CREW, "elevator-crew")})
        assert authenticate(session, gone) is None  # a revoked key stays revoked
        member = sign_in(session, "wang", PASSWORD, site_id="lakeview")
        assert member is not None and (member.role, member.team) == (Role.CREW, "elevator-crew")
        assert sign_in(session, "wang", PASSWORD, site_id="hillside") is not None
    # Through the app on the upgraded database: each key answers as its role did before.
    with running_api(tmp_path, database_url=old_database) as api:
        assert api.client.get("/sites/lakeview/work-orders", headers={"X-API-Key": crew}).status_code == 200
        assert api.client.get("/metrics", headers={"X-API-Key": crew}).status_code == 403
        assert api.client.get("/metrics", headers={"X-API-Key": admin}).status_code == 200
        assert api.client.get("/keys", headers={"X-API-Key": admin}).status_code == 200
    upgrade(old_database)  # twice: nothing copied again
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM site_grants WHERE principal = 'key'")).scalar()
    assert count == 3 + 4  # the three old keys and the harness's one key per role
    engine.dispose()


def test_the_migrated_table_matches_the_model_and_refuses_a_second_role_on_a_site(old_database: str) -> None:
    upgrade(old_database)
    engine = make_engine(old_database)

    def only_grants(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return getattr(table, "name", name) == SiteGrantRow.__tablename__

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": only_grants, "compare_type": True})
        assert list(compare_metadata(context, SiteGrantRow.metadata)) == []
    row = (
        "INSERT INTO site_grants (principal, principal_id, site_id, role, granted_at) "
        "VALUES (:principal, 1, 'lakeview', :role, now())"
    )
    with engine.begin() as connection:
        connection.execute(sa.text(row), {"principal": "key", "role": "crew"})
    for principal, role in (("key", "staff"), ("key", "root"), ("group", "crew")):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(sa.text(row), {"principal": principal, "role": role})
    engine.dispose()
