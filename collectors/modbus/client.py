"""The pymodbus client of a line, behind the small interface the poller uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from collectors.modbus.config import ModbusLine, Transport
from collectors.modbus.devices import ModbusDevice


class RegisterClient(Protocol):
    """The part of a pymodbus async client the poller uses (tests plug in a fake)."""

    @property
    def connected(self) -> bool: ...

    async def connect(self) -> bool: ...

    def close(self) -> None: ...

    def read_holding_registers(
        self, address: int, *, count: int = 1, device_id: int = 1, no_response_expected: bool = False
    ) -> Awaitable[ModbusPDU]: ...

    def read_input_registers(
        self, address: int, *, count: int = 1, device_id: int = 1, no_response_expected: bool = False
    ) -> Awaitable[ModbusPDU]: ...


ClientFactory = Callable[[ModbusLine, Sequence[ModbusDevice]], RegisterClient]


def make_client(line: ModbusLine, devices: Sequence[ModbusDevice]) -> RegisterClient:
    """A pymodbus client for the line; our own code does retries, timeouts per device and reconnects."""
    b = devices[0].binding
    # pymodbus's own timeout only bounds connects here; each request is bounded by its device's timeout_s.
    timeout = max(d.binding.timeout_s for d in devices)
    if line.transport is Transport.RTU:
        return AsyncModbusSerialClient(
            str(b.serial_port),
            framer=FramerType.RTU,
            baudrate=b.baudrate,
            bytesize=b.bytesize,
            parity=b.parity,
            stopbits=b.stopbits,
            name=str(line),
            reconnect_delay=0,
            timeout=timeout,
            retries=0,
        )
    framer = FramerType.RTU if line.transport is Transport.RTU_OVER_TCP else FramerType.SOCKET
    return AsyncModbusTcpClient(
        str(b.host), port=b.port, framer=framer, name=str(line), reconnect_delay=0, timeout=timeout, retries=0
    )
