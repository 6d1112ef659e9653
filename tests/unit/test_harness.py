"""The service fixtures must fail, not skip, under CI: a green CI has to mean the servers ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.servers import MissingBinary, ServerProcess
from tests.support.services import make_server


def missing(_workdir: Path) -> ServerProcess:
    raise MissingBinary("influxd is not installed (apt-get install -y influxdb)")


def test_missing_binary_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run every integration test"):
        make_server(missing, tmp_path)


def test_missing_binary_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y influxdb"):
        make_server(missing, tmp_path)
