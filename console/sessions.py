"""Staff sign-in sessions: a signed cookie naming the account, its session version, expiry and a random nonce.

The nonce's hash is the session's key in `console_sessions` (`console.session_store`): a cookie is honoured only
while its row is there, unexpired and not ended, so signing out ends it on the server too (a copied cookie
stops working), and a password change or a disable ends every session of the account (they also bump the
account's `session_version`, which the cookie carries). The CSRF token of a session's forms is derived from
its nonce; the sign-in form's token from a pre-session cookie (`login_token`), so another site cannot sign a
browser in to an account of its choosing. Expiry is checked against the injected clock.
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
LOGIN_COOKIE = "facilities_login"  # the sign-in form's pre-session: its token is bound to this browser
_SALT = "facilities.console-session.v1"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    user_id: int
    session_version: int
    expires_at: datetime
    csrf: str  # echoed by every form of this session; a cross-site form cannot know it
    session_key: str = ""  # the session's row in console_sessions: SHA-256 of the cookie's nonce


class SessionSigner:
    def __init__(self, secret: str, *, ttl: timedelta = timedelta(hours=12)) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 characters (FACILITIES_CONSOLE_SECRET)")
        self._serializer = URLSafeSerializer(secret, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})
        self._csrf_key = hashlib.sha256(("csrf:" + secret).encode()).digest()
        self.ttl = ttl

    def issue(self, *, user_id: int, session_version: int, now: datetime) -> str:
        nonce = secrets.token_urlsafe(32)
        expires = int((now + self.ttl).timestamp())
        return str(self._serializer.dumps({"u": user_id, "v": session_version, "x": expires, "n": nonce}))

    def read(self, cookie: str | None, *, now: datetime) -> SessionClaims | None:
        """The claims of a genuine, unexpired cookie; None for anything else."""
        if not cookie:
            return None
        try:
            payload = self._serializer.loads(cookie)
            expires = datetime.fromtimestamp(int(payload["x"]), UTC)
            nonce = str(payload["n"])
            claims = SessionClaims(int(payload["u"]), int(payload["v"]), expires, self._csrf(nonce), session_key(nonce))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        return claims if now < claims.expires_at else None

    def login_token(self, pre_session: str) -> str:
        """The sign-in form's CSRF token for the browser holding the `LOGIN_COOKIE` value `pre_session`."""
        return self._csrf("login:" + pre_session)

    def _csrf(self, nonce: str) -> str:
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def new_pre_session() -> str:
    """A fresh value for the sign-in form's `LOGIN_COOKIE`."""
    return secrets.token_urlsafe(24)


def session_key(nonce: str) -> str:
    """The key a session is stored under: a hash, so the table alone does not give anyone a working cookie."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Whether a form echoed its session's CSRF token (compared in constant time)."""
    return presented is not None and hmac.compare_digest(expected, presented)
