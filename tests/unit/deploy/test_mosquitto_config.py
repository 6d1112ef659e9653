"""deploy/mosquitto on a real Mosquitto: entrypoint.sh and mosquitto.conf as shipped, with generated accounts.

The accounts come from `facilities devices credentials`' code, the certificate from deploy/certs/make-internal-ca.sh
(real openssl); only the container paths and the two ports are rewritten to a temporary folder. Devices then log
in over TLS with accounts of their own, the hub on the plain listener, and nothing else gets in.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.site_loader import load_site
from facilities.mqtt_credentials import CredentialStore, write_private
from facilities.mqtt_identities import HUB_USER, SIMULATOR_USER, render_acl, site_identities
from tests.support.mqtt import Session
from tests.support.servers import ServerProcess, free_port, port_open, require_binary
from tests.support.services import make_server
from tests.support.tls import make_internal_ca
from tests.unit.deploy.compose import ROOT

pytestmark = pytest.mark.integration

DEPLOY = ROOT / "deploy" / "mosquitto"
HUB_PASSWORD = secrets.token_hex(24)
SIMULATOR_PASSWORD = secrets.token_hex(24)
DEVICE = "lakeview.B1-0101-W"
OWN = "facilities/lakeview/B1-0101-W/telemetry"
MARKER = "witness/marker"


def make_accounts(folder: Path) -> CredentialStore:
    """What `facilities devices credentials --mosquitto-dir <folder>` writes for examples/site.toml."""
    site = load_site(ROOT / "examples" / "site.toml")
    store = CredentialStore()
    store.sync(site.id, site_identities(site).identities, now=datetime(2026, 11, 26, tzinfo=UTC))
    write_private(folder / "passwords", store.password_file())
    write_private(folder / "acl", render_acl(store.identities(), HUB_USER))
    return store


class DeployedMosquitto(ServerProcess):
    """Mosquitto started through deploy/mosquitto/entrypoint.sh with the shipped configuration."""

    name = "mosquitto"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.binary = require_binary("mosquitto")
        require_binary("mosquitto_passwd")
        self.port, self.tls_port = free_port(), free_port()
        config = (DEPLOY / "mosquitto.conf").read_text(encoding="utf-8")
        assert "listener 1883\n" in config and "listener 8883\n" in config
        config = config.replace("listener 1883\n", f"listener {self.port} 127.0.0.1\n")
        config = config.replace("listener 8883\n", f"listener {self.tls_port} 127.0.0.1\n")
        config = config.replace("/mosquitto/data", str(self.workdir / "data"))
        if os.geteuid() == 0:
            config += "user root\n"  # as in simulators.servers: root-owned temp folders
        self.config_path = self.workdir / "mosquitto.conf"
        self.config_path.write_text(config)

    def command(self) -> list[str]:
        return ["sh", str(DEPLOY / "entrypoint.sh"), self.binary, "-c", str(self.config_path)]

    def ports(self) -> tuple[int, ...]:
        return (self.port, self.tls_port)

    def is_ready(self) -> bool:
        return port_open(self.port) and port_open(self.tls_port)


class Rig:
    def __init__(self, server: DeployedMosquitto, store: CredentialStore, certs: Path) -> None:
        self.server, self.store, self.certs = server, store, certs

    def device(self, username: str = DEVICE, password: str | None = None) -> Session:
        """A device on the TLS listener, checking the broker's certificate against the internal CA."""
        secret = password or self.store.credentials[username].password
        return Session(self.server.tls_port, username, secret, ca_file=self.certs / "ca.crt")

    def hub(self) -> Session:
        session = Session(self.server.port, HUB_USER, HUB_PASSWORD)
        assert session.code == 0
        return session


def _start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, simulator: bool) -> Iterator[Rig]:
    auth = tmp_path / "auth"
    store = make_accounts(auth)
    certs = make_internal_ca(tmp_path)
    monkeypatch.setenv("MOSQUITTO_DATA_DIR", str(tmp_path / "broker" / "data"))
    monkeypatch.setenv("MOSQUITTO_AUTH_DIR", str(auth))
    monkeypatch.setenv("MOSQUITTO_CERT_DIR", str(certs))
    monkeypatch.setenv("MQTT_HUB_PASSWORD", HUB_PASSWORD)
    if simulator:
        monkeypatch.setenv("MQTT_SIMULATOR_PASSWORD", SIMULATOR_PASSWORD)
    else:
        monkeypatch.delenv("MQTT_SIMULATOR_PASSWORD", raising=False)
    server = make_server(DeployedMosquitto, tmp_path / "broker")
    server.start()
    yield Rig(server, store, certs)
    server.stop()


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    yield from _start(tmp_path, monkeypatch, simulator=False)


@pytest.fixture
def demo_rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    yield from _start(tmp_path, monkeypatch, simulator=True)


def _refused(session: Session) -> bool:
    session.close()
    return session.code != 0


