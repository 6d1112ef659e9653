"""Random payloads at the collector: nothing raises, every valid reading is stored, the rest is dead-lettered."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.mqtt.collector import MqttCollector, MqttOptions, OwnTopicDecoder
from core.clock import FakeClock
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from storage.points import Point
from storage.spool import Spool
from storage.writer import SpoolWriter
from tests.unit.core.test_config import MINIMAL

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SITE = parse_site(MINIMAL)
REGISTRY = AssetRegistry.from_site(SITE)
METERS = sorted(SITE.meters)


class RecordingStore:
    """A fake of our own ReadingStore port (write side only): it keeps what it was given."""

    def __init__(self) -> None:
        self.points: list[Point] = []

    def write(self, points: Sequence[Point]) -> None:
        self.points.extend(points)


valid_messages = st.builds(
    lambda meter, seconds, total: (
        f"facilities/demo/{meter}/telemetry",
        json.dumps({"ts": (NOW - timedelta(seconds=seconds)).isoformat(), "total": total}).encode(),
    ),
    st.sampled_from(METERS),
    st.integers(min_value=0, max_value=86_400 * 30),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
garbage_messages = st.tuples(
    st.sampled_from([f"facilities/demo/{METERS[0]}/telemetry", "facilities/demo/NOPE/telemetry", "facilities/x/y/z"]),
    st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.sampled_from(["ts", "total", "rate", "x"]), json_values, max_size=3).map(
            lambda d: json.dumps(d).encode()
        ),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), valid_messages, garbage_messages), min_size=1, max_size=40))
def test_random_payloads_never_stop_ingest(plan: list[tuple[bool, tuple[str, bytes], tuple[str, bytes]]]) -> None:
    messages = [valid if use_valid else garbage for use_valid, valid, garbage in plan]
    expected = {(topic.split("/")[2], json.loads(body)["total"]) for use_valid, (topic, body), _ in plan if use_valid}
    clock = FakeClock(NOW)
    with tempfile.TemporaryDirectory() as folder:
        spool = Spool(Path(folder) / "spool.db", ReadingValidator(REGISTRY, clock), clock)
        collector = MqttCollector(MqttOptions(), OwnTopicDecoder("demo"), spool, clock)
        acked: list[int] = []
        for n, (topic, payload) in enumerate(messages):
            collector.offer(topic, payload, lambda n=n: acked.append(n))  # type: ignore[misc]
        assert collector.flush() is True
        assert sorted(acked) == list(range(len(messages)))  # every message acked once, after its commit

        store = RecordingStore()
        writer = SpoolWriter(spool, store, REGISTRY)
        while writer.drain_once():
            pass
        stored = {(p.tags["meter_id"], p.fields.get("total")) for p in store.points}  # garbage may be valid too
        assert expected <= stored
        # Every message is accounted for exactly once: stored, or a dead letter.
        assert len(store.points) + spool.dead_letter_count() == len(messages)
        spool.close()
