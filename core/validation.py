"""Checks a reading against the registry and the schema before anything stores it."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import Clock
from core.inventory import LastSeen
from core.measurements import MAX_FIELDS, FieldValueError
from core.reading import FieldValue, Reading
from core.registry import AssetRegistry, UnknownAsset


class InvalidReading(ValueError):
    """Bad data: the message names the asset, the field or the time that is wrong."""


class ReadingValidator:
    def __init__(
        self,
        registry: AssetRegistry,
        clock: Clock,
        *,
        max_future: timedelta = timedelta(minutes=10),
        max_past: timedelta = timedelta(days=400),
        seen: LastSeen | None = None,
    ) -> None:
        self.registry = registry
        self.seen = seen  # the device inventory's last-seen times, fed by every reading accepted here
        self.clock = clock
        self.max_future = max_future
        self.max_past = max_past

    def validate(self, reading: Reading) -> Reading:
        """The reading with its fields coerced to the schema, or InvalidReading."""
        return Reading(reading.asset_id, reading.ts, self.coerced_fields(reading, self.clock.now()))

    def coerced_fields(self, reading: Reading, now: datetime) -> dict[str, FieldValue]:
        """The reading's fields coerced to the schema, or InvalidReading; `now` is shared by a whole group."""
        try:
            info = self.registry.get(reading.asset_id)
        except UnknownAsset as exc:
            raise InvalidReading(str(exc)) from None
        if reading.ts > now + self.max_future:
            raise InvalidReading(
                f"asset {reading.asset_id!r}: timestamp {reading.ts.isoformat()} is in the future "
                f"(now {now.isoformat()}); check the device clock"
            )
        if reading.ts < now - self.max_past:
            raise InvalidReading(
                f"asset {reading.asset_id!r}: timestamp {reading.ts.isoformat()} is more than "
                f"{self.max_past.days} days old"
            )
        if len(reading.fields) > MAX_FIELDS:
            raise InvalidReading(
                f"asset {reading.asset_id!r}: {len(reading.fields)} fields; at most {MAX_FIELDS} fit one reading"
            )
        fields: dict[str, FieldValue] = {}
        for name, value in reading.fields.items():
            if not isinstance(name, str):
                raise InvalidReading(f"asset {reading.asset_id!r}: field name {name!r} is not text")
            try:
                fields[name] = info.coerce_field(name, value)
            except FieldValueError as exc:
                raise InvalidReading(f"asset {reading.asset_id!r}: {exc}") from None
        if self.seen is not None:
            self.seen.note(reading.asset_id, reading.ts, fields)
        return fields
