"""Modbus in the site file: register maps (what a field is and where it lives) and the device binding.

Pure data, no pymodbus: decoding and polling live beside it in `collectors/modbus/`; README.md there
documents the register map. A binding names either a shipped profile or an inline register map, and
how to reach the device:

    binding = { protocol = "modbus", transport = "tcp", host = "10.0.0.5", port = 502, device_id = 1,
                profile = "eastron_sdm630", interval_s = 60 }

Devices that share a TCP endpoint (a meter with several unit ids, or a gateway) or a serial port are
one `ModbusLine`: the poller talks to them in turn, never concurrently.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field, model_validator

from core.config_files import Strict
from core.site import ProtocolBinding

# A Modbus "read holding/input registers" request returns at most 125 registers.
MAX_READ_REGISTERS = 125
DEFAULT_MAX_GAP = 8


class RegisterTable(StrEnum):
    HOLDING = "holding"
    INPUT = "input"


class DataType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"


class ByteOrder(StrEnum):
    """Wire order of a value's bytes, A the most significant; see `collectors.modbus.registers`."""

    ABCD = "ABCD"
    DCBA = "DCBA"
    BADC = "BADC"
    CDAB = "CDAB"


REGISTER_COUNT: dict[DataType, int] = {
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.INT64: 4,
    DataType.UINT64: 4,
    DataType.FLOAT32: 2,
    DataType.FLOAT64: 4,
}


def register_count(data_type: DataType) -> int:
    """How many 16-bit registers a value of `data_type` occupies."""
    return REGISTER_COUNT[DataType(data_type)]


class RegisterField(Strict):
    """One value in a device's register map; `value = raw * scale + offset`, in `unit`."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    table: RegisterTable
    address: int = Field(ge=0, le=65535)
    data_type: DataType
    byte_order: ByteOrder = ByteOrder.ABCD
    scale: float = Field(default=1.0, allow_inf_nan=False)
    offset: float = Field(default=0.0, allow_inf_nan=False)
    unit: str | None = None

    @model_validator(mode="after")
    def _check(self) -> RegisterField:
        if self.scale == 0:
            raise ValueError(f"field {self.name!r}: scale must not be 0")
        if self.end > 65536:
            raise ValueError(
                f"field {self.name!r}: {self.data_type} at register {self.address} runs past register 65535"
            )
        return self

    @property
    def count(self) -> int:
        return register_count(self.data_type)

    @property
    def end(self) -> int:
        """One past the last register of this field."""
        return self.address + self.count


class RegisterMap(Strict):
    """A device's fields; names are unique and no two fields share a register of the same table."""

    description: str = ""
    fields: tuple[RegisterField, ...]

    @model_validator(mode="after")
    def _check(self) -> RegisterMap:
        seen: set[str] = set()
        for f in self.fields:
            if f.name in seen:
                raise ValueError(f"field name {f.name!r} is used more than once")
            seen.add(f.name)
        for table in RegisterTable:
            ordered = sorted((f for f in self.fields if f.table == table), key=lambda f: f.address)
            for before, after in itertools.pairwise(ordered):
                if after.address < before.end:
                    raise ValueError(
                        f"fields {before.name!r} ({table} {before.address}..{before.end - 1}) and "
                        f"{after.name!r} ({table} {after.address}..{after.end - 1}) overlap"
                    )
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def get(self, name: str) -> RegisterField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"no field {name!r}; fields: {', '.join(self.names) or '(none)'}")


class FieldOverride(Strict):
    """Site-file changes to one field of a profile; the field's name identifies it and cannot change."""

    table: RegisterTable | None = None
    address: int | None = Field(default=None, ge=0, le=65535)
    data_type: DataType | None = None
    byte_order: ByteOrder | None = None
    scale: float | None = Field(default=None, allow_inf_nan=False)
    offset: float | None = Field(default=None, allow_inf_nan=False)
    unit: str | None = None

    def changes(self) -> dict[str, object]:
        """Only the attributes the site file set."""
        return self.model_dump(exclude_unset=True)


class Transport(StrEnum):
    TCP = "tcp"  # Modbus TCP (MBAP header)
    RTU = "rtu"  # RTU frames on a local serial port (RS-485 adapter)
    RTU_OVER_TCP = "rtu_over_tcp"  # RTU frames tunnelled through a serial-to-Ethernet gateway


@dataclass(frozen=True, slots=True)
class ModbusLine:
    """What devices share: a serial port, or a TCP endpoint with its framing. Polled one request at a time."""

    transport: Transport
    address: str  # "host:port", or the serial port's path

    def __str__(self) -> str:
        return f"{self.transport.value} {self.address}"


_TCP_KEYS = ("host", "port")
_SERIAL_KEYS = ("serial_port", "baudrate", "parity", "stopbits", "bytesize")


