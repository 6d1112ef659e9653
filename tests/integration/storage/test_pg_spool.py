"""The spool in PostgreSQL beyond the shared contract: sites apart, ids in commit order, takeover, faults.

The contract both spools keep runs in tests/unit/storage/test_spool*.py; here, what only PostgreSQL has:
several writers and processes on one database, a new owner of a site, a connection killed mid-batch.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from storage.database import make_engine
from storage.libpq import libpq_dsn
from storage.pg_spool import PgSpool
from storage.spool import SpoolUnavailable
from tests.support.services import free_port, wait_until
from tests.unit.core.test_config import MINIMAL

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SITE_TEXT = MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n'
REGISTRY = AssetRegistry.from_site(parse_site(SITE_TEXT))
CLOCK = FakeClock(NOW)


@pytest.fixture
def dsn(migrated_postgres: str) -> str:
    return libpq_dsn(migrated_postgres)


@pytest.fixture
def site() -> str:
    return f"pg-spool-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def opened() -> Iterator[list[PgSpool]]:
    spools: list[PgSpool] = []
    yield spools
    for spool in spools:
        spool.close()


def open_spool(dsn: str, site: str, opened: list[PgSpool], **kw: object) -> PgSpool:
    spool = PgSpool(dsn, ReadingValidator(REGISTRY, CLOCK), CLOCK, site_id=site, **kw)  # type: ignore[arg-type]
    opened.append(spool)
    return spool


def meter(n: int) -> Reading:
    return Reading("B1-0101-W", NOW - timedelta(seconds=n), {"total": float(n)})


def totals(spool: PgSpool, consumer: str = "store") -> list[float]:
    return [float(item.reading.fields["total"]) for item in spool.take(100_000, consumer)]


def write_from_threads(jobs: list[tuple[PgSpool, list[int]]], group: int = 10) -> None:
    """Each job's readings accepted from a thread of its own, `group` messages per commit; any error fails."""
    errors: list[BaseException] = []

    def run(spool: PgSpool, numbers: list[int]) -> None:
        try:
            for start in range(0, len(numbers), group):
                batch = [([meter(n)], f"t{n}") for n in numbers[start : start + group]]
                assert spool.accept_many(batch) == len(batch)
        except BaseException as exc:  # reported below: a thread must not fail unseen
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_two_sites_written_concurrently_keep_their_own_cursors_and_counts(dsn: str, opened: list[PgSpool]) -> None:
    east, west = f"east-{uuid.uuid4().hex[:8]}", f"west-{uuid.uuid4().hex[:8]}"
    a = open_spool(dsn, east, opened, consumers=("store", "rules"))
    b = open_spool(dsn, west, opened, consumers=("store", "rules"))
    # Two writers per site, each with its own connections (as two processes would be).
    a2, b2 = open_spool(dsn, east, opened), open_spool(dsn, west, opened)
    write_from_threads([(a, list(range(0, 200))), (a2, list(range(200, 400))),
                        (b, list(range(1000, 1150))), (b2, list(range(1150, 1300)))])  # fmt: skip
    a.reject(source="east", payload=b"x", error="undecodable")

    east_rows, west_rows = a.take_rows(100_000, "store"), b.take_rows(100_000, "store")
    assert [row[0] for row in east_rows] == list(range(1, 401))  # gap-free, in order, per site
    assert [row[0] for row in west_rows] == list(range(1, 301))
    assert sorted(totals(a)) == [float(n) for n in range(400)]
    assert sorted(totals(b)) == [float(n) for n in range(1000, 1300)]

    a.advance("store", 150)
    a.advance("rules", 100)
    assert (a.depth, a.lag("store"), a.lag("rules")) == (300, 250, 300)
    assert (b.depth, b.lag("store"), b.lag("rules")) == (300, 300, 300)  # the other site is untouched
    assert (a.dead_letter_count(), b.dead_letter_count()) == (1, 0)


