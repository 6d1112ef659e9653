"""Keys: their shape, how they are stored, and how a request presents one."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from access.grants import Grants, SiteRole
from access.roles import Role
from api.auth import Caller, authenticate, generate_key, hash_key, lookup_prefix, well_formed
from api.keys_table import ApiKey
from tests.unit.api.harness import Api


def test_a_key_is_fac_and_43_url_safe_characters() -> None:
    key = generate_key()
    assert key.secret.startswith("fac_")
    assert len(key.secret) == 47
    assert well_formed(key.secret)
    assert key.prefix == key.secret[4:12]
    assert lookup_prefix(key.secret) == key.prefix


def test_the_hash_is_sha256_of_salt_and_key() -> None:
    salt = "00112233445566778899aabbccddeeff"
    secret = "fac_" + "x" * 43
    assert hash_key(secret, salt) == hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def test_two_keys_get_different_salts_and_hashes() -> None:
    first, second = generate_key(), generate_key()
    assert first.secret != second.secret
    assert first.salt != second.salt
    assert first.key_hash != second.key_hash


def test_the_database_holds_the_hash_and_never_the_key(api: Api) -> None:
    with api.sessions() as session:
        rows = session.scalars(select(ApiKey)).all()
    secrets = set(api.keys.values())
    assert len(rows) == 4
    for row in rows:
        stored = {row.name, row.prefix, row.salt, row.key_hash}
        assert not stored & secrets
        assert any(hash_key(secret, row.salt) == row.key_hash for secret in secrets)


def test_authenticate_finds_the_caller_of_a_valid_key(api: Api) -> None:
    with api.sessions() as session:
        caller = authenticate(session, api.keys[Role.CREW])
    assert caller is not None
    assert (caller.key_id, caller.name) == (api.key_ids[Role.CREW], "crew key")
    # Issued without a site: the role and team hold on every site (`*`).
    assert caller.grants == Grants({"*": SiteRole(Role.CREW, "water")})
    assert caller.at("anywhere") == Caller(caller.key_id, "crew key", Role.CREW, "water", "anywhere", caller.grants)


def test_authenticate_refuses_malformed_unknown_tampered_and_revoked_keys(api: Api) -> None:
    crew = api.keys[Role.CREW]
    with api.sessions() as session:
        assert authenticate(session, "") is None
        assert authenticate(session, "fac_short") is None
        assert authenticate(session, crew + "x") is None
        assert authenticate(session, "fac_" + "Z" * 43) is None
        assert authenticate(session, crew[:-1] + ("A" if crew[-1] != "A" else "B")) is None
    revoked = api.revoked_key(Role.ADMIN)
    with api.sessions() as session:
        assert authenticate(session, revoked) is None


def test_the_key_works_as_a_bearer_token_too(api: Api) -> None:
    response = api.client.get("/sites", headers={"Authorization": f"Bearer {api.keys[Role.STAFF]}"})
    assert response.status_code == 200
    assert response.json()[0]["id"] == "lakeview"


def test_a_missing_key_is_a_401_that_says_how_to_send_one(api: Api) -> None:
    response = api.client.get("/assets")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer, ApiKey header="X-API-Key"'
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "message": "Missing API key: send it in the X-API-Key header or as 'Authorization: Bearer <key>'",
        }
    }


def test_a_wrong_key_is_a_401_and_a_wrong_role_a_403(api: Api) -> None:
    wrong = api.client.get("/assets", headers={"X-API-Key": "fac_" + "Q" * 43})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": {"code": "unauthorized", "message": "Invalid or revoked API key"}}
    refused = api.client.get("/assets", headers=api.as_role(Role.FEE_MODULE))
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "forbidden",
            "message": "Role 'fee_module' lacks the permission 'site:read' this endpoint needs",
        }
    }


def test_auth_comes_before_validation(api: Api) -> None:
    # A caller without a key learns nothing about the parameters.
    response = api.client.get("/assets/B1-L1/readings/history?field=floor&every=bogus")
    assert response.status_code == 401
