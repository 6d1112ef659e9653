"""Billing benchmark: a month of 15-minute readings of ~10,000 meters in a real influxd, billed end to end,
next to the bare InfluxQL query that fetches the same first/last values.

    .venv/bin/python bench/billing.py --meters 10000 --days 31

A generated site (buildings × floors × units, one water, electricity and gas meter per unit) gets readings
every 15 minutes over the period, plus a few around 1 January so annual tiers find the tariff year's start.
Then, with examples/billing.toml (interpolated boundaries, annual tiers):
  (a) bare:      SELECT first("total"), last("total") … GROUP BY "meter_id" over the period, one request;
  (a') boundary: the bare InfluxQL for the registers billing needs: last before / first after each boundary
                 (period start, end, 1 January) within the 6 h tolerance, GROUP BY "meter_id": six requests;
  (b) ours:      run_billing: boundary registers in bulk (InfluxRegisterReader), consumption, tiers and prices
                 per meter, one draft statement per unit stored in SQLite.
Prints JSON with the times, ratio = b / a and ratio_vs_boundary_queries = b / a'.

Target: the billing run takes at most 2 × the six bare boundary queries for 10,000 meters
(ratio_vs_boundary_queries ≤ 2.0; `meets_target` says whether this run did). The queries are the floor: billing
cannot read less than the registers either side of each boundary, so everything else it does (replacements,
estimates, tiers, prices, storing 3,400 statements) is held to the same time again. Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from billing.config import load_billing_config
from billing.influx_registers import InfluxRegisterReader
from billing.periods import BillingPeriod
from billing.run import run_billing
from core.clock import FakeClock
from core.reading import to_ns
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import parse_site
from storage.database import make_engine, session_factory, upgrade
from storage.influx import InfluxV1Store
from tests.support.servers import Influxd

ROOT = Path(__file__).resolve().parents[1]
PERIOD = BillingPeriod(2026, 10)
TIMEZONE = "Asia/Shanghai"
STEP = timedelta(minutes=15)
# Use per 15 minutes, by utility code: m³ of water, kWh, m³ of gas.
USE = {"W": 0.004, "E": 0.09, "G": 0.002}


# The billing run may take at most this many times the six bare boundary queries (see the docstring).
TARGET_RATIO = 2.0


def site_for(meters: int) -> Site:
    """Buildings of 30 floors × 10 units until there are about `meters` meters (three per unit)."""
    units = -(-meters // 3)
    buildings = -(-units // 300)
    text = '[site]\nid = "bench"\nname = "Bench"\ntimezone = "Asia/Shanghai"\n'
    for b in range(1, buildings + 1):
        floors = min(30, -(-(units - (b - 1) * 300) // 10))
        layout = f"{{ last_floor = {floors}, units_per_floor = 10 }}"
        text += f'[[buildings]]\nid = "B{b}"\nfloors = 30\nunit_layout = {layout}\n'
    return parse_site(text + '[[meter_groups]]\nutilities = ["water", "electricity", "gas"]\n')


def lines(site: Site, start: datetime, end: datetime, year_start: datetime) -> Iterator[str]:
    """Line protocol for every meter: 15-minute readings over [start, end), and three around 1 January."""
    registry = AssetRegistry.from_site(site)
    times = []
    at = start
    while at < end:
        times.append(at)
        at += STEP
    january = [year_start - STEP, year_start, year_start + STEP]
    steps_before = (start - year_start) // STEP
    for index, meter_id in enumerate(sorted(site.meters)):
        tags = ",".join(f"{k}={v}" for k, v in sorted(registry.get(meter_id).tags.items()))
        use = USE[meter_id[-1]] * (1 + index % 7 / 10)
        base = 100.0 + index % 50
        for n, when in enumerate(january):
            yield f"meter,{tags} total={round(base + (n - 1) * use, 3)!r} {to_ns(when)}"
        for n, when in enumerate(times):
            yield f"meter,{tags} total={round(base + (steps_before + n) * use, 3)!r} {to_ns(when)}"


def write_readings(influx: Influxd, site: Site, start: datetime, end: datetime) -> tuple[int, float]:
    year_start = datetime(PERIOD.year, 1, 1, tzinfo=start.tzinfo)
    began = time.perf_counter()
    count = 0
    with httpx.Client(base_url=influx.url, timeout=300) as http:
        http.post("/query", data={"q": 'CREATE DATABASE "bench"'}).raise_for_status()
        batch: list[str] = []
        for line in lines(site, start, end, year_start):
            batch.append(line)
            if len(batch) == 20_000:
                _post(http, batch)
                count += len(batch)
                batch = []
        _post(http, batch)
        count += len(batch)
    return count, time.perf_counter() - began


def _post(http: httpx.Client, batch: list[str]) -> None:
    if batch:
        body = gzip.compress("\n".join(batch).encode(), compresslevel=1)
        params = {"db": "bench", "precision": "ns"}
        http.post("/write", params=params, content=body, headers={"Content-Encoding": "gzip"}).raise_for_status()


def bare_first_last(store: InfluxV1Store, start: datetime, end: datetime) -> tuple[int, float]:
    began = time.perf_counter()
    rows = store.query(
        f'SELECT first("total"), last("total") FROM "meter" WHERE time >= {to_ns(start)}ns '  # noqa: S608
        f'AND time < {to_ns(end)}ns GROUP BY "meter_id"'
    )
    return len(rows), time.perf_counter() - began


def bare_boundaries(store: InfluxV1Store, window: timedelta, *boundaries: datetime) -> tuple[int, float]:
    began = time.perf_counter()
    rows = 0
    for when in boundaries:
        for selector, low, high in (("last", when - window, when), ("first", when, when + window)):
            rows += len(
                store.query(
                    f'SELECT {selector}("total") FROM "meter" WHERE time >= {to_ns(low)}ns '  # noqa: S608
                    f'AND time < {to_ns(high)}ns GROUP BY "meter_id"'
                )
            )
    return rows, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=31, help="days of readings from the period start (≤ 31)")
    args = parser.parse_args()
    site = site_for(args.meters)
    config = load_billing_config(ROOT / "examples" / "billing.toml")
    start, end = PERIOD.start(TIMEZONE), PERIOD.end(TIMEZONE)
    # A few hours either side, so both boundaries have readings around them.
    readings_end = min(end, start + timedelta(days=args.days)) + timedelta(hours=4)
    with tempfile.TemporaryDirectory() as folder:
        influx = Influxd(Path(folder) / "influxd")
        influx.start()
        try:
            points, write_s = write_readings(influx, site, start - timedelta(hours=4), readings_end)
            store = InfluxV1Store(influx.url, "bench", timeout_s=600)
            bare_rows, bare_s = bare_first_last(store, start, end)
            year_start = datetime(PERIOD.year, 1, 1, tzinfo=start.tzinfo)
            _, boundary_s = bare_boundaries(store, config.tolerance, start, end, year_start)
            url = f"sqlite:///{folder}/facilities.db"
            upgrade(url)
            sessions = session_factory(make_engine(url))
            clock = FakeClock(end + timedelta(hours=2))
            reader = InfluxRegisterReader(store, window=config.tolerance)
            began = time.perf_counter()
            run = run_billing(site, store, sessions, PERIOD, config, clock=clock, reader=reader)
            ours_s = time.perf_counter() - began
            lines_billed = sum(len(s.lines) for s in run.statements)
            estimated = sum(len(s.estimated_lines) for s in run.statements)
            store.close()
        finally:
            influx.stop()
    result = {
        "meters": len(site.meters),
        "units": len(site.units),
        "points": points,
        "write_points_per_s": round(points / write_s),
        "bare_first_last_query_s": round(bare_s, 3),
        "bare_rows": bare_rows,
        "bare_boundary_queries_s": round(boundary_s, 3),
        "billing_run_s": round(ours_s, 3),
        "statements": len(run.statements),
        "lines": lines_billed,
        "estimated_lines": estimated,
        "ratio": round(ours_s / bare_s, 2),
        "ratio_vs_boundary_queries": round(ours_s / boundary_s, 2),
        "target": f"billing run ≤ {TARGET_RATIO:g} × the six bare boundary queries",
        "meets_target": ours_s <= TARGET_RATIO * boundary_s,
        "machine": f"{platform.machine()} {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))
    if not result["meets_target"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