def test_a_consumer_never_skips_a_reading_committed_later_with_a_lower_id(
    dsn: str, site: str, opened: list[PgSpool]
) -> None:
    """Writers of one site race while a consumer takes and advances: every reading is taken exactly once."""
    consumer = open_spool(dsn, site, opened)
    writers = [open_spool(dsn, site, opened) for _ in range(3)]
    taken: list[float] = []
    done = threading.Event()

    def consume() -> None:
        while True:
            finished = done.is_set()  # read before taking: a last full round after the writers stopped
            consumer.wait_for_readings("store", 0.01)
            rows = consumer.take(500)
            if rows:
                taken.extend(float(item.reading.fields["total"]) for item in rows)
                consumer.advance("store", rows[-1].id)
            elif finished:
                return

    reader = threading.Thread(target=consume)
    reader.start()
    write_from_threads([(w, list(range(i * 300, (i + 1) * 300))) for i, w in enumerate(writers)], group=3)
    done.set()
    reader.join(60)
    assert sorted(taken) == [float(n) for n in range(900)]  # none skipped, none twice
    assert consumer.lag("store") == 0


def test_the_new_owner_of_a_site_sees_exactly_what_was_not_consumed(dsn: str, site: str, opened: list[PgSpool]) -> None:
    old = open_spool(dsn, site, opened, consumers=("store", "rules"))
    old.accept_many([([meter(n)], "m") for n in range(10)])
    old.accept_many([([Reading("NOPE", NOW, {"total": 1.0})], "m")])
    old.advance("store", 6)
    old.advance("rules", 3)
    # The old owner's machine is gone: its connections die with it, nothing is closed.
    with psycopg.connect(dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE %s",
            (f"facilities-spool-{site}-%",),
        ).fetchone()
    assert killed is not None and killed[0] >= 1

    new = open_spool(dsn, site, opened, consumers=("store", "rules"))
    assert totals(new, "store") == [6.0, 7.0, 8.0, 9.0]
    assert totals(new, "rules") == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert (new.depth, new.lag("store"), new.lag("rules")) == (7, 4, 7)
    assert new.oldest_pending_at("store") == NOW  # counted from the takeover: a lower bound, as after a restart
    assert ["unknown asset id 'NOPE'" in d.error for d in new.dead_letters()] == [True]
    new.accept_many([([meter(20)], "m")])
    assert [row[0] for row in new.take_rows(10, "store")] == [7, 8, 9, 10, 11]  # ids go on from the old owner's


def test_a_commit_of_another_process_wakes_a_waiting_consumer_at_its_timeout(
    dsn: str, site: str, opened: list[PgSpool]
) -> None:
    owner, other = open_spool(dsn, site, opened), open_spool(dsn, site, opened)
    assert not owner.wait_for_readings("store", 0)
    other.accept_many([([meter(1)], "old owner, still running")])
    assert owner.wait_for_readings("store", 0)  # read from the site's counter once the wait timed out
    assert owner.depth == 1 and totals(owner) == [1.0]


def _waiting_backend(dsn: str, site: str) -> int | None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            (f"facilities-spool-{site}-writes",),
        ).fetchone()
    return int(row[0]) if row else None


