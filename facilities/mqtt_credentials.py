"""The store of device and gateway passwords, and the Mosquitto password file made from it.

The store is a JSON file readable by its owner only (0600): the installer needs each device's password to
configure it, so the passwords are kept, and running the command again keeps them unless asked to rotate.
Mosquitto gets only PBKDF2-SHA512 hashes (`$7$`, the format `mosquitto_passwd` writes in Mosquitto 2).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from facilities.mqtt_identities import Identity, IdentityKind

FORMAT = 1
# mosquitto_passwd's defaults. The passwords are 192 random bits, so more iterations would only slow logins.
HASH_ITERATIONS = 101
SALT_BYTES = 12


class CredentialStoreError(ValueError):
    """The store cannot be read or a request names accounts it does not hold."""


@dataclass(frozen=True, slots=True)
class Credential:
    username: str
    kind: str
    site: str
    name: str
    topics: tuple[str, ...]
    password: str
    created: str
    rotated: str

    @property
    def identity(self) -> Identity:
        return Identity(self.username, IdentityKind(self.kind), self.site, self.name, self.topics)


@dataclass(slots=True)
class SyncReport:
    added: list[str] = field(default_factory=list)
    rotated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    retargeted: list[str] = field(default_factory=list)  # same account, new topics (the mappings changed)
    kept: int = 0


def new_password() -> str:
    """48 hex characters: safe on a command line, in a .env file and in any device's configuration form."""
    return secrets.token_hex(24)


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = HASH_ITERATIONS) -> str:
    """`$7$<iterations>$<salt>$<hash>`: PBKDF2-HMAC-SHA512 in base64, as Mosquitto 2's password file holds it."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


class CredentialStore:
    """The accounts of every site that shares this broker, by username."""

    def __init__(self, credentials: Iterable[Credential] = ()) -> None:
        self.credentials = {c.username: c for c in credentials}

    @classmethod
    def load(cls, path: Path) -> CredentialStore:
        """The store at `path`; a missing file is an empty store. Errors never show the file's content."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise CredentialStoreError(f"{path}: format {raw.get('format')!r} is not {FORMAT}")
            return cls(Credential(**{**entry, "topics": tuple(entry["topics"])}) for entry in raw["accounts"])
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise CredentialStoreError(f"{path}: cannot read the credentials store ({type(exc).__name__})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, CredentialStoreError):
                raise
            raise CredentialStoreError(
                f"{path}: not a credentials store written by `facilities devices credentials`; "
                "restore it from a backup or move it away to start afresh (every device then needs its new password)"
            ) from None

    def save(self, path: Path) -> None:
        """Write atomically, owner-only (0600): a crash leaves the old store, never half of a new one."""
        accounts = [asdict(c) for c in sorted(self.credentials.values(), key=lambda c: c.username)]
        write_private(path, json.dumps({"format": FORMAT, "accounts": accounts}, ensure_ascii=False, indent=2) + "\n")

    def sync(
        self,
        site_id: str,
        identities: Iterable[Identity],
        *,
        now: datetime,
        rotate: Collection[str] = (),
        rotate_all: bool = False,
    ) -> SyncReport:
        """Make the store hold exactly `identities` for `site_id`, keeping passwords; other sites are untouched.

        New identities get a password; ones no longer in the site file are removed (their device can no longer
        log in); `rotate` (asset ids, gateway names or usernames) or `rotate_all` get new passwords.
        """
        wanted = {i.username: i for i in identities}
        unknown = [name for name in rotate if self._username(site_id, name, wanted) is None]
        if unknown:
            raise CredentialStoreError(f"no such device or gateway in site {site_id!r}: {', '.join(sorted(unknown))}")
        to_rotate = {self._username(site_id, name, wanted) for name in rotate}
        report = SyncReport()
        stamp = now.isoformat(timespec="seconds")
        for username in [u for u, c in self.credentials.items() if c.site == site_id and u not in wanted]:
            del self.credentials[username]
            report.removed.append(username)
        for username, identity in wanted.items():
            old = self.credentials.get(username)
            if old is None:
                password = new_password()
                self.credentials[username] = Credential(
                    username, identity.kind.value, identity.site, identity.name, identity.topics, password, stamp, stamp
                )
                report.added.append(username)
                continue
            updated = replace(old, kind=identity.kind.value, name=identity.name, topics=identity.topics)
            if updated.topics != old.topics:
                report.retargeted.append(username)
            if rotate_all or username in to_rotate:
                updated = replace(updated, password=new_password(), rotated=stamp)
                report.rotated.append(username)
            else:
                report.kept += 1
            self.credentials[username] = updated
        return report

    def _username(self, site_id: str, name: str, wanted: dict[str, Identity]) -> str | None:
        if name in wanted:
            return name
        qualified = f"{site_id}.{name}"
        return qualified if qualified in wanted else None

    def find(self, name: str) -> list[Credential]:
        """The accounts called `name`: a username, or an asset id / gateway name (possibly in several sites)."""
        if name in self.credentials:
            return [self.credentials[name]]
        return [c for c in self.credentials.values() if c.name == name]

    def password_file(self, *, extra: dict[str, str] | None = None) -> str:
        """Mosquitto's password file: one `username:$7$…` line per account, plus `extra` (e.g. the hub's)."""
        plain = {c.username: c.password for c in self.credentials.values()} | (extra or {})
        return "".join(f"{user}:{mosquitto_hash(password)}\n" for user, password in sorted(plain.items()))

    def identities(self) -> list[Identity]:
        return [c.identity for c in self.credentials.values()]


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by the owner only, through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)  # whatever the umask
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
