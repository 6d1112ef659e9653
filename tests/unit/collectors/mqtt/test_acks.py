"""Acks after a group commit: the bytes paho would write, one write per run, never on a newer connection."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.mqtt.acks import BrokerAck, Connection, ack_all

Queued = list[tuple[int, bytes]]


class RecordingClient(mqtt.Client):
    """paho's client with its output queue recorded instead of written (no broker here)."""

    def __init__(self, protocol: int, queued: Queued) -> None:
        super().__init__(CallbackAPIVersion.VERSION2, client_id="c", protocol=protocol, manual_ack=True)
        self.queued = queued

    def _packet_queue(  # type: ignore[override]
        self, command: int, packet: bytes | bytearray, mid: int, qos: int, info: object = None
    ) -> mqtt.MQTTErrorCode:
        self.queued.append((command, bytes(packet)))
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5])
def test_a_group_is_acked_with_the_bytes_paho_writes_in_one_write(protocol: int) -> None:
    mids = [1, 2, 300, 65535]
    reference: Queued = []
    paho_itself = RecordingClient(protocol, reference)
    for mid in mids:
        paho_itself.ack(mid, 1)
    queued: Queued = []
    connection = Connection(RecordingClient(protocol, queued))
    ack_all(BrokerAck(connection, mid, 1) for mid in mids)
    assert queued == [(0x40, b"".join(packet for _, packet in reference))]


def test_other_acks_keep_their_place_and_end_the_run() -> None:
    queued: Queued = []
    connection = Connection(RecordingClient(mqtt.MQTTv5, queued))
    done: list[str] = []
    ack_all([BrokerAck(connection, 1, 1), lambda: done.append(f"callable after {len(queued)} writes"),
             BrokerAck(connection, 2, 1)])  # fmt: skip
    assert done == ["callable after 1 writes"]
    assert queued == [(0x40, b"\x40\x02\x00\x01"), (0x40, b"\x40\x02\x00\x02")]


def test_acks_of_an_older_connection_are_dropped() -> None:
    queued: Queued = []
    connection = Connection(RecordingClient(mqtt.MQTTv5, queued))
    before_reconnect = BrokerAck(connection, 7, 1)
    connection.generation += 1  # the broker redelivers message 7, maybe under another packet id
    after_reconnect = BrokerAck(connection, 7, 1)
    ack_all([before_reconnect])
    before_reconnect()
    assert queued == []
    ack_all([after_reconnect])
    assert queued == [(0x40, b"\x40\x02\x00\x07")]


class AckOnlyClient:
    """A client with paho's public ack() and no `_packet_queue` (a future paho that renamed it)."""

    def __init__(self) -> None:
        self.acked: list[tuple[int, int]] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append((mid, qos))


def test_without_paho_s_queue_each_ack_goes_through_ack_in_order() -> None:
    client = AckOnlyClient()
    connection = Connection(client)  # type: ignore[arg-type]
    ack_all(BrokerAck(connection, mid, 1) for mid in (5, 6, 7))
    assert client.acked == [(5, 1), (6, 1), (7, 1)]
