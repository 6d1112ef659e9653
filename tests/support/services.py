"""Test access to the local servers: a missing binary skips locally and fails under CI."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.support.servers import (
    Influxd,
    MissingBinary,
    Mosquitto,
    MotoS3,
    ServerProcess,
    VictoriaMetrics,
    free_port,
    port_open,
    wait_until,
)

__all__ = ["Influxd", "Mosquitto", "MotoS3", "VictoriaMetrics", "free_port", "make_server", "port_open", "wait_until"]

S = TypeVar("S", bound=ServerProcess)


def make_server(factory: Callable[[Path], S], workdir: Path) -> S:
    try:
        return factory(workdir)
    except MissingBinary as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI must run every integration test")
        pytest.skip(str(exc))
