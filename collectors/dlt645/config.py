"""DL/T 645-2007 in the site file: the data identifiers we read and the meter binding.

Pure data, no I/O: framing and polling live in `collectors/dlt645/`. A binding names how to reach
the meter (a serial-to-Ethernet gateway, or a local RS-485 port), its 12-digit address and what to read:

    binding = { protocol = "dlt645", transport = "tcp", host = "10.0.0.7", port = 8899,
                address = "000012345678", identifiers = ["total_energy", "power_total"], interval_s = 60 }

Meters that share a gateway or a serial port are one `Dlt645Line`, polled one request at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.site import ProtocolBinding

ADDRESS_PATTERN = r"^[0-9]{12}$"


class Identifier(StrEnum):
    TOTAL_ENERGY = "total_energy"
    VOLTAGE_A = "voltage_a"
    CURRENT_A = "current_a"
    POWER_TOTAL = "power_total"


@dataclass(frozen=True, slots=True)
class DataItem:
    """A data identifier (DI3..DI0 as one number), its reply size in BCD bytes and the field it fills."""

    di: int
    size: int
    decimals: int
    signed: bool  # the top bit of the most significant byte is the sign (current, power)
    field: str
    unit: str

    def __str__(self) -> str:
        return f"{self.di:08X}"


DATA_ITEMS: dict[Identifier, DataItem] = {
    Identifier.TOTAL_ENERGY: DataItem(0x00000000, 4, 2, False, "total", "kWh"),  # XXXXXX.XX
    Identifier.VOLTAGE_A: DataItem(0x02010100, 2, 1, False, "voltage_a", "V"),  # XXX.X
    Identifier.CURRENT_A: DataItem(0x02020100, 3, 3, True, "current_a", "A"),  # XXX.XXX
    Identifier.POWER_TOTAL: DataItem(0x02030000, 3, 4, True, "rate", "kW"),  # XX.XXXX
}


class Dlt645Transport(StrEnum):
    TCP = "tcp"  # DL/T 645 frames tunnelled through a serial-to-Ethernet gateway
    RTU = "rtu"  # a local serial port (RS-485 adapter)


@dataclass(frozen=True, slots=True)
class Dlt645Line:
    """What meters share: a serial port or a gateway's TCP endpoint. Polled one request at a time."""

    transport: Dlt645Transport
    address: str  # "host:port", or the serial port's path

    def __str__(self) -> str:
        return f"dlt645 {self.transport.value} {self.address}"


_TCP_KEYS = ("host", "port")
_SERIAL_KEYS = ("serial_port", "baudrate", "parity", "stopbits", "bytesize")


class Dlt645Binding(ProtocolBinding):
    """An electricity meter read over DL/T 645-2007; see the module docstring for an example."""

    protocol: Literal["dlt645"]
    transport: Dlt645Transport = Dlt645Transport.RTU
    host: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    serial_port: str | None = Field(default=None, min_length=1)
    # The standard's serial defaults: 2400 baud, 8 data bits, even parity, 1 stop bit.
    baudrate: int = Field(default=2400, ge=300, le=115_200)
    parity: Literal["N", "E", "O"] = "E"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    address: str
    identifiers: tuple[Identifier, ...] = Field(default=(Identifier.TOTAL_ENERGY,), min_length=1)
    interval_s: float = Field(default=60.0, ge=0.05, le=86_400)
    timeout_s: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=10)
    backoff_s: float = Field(default=10.0, gt=0, le=86_400)
    backoff_max_s: float = Field(default=300.0, gt=0, le=86_400)

    @field_validator("address")
    @classmethod
    def _twelve_digits(cls, value: str) -> str:
        if len(value) != 12 or not value.isascii() or not value.isdigit():
            raise ValueError(
                f"address {value!r}: a DL/T 645 meter address is 12 decimal digits, as printed on the meter "
                '(pad with leading zeros: "000012345678")'
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> Dlt645Binding:
        if len(set(self.identifiers)) != len(self.identifiers):
            raise ValueError("identifiers lists a name more than once; list each once")
        if self.backoff_max_s < self.backoff_s:
            raise ValueError(f"backoff_max_s {self.backoff_max_s} is below backoff_s {self.backoff_s}; raise it")
        given = self.model_fields_set
        if self.transport is Dlt645Transport.RTU:
            if self.serial_port is None:
                raise ValueError('transport "rtu" needs serial_port = "/dev/ttyUSB0" (the RS-485 adapter)')
            stray = [key for key in _TCP_KEYS if key in given]
            if stray:
                raise ValueError(f'{", ".join(stray)} is for transport = "tcp" (a gateway); remove it')
            return self
        if self.host is None or self.port is None:
            raise ValueError('transport "tcp" needs host = "<gateway address>" and port = <its TCP port>')
        stray = [key for key in _SERIAL_KEYS if key in given]
        if stray:
            raise ValueError(
                f'{", ".join(stray)} is for transport = "rtu"; on a gateway, set the serial framing in the gateway'
            )
        return self

    @property
    def line(self) -> Dlt645Line:
        """The line this meter is on; meters with the same line are polled in turn."""
        if self.transport is Dlt645Transport.RTU:
            return Dlt645Line(self.transport, str(self.serial_port))
        return Dlt645Line(self.transport, f"{self.host}:{self.port}")

    @property
    def items(self) -> tuple[DataItem, ...]:
        return tuple(DATA_ITEMS[i] for i in self.identifiers)

    def declared_fields(self) -> tuple[str, ...]:
        """The fields of the data items read (voltage, current, power factor, …): rules may watch any of them."""
        return tuple(item.field for item in self.items)

    def serial_settings(self) -> tuple[int, str, int, int]:
        """baudrate, parity, stopbits, bytesize: meters on one serial port must agree on them."""
        return (self.baudrate, self.parity, self.stopbits, self.bytesize)
