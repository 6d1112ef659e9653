"""Capacity benchmark (issue 23): one large site's ingest over 1 and 2 collectors, and the memory of many sites.

    .venv/bin/python bench/scale.py --messages 20000 --model-sites 10,100,1000 --hub-sites 10,50

Part 1, ingest (bench/scale_ingest.py's machinery): N QoS 1 readings of a generated 1,000-meter site are queued
at a real Mosquitto while the consumers are away, then drained, in one run: a bare paho subscriber (the
baseline), one collector process and two in an MQTT 5 share group, each with the SQLite spool (a spool file per
process) and with the spool in PostgreSQL (one site's rows for both, as `facilities collect` on another
machine commits them). Part 2, memory (bench/scale_memory.py, a fresh interpreter per case): the per-site
in-memory parts of 10, 100 and 1,000 sites of 1,000 meters, and full running one-site hubs (SiteHubs, as a
replica runs them) for 10 sites with the spool in PostgreSQL and 50 with the SQLite spool (50 PostgreSQL spools
would take more connections than the shared server allows), against a throwaway database and a local Mosquitto.
Prints a table, then JSON with every figure and the ratios: each rate against the bare subscriber, MB per
1,000 assets against the 10-site case, and a full hub's MB per site against its in-memory parts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import bare_subscriber_rate, payloads
from bench.scale_ingest import share_group_rate
from bench.scale_sites import write_site
from core.site_loader import load_site
from storage.database import upgrade
from tests.support.postgres import sqlalchemy_url, throwaway_database
from tests.support.servers import Mosquitto

MEMORY_SCRIPT = Path(__file__).resolve().parent / "scale_memory.py"
BIG_SITE = "estate-big"
BARE = "bare paho subscriber"
# The targets the README table is judged against (docs/scaling.md "Capacity plan measured here").
TARGET_ONE_COLLECTOR_TO_BARE = 0.5
TARGET_MODEL_MB_PER_1000_ASSETS = 10.0
TARGET_HUB_MB_PER_SITE = 50.0


Case = dict[str, Any]  # one JSON object of scale_memory.py


@dataclass
class Ingested:
    messages: int
    assets: int
    per_s: dict[str, float] = field(default_factory=dict)
    per_replica_messages: dict[str, object] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        bare = self.per_s[BARE]
        return {name: round(rate / bare, 3) for name, rate in self.per_s.items()}


def ingest(messages_count: int, root: Path, with_pg: bool) -> Ingested:
    site_file = write_site(root / "sites", BIG_SITE)
    meters = sorted(load_site(site_file).meters)
    start_ts = (int(time.time()) // 86_400 - 20) * 86_400
    messages = payloads(messages_count, meters, start_ts, site_id=BIG_SITE)
    broker = Mosquitto(root / "mosquitto")
    broker.start()
    result = Ingested(messages_count, len(meters))

    def record(name: str, run: dict[str, Any]) -> None:
        result.per_s[name] = round(float(run["per_s"]))
        result.per_replica_messages[name] = run["per_replica"]

    try:
        result.per_s[BARE] = round(bare_subscriber_rate(broker, messages, site_id=BIG_SITE))
        for n in (1, 2):
            record(
                f"{n} collector(s), SQLite spool each", share_group_rate(broker, messages, n, root, site_file=site_file)
            )
        if with_pg:
            with throwaway_database("facilities_bench_scale") as dsn:
                upgrade(sqlalchemy_url(dsn))
                for n in (1, 2):
                    run = share_group_rate(broker, messages, n, root, shared=True, site_file=site_file, pg_dsn=dsn)
                    record(f"{n} collector(s), PostgreSQL spool", run)
    finally:
        broker.stop()
    return result


def memory_case(*args: str) -> Case:
    done = subprocess.run([sys.executable, str(MEMORY_SCRIPT), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scale_memory.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: Case = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def memory(model_sites: list[int], hub_cases: list[tuple[int, str]], root: Path) -> list[Case]:
    results = [memory_case("model", "--sites", str(n)) for n in model_sites]
    if hub_cases:
        broker = Mosquitto(root / "mosquitto-hubs")
        broker.start()
        try:
            for n, spool in hub_cases:
                with throwaway_database("facilities_bench_hubs") as dsn:
                    args = ["--database-url", sqlalchemy_url(dsn), "--mqtt-url", broker.url, "--spool", spool]
                    try:
                        results.append(memory_case("hubs", "--sites", str(n), *args))
                    except RuntimeError as exc:  # the other cases' figures still count; this one fails the run
                        print(exc, file=sys.stderr)
                        results.append({"case": "hubs", "sites": n, "spool": spool, "error": str(exc)[-500:]})
        finally:
            broker.stop()
    return results


def table(ingested: Ingested | None, cases: list[Case]) -> str:
    lines = []
    if ingested is not None:
        lines += [f"ingest of one site of {ingested.assets} meters, {ingested.messages} QoS 1 messages"]
        lines += [f"  {'consumer':<40} {'messages/s':>10} {'vs bare':>8}"]
        ratios = ingested.ratios()
        for name, rate in ingested.per_s.items():
            lines.append(f"  {name:<40} {rate:>10,.0f} {ratios[name]:>8.2f}")
    heading = f"  {'case':<36} {'RSS MB':>8} {'MB/1000 assets':>15} {'threads/site':>13} {'DB conns/site':>14}"
    lines += ["memory", heading]
    for case in cases:
        if "error" in case:
            lines.append(f"  hubs {case['sites']} sites ({case['spool']} spool): FAILED, see stderr")
            continue
        name = f"{case['case']} {case['sites']} sites" + (f" ({case['spool']} spool)" if "spool" in case else "")
        lines.append(
            f"  {name:<36} {case['rss_after_mb']:>8} {case['mb_per_1000_assets']:>15} "
            f"{case.get('threads_per_site', ''):>13} {case.get('db_connections_per_site', ''):>14}"
        )
    return "\n".join(lines)


def summary(ingested: Ingested | None, cases: list[Case]) -> dict[str, Any]:
    models = [c for c in cases if c["case"] == "model"]
    hubs = [c for c in cases if c["case"] == "hubs"]
    result: dict[str, Any] = {"ingest": None, "memory": cases}
    checks: dict[str, bool] = {}
    if ingested is not None:
        result["ingest"] = {**asdict(ingested), "ratio_to_bare": ingested.ratios()}
        one = ingested.ratios()["1 collector(s), SQLite spool each"]
        checks[f"1 collector >= {TARGET_ONE_COLLECTOR_TO_BARE} x bare"] = one >= TARGET_ONE_COLLECTOR_TO_BARE
    if models:
        # The baseline of the memory part: MB per 1,000 assets of the smallest case, measured in the same run.
        base = float(models[0]["mb_per_1000_assets"])
        result["model_mb_per_1000_assets_vs_smallest"] = {
            str(c["sites"]): round(float(c["mb_per_1000_assets"]) / base, 3) for c in models
        }
        worst = max(float(c["mb_per_1000_assets"]) for c in models)
        checks[f"model <= {TARGET_MODEL_MB_PER_1000_ASSETS} MB per 1,000 assets"] = (
            worst <= TARGET_MODEL_MB_PER_1000_ASSETS
        )
        if hubs:
            result["hub_mb_per_site_vs_model_parts"] = {
                str(h["sites"]): round(float(h["mb_per_site"]) / base, 2) for h in hubs if "error" not in h
            }
    if hubs:
        worst = max(float(h.get("mb_per_site", "inf")) for h in hubs)  # a failed case misses the target
        checks[f"full hub <= {TARGET_HUB_MB_PER_SITE} MB per site"] = worst <= TARGET_HUB_MB_PER_SITE
    result["targets_met"] = checks
    result["machine"] = f"{platform.machine()} {multiprocessing.cpu_count()} cores, Python {platform.python_version()}"
    return result


def hub_cases(text: str) -> list[tuple[int, str]]:
    """`10:postgresql,50:sqlite`: how many full hubs, each case with its spool (postgresql when not given)."""
    cases = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        count, _, spool = part.partition(":")
        spool = spool or "postgresql"
        if not count.isdigit() or int(count) < 1 or spool not in ("sqlite", "postgresql"):
            raise argparse.ArgumentTypeError(f"{part!r}: write <sites>[:sqlite|:postgresql], e.g. 10:postgresql")
        cases.append((int(count), spool))
    return cases


def sizes(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: site counts must be positive, comma-separated")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000, help="0 skips the ingest part")
    parser.add_argument("--no-pg-ingest", action="store_true", help="skip the PostgreSQL-spool ingest cases")
    parser.add_argument("--model-sites", type=sizes, default=[10, 100, 1000])
    # 50 hubs with the spool in PostgreSQL take ~125 connections: more than a default server's 100, which the
    # machine's other users share. The spool's two connections per site are measured with 10.
    parser.add_argument(
        "--hub-sites", type=hub_cases, default=hub_cases("10:postgresql,50:sqlite"), help="'' skips the full hubs"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ingested = ingest(args.messages, root, not args.no_pg_ingest) if args.messages > 0 else None
        cases = memory(args.model_sites, args.hub_sites, root)
    print(table(ingested, cases))
    result = summary(ingested, cases)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if not all(result["targets_met"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
