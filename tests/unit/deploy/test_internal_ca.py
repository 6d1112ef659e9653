"""deploy/certs/make-internal-ca.sh with the real openssl: a CA, and certificates that verify for every name given."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import MissingBinary, require_binary
from tests.support.tls import MAKE_INTERNAL_CA, make_internal_ca


@pytest.fixture
def openssl() -> str:
    try:
        return require_binary("openssl")
    except MissingBinary as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI must run every test")
        pytest.skip(str(exc))


def _x509(openssl: str, path: Path, *args: str) -> str:
    return subprocess.run(
        [openssl, "x509", "-in", str(path), "-noout", *args], capture_output=True, text=True, check=True
    ).stdout


def test_it_makes_a_ca_and_server_certificates_for_every_name(tmp_path: Path, openssl: str) -> None:
    certs = make_internal_ca(tmp_path, "hub.lakeview.lan", "192.168.10.5", "fd00::5")
    ca = tmp_path / "ca"
    for service in ("hub", "mqtt"):
        verified = subprocess.run(
            [openssl, "verify", "-CAfile", str(ca / "ca.crt"), str(certs / f"{service}.crt")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr
        names = _x509(openssl, certs / f"{service}.crt", "-ext", "subjectAltName")
        assert "DNS:hub.lakeview.lan" in names and "IP Address:192.168.10.5" in names
        assert "IP ADDRESS:FD00:0:0:0:0:0:0:5" in names.upper()
        usage = _x509(openssl, certs / f"{service}.crt", "-ext", "extendedKeyUsage,basicConstraints")
        assert "TLS Web Server Authentication" in usage and "CA:FALSE" in usage
        # Valid for 825 days, not more: iOS refuses longer server certificates.
        assert (
            subprocess.run(
                [openssl, "x509", "-in", str(certs / f"{service}.crt"), "-noout", "-checkend", str(824 * 86400)],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
        assert stat.S_IMODE((certs / f"{service}.key").stat().st_mode) == 0o600
    assert "CA:TRUE" in _x509(openssl, ca / "ca.crt", "-ext", "basicConstraints")
    assert (certs / "ca.crt").read_bytes() == (ca / "ca.crt").read_bytes()
    assert not (certs / "ca.key").exists()  # the CA's key never lands in a folder a container mounts
    assert stat.S_IMODE((ca / "ca.key").stat().st_mode) == 0o600


def test_running_again_renews_the_certificates_and_keeps_the_ca(tmp_path: Path, openssl: str) -> None:
    certs = make_internal_ca(tmp_path, "hub.lakeview.lan")
    ca_before = (tmp_path / "ca" / "ca.crt").read_bytes()
    serial_before = _x509(openssl, certs / "mqtt.crt", "-serial")
    make_internal_ca(tmp_path, "hub.lakeview.lan")
    assert (tmp_path / "ca" / "ca.crt").read_bytes() == ca_before  # phones and devices keep trusting it
    assert _x509(openssl, certs / "mqtt.crt", "-serial") != serial_before


def test_without_a_name_it_prints_its_usage(tmp_path: Path, openssl: str) -> None:
    result = subprocess.run(["sh", str(MAKE_INTERNAL_CA)], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "usage:" in result.stderr
    assert not (tmp_path / "ca").exists()
