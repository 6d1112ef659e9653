"""deploy/caddy/Caddyfile with Debian's Caddy: each certificate mode adapts, and a real Caddy serves HTTPS.

`caddy adapt` turns the file into Caddy's JSON exactly as the container would (the same {$NAME} substitution);
the live test runs `caddy run` on the same file, with only the upstreams and ports moved to this machine, in
front of two small HTTP servers standing in for the hub and Grafana, and a certificate from the internal CA.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import ServerProcess, free_port, port_open
from tests.support.services import make_server
from tests.support.tls import make_internal_ca
from tests.unit.deploy.compose import ROOT, compose

CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
MODES = {
    "internal": {"module": "internal"},
    "ops@example.com": {"module": "acme", "email": "ops@example.com"},
}


def _caddy() -> str:
    path = shutil.which("caddy")
    if path is None:
        message = "caddy is not installed (apt-get install -y caddy)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run every test")
        pytest.skip(message)
    return path


def _adapt(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [_caddy(), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False)


def _handlers(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "handler" in node:
            yield node
        for value in node.values():
            yield from _handlers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _handlers(item)


def test_every_variable_the_caddyfile_reads_is_set_by_compose() -> None:
    lines = [line for line in CADDYFILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    wanted = set(re.findall(r"\{\$(\w+)", "\n".join(lines)))
    assert wanted == set(compose()["services"]["caddy"]["environment"]) == {"PUBLIC_DOMAIN", "CADDY_TLS"}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_automatic_and_internal_certificates_adapt(mode: str) -> None:
    adapted = _adapt({"PUBLIC_DOMAIN": "hub.lakeview.lan", "CADDY_TLS": mode})
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == ["hub.lakeview.lan"]
    assert {key: policy["issuers"][0][key] for key in MODES[mode]} == MODES[mode]
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    upstreams = [h["upstreams"][0]["dial"] for h in _handlers(server) if h["handler"] == "reverse_proxy"]
    assert upstreams == ["grafana:3000", "hub:8000"]


def test_a_supplied_certificate_adapts() -> None:
    adapted = _adapt({"PUBLIC_DOMAIN": "hub.lakeview.lan", "CADDY_TLS": "/certs/hub.crt /certs/hub.key"})
    assert adapted.returncode == 0, adapted.stderr
    (files,) = json.loads(adapted.stdout)["apps"]["tls"]["certificates"]["load_files"]
    assert (files["certificate"], files["key"]) == ("/certs/hub.crt", "/certs/hub.key")


def test_an_empty_certificate_mode_is_refused() -> None:
    assert _adapt({"PUBLIC_DOMAIN": "hub.lakeview.lan", "CADDY_TLS": ""}).returncode != 0


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {
                "upstream": self.server.name,  # type: ignore[attr-defined]
                "path": self.path,
                "forwarded_for": self.headers.get("X-Forwarded-For"),
                "forwarded_proto": self.headers.get("X-Forwarded-Proto"),
            }
        ).encode()
        self.send_response(200)
        if self.server.name == "hub":  # type: ignore[attr-defined]
            self.send_header("Referrer-Policy", "no-referrer")  # as the console's pages do
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class LocalCaddy(ServerProcess):
    """`caddy run` on the shipped Caddyfile; upstreams and ports rewritten to this machine."""

    name = "caddy"

    def __init__(self, workdir: Path, upstreams: dict[str, int], certs: Path) -> None:
        super().__init__(workdir)
        self.binary = _caddy()
        self.https_port, self.http_port = free_port(), free_port()
        text = CADDYFILE.read_text(encoding="utf-8")
        for name, port in upstreams.items():
            text = text.replace(f"reverse_proxy {name}:", f"reverse_proxy 127.0.0.1:{port} #")
        # Global options first: our own ports, no admin endpoint, no storage outside the test's folder.
        options = f"{{\n\thttp_port {self.http_port}\n\thttps_port {self.https_port}\n\tadmin off\n}}\n"
        self.config_path = self.workdir / "Caddyfile"
        self.config_path.write_text(options + text)
        self.environment = {
            **os.environ,
            "PUBLIC_DOMAIN": "localhost",
            "CADDY_TLS": f"{certs / 'hub.crt'} {certs / 'hub.key'}",
            "XDG_DATA_HOME": str(self.workdir / "data"),
            "XDG_CONFIG_HOME": str(self.workdir / "config"),
            "HOME": str(self.workdir),
        }

    def command(self) -> list[str]:
        return [self.binary, "run", "--config", str(self.config_path), "--adapter", "caddyfile"]

    def ports(self) -> tuple[int, ...]:
        return (self.https_port,)

    def is_ready(self) -> bool:
        return port_open(self.https_port)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[LocalCaddy, Path]]:
    _caddy()
    servers = {}
    for name in ("hub", "grafana"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    certs = make_internal_ca(tmp_path / "pki")
    caddy = make_server(
        lambda d: LocalCaddy(d, {n: s.server_address[1] for n, s in servers.items()}, certs), tmp_path / "caddy"
    )
    caddy.start()
    yield caddy, certs / "ca.crt"
    caddy.stop()
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _get(url: str, ca_file: Path) -> tuple[dict[str, Any], dict[str, str]]:
    context = ssl.create_default_context(cafile=str(ca_file))
    with urllib.request.urlopen(url, context=context, timeout=10) as response:  # noqa: S310 - a test URL
        return json.loads(response.read()), dict(response.headers)


@pytest.mark.integration
def test_caddy_serves_the_hub_and_grafana_over_https_with_the_internal_ca(proxy: tuple[LocalCaddy, Path]) -> None:
    caddy, ca_file = proxy
    base = f"https://localhost:{caddy.https_port}"
    hub, headers = _get(f"{base}/console/orders?x=1", ca_file)
    assert (hub["upstream"], hub["path"]) == ("hub", "/console/orders?x=1")
    assert hub["forwarded_for"] == "127.0.0.1" and hub["forwarded_proto"] == "https"
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers["Referrer-Policy"] == "no-referrer" and "Server" not in headers  # the hub's own policy stays
    grafana, headers = _get(f"{base}/grafana/api/health", ca_file)
    assert (grafana["upstream"], grafana["path"]) == ("grafana", "/grafana/api/health")
    assert headers["Referrer-Policy"] == "same-origin"  # Caddy's, where the upstream set none
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(base, context=ssl.create_default_context(), timeout=10)
