"""Acknowledging an MQTT message once the group commit that holds it is done, and only on its own connection.

A group's acks leave in commit order as one write (`ack_all`). An ack is one small object per message, not a
closure: a closure and its cells are seven objects the garbage collector tracks for every message waiting for
its group commit, and each one that survives a young collection brings the next full collection nearer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable

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


_PUBACK = struct.Struct("!BBH")  # fixed header (PUBACK, remaining length 2), packet id: MQTT 3.1.1 and 5 alike
PUBACK = 0x40


def ack_all(acks: Iterable[Callable[[], object]]) -> None:
    """Run `acks` in order; consecutive QoS 1 acks of the live connection leave in one write.

    paho sends each PUBACK with its own send() (a segment of its own, with TCP_NODELAY), so a group commit of
    500 messages cost 500 system calls here and 500 reads at the broker. The packets are the same bytes paho
    would write, in the same order, queued as one through paho's own output queue: paho has no public call
    for it, `_packet_queue` is where its own ack() ends (tests/unit/collectors/mqtt/test_acks.py compares the
    bytes with paho's).
    """
    batch = bytearray()
    connection: Connection | None = None
    for ack in acks:
        if (
            isinstance(ack, BrokerAck)
            and hasattr(ack.connection.client, "_packet_queue")  # a paho without it: each ack by paho's ack()
            and ack.qos == 1
            and ack.generation == ack.connection.generation
            and connection in (None, ack.connection)
        ):
            connection = ack.connection
            batch += _PUBACK.pack(PUBACK, 2, ack.mid)
            continue
        if connection is not None:
            connection.client._packet_queue(PUBACK, bytes(batch), 0, 0)
            batch, connection = bytearray(), None
        ack()
    if connection is not None:
        connection.client._packet_queue(PUBACK, bytes(batch), 0, 0)
