"""Slows a password guesser down without locking the real user out.

Failures are counted per (username, client address): after `free_failures` wrong passwords from one address
for one username, each further attempt from there must wait, twice as long after each failure (2 s, 4 s, 8 s
… up to 15 minutes). The account's owner signing in from their own phone or desk is not slowed by a guesser
elsewhere: nobody can lock another person out. One address trying many usernames (spraying) is slowed the same
way once it has failed `client_free_failures` times in all. A success clears that (username, address).

Kept in the hub's memory (one process per community): a restart forgets it, which costs a guesser nothing they
could not get by waiting. Each attempt also costs an scrypt hash (about 50 ms).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock

ANY_USER = "\x00any"  # the key of an address's failures across usernames (no username contains NUL)


@dataclass
class _Failures:
    count: int
    last_at: datetime


@dataclass
class SignInThrottle:
    free_failures: int = 3  # per (username, address): wrong passwords before any wait
    client_free_failures: int = 20  # per address across usernames
    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=24)  # failures this old no longer count
    max_entries: int = 20_000  # a flood of made-up usernames and addresses must not grow memory without end
    _failures: OrderedDict[tuple[str, str], _Failures] = field(default_factory=OrderedDict)
    _lock: Lock = field(default_factory=Lock)

    def wait(self, username: str, client: str, now: datetime) -> timedelta | None:
        """How long this address must wait before trying `username` again; None when it may try now."""
        with self._lock:
            waits = [
                self._wait((_user(username), client), self.free_failures, now),
                self._wait((ANY_USER, client), self.client_free_failures, now),
            ]
        longest = max((w for w in waits if w is not None), default=None)
        return longest

    def failed(self, username: str, client: str, now: datetime) -> None:
        with self._lock:
            for key in ((_user(username), client), (ANY_USER, client)):
                entry = self._failures.pop(key, None)
                if entry is None or now - entry.last_at >= self.forget_after:
                    entry = _Failures(0, now)
                entry.count += 1
                entry.last_at = max(entry.last_at, now)
                self._failures[key] = entry  # most recent last
            while len(self._failures) > self.max_entries:
                self._failures.popitem(last=False)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((_user(username), client), None)

    def delay_after(self, failures: int, free: int) -> timedelta:
        """The wait after `failures` failures when the first `free` cost none."""
        if failures <= free:
            return timedelta(0)
        delay: timedelta = self.first_delay * 2 ** min(failures - free - 1, 30)
        return min(delay, self.max_delay)

    def _wait(self, key: tuple[str, str], free: int, now: datetime) -> timedelta | None:
        entry = self._failures.get(key)
        if entry is None or now - entry.last_at >= self.forget_after:
            return None
        until = entry.last_at + self.delay_after(entry.count, free)
        return until - now if now < until else None


def _user(username: str) -> str:
    return username.strip().lower()[:64]
