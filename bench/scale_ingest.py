"""Scale-out benchmark: one large site ingested by 1 and by 2 collector processes in one MQTT 5 share group.

    .venv/bin/python bench/scale_ingest.py --messages 40000

N QoS 1 readings of every meter of the example site (hundreds of assets) are published from a separate process
into a real Mosquitto and queued while the consumers are offline (the broker deals a share group's messages
out to its members' sessions, online or not); the consumers then connect and are timed until they have them
all, so the publisher's speed does not cap them. Three consumers, same run, same broker:
  (a) bare:  one paho subscriber that only counts (auto-ack, no spool): the baseline;
  (b) ours1: one collector process (MQTT 5, share group of one) → its own SQLite spool, acked after commit;
  (c) ours2: two collector processes in one share group, each with its own spool;
  (d) ours2 shared: the same two committing into one spool file, as `facilities collect` does beside the hub.
Prints JSON with the rates (messages/s), each against the bare subscriber, and ours2 / ours1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sys
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import bare_subscriber_rate, payloads, publish_from_other_process
from collectors.mqtt.collector import MqttCollector, MqttOptions, OwnTopicDecoder, own_topic_filter
from core.clock import SystemClock
from core.registry import AssetRegistry
from core.site_loader import load_site
from core.validation import ReadingValidator
from facilities.heap import freeze_startup_heap
from storage.pg_spool import PgSpool
from storage.spool import Spool
from storage.spool_base import SpoolBase
from tests.support.servers import Mosquitto, wait_until

SITE_FILE = Path(__file__).resolve().parents[1] / "examples" / "site.toml"


def collector_process(port: int, group: str, replica: str, spool_path: str, shared: bool, ready: Event, go: Event,
                      stop: Event, spooled: multiprocessing.sharedctypes.Synchronized[int],
                      site_file: str = str(SITE_FILE)) -> None:  # fmt: skip
    """One replica: join the group (so the broker queues its share), wait for `go`, ingest until `stop`.

    `spool_path` is a SQLite file, or a libpq DSN (postgresql://…): then the replica commits into the site's rows
    of the spool in PostgreSQL, as `facilities collect` does with FACILITIES_SPOOL=postgresql.
    """
    site = load_site(site_file)
    clock = SystemClock()
    validator = ReadingValidator(AssetRegistry.from_site(site), clock)
    consumers = () if shared else ("store",)
    spool: SpoolBase
    if spool_path.startswith("postgresql://"):
        spool = PgSpool(spool_path, validator, clock, site_id=site.id, max_readings=10**8, consumers=consumers)
    else:
        spool = Spool(spool_path, validator, clock, max_readings=10**8, consumers=consumers, shared=shared)
    freeze_startup_heap()  # as `facilities collect` does before it starts its collector
    options = MqttOptions(
        port=port, client_id=f"bench-{group}-{replica}", subscriptions=(own_topic_filter(site.id),),
        protocol="5", share_group=group, session_expiry_s=3600,
    )  # fmt: skip
    first = MqttCollector(options, OwnTopicDecoder(site.id), spool, clock)
    first.start()
    if not first.subscribed.wait(10):
        raise RuntimeError(f"replica {replica} did not subscribe")
    first.stop()
    ready.set()
    go.wait()
    collector = MqttCollector(options, OwnTopicDecoder(site.id), spool, clock)
    collector.start()
    while not stop.wait(0.05):
        spooled.value = spool.stats.spooled
    collector.stop()
    spooled.value = spool.stats.spooled
    spool.close()


def share_group_rate(
    broker: Mosquitto,
    messages: list[tuple[str, str]],
    replicas: int,
    folder: Path,
    *,
    shared: bool = False,
    site_file: Path = SITE_FILE,
    pg_dsn: str | None = None,
) -> dict[str, object]:
    """`replicas` collector processes in one share group; `shared`: one spool for all (`pg_dsn`: in PostgreSQL)."""
    context = multiprocessing.get_context("spawn")
    group = f"bench{replicas}{'shared' if shared else ''}{'pg' if pg_dsn else ''}"
    go, stop = context.Event(), context.Event()
    counts = [context.Value("q", 0) for _ in range(replicas)]
    readies = [context.Event() for _ in range(replicas)]
    paths = [str(folder / (f"{group}.db" if shared else f"{group}-r{i}.db")) for i in range(replicas)]
    if pg_dsn is not None:
        paths = [pg_dsn] * replicas
    processes = [
        context.Process(
            target=collector_process,
            args=(broker.port, group, f"r{i}", paths[i], shared, readies[i], go, stop, counts[i], str(site_file)),
        )
        for i in range(replicas)
    ]
    for process in processes:
        process.start()
    try:
        for ready in readies:
            if not ready.wait(60):
                raise RuntimeError("a replica did not join the share group")
        publish_from_other_process(broker.port, messages)
        started = time.perf_counter()
        go.set()
        wait_until(lambda: sum(c.value for c in counts) >= len(messages), f"{replicas} replicas' spools", 600)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        for process in processes:
            process.join(30)
    total = sum(c.value for c in counts)
    if total != len(messages):
        raise RuntimeError(f"{replicas} replicas spooled {total} of {len(messages)}")
    return {"per_s": len(messages) / elapsed, "per_replica": [c.value for c in counts]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=40_000)
    args = parser.parse_args()
    site = load_site(SITE_FILE)
    meters = sorted(site.meters)
    start_ts = (int(time.time()) // 86_400 - 20) * 86_400
    messages = payloads(args.messages, meters, start_ts)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        broker = Mosquitto(root / "mosquitto")
        broker.start()
        try:
            bare = bare_subscriber_rate(broker, messages)
            one = share_group_rate(broker, messages, 1, root)
            two = share_group_rate(broker, messages, 2, root)
            two_shared = share_group_rate(broker, messages, 2, root, shared=True)
        finally:
            broker.stop()
    ours1, ours2, ours2s = (float(r["per_s"]) for r in (one, two, two_shared))  # type: ignore[arg-type]
    result = {
        "messages": args.messages,
        "assets": len(meters),
        "bare_paho_subscriber_per_s": round(bare),
        "ours_1_collector_per_s": round(ours1),
        "ours_2_collectors_share_group_per_s": round(ours2),
        "ours_2_collectors_one_shared_spool_per_s": round(ours2s),
        "per_replica_messages": two["per_replica"],
        "ratio_1_collector_to_bare": round(ours1 / bare, 3),
        "ratio_2_collectors_to_bare": round(ours2 / bare, 3),
        "ratio_2_collectors_shared_spool_to_bare": round(ours2s / bare, 3),
        "speedup_2_over_1": round(ours2 / ours1, 3),
        "speedup_2_shared_spool_over_1": round(ours2s / ours1, 3),
        "machine": f"{platform.machine()} {multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
