"""Memory of many sites, measured in a fresh interpreter per case; `bench/scale.py` runs the cases and prints them.

    .venv/bin/python bench/scale_memory.py model --sites 100
    .venv/bin/python bench/scale_memory.py hubs --sites 10 --database-url postgresql+psycopg://… --mqtt-url mqtt://…

`model`: the per-site parts a hub keeps in memory (site model, asset registry, validator with its last-seen
table, the rules engine with a monitor per built-in rule and asset), built for N generated sites of 1,000 meters
and fed two readings per meter so every monitor holds state. `hubs`: N full one-site hubs started through
facilities.site_hubs.SiteHubs (collector, spool, store writer, rules, dispatcher, scheduler, API app) as a replica
runs them, against the given PostgreSQL and broker. Each prints one JSON object: RSS before and after, threads,
and (hubs) the database's connections.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale_sites import ASSETS_PER_SITE, site_id, site_toml, write_portfolio
from core.clock import FakeClock, SystemClock
from core.inventory import LastSeen
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from rules.engine import RuleEngine
from rules.library import effective_rules


def proc_status(key: str) -> int:
    """A number from /proc/self/status (VmRSS in kB, Threads)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {key}")


def rss_mb() -> float:
    gc.collect()
    return proc_status("VmRSS") / 1024


def model(sites: int) -> dict[str, object]:
    """The in-memory parts of `sites` sites, each fed two readings per meter a minute apart."""
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock(now)
    before = rss_mb()
    started = time.perf_counter()
    kept: list[tuple[object, ...]] = []  # everything stays referenced, as in a running hub
    watched = 0
    for n in range(1, sites + 1):
        site = parse_site(site_toml(site_id(n)), source=site_id(n))
        registry = AssetRegistry.from_site(site)
        validator = ReadingValidator(registry, clock, seen=LastSeen())
        engine = RuleEngine(effective_rules(site.rules, use_builtin=site.use_builtin_rules), site, clock)
        meters = sorted(site.meters)
        for step, ts in enumerate((now - timedelta(minutes=1), now)):
            readings = [Reading(m, ts, {"total": 1000.0 + i + step / 10}) for i, m in enumerate(meters)]
            engine.on_readings([validator.validate(r) for r in readings])
        watched += len(engine.watched())
        kept.append((site, registry, validator, engine))
    elapsed = time.perf_counter() - started
    after = rss_mb()
    return {
        "case": "model",
        "sites": sites,
        "assets": sites * ASSETS_PER_SITE,
        "monitors": watched,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "mb_per_1000_assets": round((after - before) / (sites * ASSETS_PER_SITE / 1000), 3),
        "build_s": round(elapsed, 1),
    }


def db_connections(admin_dsn: str, database: str) -> int:
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
    return int(row[0]) if row else 0


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def publish_rounds(mqtt_url: str, sites: Iterable[str], *, rounds: int) -> int:
    """`rounds` QoS 1 readings of every meter of every site, a minute apart (the devices' traffic); how many."""
    host, port = urlsplit(mqtt_url).hostname or "127.0.0.1", urlsplit(mqtt_url).port or 1883
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-devices")
    client.max_inflight_messages_set(1000)
    client.connect(host, port)
    client.loop_start()
    meters = sorted(parse_site(site_toml(site_id(1))).meters)  # every generated site has the same meter ids
    sent = 0
    try:
        start = datetime.now(UTC) - timedelta(minutes=rounds)
        for step in range(rounds):
            ts = (start + timedelta(minutes=step)).isoformat()
            for site in sites:
                # One site at a time: paho's message ids wrap at 65,535, so never that many in flight.
                infos = [
                    client.publish(
                        f"facilities/{site}/{meter}/telemetry",
                        json.dumps({"ts": ts, "total": 1000.0 + n + step / 10}),
                        qos=1,
                    )
                    for n, meter in enumerate(meters)
                ]
                for info in infos:
                    info.wait_for_publish(timeout=60)
                sent += len(infos)
    finally:
        client.disconnect()
        client.loop_stop()  # its network thread ends here, before the threads are counted
    return sent


def hubs(sites: int, database_url: str, mqtt_url: str, spool: str, settle_s: float) -> dict[str, object]:
    """`sites` full one-site hubs in this process, as a replica that holds their leases runs them."""
    from core.portfolio import load_portfolio
    from core.settings import Settings
    from facilities.site_hubs import SiteHubs
    from storage.database import make_engine, upgrade

    database = database_url.rsplit("/", 1)[1]
    admin = database_url.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        portfolio_file = write_portfolio(root / "portfolio", sites)
        settings = Settings(
            portfolio_file=portfolio_file,
            database_url=database_url,
            mqtt_url=mqtt_url,
            data_dir=root / "data",
            spool=spool,
        )
        start = rss_mb()  # before the portfolio: its parsed site models are the hubs' own (SiteHubs shares them)
        portfolio = load_portfolio(portfolio_file)
        upgrade(database_url)
        engine = make_engine(database_url)
        site_hubs = SiteHubs(settings, portfolio, engine, SystemClock())
        before, threads_before = rss_mb(), proc_status("Threads")
        connections_before = db_connections(admin, database)
        started = time.perf_counter()
        try:
            for site in portfolio.sites:
                site_hubs.start(site)
            wait_for(
                lambda: all(site_hubs.subscribed(site) for site in portfolio.sites), "every collector to subscribe"
            )
            start_s = time.perf_counter() - started
            published = publish_rounds(mqtt_url, portfolio.sites, rounds=2)
            running = [hub for site in portfolio.sites if (hub := site_hubs.hub_for(site)) is not None]
            wait_for(lambda: sum(h.ingest.spool.stats.spooled for h in running) >= published, "every reading spooled")
            wait_for(lambda: all(h.ingest.spool.depth == 0 for h in running), "the store writers to drain the spools")
            time.sleep(settle_s)  # the rules, dispatcher and scheduler rounds after the traffic allocate what they keep
            after, threads_after = rss_mb(), proc_status("Threads")
            connections_after = db_connections(admin, database)
        finally:
            site_hubs.stop_all()
            engine.dispose()
    return {
        "case": "hubs",
        "sites": sites,
        "assets": sites * ASSETS_PER_SITE,
        "spool": spool,
        "rss_start_mb": round(start, 1),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        # Per site, everything: the site model the portfolio holds, and the running hub.
        "mb_per_site": round((after - start) / sites, 2),
        "mb_per_1000_assets": round((after - start) / (sites * ASSETS_PER_SITE / 1000), 2),
        "mb_per_site_running_hub_only": round((after - before) / sites, 2),
        "threads_per_site": round((threads_after - threads_before) / sites, 1),
        "threads": threads_after,
        "db_connections_per_site": round((connections_after - connections_before) / sites, 2),
        "db_connections": connections_after,
        "start_s": round(start_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=("model", "hubs"))
    parser.add_argument("--sites", type=int, required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--mqtt-url", default="")
    parser.add_argument("--spool", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--settle-s", type=float, default=5.0)
    args = parser.parse_args()
    if args.sites < 1:
        parser.error("--sites must be at least 1")
    if args.case == "model":
        result = model(args.sites)
    else:
        if not args.database_url or not args.mqtt_url:
            parser.error("hubs needs --database-url (a throwaway PostgreSQL database) and --mqtt-url")
        result = hubs(args.sites, args.database_url, args.mqtt_url, args.spool, args.settle_s)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
