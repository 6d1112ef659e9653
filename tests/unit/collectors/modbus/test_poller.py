"""The poller against a scripted fake client: partial readings, silence, backoff, a full sink, state events."""

from __future__ import annotations

import asyncio
import itertools
import struct
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.pdu.register_message import ReadHoldingRegistersResponse, ReadInputRegistersResponse

from collectors.modbus.collector import DeviceStateChanged, ModbusPoller
from collectors.modbus.devices import ModbusDevice, devices_from_site
from collectors.modbus.line import LinePoller, ModbusStats, PollResult
from core.clock import FakeClock
from core.reading import Reading
from core.site_loader import parse_site
from tests.unit.core.test_config import MINIMAL

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
Answer = list[int] | int | None  # registers, an exception code, or None for silence
Script = Callable[[int, int, int], Answer]  # (device_id, function code, address) -> answer


def f32(value: float) -> list[int]:
    a, b = struct.unpack(">HH", struct.pack(">f", value))
    return [a, b]


class FakeClient:
    """Answers reads from a script; records (loop time, device id, function code, address) per request."""

    def __init__(self, script: Script, *, can_connect: bool = True) -> None:
        self.script = script
        self.can_connect = can_connect
        self.requests: list[tuple[float, int, int, int]] = []
        self.connected = False
        self.connects = 0

    async def connect(self) -> bool:
        self.connects += 1
        self.connected = self.can_connect
        return self.connected

    def close(self) -> None:
        self.connected = False

    async def _answer(self, function_code: int, address: int, count: int, device_id: int) -> ModbusPDU:
        self.requests.append((asyncio.get_running_loop().time(), device_id, function_code, address))
        answer = self.script(device_id, function_code, address)
        if answer is None:
            await asyncio.Event().wait()  # a silent device: only the caller's timeout ends this
        if isinstance(answer, int):
            return ExceptionResponse(function_code, answer)
        response = ReadInputRegistersResponse if function_code == 4 else ReadHoldingRegistersResponse
        return response(registers=list(answer or []))

    def read_input_registers(
        self, address: int, *, count: int = 1, device_id: int = 1, no_response_expected: bool = False
    ) -> Awaitable[ModbusPDU]:
        return self._answer(4, address, count, device_id)

    def read_holding_registers(
        self, address: int, *, count: int = 1, device_id: int = 1, no_response_expected: bool = False
    ) -> Awaitable[ModbusPDU]:
        return self._answer(3, address, count, device_id)


class FakeSink:
    def __init__(self, refuse_first: int = 0) -> None:
        self.refuse = refuse_first
        self.readings: list[Reading] = []
        self.sources: list[str] = []

    def accept_many(self, messages: Sequence[tuple[Sequence[Reading], str]]) -> int:
        if self.refuse:
            self.refuse -= 1
            return 0
        for readings, source in messages:
            self.readings.extend(readings)
            self.sources.append(source)
        return len(messages)

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        raise AssertionError("the poller never rejects")


TIMING = "interval_s = 0.05, timeout_s = 0.05, retries = 1, backoff_s = 0.1, backoff_max_s = 0.4"
INLINE = (
    '{ name = "total", table = "input", address = 0, data_type = "float32" },'
    '{ name = "rate", table = "input", address = 2, data_type = "float32" },'
    '{ name = "flow", table = "holding", address = 100, data_type = "uint16" }'
)


def devices(*device_ids: int, timing: str = TIMING, host: str = "gw") -> list[ModbusDevice]:
    text = MINIMAL + "".join(
        f'[[meters]]\nid = "M{i}"\nutility = "water"\narea = "lobby"\n'
        f'binding = {{ protocol = "modbus", host = "{host}", device_id = {i}, {timing}, registers = [{INLINE}] }}\n'
        for i in device_ids
    )
    return devices_from_site(parse_site(text))


def healthy(_device_id: int, function_code: int, address: int) -> Answer:
    return f32(12.5) + f32(0.25) if function_code == 4 else [7]


def poll_once(script: Script, *, can_connect: bool = True) -> tuple[PollResult, ModbusStats, FakeClient]:
    (device,) = devices(1)
    client = FakeClient(script, can_connect=can_connect)
    stats = ModbusStats()
    line = LinePoller(device.line, [device], FakeClock(NOW), lambda _: None, stats, lambda *_: client)
    return asyncio.run(line.poll(device)), stats, client


def test_one_poll_reads_each_span_once() -> None:
    result, stats, client = poll_once(healthy)
    assert result.values == {"total": 12.5, "rate": 0.25, "flow": 7}
    assert (result.ts, result.problems, result.answered) == (NOW, [], True)
    assert [(fc, address) for _, _, fc, address in client.requests] == [(3, 100), (4, 0)]
    assert stats.polls == 1 and stats.failed_polls == 0


def test_exception_response_leaves_the_other_spans_in_the_reading() -> None:
    result, stats, _ = poll_once(lambda _d, fc, _a: 2 if fc == 3 else healthy(1, fc, 0))
    assert result.values == {"total": 12.5, "rate": 0.25}
    assert result.problems == ["holding registers 100..100: exception response 2 (ILLEGAL_ADDRESS)"]
    assert stats.exception_responses == 1


def test_decode_error_and_short_read_are_reported_per_field() -> None:
    nan = [0x7FC0, 0x0000]
    result, stats, _ = poll_once(lambda _d, fc, _a: nan + f32(0.25) if fc == 4 else [])
    assert result.values == {"rate": 0.25}
    assert result.problems[0] == "holding read at 100 returned 0 register(s), expected 1"
    assert result.problems[1].startswith("field 'total' (input register 0, float32 ABCD): decodes to nan")
    assert (stats.short_reads, stats.decode_errors, stats.failed_polls) == (1, 1, 0)


