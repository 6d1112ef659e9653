"""Fixtures that start real servers. Missing binaries skip locally and fail under CI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from storage.database import make_engine, session_factory, upgrade
from tests.support.postgres import POSTGRES_ADMIN_URL, sqlalchemy_url, throwaway_database
from tests.support.services import Influxd, Mosquitto, MotoS3, VictoriaMetrics, make_server

__all__ = ["EXAMPLE_SITE", "POSTGRES_ADMIN_URL"]

EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "examples" / "site.toml"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = make_server(Mosquitto, tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[Influxd]:
    server = make_server(Influxd, tmp_path / "influxd")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def victoria_metrics(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = make_server(VictoriaMetrics, tmp_path / "vm")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoS3]:
    """moto's S3-compatible server on a free port; boto3's credentials in the environment only, none of the
    developer's own AWS files or instance role."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "facilities-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "facilities-test-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = make_server(MotoS3, tmp_path / "moto")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the machine's PostgreSQL, dropped afterwards."""
    with throwaway_database("facilities_test") as dsn:
        yield sqlalchemy_url(dsn)


@pytest.fixture
def example_site_path() -> Path:
    return EXAMPLE_SITE


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated SQLite file of the test's own."""
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()
