"""One Modbus line (a serial bus, a gateway or a TCP endpoint): its client, its schedule, its reads.

A line has one task and one pymodbus client, and its devices take turns: a request goes out only
when the previous one was answered or timed out. Each device keeps its own interval on a fixed
grid; a device that gives nothing is retried with exponential backoff so it costs the line little.
Scheduling uses the event loop's monotonic time; readings are stamped with the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ModbusException

from collectors.line_loop import LineLoop
from collectors.modbus.client import ClientFactory, make_client
from collectors.modbus.config import ModbusLine
from collectors.modbus.devices import ModbusDevice
from collectors.modbus.registers import ReadSpan, RegisterTable, Value, decode_span
from core.clock import Clock

log = logging.getLogger("collectors.modbus")


@dataclass
class ModbusStats:
    """Counters over all lines; read them from any thread."""

    polls: int = 0
    readings: int = 0
    failed_polls: int = 0
    no_answer: int = 0
    exception_responses: int = 0
    short_reads: int = 0
    decode_errors: int = 0
    skipped_slots: int = 0  # polls that came due while the line was still busy, so were left out
    sink_refusals: int = 0
    dropped: int = 0


@dataclass
class PollResult:
    """What one poll of one device gave: the values that decoded, and a line per problem (already logged)."""

    device: ModbusDevice
    ts: datetime
    values: dict[str, Value] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    answered: bool = False


class NoAnswer(Exception):
    """Every attempt at a read timed out or found the line down."""


@dataclass(frozen=True)
class Refused:
    """A Modbus exception response: the device answered, but with an exception code instead of data."""

    code: int

    def __str__(self) -> str:
        try:
            name = ExcCodes(self.code).name
        except ValueError:
            name = "not a standard code"
        return f"exception response {self.code} ({name})"


def _span_text(span: ReadSpan) -> str:
    return f"{span.table} registers {span.address}..{span.end - 1}"


class LinePoller(LineLoop[ModbusDevice, PollResult]):
    """Polls the devices of one line in turn, forever (the schedule is `LineLoop`'s); `report` gets each result."""

    def __init__(
        self,
        line: ModbusLine,
        devices: Sequence[ModbusDevice],
        clock: Clock,
        report: Callable[[PollResult], None],
        stats: ModbusStats,
        client_factory: ClientFactory = make_client,
    ) -> None:
        self.devices = list(devices)
        self.stats = stats
        self.client = client_factory(line, self.devices)
        super().__init__("modbus", line, self.devices, self.client, report, stats, clock)

    def failed(self, device: ModbusDevice, problem: str) -> PollResult:
        return PollResult(device, self.clock.now(), problems=[problem])

    async def poll(self, device: ModbusDevice) -> PollResult:
        """Read every span of the device once; stop at the first span nobody answers."""
        result = PollResult(device, self.clock.now())
        self.stats.polls += 1
        for span in device.reads:
            try:
                registers = await self._read(device, span)
            except NoAnswer as exc:
                self.stats.no_answer += 1
                result.problems.append(str(exc))
                log.warning("modbus %s: %s", device, exc)
                break  # a silent device would only cost the line one timeout per remaining span
            result.answered = True
            if isinstance(registers, Refused):
                self.stats.exception_responses += 1
                problem = f"{_span_text(span)}: {registers}"
                result.problems.append(problem)
                log.warning("modbus %s: %s", device, problem)
                continue
            self._decode(device, span, registers, result)
        if not result.values:
            self.stats.failed_polls += 1
        return result

    def _decode(self, device: ModbusDevice, span: ReadSpan, registers: list[int], result: PollResult) -> None:
        try:
            decoded = decode_span(span, registers)
        except ValueError as exc:  # a short (or long) read: the registers cannot be lined up with the fields
            self.stats.short_reads += 1
            result.problems.append(str(exc))
            log.warning("modbus %s: %s; raw %s", device, exc, registers)
            return
        result.values.update(decoded.values)
        for error in decoded.errors:
            self.stats.decode_errors += 1
            result.problems.append(str(error))
            log.warning("modbus %s: %s", device, error)

    async def _read(self, device: ModbusDevice, span: ReadSpan) -> list[int] | Refused:
        """The span's registers, or the device's exception response; `NoAnswer` after all attempts."""
        b = device.binding
        attempts = b.retries + 1
        why = ""
        for _ in range(attempts):
            try:
                return await asyncio.wait_for(self._request(device, span), b.timeout_s)
            except TimeoutError:
                why = f"no answer within {b.timeout_s:g} s"
            except (ModbusException, OSError) as exc:  # connection refused or lost, or a mismatched answer
                why = str(exc) or type(exc).__name__
        raise NoAnswer(f"{_span_text(span)}: {why} ({attempts} attempt(s))")

    async def _request(self, device: ModbusDevice, span: ReadSpan) -> list[int] | Refused:
        if not self.client.connected and not await self.client.connect():
            raise ConnectionError(f"cannot open {self.line}")
        if span.table is RegisterTable.INPUT:
            response = await self.client.read_input_registers(
                span.address, count=span.count, device_id=device.device_id
            )
        else:
            response = await self.client.read_holding_registers(
                span.address, count=span.count, device_id=device.device_id
            )
        if response.isError():
            return Refused(response.exception_code)
        return list(response.registers)