def test_a_silent_device_is_tried_retries_plus_one_times_then_left_for_this_poll() -> None:
    result, stats, client = poll_once(lambda *_: None)
    assert result.values == {} and result.answered is False
    assert result.problems == ["holding registers 100..100: no answer within 0.05 s (2 attempt(s))"]
    assert len(client.requests) == 2  # the input span is not tried once the device gave no answer
    assert (stats.no_answer, stats.failed_polls) == (1, 1)


def test_a_line_that_cannot_be_opened_is_no_answer() -> None:
    result, _, client = poll_once(healthy, can_connect=False)
    assert result.problems == ["holding registers 100..100: cannot open tcp gw:502 (2 attempt(s))"]
    assert client.requests == []


def run_poller(poller: ModbusPoller, until: Callable[[], bool], client: FakeClient, timeout: float = 5.0) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        deadline = asyncio.get_running_loop().time() + timeout
        while not until():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached"
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(main())


def make_poller(client: FakeClient, sink: FakeSink, *device_ids: int, **options: object) -> ModbusPoller:
    return ModbusPoller(devices(*device_ids), sink, FakeClock(NOW), client_factory=lambda *_: client, **options)


def test_silent_device_backs_off_exponentially_while_the_other_keeps_polling() -> None:
    client = FakeClient(lambda d, fc, a: None if d == 1 else healthy(d, fc, a))
    sink = FakeSink()
    events: list[DeviceStateChanged] = []
    poller = make_poller(client, sink, 1, 2, on_state=events.append)
    run_poller(poller, lambda: len([r for r in client.requests if r[1] == 1]) >= 10, client)
    silent = [t for t, d, _, _ in client.requests if d == 1][::2]  # the first attempt of each poll
    gaps = [b - a for a, b in itertools.pairwise(silent)]
    # Each gap is the backoff plus the poll's two 0.05 s timeouts: 0.1, 0.2, 0.4, then capped at 0.4.
    assert gaps[0] == pytest.approx(0.2, abs=0.04)
    assert gaps[1] == pytest.approx(0.3, abs=0.04)
    assert all(g == pytest.approx(0.5, abs=0.06) for g in gaps[2:])
    assert len(sink.readings) >= 10 and {r.asset_id for r in sink.readings} == {"M2"}
    assert [(e.asset_id, e.online) for e in events] == [("M1", False), ("M2", True)]
    assert poller.status("M1").online is False
    assert poller.status("M1").reason == "holding registers 100..100: no answer within 0.05 s (2 attempt(s))"
    assert poller.status("M2").last_reading == NOW


def test_device_back_online_is_reported_and_read() -> None:
    answering = {"now": False}
    client = FakeClient(lambda d, fc, a: healthy(d, fc, a) if answering["now"] else None)
    sink = FakeSink()
    events: list[DeviceStateChanged] = []

    def flaky_subscriber(event: DeviceStateChanged) -> None:
        events.append(event)
        answering["now"] = True
        raise RuntimeError("a subscriber bug")  # must not stop polling

    poller = make_poller(client, sink, 1, on_state=flaky_subscriber)
    run_poller(poller, lambda: len(sink.readings) >= 2, client)
    assert [e.online for e in events] == [False, True]
    assert events[1] == DeviceStateChanged("M1", True, NOW, "answering")
    assert sink.sources[0] == "modbus+tcp://gw:502/1"


def test_a_full_sink_keeps_readings_queued_until_it_takes_them() -> None:
    client = FakeClient(healthy)
    sink = FakeSink(refuse_first=3)
    poller = make_poller(client, sink, 1, full_retry_s=0.02)
    run_poller(poller, lambda: len(sink.readings) >= 5, client)
    assert poller.stats.sink_refusals == 3
    assert poller.stats.dropped == 0
    assert len(sink.readings) == poller.stats.readings  # the final flush at stop took the rest


def test_past_max_pending_the_oldest_readings_are_dropped_and_counted() -> None:
    client = FakeClient(healthy)
    sink = FakeSink(refuse_first=1_000_000)
    poller = make_poller(client, sink, 1, max_pending=3, full_retry_s=0.01)
    run_poller(poller, lambda: poller.stats.readings >= 6, client)
    assert sink.readings == []
    assert poller.stats.dropped == poller.stats.readings  # 3+ by overflow, the last 3 when stopping
    assert poller.stats.readings >= 6


def test_a_line_that_cannot_be_set_up_is_offline_and_the_others_poll() -> None:
    client = FakeClient(healthy)

    def factory(line: object, _devices: object) -> FakeClient:
        if str(line) == "tcp broken:502":
            raise RuntimeError("no such adapter")
        return client

    sink = FakeSink()
    events: list[DeviceStateChanged] = []
    poller = ModbusPoller(
        devices(1) + devices(2, host="broken"), sink, FakeClock(NOW), on_state=events.append, client_factory=factory
    )
    run_poller(poller, lambda: len(sink.readings) >= 2, client)
    assert {r.asset_id for r in sink.readings} == {"M1"}
    assert DeviceStateChanged("M2", False, NOW, "cannot set up tcp broken:502: no such adapter") in events


def test_a_line_where_nobody_answers_is_reconnected_every_second_poll() -> None:
    client = FakeClient(lambda *_: None)
    poller = make_poller(client, FakeSink(), 1)
    run_poller(poller, lambda: len(client.requests) >= 2 * 5, client)  # five polls of two attempts
    # Connected for poll 1; closed after polls 2 and 4, so connected again for polls 3 and 5.
    assert client.connects == 3
