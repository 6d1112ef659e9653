"""The spool in PostgreSQL behind a real broker: a replica's machine dies after acking, the next owner writes.

The old owner's collector acks what its PgSpool committed, then its machine is gone before its writer stored
anything (here: it never ran, and its database connections are terminated). A new replica with an empty data
folder of its own takes the site over (same broker session, same database) and stores exactly every reading,
none lost and none delivered again by the broker.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from core.settings import Settings
from facilities.bootstrap import build_ingest
from storage.database import upgrade
from storage.libpq import libpq_dsn
from storage.pg_spool import PgSpool
from tests.support.mqtt import publish
from tests.support.postgres import POSTGRES_ADMIN_URL, sqlalchemy_url, throwaway_database
from tests.support.services import Mosquitto, wait_until

pytestmark = pytest.mark.integration

METERS = [f"B1-{floor:02d}0{i}-E" for floor in (1, 2, 3) for i in (1, 2, 3)]
BASE_TS = (int(time.time()) // 86_400 - 3) * 86_400  # three days ago: valid, and later minutes still past


def messages(start: int, count: int) -> list[tuple[str, bytes | str | dict[str, object]]]:
    return [
        (f"facilities/lakeview/{METERS[n % len(METERS)]}/telemetry", {"ts": BASE_TS + n * 60, "total": 1000.0 + n})
        for n in range(start, start + count)
    ]


def expected_keys(total: int) -> set[tuple[str, int]]:
    return {(METERS[n % len(METERS)], (BASE_TS + n * 60) * 10**9) for n in range(total)}


def stored_keys(readings_db: Path) -> list[tuple[str, int]]:
    """Every stored `total` as (meter_id, time), read from the embedded store's file: a list, so duplicates show."""
    with sqlite3.connect(readings_db) as db:
        rows = db.execute(
            "SELECT s.tagset, p.ts_ns FROM points p JOIN series s ON s.id = p.series_id WHERE p.field = 'total'"
        ).fetchall()
    return [(dict(json.loads(tagset))["meter_id"], int(ts_ns)) for tagset, ts_ns in rows]


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database("facilities_pgspool") as dsn:
        url = sqlalchemy_url(dsn)
        upgrade(url)
        yield url


def _terminate_spool_connections(url: str) -> None:
    with psycopg.connect(libpq_dsn(url), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'facilities-spool-lakeview-%'"
        )


def test_while_postgresql_refuses_writes_messages_wait_unacked_and_none_is_lost(
    tmp_path: Path, mosquitto: Mosquitto, example_site_path: Path, database_url: str
) -> None:
    settings = Settings(
        mqtt_url=mosquitto.url, mqtt_client_id="facilities-site-lakeview", spool="postgresql",
        database_url=database_url, data_dir=tmp_path / "data", site_file=example_site_path,
    )  # fmt: skip
    ingest = build_ingest(settings)
    database = make_url(database_url).database
    ingest.collector.start()
    try:
        assert ingest.collector.subscribed.wait(10)
        publish(mosquitto.port, messages(0, 50))
        wait_until(lambda: ingest.collector.stats.accepted == 50, "the first 50 committed", 20)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
        _terminate_spool_connections(database_url)  # the spool reconnects, into a read-only database

        publish(mosquitto.port, messages(50, 50))
        # First the dropped connection, then (reconnected) the read-only database: each retry fails whole.
        wait_until(lambda: "read-only" in (ingest.spool.health.error or ""), "the spool to meet read-only", 20)
        assert ingest.collector.health.sink == "failing"
        assert ingest.collector.stats.accepted == 50 and ingest.spool.depth == 50

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:  # not read-only: another database
            admin.execute(f'ALTER DATABASE "{database}" RESET default_transaction_read_only')
        _terminate_spool_connections(database_url)
        wait_until(lambda: ingest.collector.stats.accepted == 100, "the held 50 committed once writable", 30)
        assert ingest.spool.health.error is None and ingest.collector.health.sink == "ok"
    finally:
        ingest.collector.stop()
    totals = sorted(float(item.reading.fields["total"]) for item in ingest.spool.take(1000))
    ingest.spool.close()
    assert totals == [1000.0 + n for n in range(100)]  # each once: nothing lost, nothing doubled


