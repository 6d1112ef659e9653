"""The `store` fixture of the ReadingStore contract: every test runs on InfluxDB 1.x and the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.embedded import EmbeddedStore
from storage.influx import InfluxV1Store
from tests.integration.storage.store_cases import Store


@pytest.fixture(params=["influxdb", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store
    if request.param == "influxdb":
        # Only this parameter starts influxd, so the embedded half runs without the binary.
        server = request.getfixturevalue("influxd")
        backend = InfluxV1Store(server.url, "contract")
        backend.ensure_database()
    else:
        backend = EmbeddedStore(tmp_path / "readings.db")
    yield backend
    backend.close()
