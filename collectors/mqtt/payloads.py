"""Decodes third-party MQTT messages with the site's `mqtt_mappings`: topic → asset, payload → fields.

The first mapping whose topic pattern matches wins. Everything a mapping says is parsed once, when the
decoder is built; per message there is one regex match per mapping tried and a walk down each field's path.
Failures raise `MappingError` (a `PayloadError`), so the collector turns them into dead letters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Context, Decimal
from zoneinfo import ZoneInfo

from collectors.mqtt.collector import Decoder, NoRoute
from collectors.mqtt.payload_config import (
    MqttField,
    MqttMapping,
    PathStep,
    Placeholder,
    TimestampFormat,
    parse_path,
    parse_template,
    parse_topic_pattern,
)
from collectors.mqtt.telemetry import PayloadError, load_json_object, parse_timestamp
from core.ids import ASSET_ID_MAX, is_asset_id
from core.reading import FieldValue, Reading

# A plain-number payload longer than this is not a meter reading; the cap also keeps int() cheap.
MAX_NUMBER_CHARS = 64
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


class MappingError(PayloadError):
    """A message matched a mapping but does not fit it; the text names the topic, the mapping and the path."""

    def __init__(self, topic: str, index: int, pattern: str, problem: str) -> None:
        self.topic = topic
        self.index = index
        self.pattern = pattern
        self.problem = problem
        super().__init__(f"topic {topic!r} (mqtt_mappings[{index}] {pattern!r}): {problem}")


class NoMappingMatches(NoRoute):
    """No mapping matches the topic, and the fallback decoder (if any) does not route it either."""


class _Absent(PayloadError):
    """A path that is not in the payload (or is null): an error unless the field is optional."""


def _short(value: object) -> str:
    """repr() cut to a length that keeps an error message readable whatever the device sent."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return _short(value)


def parse_number(text: str) -> int | float | None:
    """A decimal number like `123`, `-4.5` or `1e3` (no NaN, inf or `_`), or None. Integers stay int."""
    if len(text) > MAX_NUMBER_CHARS or _NUMBER_RE.fullmatch(text) is None:
        return None
    if _INTEGER_RE.fullmatch(text):
        return int(text)
    number = float(text)
    return number if math.isfinite(number) else None


def _resolve(data: object, steps: tuple[PathStep, ...], path: str) -> object:
    """The value at `path`, or _Absent saying where the walk stopped."""
    node = data
    for depth, step in enumerate(steps):
        if isinstance(node, dict):
            if step.key in node:
                node = node[step.key]
                continue
            where = f" in {'.'.join(s.key for s in steps[:depth])!r}" if depth else ""
            raise _Absent(f"path {path!r} not found in payload (no key {step.key!r}{where})")
        parent = ".".join(s.key for s in steps[:depth]) or "the payload"
        if isinstance(node, list):
            if step.index is None:
                raise _Absent(f"path {path!r} not found in payload ({parent!r} is a list; {step.key!r} is no index)")
            if step.index >= len(node):
                items = f"{len(node)} item" + ("" if len(node) == 1 else "s")
                raise _Absent(f"path {path!r} not found in payload ({parent!r} has {items})")
            node = node[step.index]
            continue
        raise _Absent(f"path {path!r} not found in payload ({parent!r} is {_describe(node)}, not an object)")
    if node is None:
        raise _Absent(f"path {path!r} is null in payload")
    return node


_BOOL_WORDS = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}
_SCALE_CONTEXT = Context(prec=60)  # exact for any float × float (17 significant digits each)


def scale_exactly(number: int | float, scale: float) -> float:
    """`number × scale` in decimal, then the nearest float: 8123456.7 × 0.001 is 8123.4567, as the input
    and the scale imply, not the binary 8123.456700000001. Not finite if the product is out of range."""
    exact = _SCALE_CONTEXT.multiply(Decimal(repr(number)), Decimal(repr(scale)))
    return float(exact)


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    name: str
    path: str
    steps: tuple[PathStep, ...]
    scale: float | None
    optional: bool
    invert: bool = False

    @classmethod
    def build(cls, name: str, spec: MqttField) -> _FieldPlan:
        return cls(name, spec.path, spec.steps(), spec.scale, spec.optional, spec.invert)

    def convert(self, raw: object) -> FieldValue:
        """The stored value for `raw` (already found, not null), scaled or inverted if the mapping says so."""
        where = f"path {self.path!r}" if self.path else "payload"
        if isinstance(raw, dict | list):
            hint = "a key inside it" if isinstance(raw, dict) else "an index, like '.0'"
            raise PayloadError(f"{where} holds {_describe(raw)}, not a value; extend the path with {hint}")
        if self.invert:
            flag = raw if isinstance(raw, bool) else _BOOL_WORDS.get(str(raw).strip().lower()[:8])
            if flag is None or (isinstance(raw, float) and raw not in (0, 1)):
                raise PayloadError(f"{where} holds {_short(raw)}; an inverted field needs true/false, ON/OFF or 1/0")
            return not flag
        if self.scale is None:
            if isinstance(raw, float) and not math.isfinite(raw):
                raise PayloadError(f"{where} holds {raw!r}; expected a finite number")
            if isinstance(raw, bool | int | float | str):
                return raw
            raise PayloadError(f"{where} holds {_short(raw)}; expected a number, text or bool")
        number: int | float | None
        if isinstance(raw, bool):
            number = None
        elif isinstance(raw, int | float):
            number = raw if math.isfinite(raw) else None
        elif isinstance(raw, str):
            number = parse_number(raw.strip())
        else:
            number = None
        if number is None:
            raise PayloadError(f"{where} holds {_short(raw)}, not a number; a scaled field needs a number")
        scaled = scale_exactly(number, self.scale)
        if not math.isfinite(scaled):
            raise PayloadError(f"{where}: {_short(raw)} scaled by {self.scale} is out of range")
        return scaled


