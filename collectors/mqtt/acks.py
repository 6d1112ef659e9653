"""Acknowledging an MQTT message once the group commit that holds it is done, and only on its own connection.

An ack is one small object per message, not a closure: a closure and its cells are seven objects the garbage
collector tracks for every message waiting for its group commit, and each one that survives a young
collection brings the next full collection (which walks the whole site model) nearer.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt


class Connection:
    """The client and its connection's generation: a reconnect starts a new one, and older acks are void.

    A message received before a reconnect is redelivered by the broker, and its old packet id may belong to
    another message by then.
    """

    __slots__ = ("client", "generation")

    def __init__(self, client: mqtt.Client) -> None:
        self.client = client
        self.generation = 0


class BrokerAck:
    """Acks one message (its packet id and QoS) if the connection that delivered it is still the live one."""

    __slots__ = ("connection", "generation", "mid", "qos")

    def __init__(self, connection: Connection, mid: int, qos: int) -> None:
        self.connection, self.generation, self.mid, self.qos = connection, connection.generation, mid, qos

    def __call__(self) -> None:
        if self.generation == self.connection.generation:
            self.connection.client.ack(self.mid, self.qos)
