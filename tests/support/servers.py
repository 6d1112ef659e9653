"""Servers that only the tests and the benchmarks start: InfluxDB 1.x, VictoriaMetrics and moto's S3, on free ports.

The process base and the Mosquitto broker are in simulators/servers.py, because `facilities demo` runs on
them too; they are re-exported here so that a test imports every server from one place.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from simulators.servers import (
    BrokerTls,
    MissingBinary,
    Mosquitto,
    ServerProcess,
    free_port,
    listening,
    port_open,
    require_binary,
    wait_until,
)

__all__ = [
    "BrokerTls",
    "Influxd",
    "MissingBinary",
    "Mosquitto",
    "MotoS3",
    "ServerProcess",
    "VictoriaMetrics",
    "free_port",
    "listening",
    "port_open",
    "require_binary",
    "wait_until",
]


class Influxd(ServerProcess):
    """InfluxDB 1.x (Debian's `influxdb`): line protocol on /write, InfluxQL on /query."""

    name = "influxd"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.binary = require_binary("influxd")
        self.config_path = self.workdir / "influxdb.conf"
        self.new_ports()

    def ports(self) -> tuple[int, ...]:
        return (self.http_port,)

    def new_ports(self) -> None:
        self.http_port = free_port()
        self.rpc_port = free_port()
        # Both the HTTP and the RPC (backup) ports move, or two instances collide on 8088.
        self.config_path.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{self.rpc_port}"\n'
            f'[meta]\n  dir = "{self.workdir}/meta"\n'
            f'[data]\n  dir = "{self.workdir}/data"\n  wal-dir = "{self.workdir}/wal"\n  query-log-enabled = false\n'
            f'[http]\n  bind-address = "127.0.0.1:{self.http_port}"\n  log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n"
            "[continuous_queries]\n  enabled = false\n"
            "[subscriber]\n  enabled = false\n"
            '[logging]\n  level = "warn"\n'
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def command(self) -> list[str]:
        return [self.binary, "-config", str(self.config_path)]

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ping", timeout=0.5).status_code == 204
        except httpx.HTTPError:
            return False

    def query(self, influxql: str, db: str) -> list[dict[str, object]]:
        """Rows of the first series' result, as dicts (a test helper independent of our store)."""
        response = httpx.post(f"{self.url}/query", data={"q": influxql, "db": db, "epoch": "ns"}, timeout=10)
        response.raise_for_status()
        rows: list[dict[str, object]] = []
        for result in response.json()["results"]:
            if "error" in result:
                raise RuntimeError(result["error"])
            for series in result.get("series", []):
                tags = series.get("tags", {})
                for values in series["values"]:
                    rows.append({**tags, **dict(zip(series["columns"], values, strict=True))})
        return rows


class VictoriaMetrics(ServerProcess):
    """A real `/api/v2/write` peer for the influxdb-client path."""

    name = "victoria-metrics"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.binary = require_binary("victoria-metrics")
        self.port = free_port()

    def ports(self) -> tuple[int, ...]:
        return (self.port,)

    def new_ports(self) -> None:
        self.port = free_port()  # the command line carries it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            self.binary,
            f"-storageDataPath={self.workdir}/data",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-loggerLevel=ERROR",
            "-search.latencyOffset=0s",
            # Without deduplication a replayed batch keeps both copies of a sample.
            "-dedup.minScrapeInterval=1ms",
        ]

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False


class MotoS3(ServerProcess):
    """moto's standalone S3-compatible HTTP server (`moto[server]`, a pip dependency of the dev extra: no binary to
    miss). A process of its own, so that stopping it closes its port the way a server that goes away does."""

    name = "moto-s3"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.port = free_port()

    def ports(self) -> tuple[int, ...]:
        return (self.port,)

    def new_ports(self) -> None:
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/moto-api/", timeout=0.5).status_code < 500
        except httpx.HTTPError:
            return False