class _CompiledMapping:
    """One mapping, parsed once: the regex, the asset template, the field plans."""

    __slots__ = (
        "asset_const",
        "asset_parts",
        "fields",
        "ignore",
        "index",
        "kind",
        "lookup",
        "pattern",
        "regex",
        "template",
        "ts_format",
        "ts_path",
        "ts_steps",
        "zone",
    )

    def __init__(self, index: int, mapping: MqttMapping) -> None:
        topic = parse_topic_pattern(mapping.topic)
        self.index = index
        self.pattern = mapping.topic
        self.regex: re.Pattern[str] = topic.regex
        self.ignore = mapping.ignore
        self.template = mapping.asset or ""
        self.asset_parts: tuple[str | Placeholder, ...] = parse_template(self.template) if mapping.asset else ()
        # A template without variables renders the same every time.
        self.asset_const: str | None = (
            self.template if not any(isinstance(p, Placeholder) for p in self.asset_parts) else None
        )
        self.lookup: dict[str, str] | None = dict(mapping.lookup) if mapping.lookup is not None else None
        self.kind = mapping.payload
        self.fields = tuple(_FieldPlan.build(name, spec) for name, spec in mapping.fields.items())
        self.ts_path = mapping.timestamp
        self.ts_steps: tuple[PathStep, ...] = parse_path(mapping.timestamp) if mapping.timestamp else ()
        self.ts_format: TimestampFormat = mapping.timestamp_format
        self.zone: tzinfo | None = ZoneInfo(mapping.timezone) if mapping.timezone else None

    def decode(self, topic: str, match: re.Match[str], payload: bytes, now: datetime) -> Sequence[Reading]:
        if self.ignore:
            return ()
        try:
            asset = self._asset(match)
            if self.kind == "number":
                values = {self.fields[0].name: self.fields[0].convert(self._number(payload))}
                return [Reading(asset, now, values)]
            data = load_json_object(payload)
            return [Reading(asset, self._timestamp(data, now), self._fields(data))]
        except PayloadError as exc:
            raise MappingError(topic, self.index, self.pattern, str(exc)) from None

    def _asset(self, match: re.Match[str]) -> str:
        if self.asset_const is not None:
            key = self.asset_const
        else:
            key = "".join(part if isinstance(part, str) else match[part.name] for part in self.asset_parts)
        if self.lookup is not None:
            asset = self.lookup.get(key)
            if asset is None:
                raise PayloadError(f"no lookup entry for {_short(key)}; add it to this mapping's lookup table")
            return asset
        if not is_asset_id(key):
            raise PayloadError(
                f"asset id {_short(key)} built from {self.template!r} is not valid; an asset id has letters, "
                f"digits, '.', '_' and '-' (at most {ASSET_ID_MAX}); use a lookup table to translate such names"
            )
        return key

    @staticmethod
    def _number(payload: bytes) -> int | float:
        if len(payload) > MAX_NUMBER_CHARS:
            raise PayloadError(f"a number payload of {len(payload)} bytes is too long to be a number")
        try:
            text = payload.decode("ascii").strip()
        except UnicodeDecodeError:
            raise PayloadError(f"payload {_short(payload)} is not a number") from None
        number = parse_number(text)
        if number is None:
            raise PayloadError(f"payload {_short(text)} is not a number")
        return number

    def _fields(self, data: Mapping[str, object]) -> dict[str, FieldValue]:
        values: dict[str, FieldValue] = {}
        absent: list[str] = []
        for plan in self.fields:
            try:
                raw = _resolve(data, plan.steps, plan.path)
            except _Absent as exc:
                if not plan.optional:
                    raise PayloadError(f"field {plan.name!r}: {exc}") from None
                absent.append(str(exc))
                continue
            try:
                values[plan.name] = plan.convert(raw)
            except PayloadError as exc:
                raise PayloadError(f"field {plan.name!r}: {exc}") from None
        if not values:
            # Only reachable when every field is optional: a message with none of them is still not a reading.
            raise PayloadError(f"none of the fields is in the payload: {'; '.join(absent)}")
        return values

    def _timestamp(self, data: Mapping[str, object], now: datetime) -> datetime:
        if self.ts_path is None:
            return now
        try:
            raw = _resolve(data, self.ts_steps, self.ts_path)
        except _Absent as exc:
            raise PayloadError(f"timestamp {exc}; fix the path or remove 'timestamp' to use the receive time") from None
        where = f"timestamp path {self.ts_path!r}"
        if isinstance(raw, str) and len(raw) > MAX_NUMBER_CHARS:
            raise PayloadError(f"{where} holds {_short(raw)}, which is too long to be a time")
        if self.ts_format in ("epoch_s", "epoch_ms"):
            return self._epoch(raw, where)
        if self.ts_format == "iso" and not isinstance(raw, str):
            raise PayloadError(f"{where} holds {_short(raw)}; timestamp_format 'iso' expects text")
        try:
            ts = parse_timestamp(raw)
        except PayloadError as exc:
            raise PayloadError(f"{where}: {exc}") from None
        if self.zone is not None and isinstance(raw, str):
            # parse_timestamp takes a time without an offset as UTC; this mapping says whose local time it is.
            naive = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            if naive.tzinfo is None:
                ts = naive.replace(tzinfo=self.zone)
        return ts

    def _epoch(self, raw: object, where: str) -> datetime:
        number: int | float | None
        if isinstance(raw, bool):
            number = None
        elif isinstance(raw, int | float):
            number = raw if math.isfinite(raw) else None
        elif isinstance(raw, str):
            number = parse_number(raw.strip())
        else:
            number = None
        if number is None:
            raise PayloadError(f"{where} holds {_short(raw)}; timestamp_format {self.ts_format!r} expects a number")
        seconds = number / 1000 if self.ts_format == "epoch_ms" else number
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise PayloadError(f"{where} holds {_short(raw)}, which is out of range as {self.ts_format}") from None


