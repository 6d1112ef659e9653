"""Watches the hub's threads: one that ends unexpectedly is restarted, or the hub exits with the reason.

A component's loop returns only when it was told to stop, and catches the faults it expects (a store
that is down, a full disk) itself. An exception that escapes it is a bug or something worse, and the
thread's policy decides: RESTART runs the loop again after a pause (its state is durable: cursors in the
spool, rows in the database), EXIT stops the process with a non-zero status so that a service manager
starts it afresh. A thread that keeps dying (more than `max_restarts` in `window_s`) is treated as EXIT:
a crash loop inside one process helps nobody. The policies are listed in docs/operations.md.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.clock import Clock

log = logging.getLogger(__name__)


class Policy(StrEnum):
    RESTART = "restart"
    EXIT = "exit"


# The hub's threads and what happens when one dies; see the module docstring and docs/operations.md.
HUB_POLICIES: Mapping[str, Policy] = {
    "mqtt-network": Policy.RESTART,  # reconnects; the broker resends what was not acknowledged
    "mqtt-group-commit": Policy.RESTART,  # un-acked messages wait in memory or at the broker
    "spool-writer": Policy.RESTART,  # its cursor is in the spool; a batch is written again at worst
    "alert-dispatcher": Policy.RESTART,  # the outbox is in the database, each row leased and idempotent
    "modbus-poller": Policy.RESTART,  # meters are polled again; their registers are cumulative
    "dlt645-poller": Policy.RESTART,
    # The rules engine's in-memory state may be half-updated by whatever escaped it: a new process
    # restores the saved state and judges again from the spool cursor, delivering at least once.
    "rules": Policy.EXIT,
}


@dataclass
class ThreadState:
    """What /health shows of one supervised thread."""

    name: str
    policy: Policy
    alive: bool = True
    restarts: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None


class _Handle:
    """The current incarnation of a supervised thread; joining waits for whichever runs now."""

    def __init__(self, state: ThreadState) -> None:
        self.state = state
        self.thread: threading.Thread | None = None

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (thread := self.thread) is not None and thread.is_alive():
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if deadline is not None and time.monotonic() >= deadline:
                return
            if self.thread is thread:
                return

    def is_alive(self) -> bool:
        return self.state.alive


class Supervisor:
    def __init__(
        self,
        clock: Clock,
        *,
        policies: Mapping[str, Policy] = HUB_POLICIES,
        default: Policy = Policy.EXIT,
        max_restarts: int = 5,
        window_s: float = 600.0,
        restart_delay_s: float = 1.0,
    ) -> None:
        self.clock = clock
        self.policies = policies
        self.default = default
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.restart_delay_s = restart_delay_s
        self.fatal: str | None = None
        self._handles: dict[str, _Handle] = {}
        self._restarted_at: dict[str, collections.deque[float]] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def spawn(self, name: str, target: Callable[[], None]) -> _Handle:
        """Run `target` in a supervised daemon thread (the `Spawn` port of core.threads)."""
        state = ThreadState(name, self.policies.get(name, self.default))
        handle = _Handle(state)
        with self._lock:
            self._handles[name] = handle
        self._start(handle, target, delay_s=0.0)
        return handle

    def on_fatal(self, listener: Callable[[str], None]) -> None:
        """Call `listener(reason)` once, when the hub must exit; at once if it already must."""
        with self._lock:
            self._listeners.append(listener)
            reason = self.fatal
        if reason is not None:
            listener(reason)

    def stop(self) -> None:
        """The hub is stopping: a thread that ends now is not restarted."""
        self._stopping.set()

    def threads(self) -> list[ThreadState]:
        with self._lock:
            return [handle.state for handle in self._handles.values()]

    def _start(self, handle: _Handle, target: Callable[[], None], *, delay_s: float) -> None:
        thread = threading.Thread(target=self._run, args=(handle, target, delay_s), name=handle.state.name, daemon=True)
        handle.thread = thread
        handle.state.alive = True
        thread.start()

    def _run(self, handle: _Handle, target: Callable[[], None], delay_s: float) -> None:
        if delay_s and self._stopping.wait(delay_s):
            handle.state.alive = False
            return
        try:
            target()
        except BaseException as exc:  # everything: a thread must not end without anyone knowing
            self._died(handle, target, exc)
            return
        handle.state.alive = False

    def _died(self, handle: _Handle, target: Callable[[], None], exc: BaseException) -> None:
        state = handle.state
        state.last_error = f"{type(exc).__name__}: {exc}"[:500]
        state.last_error_at = self.clock.now()
        if self._stopping.is_set():
            log.warning("thread %s ended with %s while the hub was stopping", state.name, state.last_error)
            state.alive = False
            return
        log.error("thread %s died: %s", state.name, state.last_error, exc_info=exc)
        if state.policy is Policy.EXIT:
            state.alive = False
            self._fail(f"thread {state.name} died: {state.last_error}")
            return
        recent = self._restarted_at.setdefault(state.name, collections.deque())
        now = time.monotonic()
        while recent and now - recent[0] > self.window_s:
            recent.popleft()
        if len(recent) >= self.max_restarts:
            state.alive = False
            self._fail(
                f"thread {state.name} died {len(recent) + 1} times within {self.window_s:g} s; last: {state.last_error}"
            )
            return
        recent.append(now)
        state.restarts += 1
        log.warning("restarting thread %s in %.1f s (restart %d)", state.name, self.restart_delay_s, state.restarts)
        self._start(handle, target, delay_s=self.restart_delay_s)

    def _fail(self, reason: str) -> None:
        with self._lock:
            if self.fatal is not None:
                return
            self.fatal = reason
            listeners = list(self._listeners)
        log.critical("the hub must exit: %s", reason)
        for listener in listeners:
            try:
                listener(reason)
            except Exception:
                log.exception("a fatal-error listener failed")
