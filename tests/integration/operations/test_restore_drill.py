"""The restore drill on real PostgreSQL and influxd 1.x: a hub's orders, alert history, statements and readings
are backed up while readings keep arriving, restored onto a fresh installation, and everything matches.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerts.handlers import outbox_unit_of_work as OutboxUnitOfWork
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from billing.run import run_billing
from core.clock import FakeClock
from core.settings import Settings
from operations.archive import ArchiveError
from operations.backup import create_backup
from operations.restore import InstallationInUse, restore_backup
from storage.database import make_engine, session_factory, upgrade
from storage.influx import InfluxV1Store
from tests.integration.alerts.conftest import PLACES, ROUTING, ROUTING_FILE
from tests.support.postgres import sqlalchemy_url, throwaway_database
from tests.support.services import Influxd, make_server
from tests.unit.billing.sample import BILLING_TOML, CONFIG, OCTOBER, SITE_TOML, cst, make_site, write
from tests.unit.workorders.builders import T0, elevator_alarm
from workorders import service

pytestmark = pytest.mark.integration
LIVE_METER = "E-0101"
LIVE_START = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def postgres_pair() -> Iterator[tuple[str, str]]:
    with throwaway_database("drill_src") as source, throwaway_database("drill_dst") as target:
        yield sqlalchemy_url(source), sqlalchemy_url(target)


@pytest.fixture
def influx_pair(tmp_path: Path) -> Iterator[tuple[Influxd, Influxd]]:
    servers = (make_server(Influxd, tmp_path / "influx-src"), make_server(Influxd, tmp_path / "influx-dst"))
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


def installation(root: Path, database_url: str, influx: Influxd) -> Settings:
    config = root / "config"
    return Settings(
        data_dir=root / "data", database_url=database_url, influx_url=influx.url, influx_db="facilities",
        site_file=config / "site.toml", billing_file=config / "billing.toml", alerts_file=config / "alerts.toml",
    )  # fmt: skip


def populate(settings: Settings, influx: Influxd) -> dict[str, Any]:
    """A hub's month: meter readings, statements billed from them, orders opened by alarms with their alerts."""
    for path, text in ((settings.site_file, SITE_TOML), (settings.billing_file, BILLING_TOML),
                       (settings.alerts_file, ROUTING)):  # fmt: skip
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "console-secret").write_text("f" * 48)
    (settings.data_dir / "uploads" / "WO-1").mkdir(parents=True)
    (settings.data_dir / "uploads" / "WO-1" / "photo.jpg").write_bytes(bytes(range(256)) * 40)
    upgrade(settings.database_url)
    site = make_site("drill")
    store = InfluxV1Store(influx.url, "facilities")
    store.ensure_database()
    write(store, "W-0101", [(cst(2025, 12, 31, 23, 50), 50.0), (cst(2026, 9, 30, 23, 50), 250.0),
                            (cst(2026, 10, 31, 23, 50), 280.0)], site)  # fmt: skip
    write(store, "E-0101", [(cst(2026, 9, 30, 23, 50), 1000.0), (cst(2026, 10, 31, 23, 50), 1450.5)], site)
    write(store, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0), (cst(2026, 10, 31, 23, 50), 562.0)], site)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    clock = FakeClock(T0)
    run_billing(site, store, sessions, OCTOBER, CONFIG, clock=clock)
    outbox = AlertOutbox(Routing(ROUTING_FILE), places=PLACES, clock=clock)
    for n, asset in enumerate(("B1-L1", "B1-L2", "B2-L1")):
        clock.advance(timedelta(minutes=n + 1))
        alarm = elevator_alarm(asset_id=asset, site_id=site.id, raised_at=clock.now())
        service.open_from_alarm(OutboxUnitOfWork(sessions, outbox), alarm, clock=clock)
    engine.dispose()
    return {"site": site, "store": store}


def table_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            return {n: connection.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}  # noqa: S608
    finally:
        engine.dispose()


def amounts(url: str) -> list[tuple[str, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT s.unit_id, s.period, s.total, l.meter_id, l.consumption, l.amount FROM billing_statements s "
                "JOIN billing_statement_lines l ON l.statement_id = s.id ORDER BY s.unit_id, l.meter_id"
            ))  # fmt: skip
            return [tuple(str(v) for v in row) for row in rows]
    finally:
        engine.dispose()


