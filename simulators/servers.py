"""Local server processes (Mosquitto for the demo; the base the tests' InfluxDB and VictoriaMetrics build on)
on free ports in a folder of their own.

`facilities demo` runs its broker on them, and the tests and benchmarks start them (tests/support/servers.py
adds InfluxDB 1.x and VictoriaMetrics); an instance can be stopped and started again on the
same port and folder, so a test can take a server away mid-ingest and bring it back with its data.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MissingBinary(RuntimeError):
    pass


def require_binary(name: str) -> str:
    """The binary's path, or MissingBinary saying which Debian package brings it."""
    path = shutil.which(name)
    if path is None:
        raise MissingBinary(f"{name} is not installed (apt-get install -y {DEBIAN_PACKAGE.get(name, name)})")
    return path


DEBIAN_PACKAGE = {
    "influxd": "influxdb",
    "mosquitto": "mosquitto",
    "mosquitto_passwd": "mosquitto",
    "victoria-metrics": "victoria-metrics",
}


def wait_until(ready: Callable[[], bool], what: str, timeout: float = START_TIMEOUT_S) -> None:
    """Poll `ready` until it answers True; a deadline, not a guess, bounds the wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f} s")


def listening(pid: int, port: int) -> bool:
    """True when process `pid` itself listens on `port`; a connect alone could reach another server there."""
    try:
        connections = psutil.Process(pid).net_connections(kind="inet")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class ServerProcess:
    """A server started from a command line; subclasses give the command and the readiness check."""

    name = "server"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir.resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{self.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.environment: dict[str, str] | None = None  # the command's environment; None: this process's
        self._started = False  # after a first start, a restart must keep its ports: clients know them

    def command(self) -> list[str]:
        raise NotImplementedError

    def is_ready(self) -> bool:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def new_ports(self) -> None:
        """Pick other free ports (and rewrite any config naming them); servers with ports override this."""

    def start(self) -> None:
        if self.running:
            return
        for attempt in range(3):
            log_size = self.log_path.stat().st_size if self.log_path.exists() else 0
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(  # noqa: S603
                    self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=self.environment
                )
            try:
                wait_until(self._ready_or_dead, self.name)
            except TimeoutError:
                self.stop()
                raise TimeoutError(f"{self.name} did not start; log:\n{self.log()}") from None
            except RuntimeError:
                # free_port() only found a free port; another process may bind it before we do. On a first
                # start (nothing depends on the port yet) take other ports and try again.
                taken = "address already in use" in self.log_path.read_text(errors="replace")[log_size:].lower()
                if not taken or self._started or attempt == 2:
                    raise
                self._process = None
                self.new_ports()
                continue
            self._started = True
            return

    def _ready_or_dead(self) -> bool:
        if self._process is None:
            raise RuntimeError(f"{self.name} was stopped while starting")
        if self._process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self._process.returncode}; log:\n{self.log()}")
        return all(listening(self._process.pid, port) for port in self.ports()) and self.is_ready()

    def ports(self) -> tuple[int, ...]:
        """The ports this server must hold itself before it counts as ready."""
        return ()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(sig)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=15)
        self._process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"


@dataclass(frozen=True)
class BrokerTls:
    ca_file: Path
    cert_file: Path
    key_file: Path
    require_client_cert: bool = False


class Mosquitto(ServerProcess):
    name = "mosquitto"
    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path,
        *,
        users: dict[str, str] | None = None,
        tls: BrokerTls | None = None,
        password_file: Path | None = None,
        acl_file: Path | None = None,
        nodelay: bool = False,
    ) -> None:
        """`users` (plain passwords, hashed here) or a ready `password_file`; `acl_file` limits each user's topics.

        `nodelay`: TCP_NODELAY on client sockets, as the production config sets it (latency benchmarks).
        """
        if users and password_file:
            raise ValueError("give users or a password_file, not both")
        super().__init__(workdir)
        self.binary = require_binary("mosquitto")
        self.port = free_port()
        self.tls = tls
        self.config_path = self.workdir / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1"]
        if os.geteuid() == 0:
            # Mosquitto started as root drops to user 'mosquitto', which cannot read a root-owned folder.
            lines.append("user root")
        if users:
            password_file = self.workdir / "passwords"
            password_file.write_text("".join(f"{user}:{password}\n" for user, password in users.items()))
            # mosquitto_passwd -U hashes a plain user:password file in place.
            subprocess.run([require_binary("mosquitto_passwd"), "-U", str(password_file)], check=True)  # noqa: S603
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        elif password_file:
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if acl_file:
            lines.append(f"acl_file {acl_file}")
        if tls:
            lines += [f"cafile {tls.ca_file}", f"certfile {tls.cert_file}", f"keyfile {tls.key_file}"]
            if tls.require_client_cert:
                lines.append("require_certificate true")
        # Persistence keeps persistent sessions and queued QoS 1 messages across a restart.
        lines += [
            "persistence true",
            f"persistence_location {self.workdir}/",
            "autosave_interval 1",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "log_type error",
            "log_type warning",
        ]
        if nodelay:
            lines.append("set_tcp_nodelay true")
        self.config_path.write_text("\n".join(lines) + "\n")

    def ports(self) -> tuple[int, ...]:
        return (self.port,)

    def new_ports(self) -> None:
        self.port = free_port()
        rest = self.config_path.read_text().split("\n", 1)[1]  # the listener is the first line
        self.config_path.write_text(f"listener {self.port} 127.0.0.1\n{rest}")

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def reload(self) -> None:
        """SIGHUP: Mosquitto reads its password and ACL files again, keeping its clients connected."""
        if self._process is not None:
            self._process.send_signal(signal.SIGHUP)

    def command(self) -> list[str]:
        return [self.binary, "-c", str(self.config_path)]

    def is_ready(self) -> bool:
        return port_open(self.port)
