"""Issuing, listing and revoking keys over the API, and the helpers the CLI uses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from access.roles import Role
from api.auth import well_formed
from api.keys_cli import create_key, revoke_key
from storage.database import make_engine, session_factory, upgrade
from tests.unit.api.harness import Api


def test_a_created_key_is_shown_once_and_works_for_its_role(api: Api) -> None:
    admin = api.as_role(Role.ADMIN)
    created = api.client.post("/keys", json={"name": "北区维修班 crew", "role": "crew"}, headers=admin)
    assert created.status_code == 201
    body = created.json()
    secret = body.pop("key")
    assert well_formed(secret)
    assert body == {
        "id": 5,
        "name": "北区维修班 crew",
        "role": "crew",
        "team": None,
        "grants": [{"site": "*", "role": "crew", "team": None}],
        "prefix": secret[4:12],
        "created_at": "2026-11-26T08:00:00Z",
        "revoked_at": None,
    }
    assert api.client.get("/assets/B1-L1", headers={"X-API-Key": secret}).status_code == 200
    assert api.client.get("/dead-letters", headers={"X-API-Key": secret}).status_code == 403
    listed = api.client.get("/keys", headers=admin).json()
    assert listed[-1] == body
    assert all("key" not in item for item in listed)


def test_revoking_a_key_locks_it_out_and_keeps_it_listed(api: Api) -> None:
    admin = api.as_role(Role.ADMIN)
    staff_id = api.key_ids[Role.STAFF]
    api.clock.advance(timedelta(hours=1))
    revoked = api.client.post(f"/keys/{staff_id}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] == "2026-11-26T09:00:00Z"
    assert api.client.get("/assets", headers=api.as_role(Role.STAFF)).status_code == 401
    assert [item["revoked_at"] is not None for item in api.client.get("/keys", headers=admin).json()] == [
        False,
        True,
        False,
        False,
    ]
    again = api.client.post(f"/keys/{staff_id}/revoke", headers=admin)
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "conflict",
        "message": "API key 2 was already revoked at 2026-11-26T09:00:00+00:00",
    }


def test_an_admin_cannot_revoke_the_key_in_hand_or_a_missing_one(api: Api) -> None:
    admin = api.as_role(Role.ADMIN)
    own = api.client.post(f"/keys/{api.key_ids[Role.ADMIN]}/revoke", headers=admin)
    assert own.status_code == 409
    assert own.json()["error"]["message"] == "This is the key making the request; revoke it with another admin key"
    missing = api.client.post("/keys/999/revoke", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": "API key 999 not found"}
    assert api.client.post("/keys/0/revoke", headers=admin).status_code == 422
    assert api.client.post("/keys/99999999999/revoke", headers=admin).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "role": "root"},
        {"name": "", "role": "crew"},
        {"name": "x" * 101, "role": "crew"},
        {"name": "tab\there", "role": "crew"},
        {"name": "x", "role": "crew", "extra": 1},
        {"role": "crew"},
        ["name", "role"],
    ],
)
def test_bad_key_requests_are_422(api: Api, body: object) -> None:
    response = api.client.post("/keys", json=body, headers=api.as_role(Role.ADMIN))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_body_that_is_not_json_is_a_422(api: Api) -> None:
    response = api.client.post(
        "/keys", content=b"name=x", headers={**api.as_role(Role.ADMIN), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["location"] == "body[0]"


def test_cli_helpers_create_and_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    secret = create_key(sessions, "fee_module", "  fee system  ")
    assert well_formed(secret)
    with pytest.raises(ValueError, match="unknown role 'root'; use one of admin, staff, crew, fee_module"):
        create_key(sessions, "root", "x")
    with pytest.raises(ValueError, match="1 to 100 printable characters"):
        create_key(sessions, Role.CREW, "   ")
    revoke_key(sessions, 1)
    with pytest.raises(ValueError, match="API key 1 was already revoked"):
        revoke_key(sessions, 1)
    with pytest.raises(ValueError, match="no API key with id 7"):
        revoke_key(sessions, 7)
    engine.dispose()
