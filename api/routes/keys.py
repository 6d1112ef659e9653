"""API keys: admins issue, list and revoke them. A key's secret is shown once, in the create response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from access.grant_store import grants_of, grants_of_all
from access.grants import SITE_ID, Grants, Principal
from access.orders import TEAM_ID
from access.roles import Permission, Role
from api.auth import Caller
from api.deps import ClockDep, SessionDep, require
from api.keys_crud import KeyAlreadyRevoked, create_key, get_key, list_keys, revoke_key
from api.keys_table import ApiKey
from api.schemas import ERROR_RESPONSES, ErrorOut

router = APIRouter(prefix="/keys", tags=["keys"], responses=ERROR_RESPONSES)
AdminDep = Annotated[Caller, require(Permission.MANAGE_KEYS)]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The key's id from the list.")]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$", description="Who or what uses the key."
    )
    role: Role
    team: str | None = Field(
        default=None,
        max_length=64,
        pattern=TEAM_ID,
        description="The alerts team whose work orders a crew key works; without one, only orders assigned to "
        "the key's name or not yet taken.",
    )
    sites: list[Annotated[str, Field(pattern=SITE_ID + "|^[*]$")]] = Field(
        default_factory=list,
        max_length=200,
        description="Site ids the key holds its role on; empty or absent: every site ('*').",
    )


class GrantOut(BaseModel):
    site: str = Field(description="A site id, or '*' for every site without a grant of its own.")
    role: Role
    team: str | None


class KeyOut(BaseModel):
    id: int
    name: str
    role: Role
    team: str | None
    grants: list[GrantOut] = Field(description="The key's role on each site; this decides what it may do where.")
    prefix: str  # the first characters after `fac_`, to recognise a key without its secret
    created_at: datetime
    revoked_at: datetime | None


class CreatedKeyOut(KeyOut):
    key: str = Field(description="The secret; it is not stored and cannot be shown again.")


def _out(row: ApiKey, grants: Grants) -> KeyOut:
    by_site = grants.by_site
    held = [GrantOut(site=site, role=by_site[site].role, team=by_site[site].team) for site in grants.sites]
    return KeyOut(
        id=row.id, name=row.name, role=row.role_enum, team=row.team, grants=held, prefix=row.prefix,
        created_at=row.created_at, revoked_at=row.revoked_at,
    )  # fmt: skip


def _out_of(session: SessionDep, row: ApiKey) -> KeyOut:
    return _out(row, grants_of(session, Principal.KEY, row.id))


@router.post("", status_code=201, summary="Issue a key for a role, on every site or on the sites named")
def create(_: AdminDep, body: KeyCreate, session: SessionDep, clock: ClockDep) -> CreatedKeyOut:
    row, secret = create_key(
        session=session, role=body.role, name=body.name, team=body.team, sites=body.sites, now=clock.now()
    )
    return CreatedKeyOut(**_out_of(session, row).model_dump(), key=secret)


@router.get("", summary="All keys, revoked ones included, without secrets, with their roles per site")
def list_all(_: AdminDep, session: SessionDep) -> list[KeyOut]:
    grants = grants_of_all(session, Principal.KEY)
    return [_out(row, grants.get(row.id, Grants())) for row in list_keys(session=session)]


@router.post(
    "/{key_id}/revoke",
    summary="Revoke a key; it stays listed",
    responses={
        404: {"model": ErrorOut, "description": "No such key"},
        409: {"model": ErrorOut, "description": "Already revoked, or the key making the request"},
    },
)
def revoke(caller: AdminDep, key_id: KeyId, session: SessionDep, clock: ClockDep) -> KeyOut:
    row = get_key(session=session, key_id=key_id)
    if row is None:
        raise HTTPException(404, f"API key {key_id} not found")
    # An admin revoking the key in hand would lock themselves out mid-session; use another admin key.
    if row.id == caller.key_id:
        raise HTTPException(409, "This is the key making the request; revoke it with another admin key")
    try:
        return _out_of(session, revoke_key(session=session, key=row, now=clock.now()))
    except KeyAlreadyRevoked as exc:
        raise HTTPException(409, str(exc)) from None
