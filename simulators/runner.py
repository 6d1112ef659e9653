"""Simulation time: real time, accelerated (`speed`), or backfill of a past period as fast as possible."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.reading import FieldValue
from simulators.community import CommunitySimulator, Message

Publish = Callable[[Iterable[tuple[str, dict[str, FieldValue] | bytes]]], int]


@dataclass
class RunSummary:
    simulated_from: datetime
    simulated_to: datetime
    messages: int


def run_live(
    simulator: CommunitySimulator,
    publish: Publish,
    *,
    speed: float = 1.0,
    duration_s: float | None = None,
    tick_s: float = 1.0,
    stop: threading.Event,
    monotonic: Callable[[], float] = time.monotonic,
) -> RunSummary:
    """Simulated time runs `speed` times faster than the wall clock from the simulator's start."""
    if speed <= 0:
        raise ValueError(f"speed {speed} must be positive")
    began = monotonic()
    sent = 0
    while True:
        elapsed = monotonic() - began
        now = simulator.start + timedelta(seconds=elapsed * speed)
        sent += publish(simulator.due(now))
        if duration_s is not None and elapsed >= duration_s:
            break
        if stop.wait(tick_s):
            break
    return RunSummary(simulator.start, simulator.now, sent)


def backfill(
    simulator: CommunitySimulator,
    publish: Publish,
    end: datetime,
    *,
    step: timedelta = timedelta(minutes=1),
    batch: int = 1000,
    flush: Callable[[], None] | None = None,
    progress: Callable[[datetime, int], None] | None = None,
    stop: threading.Event | None = None,
) -> RunSummary:
    """Everything the devices would have sent from where the simulator is until `end`, as fast as possible.

    Messages are handed to `publish` in batches (in order), so waiting for the broker's acknowledgements
    is paid once a batch rather than once a simulated minute; with `flush`, `publish` need not wait at all
    and `flush` is called once at the end. `progress(simulated time reached, messages sent)` after each batch.
    `stop` (Ctrl-C) ends the backfill after the messages simulated so far are published, so the summary and the
    saved registers stand where the broker's messages end.
    """
    begun = simulator.now
    if end <= begun:
        raise ValueError(f"backfill end {end.isoformat()} is not after {begun.isoformat()}")
    sent = 0
    pending: list[Message] = []
    now = begun
    while now < end:
        now = min(end, now + step)
        pending += simulator.due(now)
        stopping = stop is not None and stop.is_set()
        if len(pending) >= batch or now >= end or stopping:
            sent += publish(pending)
            pending = []
            if progress is not None:
                progress(now, sent)
        if stopping:
            break
    if flush is not None:
        flush()
    return RunSummary(begun, now, sent)
