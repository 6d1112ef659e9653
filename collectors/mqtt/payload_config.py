"""MQTT mappings: how a third-party device's topic and payload become a reading of one of our assets.

A site file lists them as `[[mqtt_mappings]]` tables (see collectors/mqtt/README.md). Everything that can be
checked without a message is checked here, at load time, with a message that says what to change; the
decoder (`collectors.mqtt.payloads`) compiles the same parsed forms once and only does lookups per message.

Registered as the site section `mqtt_mappings` (an entry point in pyproject.toml); the site loader checks that
the assets an entry names exist.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator, model_validator

from core.config_files import Strict
from core.ids import ASSET_ID_MAX, is_asset_id
from core.site import SiteSection

_ASSET_CHARS_RE = re.compile(r"[A-Za-z0-9_.\-]*")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEMPLATE_TOKEN_RE = re.compile(r"\{([^{}]*)\}|([^{}]+)|([{}])")
# The MQTT spec caps a topic at 65,535 bytes of UTF-8.
_MAX_TOPIC_BYTES = 65_535

PayloadKind = Literal["json", "number"]
TimestampFormat = Literal["auto", "iso", "epoch_s", "epoch_ms"]


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A `{name}` in an asset template."""

    name: str


TemplatePart = str | Placeholder


@dataclass(frozen=True, slots=True)
class PathStep:
    """One step of a dotted JSON path: a key into an object, or (if all digits) also an index into a list."""

    key: str
    index: int | None


@dataclass(frozen=True, slots=True)
class TopicPattern:
    """A parsed topic pattern: its variables, the MQTT subscription filter and the regex that matches topics."""

    text: str
    variables: tuple[str, ...]
    filter: str
    regex: re.Pattern[str]


def parse_topic_pattern(pattern: str) -> TopicPattern:
    """Parse `tele/{device}/SENSOR`; ValueError says what is wrong. `{name}` and `+` match one whole level."""
    if not pattern:
        raise ValueError("the topic pattern is empty; write one like 'tele/{device}/SENSOR'")
    if "\x00" in pattern:
        raise ValueError("a topic cannot contain the NUL character")
    if len(pattern.encode("utf-8")) > _MAX_TOPIC_BYTES:
        raise ValueError(f"the topic pattern is longer than MQTT's {_MAX_TOPIC_BYTES} bytes")
    variables: list[str] = []
    filter_levels: list[str] = []
    regex_levels: list[str] = []
    for level in pattern.split("/"):
        if level == "+":
            filter_levels.append("+")
            regex_levels.append("[^/]*")
        elif level == "#":
            raise ValueError(
                "'#' is not supported: a mapping matches a fixed number of levels; "
                "name each level with {name} or match it with '+'"
            )
        elif level.startswith("{") and level.endswith("}"):
            name = level[1:-1]
            if _NAME_RE.fullmatch(name) is None:
                raise ValueError(
                    f"variable {level!r} needs a name of letters, digits and '_' not starting with a digit, "
                    "e.g. {device}"
                )
            if name in variables:
                raise ValueError(f"variable {{{name}}} appears twice; give each level its own name")
            variables.append(name)
            filter_levels.append("+")
            # MQTT's '+' matches an empty level too, so a message the broker delivers for this filter is ours.
            regex_levels.append(f"(?P<{name}>[^/]*)")
        elif "{" in level or "}" in level:
            raise ValueError(f"level {level!r}: a variable must be a whole topic level, like 'tele/{{device}}/SENSOR'")
        elif "+" in level or "#" in level:
            raise ValueError(f"level {level!r}: '+' must be a whole topic level and '#' is not supported")
        else:
            filter_levels.append(level)
            regex_levels.append(re.escape(level))
    regex = "/".join(regex_levels)
    if filter_levels[0] == "+":
        # A wildcard first level does not match '$SYS/...' topics on the broker; match the same here.
        regex = r"(?!\$)" + regex
    return TopicPattern(pattern, tuple(variables), "/".join(filter_levels), re.compile(regex))


def parse_template(template: str) -> tuple[TemplatePart, ...]:
    """Parse `{building}-{device}-E` into literal text and placeholders; ValueError on stray braces."""
    if not template:
        raise ValueError("the asset template is empty; write an asset id or a template like '{device}'")
    parts: list[TemplatePart] = []
    for match in _TEMPLATE_TOKEN_RE.finditer(template):
        name, literal, stray = match.groups()
        if stray is not None:
            raise ValueError(f"unmatched {stray!r} in {template!r}; write a variable as {{name}}")
        if literal is not None:
            parts.append(literal)
        elif _NAME_RE.fullmatch(name) is None:
            raise ValueError(f"{{{name}}} in {template!r} is not a variable name; write a variable as {{name}}")
        else:
            parts.append(Placeholder(name))
    return tuple(parts)


