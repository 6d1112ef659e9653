"""Home Assistant MQTT discovery (issue 19): what Zigbee2MQTT, Tasmota, ESPHome and many gateways announce.

A config message on `homeassistant/<component>/<object_id>/config` or `homeassistant/<component>/<node_id>/
<object_id>/config` describes one entity: its state topic, value template, unit, device class, availability
topic and the device it belongs to. We read `sensor` and `binary_sensor` entities (others are listed as not
supported), expand Home Assistant's abbreviations (`stat_t`, `val_tpl`, `dev` …) and the `~` base topic, and keep
them as discovered devices ready to adopt. An empty config payload removes the entity, as in Home Assistant.

Every input is bounded: the payload size, each text, the template (expressions only, evaluated in a Jinja2
sandbox whose `*` and `**` cannot build huge values) and the number of entities kept.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

PREFIX = "homeassistant"
FILTERS = (f"{PREFIX}/+/+/config", f"{PREFIX}/+/+/+/config")
SUPPORTED = ("sensor", "binary_sensor")
MAX_PAYLOAD = 16 * 1024
MAX_TEXT = 256
MAX_TEMPLATE = 256
MAX_RENDERED = 1024

# Home Assistant's abbreviations for the keys we read (homeassistant/components/mqtt/abbreviations.py).
ABBREVIATIONS = {
    "avty": "availability", "avty_t": "availability_topic", "avty_tpl": "availability_template",
    "dev": "device", "dev_cla": "device_class", "json_attr_t": "json_attributes_topic", "name": "name",
    "obj_id": "object_id", "pl_avail": "payload_available", "pl_not_avail": "payload_not_available",
    "pl_on": "payload_on", "pl_off": "payload_off", "stat_t": "state_topic", "stat_cla": "state_class",
    "uniq_id": "unique_id", "unit_of_meas": "unit_of_measurement", "val_tpl": "value_template",
    "t": "topic", "o": "origin", "exp_aft": "expire_after",
}  # fmt: skip
DEVICE_ABBREVIATIONS = {"ids": "identifiers", "mf": "manufacturer", "mdl": "model", "sw": "sw_version", "name": "name"}
_TOPIC = re.compile(r"^[^#+\x00]{1,256}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class DiscoveryError(ValueError):
    """A config message we cannot use; the message says which key and why."""


@dataclass(frozen=True)
class Availability:
    topic: str
    payload_available: str = "online"
    payload_not_available: str = "offline"
    value_template: str | None = None


@dataclass(frozen=True)
class DiscoveredEntity:
    """One Home Assistant entity as its config message announced it."""

    unique_id: str
    component: str
    node_id: str | None
    object_id: str
    name: str | None
    state_topic: str | None
    value_template: str | None
    json_path: str | None  # the template as a path into the state payload (`ENERGY.Total`), when it is that simple
    unit: str | None
    device_class: str | None
    payload_on: str | None
    payload_off: str | None
    availability: tuple[Availability, ...]
    device_ids: tuple[str, ...]
    device_name: str | None
    model: str | None
    manufacturer: str | None
    supported: bool
    problems: tuple[str, ...] = field(default=())


def parse_topic(topic: str) -> tuple[str, str | None, str] | None:
    """(component, node_id, object_id) of a discovery config topic, or None for any other topic."""
    parts = topic.split("/")
    if parts[0] != PREFIX or parts[-1] != "config" or len(parts) not in (4, 5):
        return None
    component, object_id = parts[1], parts[-2]
    node_id = parts[2] if len(parts) == 5 else None
    if not all(_ID.match(p) for p in (component, object_id, node_id or "x")):
        return None
    return component, node_id, object_id


def parse_config(topic: str, payload: bytes) -> DiscoveredEntity | None:
    """The entity a config message announces; None when the payload is empty (the entity is removed)."""
    where = parse_topic(topic)
    if where is None:
        raise DiscoveryError(f"topic {topic[:200]!r} is not {PREFIX}/<component>/[<node_id>/]<object_id>/config")
    if not payload.strip():
        return None
    if len(payload) > MAX_PAYLOAD:
        raise DiscoveryError(f"config of {len(payload)} bytes; at most {MAX_PAYLOAD} are read")
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DiscoveryError(f"config is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise DiscoveryError("config is not a JSON object")
    component, node_id, object_id = where
    config = _expand(raw, ABBREVIATIONS)
    base = _text(config, "~", topic=True)
    announced = config.get("device")
    device = _expand(announced if isinstance(announced, dict) else {}, DEVICE_ABBREVIATIONS)
    ids = device.get("identifiers")
    id_list = [ids] if isinstance(ids, str) else ids if isinstance(ids, list) else []
    template = _text(config, "value_template")
    problems: list[str] = []
    path = None
    if template is not None:
        try:
            path = template_path(template)
            check_template(template)
        except DiscoveryError as exc:
            problems.append(str(exc))
    state_topic = _topic(config, "state_topic", base)
    unique_id = _text(config, "unique_id") or f"{node_id + '_' if node_id else ''}{object_id}"
    if component not in SUPPORTED:
        problems.append(f"component {component!r} is not read; supported: {', '.join(SUPPORTED)}")
    if state_topic is None:
        problems.append("no state_topic")
    return DiscoveredEntity(
        unique_id=unique_id,
        component=component,
        node_id=node_id,
        object_id=object_id,
        name=_text(config, "name"),
        state_topic=state_topic,
        value_template=template,
        json_path=path,
        unit=_text(config, "unit_of_measurement"),
        device_class=_text(config, "device_class"),
        payload_on=_scalar(config.get("payload_on")),
        payload_off=_scalar(config.get("payload_off")),
        availability=_availability(config, base),
        device_ids=tuple(str(i)[:MAX_TEXT] for i in id_list[:8] if isinstance(i, str | int)),
        device_name=_text(device, "name"),
        model=_text(device, "model"),
        manufacturer=_text(device, "manufacturer"),
        supported=not problems,
        problems=tuple(problems),
    )


def _expand(raw: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    return {table.get(key, key): value for key, value in raw.items() if isinstance(key, str)}


def _text(config: dict[str, Any], key: str, *, topic: bool = False) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiscoveryError(f"{key}: {type(value).__name__}, not text")
    if len(value) > MAX_TEXT:
        raise DiscoveryError(f"{key}: {len(value)} characters; at most {MAX_TEXT}")
    if topic and not _TOPIC.match(value):
        raise DiscoveryError(f"{key}: {value[:80]!r} is not a topic (no wildcards)")
    return value


def _scalar(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):  # Zigbee2MQTT sends payload_on true / payload_off false for JSON booleans
        return "true" if value else "false"
    return str(value)[:MAX_TEXT]


def _topic(config: dict[str, Any], key: str, base: str | None) -> str | None:
    value = _text(config, key)
    if value is None:
        return None
    if base is not None:  # `~` at the start or end stands for the base topic
        value = base + value[1:] if value.startswith("~") else value[:-1] + base if value.endswith("~") else value
    if not _TOPIC.match(value):
        raise DiscoveryError(f"{key}: {value[:80]!r} is not a topic (no wildcards)")
    return value


def _availability(config: dict[str, Any], base: str | None) -> tuple[Availability, ...]:
    found: list[Availability] = []
    default_on = _scalar(config.get("payload_available")) or "online"
    default_off = _scalar(config.get("payload_not_available")) or "offline"
    single = _topic(config, "availability_topic", base)
    if single is not None:
        found.append(Availability(single, default_on, default_off, _text(config, "availability_template")))
    entries = config.get("availability")
    for entry in entries[:4] if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        entry = _expand(entry, ABBREVIATIONS)
        topic = _topic(entry, "topic", base)
        if topic is not None:
            on = _scalar(entry.get("payload_available")) or default_on
            off = _scalar(entry.get("payload_not_available")) or default_off
            found.append(Availability(topic, on, off, _text(entry, "value_template")))
    return tuple(found)


# {{ value_json.a.b }}, {{ value_json['a']['b'] }}, {{ value_json["a"] | float }}, {{ value_json.a | round(1) }}
_PATH_TEMPLATE = re.compile(
    r"^\{\{\s*value_json((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*'[^'\]]{1,64}'\s*\]|\[\s*\"[^\"\]]{1,64}\"\s*\]){1,6})"
    r"\s*(?:\|\s*(?:float|int|round\(\s*\d\s*\)|is_defined)\s*)*\}\}$"
)
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")


def template_path(template: str) -> str | None:
    """`ENERGY.Total` for `{{ value_json['ENERGY']['Total'] }}`; None for a template that is more than a path."""
    match = _PATH_TEMPLATE.match(template.strip())
    if match is None:
        return None
    steps = [next(g for g in m.groups() if g is not None) for m in _STEP.finditer(match.group(1))]
    if any("." in step for step in steps):
        return None  # our mapping paths separate levels with dots
    return ".".join(steps)


class _Sandbox(ImmutableSandboxedEnvironment):
    """No attribute tricks (Jinja2's sandbox), and no `*`/`**` that builds a huge value."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (not isinstance(right, int | float) or abs(right) > 64):
            raise SecurityError("power too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_RENDERED:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(autoescape=False)


def check_template(template: str) -> None:
    """Refuse what is more than an expression: statements, too long, not Jinja2."""
    if len(template) > MAX_TEMPLATE:
        raise DiscoveryError(f"value_template: {len(template)} characters; at most {MAX_TEMPLATE}")
    if "{%" in template or "{#" in template:
        raise DiscoveryError("value_template: only {{ … }} expressions are evaluated, not {% … %} statements")
    try:
        _ENV.from_string(template)
    except TemplateError as exc:
        raise DiscoveryError(f"value_template: {exc}") from None


def render(template: str, payload: bytes) -> str:
    """The template applied to a state payload (`value`, `value_json`), in the sandbox; DiscoveryError if it fails."""
    check_template(template)
    text = payload[:MAX_PAYLOAD].decode("utf-8", "replace")
    try:
        value_json = json.loads(text)
    except ValueError:
        value_json = None
    try:
        out = _ENV.from_string(template).render(value=text, value_json=value_json)
    except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError) as exc:
        raise DiscoveryError(f"value_template failed: {exc}") from None
    return out[:MAX_RENDERED]


def state_value(entity: DiscoveredEntity, payload: bytes) -> float | bool | str | None:
    """The entity's value from a state payload: a number for a sensor, on/off for a binary sensor."""
    text = render(entity.value_template, payload) if entity.value_template else payload[:MAX_RENDERED].decode()
    text = text.strip()
    if entity.component == "binary_sensor":
        # Case-blind: a JSON true renders as `True`, and Zigbee2MQTT announces payload_on true.
        if text.lower() == (entity.payload_on or "ON").lower():
            return True
        if text.lower() == (entity.payload_off or "OFF").lower():
            return False
        return None
    try:
        number = float(text)
    except ValueError:
        return text or None
    return number if math.isfinite(number) else None
