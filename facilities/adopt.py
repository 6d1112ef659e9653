"""Adopting a discovered device into the site (issue 19): the site file is edited, keeping its comments and
layout (tomlkit), and reloaded into the running hub. A file the reload refuses is put back as it was.

A Home Assistant entity becomes an `[[mqtt_mappings]]` table (its state topic, its value template as a path) and
an asset table: `[[meters]]` for an energy, water or gas meter, `[[sensors]]` for any other kind. A device that
publishes our own format on `facilities/<site>/<id>/telemetry` needs only the asset table.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import tomlkit
from tomlkit.items import AoT, Table

from collectors.mqtt.discovery import DiscoveredEntity
from core.config_files import ConfigError, ConfigProblem
from core.ids import is_asset_id
from core.inventory import Adoption

UTILITIES = ("electricity", "water", "gas")  # adopted as meters; every other kind as a sensor
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _problem(path: str, message: str, source: str) -> ConfigError:
    return ConfigError(source, [ConfigProblem(path, message)])


def adopted_text(text: str, adoption: Adoption, entity: DiscoveredEntity | None, *, source: str) -> str:
    """The site file's text with the device added; raises ConfigError naming what to change."""
    if not is_asset_id(adoption.asset_id):
        raise _problem("asset_id", f"{adoption.asset_id[:80]!r} is not an asset id (letters, digits, - and _)", source)
    if (adoption.unit is None) == (adoption.area is None):
        raise _problem("unit", "give exactly one of unit or area", source)
    document = tomlkit.parse(text)
    meter = adoption.kind in UTILITIES
    table = tomlkit.table()
    table.add("id", adoption.asset_id)
    if meter:
        table.add("utility", adoption.kind)
    else:
        table.add("kind", adoption.kind)
    table.add("unit" if adoption.unit is not None else "area", adoption.unit or adoption.area)
    if adoption.name and not meter:
        table.add("name", adoption.name[:128])
    if adoption.expected_interval_s is not None:
        table.add("expected_interval_s", adoption.expected_interval_s)
    if entity is not None:
        if entity.state_topic is None or (entity.json_path is None and entity.value_template is not None):
            raise _problem("unique_id", f"{entity.unique_id}: its value template is not a path we can map", source)
        field = adoption.field or ("total" if meter else (entity.device_class or entity.object_id).lower())
        if not _FIELD.match(field):
            raise _problem("field", f"{field[:80]!r}: use lower-case letters, digits and _", source)
        mapping = tomlkit.table()
        mapping.add("topic", entity.state_topic)
        mapping.add("asset", adoption.asset_id)
        if entity.json_path is None:
            mapping.add("payload", "number")
            fields = tomlkit.inline_table()
            fields[field] = ""  # a number payload's one field has an empty path
            mapping.add("fields", fields)
        else:
            fields = tomlkit.inline_table()
            fields[field] = entity.json_path
            mapping.add("fields", fields)
        if not meter:
            binding = tomlkit.inline_table()
            binding.update({"protocol": "mqtt", "topic": entity.state_topic})
            table.add("binding", binding)
        _append(document, "mqtt_mappings", mapping, first=True)
    _append(document, "meters" if meter else "sensors", table)
    return tomlkit.dumps(document)


def _append(document: tomlkit.TOMLDocument, key: str, table: Table, *, first: bool = False) -> None:
    existing = document.get(key)
    if existing is None:
        document.append(key, AoT([table]))
    elif isinstance(existing, AoT):
        if first:  # mappings are tried in file order: a device's own mapping goes before broad patterns
            existing.insert(0, table)
        else:
            existing.append(table)
    else:
        raise ConfigError(str(key), [ConfigProblem(key, "is not a list of tables ([[…]])")])


class SiteEditor:
    """Writes the site file (atomically) and reloads; puts the old text back if the reload refuses it."""

    def __init__(self, path: Path, reload: Callable[[], object]) -> None:
        self.path = path
        self.reload = reload
        self._lock = threading.Lock()

    def adopt(self, adoption: Adoption, entity: DiscoveredEntity | None) -> object:
        with self._lock:
            old = self.path.read_text(encoding="utf-8")
            new = adopted_text(old, adoption, entity, source=str(self.path))
            _write(self.path, new)
            try:
                return self.reload()
            except ConfigError:
                _write(self.path, old)
                raise


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
