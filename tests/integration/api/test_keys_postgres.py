"""API keys on PostgreSQL: the migration, the CLI helper, and authentication through the app."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from access.grants import Grants, SiteRole
from access.roles import Role
from api.auth import authenticate
from api.keys_cli import create_key, revoke_key
from api.keys_table import ApiKey
from storage.database import make_engine, session_factory, upgrade
from tests.unit.api.harness import running_api
from tests.unit.api.schema_check import api_keys_differences

pytestmark = pytest.mark.integration


def test_the_migrated_table_matches_the_model(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    assert api_keys_differences(engine) == []
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("api_keys")}
    assert isinstance(columns["created_at"]["type"], sa.DateTime) and columns["created_at"]["type"].timezone
    engine.dispose()


def test_the_database_enforces_roles_and_unique_prefixes(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    row = (
        "INSERT INTO api_keys (name, role, prefix, salt, key_hash, created_at) "
        "VALUES ('constraint test', :role, :prefix, 's', 'h', now())"
    )
    with engine.begin() as connection:
        connection.execute(sa.text(row), {"role": "staff", "prefix": "pgtest01"})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(row), {"role": "superuser", "prefix": "pgtest02"})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(row), {"role": "crew", "prefix": "pgtest01"})
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM api_keys WHERE name = 'constraint test'"))
    engine.dispose()


def test_a_cli_key_authenticates_until_revoked(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    secret = create_key(sessions, "crew", "pg crew")
    with sessions() as session:
        caller = authenticate(session, secret)
        assert caller is not None and caller.name == "pg crew"
        assert caller.grants == Grants({"*": SiteRole(Role.CREW)})  # no --site: every site
        row = session.get_one(ApiKey, caller.key_id)
        # PostgreSQL hands back an aware time; the model keeps it in UTC.
        assert row.created_at.tzinfo is UTC
        assert abs((datetime.now(UTC) - row.created_at).total_seconds()) < 60
        assert secret not in {row.prefix, row.salt, row.key_hash}
    revoke_key(sessions, caller.key_id)
    with sessions() as session:
        assert authenticate(session, secret) is None
    engine.dispose()


def test_the_app_on_postgres_issues_lists_and_revokes(postgres_url: str, tmp_path: Path) -> None:
    with running_api(tmp_path, database_url=postgres_url) as api:
        admin = api.as_role(Role.ADMIN)
        created = api.client.post("/keys", json={"name": "fee export", "role": "fee_module"}, headers=admin)
        assert created.status_code == 201
        key_id, secret = created.json()["id"], created.json()["key"]
        assert created.json()["created_at"] == "2026-11-26T08:00:00Z"
        assert api.client.get("/assets", headers={"X-API-Key": secret}).status_code == 403
        assert api.client.get("/openapi.json", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        listed = {item["id"]: item for item in api.client.get("/keys", headers=admin).json()}
        assert listed[key_id]["role"] == "fee_module" and listed[key_id]["revoked_at"] is None
        revoked = api.client.post(f"/keys/{key_id}/revoke", headers=admin)
        assert (revoked.status_code, revoked.json()["revoked_at"]) == (200, "2026-11-26T08:00:00Z")
        assert api.client.get("/openapi.json", headers={"X-API-Key": secret}).status_code == 401
        assert api.client.post("/keys/2147483647/revoke", headers=admin).status_code == 404
        assert api.client.post(f"/keys/{key_id}/revoke", headers=admin).status_code == 409
