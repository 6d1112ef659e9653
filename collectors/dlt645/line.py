"""One DL/T 645 line (a serial bus or a gateway): its link, its schedule, its reads.

A line has one task and one link, and its meters take turns: a request goes out only when the
previous one was answered or timed out. Each meter keeps its own interval on a fixed grid; a meter
that gives nothing is retried with exponential backoff. A frame that is corrupt, from another
address or an error reply is logged with the meter and the data identifier and that item is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from collectors.dlt645.config import DataItem, Dlt645Line
from collectors.dlt645.devices import Dlt645Meter
from collectors.dlt645.frames import READ_DATA, REPLY, BcdError, FrameError, decode, decode_bcd, di_bytes, read_request
from collectors.dlt645.link import Link
from collectors.line_loop import LineLoop
from core.clock import Clock

log = logging.getLogger("collectors.dlt645")

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


class LinePoller(LineLoop[Dlt645Meter, PollResult]):
    """Polls the meters of one line in turn, forever (the schedule is `LineLoop`'s); `report` gets each result."""

    def __init__(
        self,
        line: Dlt645Line,
        meters: Sequence[Dlt645Meter],
        clock: Clock,
        report: Callable[[PollResult], None],
        stats: Dlt645Stats,
        link_factory: LinkFactory,
    ) -> None:
        self.meters = list(meters)
        self.stats = stats
        self.link = link_factory(line, self.meters)
        super().__init__("dlt645", line, self.meters, self.link, report, stats, clock)

    def failed(self, device: Dlt645Meter, problem: str) -> PollResult:
        return PollResult(device, self.clock.now(), problems=[problem])

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