def parse_path(path: str) -> tuple[PathStep, ...]:
    """Parse a dotted JSON path like `ENERGY.Total` or `values.0.v`; ValueError on an empty step."""
    if not path:
        raise ValueError("the path is empty; write keys separated by dots, like 'ENERGY.Total'")
    steps: list[PathStep] = []
    for key in path.split("."):
        if not key:
            raise ValueError(f"path {path!r} has an empty step; write keys separated by single dots, like 'a.b.0'")
        steps.append(PathStep(key, int(key) if key.isascii() and key.isdigit() else None))
    return tuple(steps)


class MqttField(Strict):
    """Where one of our fields is in the payload, and how to scale it (e.g. 0.001 for Wh → kWh)."""

    path: str = ""
    scale: float | None = None
    optional: bool = False
    # For a boolean the device sends the other way round (Zigbee2MQTT's contact: true = closed): store `not`.
    invert: bool = False

    @model_validator(mode="after")
    def _invert_or_scale(self) -> MqttField:
        if self.invert and self.scale is not None:
            raise ValueError("a field is either inverted (a boolean) or scaled (a number), not both")
        return self

    @field_validator("path")
    @classmethod
    def _path_syntax(cls, value: str) -> str:
        # Empty is how a number payload's single field is written; MqttMapping checks that per payload kind.
        if value:
            parse_path(value)
        return value

    @field_validator("scale")
    @classmethod
    def _usable_scale(cls, value: float | None) -> float | None:
        if value is not None and (value == 0 or not math.isfinite(value)):
            raise ValueError("scale must be a finite number other than 0, e.g. 0.001 for Wh → kWh")
        return value

    def steps(self) -> tuple[PathStep, ...]:
        """The parsed path (empty for a number payload)."""
        return parse_path(self.path) if self.path else ()


