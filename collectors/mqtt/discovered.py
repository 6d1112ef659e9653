"""The discovered devices: Home Assistant discovery configs and availability messages, kept in memory, bounded.

`DiscoveryDecoder` sits in front of the hub's decoder: a config message (`homeassistant/…/config`) goes to the
book, an availability message (a topic some config named) sets online/offline, everything else is decoded as
before. A config that cannot be used is a dead letter with the reason, like any bad message. Configs are
retained at the broker, so after a restart they arrive again on subscribe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from collectors.mqtt.discovery import DiscoveredEntity, DiscoveryError, parse_config, parse_topic, render
from collectors.mqtt.telemetry import PayloadError
from core.reading import Reading

MAX_ENTITIES = 500
MAX_AVAILABILITY_TOPICS = 200
Decoder = Callable[[str, bytes, datetime], Sequence[Reading]]


@dataclass(frozen=True)
class AvailabilityState:
    online: bool | None  # None: a payload that is neither the available nor the not-available one
    payload: str
    at: datetime


class DiscoveryFull(PayloadError):
    pass


class DiscoveryBook:
    """Entities by unique id and availability by topic; thread-safe, at most MAX_ENTITIES entities."""

    def __init__(self, *, max_entities: int = MAX_ENTITIES) -> None:
        self.max_entities = max_entities
        self._entities: dict[str, DiscoveredEntity] = {}
        self._by_config_topic: dict[str, str] = {}
        self._availability: dict[str, AvailabilityState] = {}
        self._lock = threading.Lock()
        self.on_availability_topic: Callable[[str], object] | None = None  # the collector subscribes to it

    def on_config(self, topic: str, payload: bytes) -> None:
        entity = parse_config(topic, payload)
        new_topics: list[str] = []
        with self._lock:
            if entity is None:  # an empty config: the entity is gone
                unique_id = self._by_config_topic.pop(topic, None)
                if unique_id is not None:
                    self._entities.pop(unique_id, None)
                return
            if entity.unique_id not in self._entities and len(self._entities) >= self.max_entities:
                raise DiscoveryFull(f"{self.max_entities} discovered entities kept already; adopt or remove some")
            self._entities[entity.unique_id] = entity
            self._by_config_topic[topic] = entity.unique_id
            for availability in entity.availability:
                if availability.topic not in self._availability and len(self._availability) < MAX_AVAILABILITY_TOPICS:
                    self._availability[availability.topic] = AvailabilityState(None, "", datetime.min)
                    new_topics.append(availability.topic)
        for new in new_topics:
            if self.on_availability_topic is not None:
                self.on_availability_topic(new)

    def is_availability_topic(self, topic: str) -> bool:
        return topic in self._availability

    def on_availability(self, topic: str, payload: bytes, now: datetime) -> None:
        with self._lock:
            entities = [e for e in self._entities.values() for a in e.availability if a.topic == topic]
            online: bool | None = None
            for entity in entities[:1]:
                spec = next(a for a in entity.availability if a.topic == topic)
                try:
                    text = render(spec.value_template, payload) if spec.value_template else payload[:256].decode()
                except (DiscoveryError, UnicodeDecodeError):
                    text = ""
                text = text.strip()
                online = (
                    True if text == spec.payload_available else False if text == spec.payload_not_available else None
                )
            self._availability[topic] = AvailabilityState(online, payload[:64].decode("utf-8", "replace"), now)

    def entities(self) -> list[DiscoveredEntity]:
        with self._lock:
            return sorted(self._entities.values(), key=lambda e: e.unique_id)

    def get(self, unique_id: str) -> DiscoveredEntity | None:
        return self._entities.get(unique_id)

    def online(self, entity: DiscoveredEntity) -> bool | None:
        """Online when every availability topic says so (Home Assistant's `all` mode); None when unknown."""
        states = [self._availability.get(a.topic) for a in entity.availability]
        known = [s.online for s in states if s is not None and s.online is not None]
        if not known:
            return None
        return all(known)

    def availability_topics(self) -> list[str]:
        with self._lock:
            return sorted(self._availability)


class DiscoveryDecoder:
    """Discovery configs and availability to the book; every other message to `inner`."""

    def __init__(self, inner: Decoder, book: DiscoveryBook) -> None:
        self.inner = inner
        self.book = book

    def __call__(self, topic: str, payload: bytes, now: datetime) -> Sequence[Reading]:
        if parse_topic(topic) is not None:
            try:
                self.book.on_config(topic, payload)
            except DiscoveryError as exc:
                raise PayloadError(f"discovery config: {exc}") from None
            return []
        if self.book.is_availability_topic(topic):
            self.book.on_availability(topic, payload, now)
            return []
        return self.inner(topic, payload, now)


def asset_availability(book: DiscoveryBook, mappings: Sequence[object]) -> dict[str, bool]:
    """What adopted devices' availability topics say, by asset id: an `[[mqtt_mappings]]` table with a fixed asset
    whose topic is a discovered entity's state topic (what adoption writes) takes that entity's availability."""
    by_topic = {e.state_topic: e for e in book.entities() if e.state_topic}
    found: dict[str, bool] = {}
    for mapping in mappings:
        topic, asset = getattr(mapping, "topic", None), getattr(mapping, "asset", None)
        entity = by_topic.get(topic) if isinstance(topic, str) else None
        if entity is None or not isinstance(asset, str) or "{" in asset:
            continue
        online = book.online(entity)
        if online is not None:
            found[asset] = online and found.get(asset, True)
    return found