def test_a_connection_killed_mid_batch_leaves_no_half_batch(dsn: str, site: str, opened: list[PgSpool]) -> None:
    spool = open_spool(dsn, site, opened)
    group = [([meter(n) for n in range(i * 50, (i + 1) * 50)], f"poll{i}") for i in range(6)]
    group.append(([Reading("NOPE", NOW, {"total": 1.0})], "stray"))  # a dead letter, written after the rows
    outcome: list[BaseException | int] = []
    # Held by another session, the dead-letter table lock stops the batch after its 300 rows were copied.
    with psycopg.connect(dsn) as locker:
        locker.execute("LOCK TABLE spool_dead_letters IN EXCLUSIVE MODE")
        worker = threading.Thread(target=lambda: outcome.append(_accept(spool, group)))
        worker.start()
        wait_until(lambda: _waiting_backend(dsn, site) is not None, "the batch waiting on the lock", 10)
        pid = _waiting_backend(dsn, site)
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        worker.join(10)
        locker.rollback()

    assert len(outcome) == 1 and isinstance(outcome[0], SpoolUnavailable), outcome
    assert site in str(outcome[0]) and spool.health.error is not None and spool.stats.unavailable == 1
    with psycopg.connect(dsn, autocommit=True) as check:
        counts = check.execute(
            "SELECT (SELECT count(*) FROM spool_readings WHERE site_id = %(s)s),"
            " (SELECT count(*) FROM spool_dead_letters WHERE site_id = %(s)s),"
            " (SELECT last_id FROM spool_sites WHERE site_id = %(s)s)",
            {"s": site},
        ).fetchone()
    assert counts == (0, 0, 0)  # nothing of the batch, not even its ids
    assert spool.depth == 0 and spool.stats.spooled == 0

    assert spool.accept_many(group) == 7  # the caller's retry, on a new connection
    assert [row[0] for row in spool.take_rows(1000)] == list(range(1, 301))
    assert spool.dead_letter_count() == 1 and spool.health.error is None


def _accept(spool: PgSpool, group: list[tuple[list[Reading], str]]) -> BaseException | int:
    try:
        return spool.accept_many(group)
    except Exception as exc:
        return exc


def test_hostile_values_become_dead_letters_naming_the_field(dsn: str, site: str, opened: list[PgSpool]) -> None:
    spool = open_spool(dsn, site, opened)
    hostile = {
        "nan": Reading("B1-0101-W", NOW, {"total": float("nan")}),
        "huge": Reading("L1", NOW, {"floor": 2**70}),
        "surrogate": Reading("L1", NOW, {"state": "moving\ud800"}),
        "nul": Reading("L1", NOW, {"door": "open\x00"}),
    }
    messages = [([meter(1)], "ok"), *[([r], name) for name, r in hostile.items()], ([meter(2)], "ok")]
    assert spool.accept_many(messages) == 6
    assert totals(spool) == [1.0, 2.0]
    errors = {d.source: d.error for d in spool.dead_letters()}
    assert set(errors) == set(hostile)
    assert "field 'total'" in errors["nan"] and "not finite" in errors["nan"]
    assert "field 'floor'" in errors["huge"] and "64-bit" in errors["huge"]
    assert "field 'state'" in errors["surrogate"] and "surrogate" in errors["surrogate"]
    assert "field 'door'" in errors["nul"] and "NUL" in errors["nul"]


def test_text_postgresql_cannot_hold_is_split_out_and_made_safe(dsn: str, site: str, opened: list[PgSpool]) -> None:
    """Past validation (a fake that passes everything): NUL in an asset id or a topic is PostgreSQL's refusal."""

    class PassThrough(ReadingValidator):
        def coerced_fields(self, reading: Reading, now: datetime) -> dict[str, object]:  # type: ignore[override]
            return dict(reading.fields)

    spool = PgSpool(dsn, PassThrough(REGISTRY, CLOCK), CLOCK, site_id=site)
    opened.append(spool)
    group = [([meter(1)], "a"), ([Reading("B1-\x00", NOW, {"total": 2.0})], "topic/\x00/x"), ([meter(3)], "b")]
    assert spool.accept_many(group) == 3
    assert totals(spool) == [1.0, 3.0]
    (letter,) = spool.dead_letters()
    assert letter.source == "topic/\ufffd/x" and "the spool refused it" in letter.error
    assert "0x00" in letter.error and "column asset_id" in letter.error  # PostgreSQL names what it refused
    assert b'"asset_id": "B1-\\u0000"' in letter.payload


def test_the_tables_exist_on_postgresql_only(dsn: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from storage.database import make_engine, upgrade

    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("spool_")]
    engine.dispose()
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'spool%%'").fetchall()
    assert {r[0] for r in rows} == {"spool_sites", "spool_readings", "spool_cursors", "spool_dead_letters"}


