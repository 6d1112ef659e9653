"""How a component starts its background thread, so the hub can supervise every one of them.

A component's loop returns when it was told to stop; an exception escaping it means the thread ended
unexpectedly. `start_thread` just runs it; the hub passes a supervisor's spawn instead, which restarts
the loop or stops the process with the reason (facilities/supervisor.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class ThreadHandle(Protocol):
    def join(self, timeout: float | None = None) -> None:
        """Wait for the loop to return (after its component was told to stop)."""

    def is_alive(self) -> bool:
        """Whether the loop is running (or about to be restarted)."""


class Spawn(Protocol):
    def __call__(self, name: str, target: Callable[[], None]) -> ThreadHandle:
        """Run `target` in a background thread called `name`."""


def start_thread(name: str, target: Callable[[], None]) -> ThreadHandle:
    """A plain daemon thread: what components use outside the hub (tools, tests)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
