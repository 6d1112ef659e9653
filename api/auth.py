"""API keys: how they look, how they are hashed, and how a presented key becomes a `Caller`.

A key is `fac_` followed by 43 URL-safe characters (256 random bits). It is shown once, at creation;
the database keeps a short prefix for lookup, a per-key salt and SHA-256(salt + key). A slow KDF
(scrypt) protects guessable passwords; a 256-bit random key cannot be guessed, so a fast hash is
enough and every request stays cheap.

A key holds a role per site (`access.grants`): `authenticate` answers the `KeyHolder` with all its grants, and
`api.deps.require` narrows it to the `Caller` for the site in the path (or for every site on other routes).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.grant_store import grants_of
from access.grants import ALL_SITES, Grants, Principal, SiteRole
from access.orders import Actor
from access.roles import ROLE_PERMISSIONS, Permission, Role
from api.keys_table import ApiKey

KEY_PREFIX = "fac_"
LOOKUP_LENGTH = 8  # characters of the secret part stored in clear for lookup
_KEY_PATTERN = re.compile(r"^fac_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly generated key: `secret` goes to the caller once, the rest to the database."""

    secret: str
    prefix: str
    salt: str
    key_hash: str


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated key behind a request, with its role on the site the request is about."""

    key_id: int
    name: str
    role: Role
    team: str | None = None  # whose work orders a crew key works (`access.orders`)
    site: str = ALL_SITES  # the site whose role this is; `*` on routes not under a site
    grants: Grants = field(default_factory=Grants)  # every site's role: a company-wide list shows those it may

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def actor(self) -> Actor:
        """The key as `access.orders` sees it: an order assigned to the key's name is the key's own."""
        return Actor(role=self.role, names=frozenset({self.name}), team=self.team)


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """A valid key before the site is known: its name and every grant it holds."""

    key_id: int
    name: str
    grants: Grants

    def _as(self, held: SiteRole | None, site: str) -> Caller | None:
        return None if held is None else Caller(self.key_id, self.name, held.role, held.team, site, self.grants)

    def at(self, site_id: str) -> Caller | None:
        """The key as it acts on `site_id`, or None when it holds no role there."""
        return self._as(self.grants.at(site_id), site_id)

    def for_global(self, permission: Permission) -> Caller | None:
        """The key on a route not under a site (its `*` grant; any grant for the schema), or None."""
        return self._as(self.grants.for_global(permission), ALL_SITES)


def generate_key() -> NewKey:
    """A new random key with its lookup prefix, salt and hash."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return NewKey(secret=secret, prefix=lookup_prefix(secret), salt=salt, key_hash=hash_key(secret, salt))


def lookup_prefix(secret: str) -> str:
    return secret[len(KEY_PREFIX) : len(KEY_PREFIX) + LOOKUP_LENGTH]


def hash_key(secret: str, salt: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def well_formed(secret: str) -> bool:
    """Whether `secret` has the shape of one of our keys (checked before touching the database)."""
    return _KEY_PATTERN.fullmatch(secret) is not None


def authenticate(session: Session, secret: str) -> KeyHolder | None:
    """The holder of a presented key, or None when it is malformed, unknown, wrong or revoked."""
    if not well_formed(secret):
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == lookup_prefix(secret))).one_or_none()
    # Hash and compare even without a row, so timing does not tell whether a prefix exists.
    salt, stored = (row.salt, row.key_hash) if row is not None else ("00" * 16, "0" * 64)
    matches = hmac.compare_digest(hash_key(secret, salt), stored)
    if row is None or not matches or row.revoked:
        return None
    return KeyHolder(key_id=row.id, name=row.name, grants=grants_of(session, Principal.KEY, row.id))
