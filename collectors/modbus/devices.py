"""Modbus devices from the site file: each asset's register map resolved and its reads planned.

Everything a poller or a simulator needs about a device is settled here, once, at start-up, so a
wrong profile name or override fails before anything is polled, with the asset named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collectors.modbus.config import ModbusBinding, ModbusLine, Transport
from collectors.modbus.device_profiles import apply_overrides, load_profile
from collectors.modbus.registers import ReadSpan, RegisterMap, plan_reads
from core.config_files import ConfigError, ConfigProblem
from core.site import Site


class ModbusConfigError(ConfigError, ValueError):
    """Modbus bindings that cannot be polled; `str()` lists every problem with its asset."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        super().__init__(source, [ConfigProblem("", p) for p in problems])


@dataclass(frozen=True)
class ModbusDevice:
    """One asset read over Modbus: how to reach it, its register map and the reads that cover it."""

    asset_id: str
    binding: ModbusBinding
    register_map: RegisterMap
    reads: tuple[ReadSpan, ...]

    @property
    def line(self) -> ModbusLine:
        return self.binding.line

    @property
    def device_id(self) -> int:
        return self.binding.device_id

    @property
    def source(self) -> str:
        """Where a reading came from, as recorded with dead letters: `modbus+tcp://host:port/device_id`."""
        scheme = self.binding.transport.value.replace("_", "-")
        return f"modbus+{scheme}://{self.line.address}/{self.device_id}"

    def __str__(self) -> str:
        return f"{self.asset_id} (device {self.device_id} on {self.line})"


def modbus_bindings(site: Site) -> list[tuple[str, ModbusBinding]]:
    """(asset id, binding) of every asset in the site that reports over Modbus, in site order."""
    assets: Iterable[tuple[str, object]] = [
        *((m.id, m.binding) for m in site.meters.values()),
        *((e.id, e.binding) for e in site.elevators.values()),
        *((c.id, c.binding) for c in site.circuits.values()),
    ]
    return [(asset_id, b) for asset_id, b in assets if isinstance(b, ModbusBinding)]


def resolve_register_map(binding: ModbusBinding) -> RegisterMap:
    """The binding's profile or inline map with its overrides applied; `ProfileError` says what is wrong."""
    if binding.profile is not None:
        base, name = load_profile(binding.profile), binding.profile
    else:  # the binding's validator has checked the inline map already
        base, name = RegisterMap(fields=binding.registers or ()), None
    changes = {field: override.changes() for field, override in binding.overrides.items()}
    return apply_overrides(base, changes, profile=name) if changes else base


def build_device(asset_id: str, binding: ModbusBinding) -> ModbusDevice:
    """Resolve one binding; raises `ProfileError` or `ValueError` with the problem (not the asset)."""
    register_map = resolve_register_map(binding)
    reads = plan_reads(register_map, max_span=binding.max_read_registers, max_gap=binding.max_gap)
    return ModbusDevice(asset_id, binding, register_map, tuple(reads))


def devices_from_site(site: Site) -> list[ModbusDevice]:
    """Every Modbus asset of the site, resolved; raises `ModbusConfigError` naming each asset at fault."""
    devices: list[ModbusDevice] = []
    problems: list[str] = []
    for asset_id, binding in modbus_bindings(site):
        try:
            devices.append(build_device(asset_id, binding))
        except ValueError as exc:  # ProfileError is a ValueError, and so is a field plan_reads cannot fit
            problems.append(f"asset {asset_id!r}: {exc}")
    problems += line_conflicts(devices)
    if problems:
        raise ModbusConfigError(site.source, problems)
    return devices


def line_conflicts(devices: Sequence[ModbusDevice]) -> list[str]:
    """Devices that cannot share their line: same device id, different framing or serial settings."""
    problems: list[str] = []
    for line, members in group_lines(devices).items():
        first_by_id: dict[int, ModbusDevice] = {}
        for device in members:
            other = first_by_id.setdefault(device.device_id, device)
            if other is not device:
                problems.append(
                    f"assets {other.asset_id!r} and {device.asset_id!r} are both device_id {device.device_id} "
                    f"on {line}; give each device its own device_id"
                )
        if line.transport is Transport.RTU:
            first = members[0]
            for device in members[1:]:
                if device.binding.serial_settings() != first.binding.serial_settings():
                    problems.append(
                        f"assets {first.asset_id!r} ({_serial(first)}) and {device.asset_id!r} ({_serial(device)}) "
                        f"share serial port {line.address}; a bus runs at one speed and framing, so make them agree"
                    )
    by_endpoint: dict[str, ModbusDevice] = {}
    for device in devices:
        if device.line.transport is Transport.RTU:
            continue
        other = by_endpoint.setdefault(device.line.address, device)
        if other.line.transport is not device.line.transport:
            problems.append(
                f"assets {other.asset_id!r} ({other.line.transport.value}) and {device.asset_id!r} "
                f"({device.line.transport.value}) share {device.line.address}; one endpoint speaks one framing, "
                "so set the same transport on both"
            )
    return problems


def _serial(device: ModbusDevice) -> str:
    b = device.binding
    return f"{b.baudrate} {b.bytesize}{b.parity}{b.stopbits}"


def group_lines(devices: Iterable[ModbusDevice]) -> dict[ModbusLine, list[ModbusDevice]]:
    """Devices by the line they are on, each line's devices in the given order."""
    lines: dict[ModbusLine, list[ModbusDevice]] = defaultdict(list)
    for device in devices:
        lines[device.line].append(device)
    return dict(lines)