def test_anonymous_wrong_and_unknown_logins_are_refused_on_both_listeners(rig: Rig) -> None:
    other = rig.store.credentials["lakeview.B1-0102-W"].password
    assert _refused(rig.device(DEVICE, other))
    assert _refused(rig.device(HUB_USER, other))
    assert _refused(rig.device(SIMULATOR_USER, SIMULATOR_PASSWORD))  # off unless MQTT_SIMULATOR_PASSWORD is set
    assert _refused(Session(rig.server.tls_port, None, ca_file=rig.certs / "ca.crt"))
    assert _refused(Session(rig.server.port, None))
    assert _refused(Session(rig.server.port, DEVICE, HUB_PASSWORD))


# A minimal MQTT 3.1.1 CONNECT: client id "x", clean session, keep-alive 60 s.
PLAIN_CONNECT = bytes([0x10, 13, 0, 4, *b"MQTT", 4, 2, 0, 60, 0, 1, *b"x"])


def _answer(port: int) -> bytes:
    """The first bytes a listener sends back to a CONNECT in plain MQTT; empty when it hung up instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        plain.sendall(PLAIN_CONNECT)
        try:
            return plain.recv(2)
        except ConnectionResetError:
            return b""


def test_the_tls_listener_speaks_only_tls(rig: Rig) -> None:
    assert _answer(rig.server.port) == b"\x20\x02"  # a CONNACK (refusing the anonymous client)
    assert _answer(rig.server.tls_port) == b""


def test_a_device_over_tls_reaches_the_hub_and_cannot_forge_another_asset(rig: Rig) -> None:
    hub = rig.hub()
    try:
        assert hub.subscribe("#") == 1
        forger = rig.device()
        assert forger.code == 0
        forger.attempt("facilities/lakeview/B1-0102-W/telemetry", '{"total": 999}')
        forger.close()
        hub.publish(MARKER)
        assert hub.received.get(timeout=10)[0] == MARKER
        device = rig.device()
        device.publish(OWN, '{"total": 1.5}')
        device.close()
        assert hub.received.get(timeout=10) == (OWN, b'{"total": 1.5}')
    finally:
        hub.close()


def test_the_hub_can_read_the_broker_status_the_health_check_uses(rig: Rig) -> None:
    hub = rig.hub()
    try:
        hub.subscribe("$SYS/broker/uptime")
        assert hub.received.get(timeout=20)[0] == "$SYS/broker/uptime"
    finally:
        hub.close()


def test_the_simulator_account_exists_only_when_its_password_is_set(demo_rig: Rig) -> None:
    hub = demo_rig.hub()
    try:
        hub.subscribe("#")
        simulator = Session(demo_rig.server.port, SIMULATOR_USER, SIMULATOR_PASSWORD)
        assert simulator.code == 0
        simulator.attempt("commands/B1-L1/stop")  # telemetry only
        simulator.close()
        hub.publish(MARKER)
        assert hub.received.get(timeout=10)[0] == MARKER
        simulator = Session(demo_rig.server.port, SIMULATOR_USER, SIMULATOR_PASSWORD)
        for asset in ("B1-0101-W", "B2-L1"):
            simulator.publish(f"facilities/lakeview/{asset}/telemetry")
        simulator.close()
        assert [hub.received.get(timeout=10)[0] for _ in range(2)] == [
            "facilities/lakeview/B1-0101-W/telemetry",
            "facilities/lakeview/B2-L1/telemetry",
        ]
    finally:
        hub.close()


def test_passwords_are_stored_hashed_and_every_file_is_private(rig: Rig) -> None:
    data = rig.server.workdir / "data"
    stored = (data / "passwords").read_text()
    users = {line.split(":")[0] for line in stored.splitlines()}
    assert users == set(rig.store.credentials) | {HUB_USER}
    assert HUB_PASSWORD not in stored and all(c.password not in stored for c in rig.store.credentials.values())
    for path in (data / "passwords", data / "acl", data / "certs" / "mqtt.key", data / "certs" / "mqtt.crt"):
        assert path.stat().st_mode & 0o077 == 0, path


@pytest.mark.parametrize(
    ("remove", "told"),
    [("auth/acl", "facilities devices credentials"), ("certs/mqtt.key", "make-internal-ca.sh")],
)
def test_the_entrypoint_stops_and_says_what_to_run_when_a_file_is_missing(
    tmp_path: Path, remove: str, told: str
) -> None:
    make_accounts(tmp_path / "auth")
    make_internal_ca(tmp_path)
    (tmp_path / remove).unlink()
    env = {
        **os.environ,
        "MOSQUITTO_DATA_DIR": str(tmp_path / "data"),
        "MOSQUITTO_AUTH_DIR": str(tmp_path / "auth"),
        "MOSQUITTO_CERT_DIR": str(tmp_path / "certs"),
        "MQTT_HUB_PASSWORD": HUB_PASSWORD,
    }
    result = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), "echo", "started"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "started" not in result.stdout
    assert remove.split("/")[-1].split(".")[0] in result.stderr and told in result.stderr
