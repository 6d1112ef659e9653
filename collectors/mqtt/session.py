"""How the collector meets the broker: its options, MQTT 3.1.1 or 5, its persistent session, a shared subscription.

MQTT 3.1.1 keeps a session while `clean_session` is off and for as long as the broker likes. MQTT 5 splits that
in two: `clean_start=False` resumes the session, and the Session Expiry Interval sent in CONNECT says how long the
broker keeps it (and its queued QoS 1 messages) while nobody holds it; without it the session ends with the
connection. A shared subscription (`$share/<group>/<filter>`) spreads a filter's messages over the group's
members, one member per message, so several replicas can ingest one site (docs/scaling.md).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

Protocol = Literal["3.1.1", "5"]
SESSION_EXPIRY_MAX_S = 0xFFFFFFFF  # MQTT 5: this value means the session never expires


@dataclass(frozen=True)
class MqttOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "facilities-ingest"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive_s: int = 30
    subscriptions: tuple[str, ...] = ()
    # "5" for shared subscriptions and a session expiry the broker honours; "3.1.1" (the default) works with
    # every broker we support, the demo's embedded amqtt included.
    protocol: Protocol = "3.1.1"
    # MQTT 5: how long the broker keeps our session and its queued messages while we are away.
    session_expiry_s: int = 7 * 86_400
    # MQTT 5: subscribe as `$share/<share_group>/<filter>`; None: an ordinary subscription.
    share_group: str | None = None
    # Filters subscribed plainly even with a share group: a shared subscription is never sent retained
    # messages (MQTT 5, 4.8.2), and Home Assistant discovery configs and availability are retained state.
    unshared: tuple[str, ...] = ()
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    # First retry interval while the sink is full or failing, doubled up to `retry_max_s`.
    full_retry_s: float = 0.2
    retry_max_s: float = 5.0
    # Group commit: the network thread commits every `group_max` messages; a partial group is committed
    # once no message came for `group_idle_s`, or its oldest message waited `group_max_delay_s`.
    group_max: int = 500
    group_idle_s: float = 0.002
    group_max_delay_s: float = 0.05
    # Un-acked messages held in memory while the sink cannot take them. The broker's in-flight window
    # (Mosquitto max_inflight_messages) normally keeps far fewer; past this the network thread waits.
    max_pending: int = 20_000

    def __post_init__(self) -> None:
        if self.protocol not in ("3.1.1", "5"):
            raise ValueError(f"MQTT protocol {self.protocol!r}: use '3.1.1' or '5'")
        if not 1 <= self.session_expiry_s <= SESSION_EXPIRY_MAX_S:
            raise ValueError(f"session_expiry_s={self.session_expiry_s}: give 1 to {SESSION_EXPIRY_MAX_S} seconds")
        if self.share_group is not None:
            check_share_group(self.share_group)
            if self.protocol != "5":
                raise ValueError(f"share group {self.share_group!r} needs MQTT protocol 5 (shared subscriptions)")


def check_share_group(group: str) -> str:
    """A share name is one topic level: not empty, no `/`, `+` or `#` (MQTT 5, 4.8.2)."""
    if not group or any(char in group for char in "/+#") or any(ord(char) < 32 for char in group):
        raise ValueError(f"share group {group!r} must be one topic level: no '/', '+', '#' or control characters")
    return group


def subscription_filter(topic: str, share_group: str | None) -> str:
    """The filter sent in SUBSCRIBE: `topic` itself, or its shared form."""
    return topic if share_group is None else f"$share/{share_group}/{topic}"


def new_client(options: MqttOptions) -> mqtt.Client:
    """A paho client with a persistent session, manual acks, credentials and TLS from `options`."""
    if options.protocol == "5":
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=options.client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
    else:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=options.client_id,
            clean_session=False,  # persistent session: the broker queues QoS 1 messages while we are away
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
    if options.username:
        client.username_pw_set(options.username, options.password)
    if options.tls:
        client.tls_set(
            ca_certs=options.ca_file, certfile=options.cert_file, keyfile=options.key_file, cert_reqs=ssl.CERT_REQUIRED
        )
    client.reconnect_delay_set(min_delay=max(1, int(options.reconnect_min_s)), max_delay=int(options.reconnect_max_s))
    return client


def connect_async(client: mqtt.Client, options: MqttOptions) -> None:
    """Set where and how to connect; paho reuses it for every reconnect (`clean_start` and properties included)."""
    if options.protocol != "5":
        client.connect_async(options.host, options.port, keepalive=options.keepalive_s)
        return
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho ships no hints here
    properties.SessionExpiryInterval = options.session_expiry_s
    # False on every connect, the first included: paho's default would start the first one clean and drop
    # whatever the broker queued for us while this process was not running.
    client.connect_async(
        options.host, options.port, keepalive=options.keepalive_s, clean_start=False, properties=properties
    )
