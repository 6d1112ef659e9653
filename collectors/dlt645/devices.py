"""DL/T 645 meters from the site file, checked once at start-up so a bad binding fails before anything is polled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collectors.dlt645.config import DataItem, Dlt645Binding, Dlt645Line, Dlt645Transport
from core.config_files import ConfigError, ConfigProblem
from core.site import Site


class Dlt645ConfigError(ConfigError, ValueError):
    """DL/T 645 bindings that cannot be polled; `str()` lists every problem with its asset."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        super().__init__(source, [ConfigProblem("", p) for p in problems])


@dataclass(frozen=True)
class Dlt645Meter:
    """One asset read over DL/T 645: how to reach it, its address and the data items to read."""

    asset_id: str
    binding: Dlt645Binding

    @property
    def line(self) -> Dlt645Line:
        return self.binding.line

    @property
    def address(self) -> str:
        return self.binding.address

    @property
    def items(self) -> tuple[DataItem, ...]:
        return self.binding.items

    @property
    def source(self) -> str:
        """Where a reading came from, as recorded with dead letters: `dlt645+tcp://host:port/000012345678`."""
        return f"dlt645+{self.binding.transport.value}://{self.line.address}/{self.address}"

    def __str__(self) -> str:
        return f"{self.asset_id} (meter {self.address} on {self.line})"


def dlt645_bindings(site: Site) -> list[tuple[str, Dlt645Binding]]:
    """(asset id, binding) of every meter in the site read over DL/T 645, in site order."""
    found: list[tuple[str, Dlt645Binding]] = []
    for meter in site.meters.values():
        binding: object = meter.binding  # typed by the site's `Binding` union, which may not list DL/T 645 yet
        if isinstance(binding, Dlt645Binding):
            found.append((meter.id, binding))
    return found


def meters_from_bindings(source: str, bindings: Iterable[tuple[str, Dlt645Binding]]) -> list[Dlt645Meter]:
    """The meters of `bindings`; raises `Dlt645ConfigError` naming each asset at fault."""
    meters = [Dlt645Meter(asset_id, binding) for asset_id, binding in bindings]
    problems = line_conflicts(meters)
    if problems:
        raise Dlt645ConfigError(source, problems)
    return meters


def devices_from_site(site: Site) -> list[Dlt645Meter]:
    """Every DL/T 645 meter of the site; raises `Dlt645ConfigError` naming each asset at fault."""
    return meters_from_bindings(site.source, dlt645_bindings(site))


def line_conflicts(meters: Sequence[Dlt645Meter]) -> list[str]:
    """Meters that cannot share their line: the same address, or different serial settings."""
    problems: list[str] = []
    for line, members in group_lines(meters).items():
        first_by_address: dict[str, Dlt645Meter] = {}
        for meter in members:
            other = first_by_address.setdefault(meter.address, meter)
            if other is not meter:
                problems.append(
                    f"assets {other.asset_id!r} and {meter.asset_id!r} are both address {meter.address} on {line}; "
                    "check the address printed on each meter"
                )
        if line.transport is Dlt645Transport.RTU:
            first = members[0]
            for meter in members[1:]:
                if meter.binding.serial_settings() != first.binding.serial_settings():
                    problems.append(
                        f"assets {first.asset_id!r} and {meter.asset_id!r} share serial port {line.address} with "
                        "different baudrate/parity/stopbits/bytesize; a bus runs at one framing, so make them agree"
                    )
    return problems


def group_lines(meters: Iterable[Dlt645Meter]) -> dict[Dlt645Line, list[Dlt645Meter]]:
    """Meters by the line they are on, each line's meters in the given order."""
    lines: dict[Dlt645Line, list[Dlt645Meter]] = defaultdict(list)
    for meter in meters:
        lines[meter.line].append(meter)
    return dict(lines)
