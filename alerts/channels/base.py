"""What every channel gets (`OutgoingMessage`), what it does (`Channel.send`) and how it says it failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from alerts.orm import MessageKind


@dataclass(frozen=True)
class Recipient:
    """A person to reach; which address a channel uses depends on the channel."""

    id: str
    name: str
    phone: str = ""
    email: str = ""
    wecom_id: str = ""
    link: str = ""  # their own signed link to the work order, when the hub signs links

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recipient:
        keys = ("id", "name", "phone", "email", "wecom_id", "link")
        return cls(**{key: str(data.get(key, "")) for key in keys})


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox row as a channel sees it, for one attempt."""

    row_id: int
    key: str  # the idempotency key: the same on every attempt, so the peer can drop a repeat
    attempt: int
    kind: MessageKind
    channel_name: str
    site_id: str
    order_id: str | None
    order_code: str
    team: str | None
    personal: bool
    level: int
    locale: str
    title: str
    body: str
    recipients: tuple[Recipient, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The JSON a webhook peer or an MQTT subscriber receives."""
        return {
            "idempotency_key": self.key,
            "kind": self.kind.value,
            "site_id": self.site_id,
            "work_order": {"id": self.order_id, "code": self.order_code, "link": self.facts.get("link", "")},
            "team": self.team,
            "level": self.level,
            "locale": self.locale,
            "title": self.title,
            "text": self.body,
            "recipients": [
                {"id": r.id, "name": r.name, "phone": r.phone, "email": r.email, "link": r.link}
                for r in self.recipients
            ],
            "facts": dict(self.facts),
        }


class DeliveryFailed(Exception):
    """The peer did not take the message. `permanent`: trying again cannot help (bad URL, refused address)."""

    permanent = False


class TemporaryFailure(DeliveryFailed):
    """Timeout, connection refused, 5xx, rate limited: try again after the backoff."""


class PermanentFailure(DeliveryFailed):
    permanent = True


class Channel(Protocol):
    """Delivers one message; returns when the peer confirmed it, raises `DeliveryFailed` otherwise."""

    name: str

    def send(self, message: OutgoingMessage) -> None: ...

    def close(self) -> None: ...
