"""Staff sign-in sessions: a signed cookie naming the account, its session version, expiry and CSRF token.

Nothing is kept server-side but the account's `session_version`: a password change or a disable bumps it,
and every cookie issued before stops working. Expiry is checked against the injected clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "facilities_console"
LANG_COOKIE = "facilities_lang"
_SALT = "facilities.console-session.v1"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    user_id: int
    session_version: int
    expires_at: datetime
    csrf: str  # echoed by every form of this session; a cross-site form cannot know it


class SessionSigner:
    def __init__(self, secret: str, *, ttl: timedelta = timedelta(hours=12)) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 characters (FACILITIES_CONSOLE_SECRET)")
        self._serializer = URLSafeSerializer(secret, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})
        self._csrf_key = hashlib.sha256(("csrf:" + secret).encode()).digest()
        self.ttl = ttl

    def issue(self, *, user_id: int, session_version: int, now: datetime) -> str:
        nonce = secrets.token_urlsafe(12)
        expires = int((now + self.ttl).timestamp())
        return str(self._serializer.dumps({"u": user_id, "v": session_version, "x": expires, "n": nonce}))

    def read(self, cookie: str | None, *, now: datetime) -> SessionClaims | None:
        """The claims of a genuine, unexpired cookie; None for anything else."""
        if not cookie:
            return None
        try:
            payload = self._serializer.loads(cookie)
            expires = datetime.fromtimestamp(int(payload["x"]), UTC)
            claims = SessionClaims(int(payload["u"]), int(payload["v"]), expires, self._csrf(str(payload["n"])))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        return claims if now < claims.expires_at else None

    def _csrf(self, nonce: str) -> str:
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Whether a form echoed its session's CSRF token (compared in constant time)."""
    return presented is not None and hmac.compare_digest(expected, presented)
