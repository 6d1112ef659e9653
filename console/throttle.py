"""Slows a password guesser down: after 5 failed sign-ins for one username within 15 minutes, that username
is refused for 15 minutes, whatever the password. Kept in the hub's memory (one process per community);
a restart forgets it, which costs a guesser nothing they could not get by waiting.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock


@dataclass
class SignInThrottle:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _locked_until: dict[str, datetime] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def locked_until(self, username: str, now: datetime) -> datetime | None:
        """When the username may try again, if it is locked out now."""
        with self._lock:
            until = self._locked_until.get(_key(username))
            if until is not None and now >= until:
                del self._locked_until[_key(username)]
                return None
            return until

    def failed(self, username: str, now: datetime) -> None:
        key = _key(username)
        with self._lock:
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and now - recent[0] >= self.window:
                recent.popleft()
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout
                recent.clear()
            if len(self._failures) > 10_000:  # a flood of made-up usernames must not grow memory without end
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(_key(username), None)


def _key(username: str) -> str:
    return username.strip().lower()[:64]
