"""Plugin registries, filled from Python entry points so core never imports a plugin by name.

A package (ours or a third party's) adds a protocol or a rule kind by declaring an entry point in its
`pyproject.toml`; `pip install` makes it known:

    [project.entry-points."facilities.protocols"]
    modbus = "collectors.modbus.config:ModbusBinding"      # an asset binding model, picked by `protocol`

    [project.entry-points."facilities.site_sections"]
    mqtt_mappings = "collectors.mqtt.config:MqttMapping"   # a top-level [[table]] list of the site file

    [project.entry-points."facilities.rule_kinds"]
    threshold = "rules.kinds.threshold:ThresholdRule"      # a rule's config model, picked by `kind`

Each entry point's name is the key the site file uses; the object it names must be a class (a pydantic
model) and is checked against the base class the group requires when first loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import TypeVar

PROTOCOLS = "facilities.protocols"
SITE_SECTIONS = "facilities.site_sections"
RULE_KINDS = "facilities.rule_kinds"

T = TypeVar("T")


class PluginError(RuntimeError):
    """An entry point that cannot be loaded or names the wrong kind of object: an installation fault."""


@cache
def registered(group: str) -> Mapping[str, type]:
    """The classes registered in an entry-point group, by entry-point name, in name order."""
    found: dict[str, type] = {}
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        try:
            target = point.load()
        except Exception as exc:  # an installed plugin that fails to import: say which one
            raise PluginError(f"entry point {point.name!r} of {group} ({point.value}) cannot be loaded: {exc}") from exc
        if not isinstance(target, type):
            raise PluginError(f"entry point {point.name!r} of {group} ({point.value}) is not a class")
        found[point.name] = target
    return found


def registered_subclasses(group: str, base: type[T]) -> Mapping[str, type[T]]:
    """`registered(group)`, each class checked to be a subclass of `base`."""
    out: dict[str, type[T]] = {}
    for name, target in registered(group).items():
        if not issubclass(target, base):
            raise PluginError(f"entry point {name!r} of {group} names {target.__qualname__}, not a {base.__name__}")
        out[name] = target
    return out
