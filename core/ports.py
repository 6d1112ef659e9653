"""Ports the collectors talk to; the composition root plugs in the spool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.reading import Reading


class SinkUnavailable(Exception):
    """The sink cannot commit now (disk full, read-only, locked): keep the data un-acked and retry later."""


class ReadingSink(Protocol):
    def accept_many(self, messages: Sequence[tuple[Sequence[Reading], str]]) -> int:
        """Commit (readings, source) messages durably, invalid readings to dead letters, in one transaction.

        Returns how many messages from the front were taken; fewer than given means the sink is full.
        Raises SinkUnavailable when it cannot commit at all; nothing of the group was taken then.
        """

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        """Record undecodable input as a dead letter, durably; SinkUnavailable when it cannot."""
