"""The backfill's progress bar on stderr: simulated time done, messages per second, time left."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class BackfillProgress:
    """`update(simulated time reached, messages sent)` after each batch; a context manager around the run."""

    def __init__(
        self,
        begin: datetime,
        end: datetime,
        *,
        console: Console | None = None,
        enabled: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.begin, self.end = begin, end
        self.monotonic = monotonic
        self._began = monotonic()
        self._progress = Progress(
            TextColumn("simulating"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[reached]}"),
            TextColumn("{task.fields[messages]} messages, {task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            get_time=monotonic,
            speed_estimate_period=60,
            disable=not enabled,
        )
        total = (end - begin).total_seconds()
        self._task = self._progress.add_task("backfill", total=total, reached="", messages="0", rate="0")

    def __enter__(self) -> BackfillProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.stop()

    def update(self, reached: datetime, sent: int) -> None:
        elapsed = max(self.monotonic() - self._began, 1e-9)
        self._progress.update(
            self._task,
            completed=(reached - self.begin).total_seconds(),
            reached=reached.isoformat(timespec="minutes"),
            messages=f"{sent:,}",
            rate=f"{sent / elapsed:,.0f}",
        )