class MappingDecoder:
    """A `Decoder` for third-party topics: the first matching mapping decodes; otherwise `fallback` does.

    `mappings` are the site file's `mqtt_mappings` in file order, so `mqtt_mappings[i]` in an error message
    is the i-th table there. With no fallback, or when the fallback raises `NoRoute`, a topic that no mapping
    matches raises `NoMappingMatches`.
    """

    def __init__(self, mappings: Sequence[MqttMapping], fallback: Decoder | None = None) -> None:
        self._compiled = tuple(_CompiledMapping(index, mapping) for index, mapping in enumerate(mappings))
        self.fallback = fallback

    def __call__(self, topic: str, payload: bytes, now: datetime) -> Sequence[Reading]:
        """The readings in one message, or PayloadError (MappingError / NoMappingMatches) saying why not."""
        for compiled in self._compiled:
            match = compiled.regex.fullmatch(topic)
            if match is not None:
                return compiled.decode(topic, match, payload, now)
        if self.fallback is None:
            raise NoMappingMatches(f"no mqtt_mappings entry matches topic {topic!r}")
        try:
            return self.fallback(topic, payload, now)
        except NoRoute as exc:
            raise NoMappingMatches(f"no mqtt_mappings entry matches topic {topic!r}, and {exc}") from None


def subscription_filters(mappings: Sequence[MqttMapping], *extra: str) -> tuple[str, ...]:
    """The MQTT filters to subscribe to: `extra` (e.g. our own topic filter) and each mapping's filter.

    Duplicates and filters covered by a broader one are dropped: a broker may deliver a message once per
    matching subscription, and a duplicate without a payload timestamp would be stored twice. Ignore
    mappings subscribe to nothing; they only drop messages that other filters bring in.
    """
    candidates = list(dict.fromkeys([*extra, *(m.subscription_filter() for m in mappings if not m.ignore)]))
    return tuple(f for f in candidates if not any(other != f and _covers(other, f) for other in candidates))


def _covers(broad: str, narrow: str) -> bool:
    """True if every topic matching `narrow` also matches `broad` (single-level wildcards only)."""
    if "#" in broad or "#" in narrow:
        return False
    broad_levels, narrow_levels = broad.split("/"), narrow.split("/")
    if len(broad_levels) != len(narrow_levels):
        return False
    for depth, (b, n) in enumerate(zip(broad_levels, narrow_levels, strict=True)):
        if b == n:
            continue
        if b == "+" and n != "+" and not (depth == 0 and n.startswith("$")):
            continue
        return False
    return True
