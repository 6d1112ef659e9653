"""The harness itself: servers start on their own ports, stop, and come back with their data."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.services import Influxd, Mosquitto, make_server, port_open


def test_two_influxd_instances_do_not_collide(influxd: Influxd, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = Influxd(tmp_path / "second")
    other.start()
    try:
        assert other.http_port != influxd.http_port
        assert other.is_ready() and influxd.is_ready()
    finally:
        other.stop()


def test_influxd_keeps_data_across_restart(influxd: Influxd) -> None:
    influxd.query('CREATE DATABASE "keep"', db="keep")
    import httpx

    httpx.post(f"{influxd.url}/write", params={"db": "keep"}, content=b"m v=1 1000000000").raise_for_status()
    influxd.restart()
    rows = influxd.query('SELECT "v" FROM "m"', db="keep")
    assert [row["v"] for row in rows] == [1]


def test_mosquitto_stop_and_start_on_same_port(mosquitto: Mosquitto) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", mosquitto.port)
    client.disconnect()
    mosquitto.stop()
    assert not port_open(mosquitto.port)
    mosquitto.start()
    assert port_open(mosquitto.port)


def test_postgres_database_is_private_to_the_session(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        name = conn.execute(sa.text("select current_database()")).scalar_one()
    engine.dispose()
    assert name.startswith("facilities_test_")


def test_a_port_taken_before_the_first_start_is_replaced(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # free_port() only finds a port that is free now; another process may bind it before the server does.
    import socket

    broker = make_server(Mosquitto, tmp_path / "raced")
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", broker.port))
    squatter.listen()
    taken = broker.port
    try:
        broker.start()
        assert broker.port != taken
        assert port_open(broker.port)
    finally:
        broker.stop()
        squatter.close()