def live_readings(influx: Influxd, until: datetime | None = None) -> int:
    """Readings the meter sent since LIVE_START (up to `until`)."""
    where = f" AND time > '{LIVE_START.isoformat()}'" + (f" AND time <= '{until.isoformat()}'" if until else "")
    query = f"SELECT count(\"total\") FROM meter WHERE meter_id = '{LIVE_METER}'{where}"  # noqa: S608
    rows = influx.query(query, "facilities")
    return int(rows[0]["count"]) if rows else 0  # type: ignore[call-overload]


def test_backup_while_readings_arrive_then_restore_onto_a_fresh_installation(
    tmp_path: Path, postgres_pair: tuple[str, str], influx_pair: tuple[Influxd, Influxd]
) -> None:
    (src_db, dst_db), (src_influx, dst_influx) = postgres_pair, influx_pair
    source = installation(tmp_path / "src", src_db, src_influx)
    target = installation(tmp_path / "dst", dst_db, dst_influx)
    hub = populate(source, src_influx)
    stop, written = threading.Event(), [0]

    def keep_publishing() -> None:  # the meter keeps reporting, one reading per simulated minute
        while not stop.is_set():
            n = written[0] + 1
            write(hub["store"], LIVE_METER, [(LIVE_START + timedelta(minutes=n), 2000.0 + n)], hub["site"])
            written[0] = n  # counted once InfluxDB confirmed it

    publisher = threading.Thread(target=keep_publishing)
    publisher.start()
    try:
        while written[0] < 50:  # some before the backup begins
            threading.Event().wait(0.01)
        before = written[0]
        rpc = f"127.0.0.1:{src_influx.rpc_port}"
        archive = create_backup(source, tmp_path / "backups", FakeClock(T0), influx_rpc=rpc)
        during = written[0] - before
    finally:
        stop.set()
        publisher.join()
    assert during > 0, "readings must keep arriving while the backup runs"

    restored = restore_backup(archive, target, influx_rpc=f"127.0.0.1:{dst_influx.rpc_port}")
    assert restored.manifest.parts["database"]["kind"] == "postgresql"
    counts = table_counts(src_db)
    assert counts["work_orders"] == 3 and counts["billing_statements"] == 2 and counts["alert_outbox"] >= 3
    assert table_counts(dst_db) == counts
    assert amounts(dst_db) == amounts(src_db) and len(amounts(src_db)) == 4
    # every reading confirmed before the backup began is restored; none is torn or invented
    cutoff = LIVE_START + timedelta(minutes=before)
    assert live_readings(dst_influx, cutoff) == live_readings(src_influx, cutoff) == before
    assert before <= live_readings(dst_influx) <= written[0]
    for meter in ("W-0101", "G-0101"):
        query = f'SELECT count("total"), sum("total") FROM meter WHERE meter_id = \'{meter}\''  # noqa: S608
        assert dst_influx.query(query, "facilities") == src_influx.query(query, "facilities")
    for name in ("config/site.toml", "config/billing.toml", "config/alerts.toml", "data/console-secret",
                 "data/uploads/WO-1/photo.jpg"):  # fmt: skip
        assert (tmp_path / "dst" / name).read_bytes() == (tmp_path / "src" / name).read_bytes(), name

    # the restored installation is now live: a second restore is refused, --force replaces it
    with pytest.raises(InstallationInUse, match=r"the database has tables.*--force"):
        restore_backup(archive, target, influx_rpc=f"127.0.0.1:{dst_influx.rpc_port}")
    restore_backup(archive, target, force=True, influx_rpc=f"127.0.0.1:{dst_influx.rpc_port}")
    assert table_counts(dst_db) == counts and live_readings(dst_influx, cutoff) == before

    # a corrupted archive is refused by its checksums before anything is touched
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted = tmp_path / "backups" / "corrupted.tar.gz"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="corrupted"):
        restore_backup(corrupted, target, force=True, influx_rpc=f"127.0.0.1:{dst_influx.rpc_port}")
    assert table_counts(dst_db) == counts
