"""A throw-away CA with a server and a client certificate, made with the openssl command."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import BrokerTls, require_binary


@dataclass(frozen=True)
class PkiFiles:
    ca_file: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def broker(self, *, require_client_cert: bool = False) -> BrokerTls:
        return BrokerTls(self.ca_file, self.server_cert, self.server_key, require_client_cert)


def make_pki(folder: Path) -> PkiFiles:
    openssl = require_binary("openssl")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=folder)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=facilities-test-ca")  # fmt: skip
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, extra in (("server", ["-extfile", "server.ext"]), ("client", [])):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", *extra)  # fmt: skip
    return PkiFiles(
        folder / "ca.crt", folder / "server.crt", folder / "server.key", folder / "client.crt", folder / "client.key"
    )


MAKE_INTERNAL_CA = Path(__file__).resolve().parents[2] / "deploy" / "certs" / "make-internal-ca.sh"


def make_internal_ca(folder: Path, *names: str) -> Path:
    """Run the shipped deploy/certs/make-internal-ca.sh into `folder` (CA in ca/, certificates in certs/).

    Returns the certs folder: ca.crt, hub.crt/.key, mqtt.crt/.key for `names` (default localhost, 127.0.0.1).
    """
    require_binary("openssl")
    env = {**os.environ, "CERTS_DIR": str(folder / "certs"), "CA_DIR": str(folder / "ca")}
    made = subprocess.run(
        ["sh", str(MAKE_INTERNAL_CA), *(names or ("localhost", "127.0.0.1"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if made.returncode != 0:
        raise RuntimeError(f"make-internal-ca.sh failed:\n{made.stderr}")
    return folder / "certs"
