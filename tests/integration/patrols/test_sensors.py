"""What the sensors already know for a route: only the route's places, lights and water first; and the same
checkpoint recorded from two phones at once is kept once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Engine

from core.clock import FakeClock
from core.site_loader import load_site
from patrols.config import load_patrols
from patrols.sensors import route_findings
from patrols.service import load_patrol, record_visit, start_patrol
from storage.database import session_factory
from tests.support.patrols import firing

EXAMPLES = Path(__file__).parents[3] / "examples"
NOW = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)


def test_each_route_sees_its_own_places(engine: Engine, site_id: str) -> None:
    site = load_site(EXAMPLES / "site.toml")
    site = site.__class__(**{**site.__dict__, "info": site.info.model_copy(update={"id": site_id})})
    book = load_patrols(EXAMPLES / "patrols.toml", site)
    sessions = session_factory(engine)
    for rule, asset in (
        ("silent-asset", "B1-0101-W"),  # a meter in building B1 gone silent
        ("lights-left-on", "B2-CORRIDOR-LIGHT"),
        ("vacant-unit-water", "B1-0302-W"),
        ("elevator-fault-code", "B2-L1"),
    ):
        firing(sessions, site_id, rule, asset, NOW)
    try:
        manager = [(f.kind, f.asset_id) for f in route_findings(sessions, site, book, "manager-daily")]
        plant = [(f.kind, f.asset_id) for f in route_findings(sessions, site, book, "repair-plant")]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM rule_state WHERE site_id = :site"), {"site": site_id})
    # The manager's round covers B1 (its rooftop door) and B2's corridor and the vacant unit: lights, water first.
    assert manager == [
        ("lights_on", "B2-CORRIDOR-LIGHT"), ("water_running", "B1-0302-W"), ("offline", "B1-0101-W"),
    ]  # fmt: skip
    # The plant round: the pump room, the garage and B1's rooftop: only B1's assets.
    assert plant == [("water_running", "B1-0302-W"), ("offline", "B1-0101-W")]


def test_one_checkpoint_from_two_phones_at_once_is_kept_once(engine: Engine, site_id: str) -> None:
    book = load_patrols(EXAMPLES / "patrols.toml", load_site(EXAMPLES / "site.toml"))
    sessions = session_factory(engine)
    clock = FakeClock(NOW)
    zone = ZoneInfo("Asia/Shanghai")
    patrol_id = start_patrol(
        sessions, book, site_id=site_id, route_id="repair-plant", by="zhao", clock=clock, zone=zone
    )
    results = {item: "ok" for item in book.checkpoints["PUMP"].items}
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def phone() -> None:
        barrier.wait()
        try:
            record_visit(sessions, book, patrol_id, code="PUMP", results=results, note="", by="zhao", clock=clock,
                         open_order=None)  # fmt: skip
            outcomes.append("kept")
        except ValueError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=phone) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["checkpoint PUMP is already recorded in this patrol"] * 5 + ["kept"]
    assert [v.checkpoint for v in load_patrol(sessions, patrol_id).visits] == ["PUMP"]
