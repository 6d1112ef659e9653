"""Ports the collectors talk to; the composition root plugs in the spool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.reading import Reading


class ReadingSink(Protocol):
    def accept(self, readings: Sequence[Reading], *, source: str) -> bool:
        """Commit readings durably (invalid ones go to dead letters). False: full, try again later."""

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        """Record undecodable input as a dead letter, durably."""