def test_the_next_owner_stores_what_a_dead_replica_acknowledged(
    tmp_path: Path, mosquitto: Mosquitto, example_site_path: Path, database_url: str
) -> None:
    def settings(machine: str) -> Settings:
        return Settings(
            mqtt_url=mosquitto.url,
            mqtt_client_id="facilities-site-lakeview",  # one broker session per site, whichever replica owns it
            spool="postgresql",
            database_url=database_url,
            data_dir=tmp_path / machine,
            site_file=example_site_path,
        )

    old = build_ingest(settings("old"))
    assert isinstance(old.spool, PgSpool) and old.spool.site_id == "lakeview"
    old.collector.start()  # its writer never runs: the machine dies with every reading unwritten
    try:
        assert old.collector.subscribed.wait(10)
        publish(mosquitto.port, messages(0, 120))
        wait_until(lambda: old.collector.stats.accepted == 120, "the old owner to commit and ack all 120", 20)
    finally:
        old.collector.stop()
    with psycopg.connect(libpq_dsn(database_url), autocommit=True) as admin:  # its connections die with it
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'facilities-spool-lakeview-%'"
        )

    new = build_ingest(settings("new"))
    assert (new.spool.depth, new.spool.lag("store")) == (120, 120)
    new.start()
    try:
        assert new.collector.subscribed.wait(10)
        publish(mosquitto.port, messages(120, 30))  # QoS 1 keeps order: a redelivery would come before these
        wait_until(lambda: new.collector.stats.accepted >= 30, "the new owner to take the next 30", 20)
        wait_until(lambda: new.writer.stats.written >= 150 and new.spool.depth == 0, "all 150 stored", 30)
        assert new.collector.stats.accepted == 30  # the broker redelivered nothing: the old owner's acks held
    finally:
        new.stop()
        old.spool.close()
    keys = stored_keys(tmp_path / "new" / "readings.db")
    assert len(keys) == 150 and set(keys) == expected_keys(150)


def test_deadletters_list_reads_the_sites_dead_letters_from_postgresql(
    tmp_path: Path, example_site_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from facilities.cli import app

    for name, value in {"SPOOL": "postgresql", "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path),
                        "SITE_FILE": str(example_site_path)}.items():  # fmt: skip
        monkeypatch.setenv(f"FACILITIES_{name}", value)
    spool = build_ingest(Settings()).spool
    spool.reject(source="facilities/lakeview/B1-0101-E/telemetry", payload=b"{not json", error="not JSON")
    spool.close()
    result = CliRunner().invoke(app, ["deadletters", "list"])
    assert result.exit_code == 0, result.output
    assert "1 dead letters in PostgreSQL " in result.output and "/facilities_pgspool_" in result.output
    assert "site lakeview" in result.output and "error: not JSON" in result.output

    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/f.db")
    refused = CliRunner().invoke(app, ["deadletters", "list"])
    assert refused.exit_code != 0 and "FACILITIES_SPOOL=postgresql" in refused.output


def test_an_unreachable_database_at_start_is_a_setup_error_naming_the_settings(
    tmp_path: Path, example_site_path: Path
) -> None:
    from facilities.bootstrap import SetupError

    closed_port = "postgresql+psycopg://postgres@127.0.0.1:1/facilities"  # nothing listens on port 1
    settings = Settings(spool="postgresql", database_url=closed_port, data_dir=tmp_path, site_file=example_site_path)
    with pytest.raises(SetupError, match=r"FACILITIES_SPOOL=postgresql, FACILITIES_DATABASE_URL: .*127\.0\.0\.1"):
        build_ingest(settings)


def test_a_collector_replica_on_another_machine_commits_into_the_sites_spool(
    tmp_path: Path, mosquitto: Mosquitto, example_site_path: Path, database_url: str
) -> None:
    from facilities.replica import build_collector_replica

    def settings(machine: str, replica: str) -> Settings:
        return Settings(
            mqtt_url=mosquitto.url, mqtt_client_id="hub", mqtt_protocol="5", mqtt_share_group="ingest-pg-0b7c2e91",
            mqtt_replica=replica, spool="postgresql", database_url=database_url, data_dir=tmp_path / machine,
            site_file=example_site_path,
        )  # fmt: skip

    hub = build_ingest(settings("one", "r1"))
    replica = build_collector_replica(settings("two", "r2"))  # no data folder in common with the hub
    assert isinstance(replica.spool, PgSpool) and replica.spool.consumers == ()
    hub.start()
    replica.start()
    try:
        assert hub.collector.subscribed.wait(10) and replica.collector.subscribed.wait(10)
        publish(mosquitto.port, messages(0, 300))
        wait_until(lambda: hub.writer.stats.written >= 300, "300 readings stored through the site's spool", 30)
        assert hub.collector.stats.accepted + replica.collector.stats.accepted == 300
        assert hub.collector.stats.accepted > 0 and replica.collector.stats.accepted > 0
    finally:
        replica.stop()
        hub.stop()
    keys = stored_keys(tmp_path / "one" / "readings.db")
    assert len(keys) == 300 and set(keys) == expected_keys(300)
