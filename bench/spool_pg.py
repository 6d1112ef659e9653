"""Spool benchmark: accept throughput of the spool in PostgreSQL against the SQLite spool, same run.

    .venv/bin/python bench/spool_pg.py --readings 50000 --group 500

The same meter readings are committed through `accept_many` in groups of `--group` one-reading messages
(the MQTT collector's group commit: `group_max` = 500), once into a SQLite spool in a temporary folder and
once into a PgSpool on a database of its own on FACILITIES_BENCH_POSTGRES (default: the local server,
user postgres), created and dropped by this script. A small group size (`--group 1`) shows the cost of
each commit: a network round trip and a WAL flush on the server instead of a local fsync.
Prints JSON with both rates (readings/s), the commit latency of each, and ratio = postgresql / sqlite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import load_site
from core.validation import ReadingValidator
from storage.database import upgrade
from storage.pg_spool import PgSpool
from storage.spool import Spool
from storage.spool_base import SpoolBase

SITE_FILE = Path(__file__).resolve().parents[1] / "examples" / "site.toml"
ADMIN = os.environ.get("FACILITIES_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime.now(UTC)


def groups(count: int, size: int, meters: list[str]) -> list[list[tuple[list[Reading], str]]]:
    readings = [
        Reading(meters[n % len(meters)], NOW - timedelta(minutes=count - n), {"total": 1000.0 + n / 10})
        for n in range(count)
    ]
    messages = [([r], f"facilities/lakeview/{r.asset_id}/telemetry") for r in readings]
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def rate(spool: SpoolBase, batches: list[list[tuple[list[Reading], str]]]) -> tuple[float, float]:
    """Readings per second through accept_many, and the mean seconds per commit."""
    started = time.perf_counter()
    for batch in batches:
        if spool.accept_many(batch) != len(batch):
            raise RuntimeError(f"the spool refused part of a group: {spool.stats}")
    elapsed = time.perf_counter() - started
    return sum(map(len, batches)) / elapsed, elapsed / len(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=50_000)
    parser.add_argument("--group", type=int, default=500)
    args = parser.parse_args()
    site = load_site(SITE_FILE)
    clock = FakeClock(NOW)
    validator = ReadingValidator(AssetRegistry.from_site(site), clock)
    batches = groups(args.readings, args.group, sorted(site.meters))
    name = f"facilities_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
        with tempfile.TemporaryDirectory() as folder:
            sqlite = Spool(Path(folder) / "spool.db", validator, clock, max_readings=10**9)
            sqlite_rate, sqlite_commit = rate(sqlite, batches)
            sqlite.close()
        pg = PgSpool(dsn, validator, clock, site_id=site.id, max_readings=10**9)
        pg_rate, pg_commit = rate(pg, batches)
        pg.close()
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {
        "readings": args.readings,
        "group": args.group,
        "sqlite_spool_per_s": round(sqlite_rate),
        "postgresql_spool_per_s": round(pg_rate),
        "sqlite_ms_per_commit": round(sqlite_commit * 1000, 2),
        "postgresql_ms_per_commit": round(pg_commit * 1000, 2),
        "ratio": round(pg_rate / sqlite_rate, 3),
        "machine": f"{platform.machine()} {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
