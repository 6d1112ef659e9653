"""The backfill's progress bar shows where simulated time is, messages per second and the time left."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

from rich.console import Console

from facilities.cli.progress import BackfillProgress
from simulators.community import CommunitySimulator
from simulators.runner import backfill
from tests.unit.simulators.test_community import SITE

BEGIN = datetime(2026, 9, 1, tzinfo=UTC)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_shows_rate_and_time_left() -> None:
    out = io.StringIO()
    clock = FakeTime()
    console = Console(file=out, force_terminal=True, width=200, color_system=None)
    with BackfillProgress(BEGIN, BEGIN + timedelta(days=4), console=console, monotonic=clock) as bar:
        for day in range(1, 3):
            clock.now += 10
            bar.update(BEGIN + timedelta(days=day), day * 50_000)
    text = out.getvalue()
    assert "50%" in text
    assert "2026-09-03T00:00+00:00" in text
    assert "100,000 messages, 5,000/s" in text  # 100 000 in 20 s
    assert "ETA 0:00:20" in text  # half done in 20 s: 20 s to go


def test_disabled_the_bar_prints_nothing() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    with BackfillProgress(BEGIN, BEGIN + timedelta(days=1), console=console, enabled=False) as bar:
        bar.update(BEGIN + timedelta(hours=12), 10)
    assert out.getvalue() == ""


def test_backfill_reports_progress_each_batch_and_flushes_once() -> None:
    reached: list[tuple[datetime, int]] = []
    flushed: list[int] = []
    simulator = CommunitySimulator(SITE, seed=1, start=BEGIN)
    summary = backfill(
        simulator, len, BEGIN + timedelta(hours=6), batch=20,
        progress=lambda at, sent: reached.append((at, sent)), flush=lambda: flushed.append(1),
    )  # fmt: skip
    assert len(reached) > 3
    assert [at for at, _ in reached] == sorted(at for at, _ in reached)
    assert reached[-1] == (BEGIN + timedelta(hours=6), summary.messages)
    assert flushed == [1]


def test_a_stopped_backfill_publishes_what_it_simulated_and_ends_there() -> None:
    stop = threading.Event()
    published: list[int] = []

    def publish(messages: list[object]) -> int:
        published.append(len(messages))
        stop.set()  # Ctrl-C during the first batch
        return len(messages)

    simulator = CommunitySimulator(SITE, seed=1, start=BEGIN)
    summary = backfill(simulator, publish, BEGIN + timedelta(days=1), batch=20, stop=stop)  # type: ignore[arg-type]
    assert summary.simulated_to < BEGIN + timedelta(hours=1)
    assert summary.simulated_to == simulator.now and summary.messages == sum(published)