class MqttMapping(SiteSection):
    """Maps MQTT topics matching `topic` to the asset built from `asset`, with `fields` taken from the payload."""

    topic: str
    asset: str | None = None
    lookup: dict[str, str] | None = None
    payload: PayloadKind = "json"
    fields: dict[str, MqttField] = Field(default_factory=dict)
    timestamp: str | None = None
    timestamp_format: TimestampFormat = "auto"
    timezone: str | None = None
    ignore: bool = False
    # The MQTT account (one per gateway or bridge) that may publish these topics; see docs/security.md.
    gateway: str | None = None

    @field_validator("topic")
    @classmethod
    def _topic_syntax(cls, value: str) -> str:
        parse_topic_pattern(value)
        return value

    @field_validator("gateway")
    @classmethod
    def _gateway_name(cls, value: str | None) -> str | None:
        if value is not None and not is_asset_id(value):
            raise ValueError(
                f"gateway {value!r}: use letters, digits, '.', '_' and '-' (at most {ASSET_ID_MAX}), e.g. 'zigbee-b1'"
            )
        return value

    @field_validator("asset")
    @classmethod
    def _asset_variables(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        parts = parse_template(value)
        topic = info.data.get("topic")
        if topic is None:
            return value  # the topic itself is invalid and already reported
        known = parse_topic_pattern(topic).variables
        for part in parts:
            if isinstance(part, Placeholder) and part.name not in known:
                defined = ", ".join(f"{{{v}}}" for v in known) or "no variables"
                raise ValueError(f"{{{part.name}}} is not a variable of topic {topic!r}, which defines {defined}")
        return value

    @field_validator("lookup")
    @classmethod
    def _lookup_entries(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError('the lookup table is empty; add entries like "A4C138F0" = "B1-0101-W" or remove it')
        for key, asset_id in value.items():
            if not key:
                raise ValueError("a lookup key is empty")
            if not is_asset_id(asset_id):
                raise ValueError(
                    f"lookup {key!r} = {asset_id!r}: not an asset id; use letters, digits, '.', '_' and '-' "
                    f"(at most {ASSET_ID_MAX})"
                )
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _path_shorthand(cls, value: object) -> object:
        # `total = "ENERGY.Total"` is shorthand for `total = { path = "ENERGY.Total" }`.
        if not isinstance(value, dict):
            return value
        out: dict[object, object] = {}
        for name, spec in value.items():
            if isinstance(spec, str):
                out[name] = {"path": spec}
            elif isinstance(spec, dict | MqttField):
                out[name] = spec
            else:
                raise ValueError(
                    f'field {name!r}: write a JSON path like "ENERGY.Total" or a table like '
                    f'{{ path = "ENERGY.Total", scale = 0.001 }} (got {spec!r})'
                )
        return out

    @field_validator("fields")
    @classmethod
    def _fields_fit_payload(cls, value: dict[str, MqttField], info: ValidationInfo) -> dict[str, MqttField]:
        for name in value:
            if _NAME_RE.fullmatch(name) is None:
                raise ValueError(f"field name {name!r}: use letters, digits and '_', not starting with a digit")
        kind = info.data.get("payload")
        if kind == "number" and value:
            if len(value) > 1:
                raise ValueError(
                    f"a number payload is one value, so it fills one field; got {len(value)} ({', '.join(value)})"
                )
            [(name, spec)] = value.items()
            if spec.path:
                raise ValueError(
                    f"field {name!r}: a number payload has no JSON paths; remove path {spec.path!r}, "
                    f"e.g. {name} = {{ scale = 0.001 }}"
                )
            if spec.optional:
                raise ValueError(f"field {name!r}: the only field of a number payload cannot be optional")
        elif kind == "json":
            for name, spec in value.items():
                if not spec.path:
                    raise ValueError(f"field {name!r}: give the JSON path of its value, like 'ENERGY.Total'")
        return value

    @field_validator("timestamp")
    @classmethod
    def _timestamp_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("payload") == "number":
            raise ValueError("a number payload carries no time; remove 'timestamp' (the receive time is used)")
        parse_path(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Asia/Shanghai'") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MqttMapping:
        if self.ignore:
            extra = [
                key
                for key in ("asset", "lookup", "fields", "timestamp", "timestamp_format", "timezone")
                if key in self.model_fields_set
            ]
            if extra:
                raise ValueError(f"an ignore mapping only needs 'topic'; remove {', '.join(extra)}")
            return self
        if self.asset is None:
            raise ValueError('asset is missing; add e.g. asset = "{device}", or set ignore = true to drop these')
        if not self.fields:
            raise ValueError('fields is missing or empty; add e.g. fields = { total = "ENERGY.Total" }')
        if self.lookup is None:
            self._check_asset_literals(self.asset)
        if self.timestamp is None:
            unused = [key for key in ("timestamp_format", "timezone") if key in self.model_fields_set]
            if unused:
                several = len(unused) > 1
                raise ValueError(
                    f"{' and '.join(unused)} only {'apply' if several else 'applies'} to a timestamp in the "
                    f"payload; set 'timestamp' to its JSON path or remove {'them' if several else 'it'}"
                )
        elif self.timezone is not None and self.timestamp_format in ("epoch_s", "epoch_ms"):
            raise ValueError(f"timezone has no effect on {self.timestamp_format} timestamps; remove it")
        return self

    @staticmethod
    def _check_asset_literals(asset: str) -> None:
        parts = parse_template(asset)
        if not any(isinstance(part, Placeholder) for part in parts):
            if not is_asset_id(asset):
                raise ValueError(
                    f"asset {asset!r} is not an asset id; use letters, digits, '.', '_' and '-' "
                    f"(at most {ASSET_ID_MAX})"
                )
            return
        for part in parts:
            if isinstance(part, str) and _ASSET_CHARS_RE.fullmatch(part) is None:
                raise ValueError(
                    f"asset {asset!r}: {part!r} has characters an asset id cannot hold; "
                    "use letters, digits, '.', '_' and '-'"
                )

    @property
    def variables(self) -> tuple[str, ...]:
        """The `{name}` variables of the topic pattern, in order."""
        return parse_topic_pattern(self.topic).variables

    def subscription_filter(self) -> str:
        """The MQTT filter to subscribe to: each `{name}` becomes `+`, e.g. `tele/+/SENSOR`."""
        return parse_topic_pattern(self.topic).filter

    def referenced_assets(self) -> tuple[str, ...]:
        return self.fixed_assets()

    def fixed_assets(self) -> tuple[str, ...]:
        """Asset ids this mapping can produce that are known without a message: lookup values or a fixed asset.

        The site loader can check these exist; ids built from topic variables are only known per message.
        """
        if self.ignore or self.asset is None:
            return ()
        if self.lookup is not None:
            return tuple(dict.fromkeys(self.lookup.values()))
        if any(isinstance(part, Placeholder) for part in parse_template(self.asset)):
            return ()
        return (self.asset,)