def test_after_the_server_dropped_idle_connections_reads_go_on_and_a_write_fails_once(
    dsn: str, site: str, opened: list[PgSpool]
) -> None:
    spool = open_spool(dsn, site, opened)
    spool.accept_many([([meter(n)], "m") for n in range(3)])
    with psycopg.connect(dsn, autocommit=True) as admin:  # a failover, a restart of PostgreSQL, a proxy timeout
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE %s",
            (f"facilities-spool-{site}-%",),
        )
    assert spool.lag("store") == 3  # a read is tried once more on a new connection
    with pytest.raises(SpoolUnavailable, match="terminating connection"):
        spool.accept_many([([meter(9)], "m")])  # a write is not: its caller keeps the message un-acked
    assert spool.accept_many([([meter(9)], "m")]) == 1
    assert totals(spool) == [0.0, 1.0, 2.0, 9.0]


def test_a_database_without_the_spool_tables_is_refused_saying_what_to_run() -> None:
    from tests.support.postgres import throwaway_database

    missing = r"tables spool_sites, .* are missing; run `facilities db upgrade`"
    with throwaway_database("facilities_unmigrated") as bare, pytest.raises(SpoolUnavailable, match=missing):
        PgSpool(bare, ReadingValidator(REGISTRY, CLOCK), CLOCK, site_id="s1")
    with pytest.raises(ValueError, match="needs the id of the site"):
        PgSpool("postgresql://x/y", ReadingValidator(REGISTRY, CLOCK), CLOCK, site_id="")
    with pytest.raises(ValueError, match="needs a postgresql:// database URL, not sqlite://"):
        libpq_dsn("sqlite:///var/facilities.db")


def test_a_producer_only_view_commits_for_the_owner_and_keeps_no_history(
    dsn: str, site: str, opened: list[PgSpool]
) -> None:
    """A collector replica (facilities collect), on this machine or another, writes the site's rows too."""
    owner = open_spool(dsn, site, opened, consumers=("store",))
    replica = open_spool(dsn, site, opened, consumers=())
    for n in range(50):
        assert replica.accept_many([([meter(n)], "replica")]) == 1
    assert not replica._commits  # it never advances a cursor, so it must not remember every commit
    assert owner.wait_for_readings("store", 0)  # seen from the site's counter
    assert sorted(totals(owner)) == [float(n) for n in range(50)]


def test_a_primary_and_standby_url_reaches_the_server_that_answers(
    migrated_postgres: str, site: str, opened: list[PgSpool]
) -> None:
    """libpq's multi-host form, as SQLAlchemy spells it: the first host refuses, the spool (and the engines) go on
    to the next, as they would to a promoted standby; before, the spool kept only the last host of the list."""
    real = make_url(migrated_postgres)
    dead = f"127.0.0.1:{free_port()}"
    both = real.set(host=None, port=None).update_query_pairs(
        [("host", dead), ("host", f"{real.host}:{real.port or 5432}"), ("target_session_attrs", "read-write")]
    )
    url = both.render_as_string(hide_password=False)
    spool = open_spool(libpq_dsn(url), site, opened)
    assert spool.accept_many([([meter(n)], f"t{n}") for n in range(3)]) == 3
    assert totals(spool) == [0.0, 1.0, 2.0]
    with make_engine(url).connect() as connection:
        assert (
            connection.execute(text("select count(*) from spool_readings where site_id = :s"), {"s": site}).scalar()
            == 3
        )
    reversed_order = real.set(host=None, port=None).update_query_pairs(
        [("host", f"{real.host}:{real.port or 5432}"), ("host", dead)]
    )
    other = open_spool(libpq_dsn(reversed_order.render_as_string(hide_password=False)), site, opened)
    assert other.accept_many([([meter(3)], "t3")]) == 1  # the live host first, the dead one last: still reached
    assert totals(other)[-1] == 3.0  # read back through that URL too
