"""One DL/T 645 line (a serial bus or a gateway): its link, its schedule, its reads.

A line has one task and one link, and its meters take turns: a request goes out only when the
previous one was answered or timed out. Each meter keeps its own interval on a fixed grid; a meter
that gives nothing is retried with exponential backoff. A frame that is corrupt, from another
address or an error reply is logged with the meter and the data identifier and that item is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from collectors.dlt645_devices import Dlt645Meter
from collectors.dlt645_frames import READ_DATA, REPLY, BcdError, FrameError, decode, decode_bcd, di_bytes, read_request
from collectors.dlt645_link import Link
from core.clock import Clock
from core.dlt645_config import DataItem, Dlt645Line

log = logging.getLogger("collectors.dlt645")

RECONNECT_AFTER = 2  # polls in a row that no meter on the line answered
LinkFactory = Callable[[Dlt645Line, Sequence[Dlt645Meter]], Link]


@dataclass
class Dlt645Stats:
    """Counters over all lines; read them from any thread."""

    polls: int = 0
    readings: int = 0
    failed_polls: int = 0
    no_answer: int = 0
    corrupt_frames: int = 0
    wrong_address: int = 0
    error_replies: int = 0
    bad_values: int = 0
    skipped_slots: int = 0
    sink_refusals: int = 0
    dropped: int = 0


@dataclass
class PollResult:
    """What one poll of one meter gave: the values that decoded, and a line per problem (already logged)."""

    device: Dlt645Meter
    ts: datetime
    values: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    answered: bool = False


class NoAnswer(Exception):
    """Every attempt at a read timed out or found the line down."""


class BadReply(Exception):
    """The meter (or something on its line) answered, but not with the value asked for."""


class LinePoller:
    """Polls the meters of one line in turn, forever; `report` gets every poll's result."""

    def __init__(
        self,
        line: Dlt645Line,
        meters: Sequence[Dlt645Meter],
        clock: Clock,
        report: Callable[[PollResult], None],
        stats: Dlt645Stats,
        link_factory: LinkFactory,
    ) -> None:
        self.line = line
        self.meters = list(meters)
        self.clock = clock
        self.report = report
        self.stats = stats
        self.link = link_factory(line, self.meters)
        self.failures = {m.asset_id: 0 for m in self.meters}
        self.unanswered_polls = 0

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        due = {m.asset_id: loop.time() for m in self.meters}
        try:
            while not stop.is_set():
                meter = min(self.meters, key=lambda m: due[m.asset_id])
                delay = due[meter.asset_id] - loop.time()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    continue
                result = await self._poll_guarded(meter)
                due[meter.asset_id] = self._next_due(meter, due[meter.asset_id], bool(result.values), loop.time())
                self._check_connection(result.answered)
                self.report(result)
        finally:
            self.link.close()

    def _check_connection(self, answered: bool) -> None:
        self.unanswered_polls = 0 if answered else self.unanswered_polls + 1
        if self.unanswered_polls and self.unanswered_polls % RECONNECT_AFTER == 0 and self.link.connected:
            log.info("dlt645: no meter on %s answers; reopening the line", self.line)
            self.link.close()

    def _next_due(self, meter: Dlt645Meter, due: float, ok: bool, now: float) -> float:
        b = meter.binding
        if not ok:
            self.failures[meter.asset_id] += 1
            return now + min(b.backoff_max_s, b.backoff_s * 2.0 ** (self.failures[meter.asset_id] - 1))
        if self.failures[meter.asset_id]:  # back from a failure: start a new grid from this poll
            self.failures[meter.asset_id] = 0
            return due + b.interval_s if due + b.interval_s > now else now + b.interval_s
        nxt = due + b.interval_s
        if nxt < now:  # the line was busy past this slot: keep the grid and skip what was missed
            missed = math.floor((now - nxt) / b.interval_s) + 1
            self.stats.skipped_slots += missed
            nxt += missed * b.interval_s
        return nxt

    async def _poll_guarded(self, meter: Dlt645Meter) -> PollResult:
        try:
            return await self.poll(meter)
        except Exception as exc:  # a bug must not stop the line; the meter is backed off like a failure
            log.exception("dlt645 %s: polling failed unexpectedly", meter)
            return PollResult(meter, self.clock.now(), problems=[f"poller error: {exc!r}"])

    async def poll(self, meter: Dlt645Meter) -> PollResult:
        """Read every data item of the meter once; stop at the first one nobody answers."""
        result = PollResult(meter, self.clock.now())
        self.stats.polls += 1
        for item in meter.items:
            try:
                result.values[item.field] = await self._read(meter, item)
                result.answered = True
            except NoAnswer as exc:
                self.stats.no_answer += 1
                result.problems.append(f"{item.field} ({item}): {exc}")
                log.warning("dlt645 %s: %s (%s): %s", meter, item.field, item, exc)
                break  # a silent meter would only cost the line one timeout per remaining item
            except BadReply as exc:
                result.problems.append(f"{item.field} ({item}): {exc}")
                log.warning("dlt645 %s: %s (%s): %s; skipped", meter, item.field, item, exc)
        if not result.values:
            self.stats.failed_polls += 1
        return result

    async def _read(self, meter: Dlt645Meter, item: DataItem) -> float:
        """The item's value; `NoAnswer` after all attempts, `BadReply` for an answer that is not the value."""
        b = meter.binding
        request = read_request(meter.address, item.di)
        attempts = b.retries + 1
        why = ""
        for _ in range(attempts):
            try:
                raw = await asyncio.wait_for(self.link.exchange(request), b.timeout_s)
            except TimeoutError:
                why = f"no answer within {b.timeout_s:g} s"
                continue
            except OSError as exc:  # connection refused or lost, or the serial port is gone
                why = str(exc) or type(exc).__name__
                self.link.close()
                continue
            return self._value(meter, item, raw)
        raise NoAnswer(f"{why} ({attempts} attempt(s))")

    def _value(self, meter: Dlt645Meter, item: DataItem, raw: bytes) -> float:
        try:
            frame = decode(raw)
        except FrameError as exc:
            self.stats.corrupt_frames += 1
            raise BadReply(f"corrupt frame: {exc}; raw {raw.hex(' ')}") from None
        if frame.address != meter.address:
            self.stats.wrong_address += 1
            raise BadReply(f"reply from address {frame.address}, expected {meter.address}")
        if frame.is_error_reply:
            self.stats.error_replies += 1
            raise BadReply(f"the meter refused: {frame.error_text()}")
        if frame.control != READ_DATA | REPLY or frame.data[:4] != di_bytes(item.di):
            self.stats.corrupt_frames += 1
            raise BadReply(f"unexpected reply: control 0x{frame.control:02X}, data {frame.data.hex(' ')}")
        try:
            return decode_bcd(frame.data[4:], item)
        except BcdError as exc:
            self.stats.bad_values += 1
            raise BadReply(str(exc)) from None