@cache
def _profile_field_names(profile: str) -> tuple[str, ...]:
    """The field names of a shipped profile (device_profiles.load_profile validates it; that module imports
    this one, hence the plain read). An unknown or broken profile has none: its binding is refused anyway."""
    root = resources.files("collectors.modbus.profiles")
    if profile not in {entry.name.removesuffix(".toml") for entry in root.iterdir()}:
        return ()
    try:
        fields = tomllib.loads(root.joinpath(profile + ".toml").read_text(encoding="utf-8")).get("fields", [])
        return tuple(str(f["name"]) for f in fields if isinstance(f, dict) and "name" in f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ()


class ModbusBinding(ProtocolBinding):
    """An asset read by polling Modbus registers; see the module docstring for an example."""

    protocol: Literal["modbus"]
    transport: Transport = Transport.TCP
    host: str | None = Field(default=None, min_length=1)
    port: int = Field(default=502, ge=1, le=65535)
    serial_port: str | None = Field(default=None, min_length=1)
    baudrate: int = Field(default=9600, ge=300, le=921_600)
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    # TCP unit ids 0 and 255 commonly address the device itself; on a serial bus 0 is broadcast (no answer).
    device_id: int = Field(ge=0, le=255)
    profile: str | None = Field(default=None, min_length=1)
    registers: tuple[RegisterField, ...] | None = Field(default=None, min_length=1)
    overrides: dict[str, FieldOverride] = Field(default_factory=dict)
    interval_s: float = Field(default=60.0, ge=0.05, le=86_400)
    timeout_s: float = Field(default=1.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=10)
    backoff_s: float = Field(default=10.0, gt=0, le=86_400)
    backoff_max_s: float = Field(default=300.0, gt=0, le=86_400)
    max_gap: int = Field(default=DEFAULT_MAX_GAP, ge=0, le=MAX_READ_REGISTERS)
    max_read_registers: int = Field(default=MAX_READ_REGISTERS, ge=1, le=MAX_READ_REGISTERS)

    @model_validator(mode="after")
    def _check(self) -> ModbusBinding:
        self._check_transport()
        if (self.profile is None) == (self.registers is None):
            raise ValueError(
                'set exactly one of profile = "<name>" (a shipped profile such as "eastron_sdm630") '
                "or registers = [...] (an inline register map)"
            )
        if self.registers is not None:
            inline = RegisterMap(fields=self.registers)  # unique names, no overlaps; errors name the fields
            unknown = sorted(set(self.overrides) - set(inline.names))
            if unknown:
                raise ValueError(
                    f"overrides name unknown field(s) {', '.join(map(repr, unknown))}; "
                    f"fields: {', '.join(inline.names)}"
                )
        if self.backoff_max_s < self.backoff_s:
            raise ValueError(f"backoff_max_s {self.backoff_max_s} is below backoff_s {self.backoff_s}; raise it")
        return self

    def _check_transport(self) -> None:
        given = self.model_fields_set
        if self.transport is Transport.RTU:
            if self.serial_port is None:
                raise ValueError('transport "rtu" needs serial_port = "/dev/ttyUSB0" (the RS-485 adapter)')
            stray = [key for key in _TCP_KEYS if key in given]
            if stray:
                raise ValueError(
                    f'{", ".join(stray)} is for TCP; remove it, or use transport = "rtu_over_tcp" for a gateway'
                )
            if not 1 <= self.device_id <= 247:
                raise ValueError(f"device_id {self.device_id}: a serial device answers on 1..247; 0 is broadcast")
            return
        if self.host is None:
            raise ValueError(f'transport "{self.transport.value}" needs host = "<address>" (and port, default 502)')
        stray = [key for key in _SERIAL_KEYS if key in given]
        if stray:
            raise ValueError(f'{", ".join(stray)} is for transport = "rtu" (a local serial port); remove it')
        if self.transport is Transport.RTU_OVER_TCP and not 1 <= self.device_id <= 247:
            raise ValueError(f"device_id {self.device_id}: a device behind a gateway answers on 1..247")

    def declared_fields(self) -> tuple[str, ...]:
        """The register map's field names (the profile's or the inline map's): rules may watch any of them."""
        if self.registers is not None:
            return tuple(f.name for f in self.registers)
        return _profile_field_names(str(self.profile))

    @property
    def line(self) -> ModbusLine:
        """The line this device is on; devices with the same line are polled in turn."""
        if self.transport is Transport.RTU:
            return ModbusLine(self.transport, str(self.serial_port))
        return ModbusLine(self.transport, f"{self.host}:{self.port}")

    def serial_settings(self) -> tuple[int, str, int, int]:
        """baudrate, parity, stopbits, bytesize: devices on one serial port must agree on them."""
        return (self.baudrate, self.parity, self.stopbits, self.bytesize)
