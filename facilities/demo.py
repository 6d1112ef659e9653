"""`facilities demo`: the whole hub on a simulated community, with faults on a schedule, in accelerated time.

A broker (the local Mosquitto, or the embedded amqtt one), the hub with the embedded store and SQLite
(or the InfluxDB/PostgreSQL named in FACILITIES_*), the API, the Modbus meters' simulator and the MQTT
devices' simulator. The hub and the simulators share one clock running `speed` times real time, so an
elevator entrapment, its work order and the 10-minute SLA breach all happen within a minute.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from alerts.deliveries import delivery_counts
from collectors.dlt645.config import Dlt645Binding
from collectors.modbus.config import ModbusBinding
from console.users import create_user, list_users, set_password
from core.clock import ScaledClock
from core.settings import Settings
from core.site import Site
from facilities.bootstrap import bootstrap
from facilities.demo_support import ENTRAPMENT_RULE, alerted_for_rule, key_hint, start_or_report
from facilities.hub import Hub
from patrols.schedule import slots_between
from simulators.community import CommunitySimulator
from simulators.dlt645_server import Dlt645Simulator
from simulators.embedded_broker import EmbeddedBroker
from simulators.modbus_server import ModbusSimulator
from simulators.publisher import DevicePublisher
from simulators.scenarios import Fault, FaultKind, Scenario
from simulators.servers import Mosquitto, free_port

log = logging.getLogger(__name__)

# What goes wrong during the demo, in simulated time from its start (10:00 local, daylight).
DEMO_FAULTS = (
    ("entrapment", "B1-L2", "+5m", "20m"),  # alarm button, car stopped, doors shut → critical, 10-min SLA
    ("lights_stuck_on", "B2-CORRIDOR-LIGHT", "+0s", None),  # 長明燈: on in daylight → alarm after 30 min
    ("fault_code", "B2-L1", "+40m", "30m"),
    ("leak", "B1-0302-W", "+10m", None),  # a vacant unit using water → alarm after an hour of flow
    ("meter_silent", "GARAGE-E", "+0s", None),  # silent for 4 × its 5-min interval → alarm at +20 min
    ("sensor_alarm", "LEAK-PUMP-ROOM", "+10m", None),  # water on the pump-room floor → plumbing, emergency
)


DEMO_ALERTS = Path("examples/alerts-demo.toml")
DEMO_MAINTENANCE = Path("examples/maintenance.toml")
DEMO_PATROLS = Path("examples/patrols.toml")  # the simulated community's patrol routes
# Console accounts the demo makes (username, name, role, alerts team); they share one password per run.
DEMO_ACCOUNTS = (
    ("service", "客服 李娜", "staff", "service-centre"),
    ("wang", "王师傅", "crew", "elevator-crew"),
    ("chen", "陈师傅", "crew", "plumbing"),
)


@dataclass
class DemoSummary:
    simulated_from: str
    simulated_to: str
    messages_published: int
    readings_stored: int
    dead_letters: int
    alarms_raised: int
    open_alarms: list[str]
    work_orders: int
    sla_breaches: int
    planned_orders: int  # planned maintenance orders the planner opened (examples/maintenance.toml)
    alerts: dict[str, int]  # messages to crews and supervisors, by delivery status
    entrapment_alerted: list[str]  # who received the entrapment's first alert, e.g. "王师傅 (wang)"
    api: str
    console: str
    # Each trade's work orders as "code rule asset", e.g. plumbing: ["WO-… water-leak LEAK-PUMP-ROOM"].
    work_orders_by_category: dict[str, list[str]] = field(default_factory=dict)
    patrols_due: int = 0  # patrol rounds (巡检) that fell due in the simulated time, every route


def demo_faults(site: Site) -> Scenario:
    """The demo's faults, for the assets the site has (a custom site may lack some)."""
    assets = set(site.meters) | set(site.elevators) | set(site.circuits) | set(site.sensors)
    faults = [
        Fault(kind=FaultKind(kind), asset=asset, start=start, duration=duration)
        for kind, asset, start, duration in DEMO_FAULTS
        if asset in assets
    ]
    return Scenario(faults=tuple(faults))


def scaled_for_speed(site: Site, speed: float) -> Site:
    """Polling runs on real seconds: poll `speed` times as often so simulated time sees the set interval."""
    meters = {}
    for meter_id, meter in site.meters.items():
        binding = meter.binding
        if isinstance(binding, ModbusBinding | Dlt645Binding):
            fast = {
                "interval_s": max(0.05, binding.interval_s / speed),
                "backoff_s": max(0.05, binding.backoff_s / speed),
            }
            meter = meter.model_copy(update={"binding": binding.model_copy(update=fast)})
        meters[meter_id] = meter
    return replace(site, meters=meters)


def demo_start(site: Site, now: datetime) -> datetime:
    """The latest weekday 10:00 local time before now.

    Daylight, so a light left on is a 長明燈; a weekday (Monday to Friday), so the day shift of
    examples/alerts-demo.toml (王师傅 and 李师傅) is on call whatever day the demo runs.
    """
    local = now.astimezone(ZoneInfo(site.info.timezone))
    ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
    ten = ten if ten <= local else ten - timedelta(days=1)
    while ten.weekday() >= 5:  # Saturday, Sunday: the Friday before
        ten -= timedelta(days=1)
    return ten.astimezone(UTC)


def run_demo(
    site: Site,
    settings: Settings,
    *,
    duration_s: float | None,
    speed: float,
    seed: int,
    stop: threading.Event,
    echo: Callable[[str], None],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DemoSummary:
    data_dir = settings.data_dir / "demo"
    own_database = uses_own_database(settings)
    start_afresh(data_dir, database=own_database)
    clock = ScaledClock(demo_start(site, now()), speed)
    broker: Mosquitto | EmbeddedBroker = (
        Mosquitto(data_dir / "mosquitto") if shutil.which("mosquitto") else EmbeddedBroker()
    )
    broker.start()
    api_port = free_port()
    settings = settings.model_copy(
        update={
            "mqtt_url": broker.url,
            "mqtt_client_id": "facilities-demo-hub",
            "data_dir": data_dir,
            "database_url": settings.database_url if not own_database else f"sqlite:///{data_dir}/facilities.db",
            # Alerts to the crews over the demo's own broker, unless a routing file was named.
            "alerts_file": settings.alerts_file or (DEMO_ALERTS if DEMO_ALERTS.is_file() else None),
            # Plans, a contractor and inspections for the simulated community (its teams are in DEMO_ALERTS).
            "maintenance_file": settings.maintenance_file or (DEMO_MAINTENANCE if DEMO_MAINTENANCE.is_file() else None),
            "patrols_file": settings.patrols_file or (DEMO_PATROLS if DEMO_PATROLS.is_file() else None),
            "public_url": f"http://127.0.0.1:{api_port}",  # the links in the crews' alerts open this console
        }
    )
    site = scaled_for_speed(site, speed)
    hub = bootstrap(settings, site=site, clock=clock)
    modbus = _start_modbus(site, clock, echo)
    dlt645 = _start_dlt645(site, clock, echo)
    hub.start()
    # SLA and escalation checks every real second: at 60× that is once a simulated minute.
    serve = hub.serve(host="127.0.0.1", port=api_port, checks_every=timedelta(seconds=1))
    api = threading.Thread(target=lambda: asyncio.run(serve), daemon=True)
    api.start()
    api_url = f"http://127.0.0.1:{api_port}"
    echo(f"broker {broker.url}; API {api_url}; data in {data_dir}")
    echo(f"create an API key: {key_hint(data_dir / 'facilities.db' if own_database else None)}")
    password = demo_accounts(hub)
    names = ", ".join(username for username, *_ in DEMO_ACCOUNTS)
    echo(f"web console {api_url}/console: sign in as {names} with password {password}")
    echo(f"simulated time starts {clock.now().isoformat(timespec='minutes')} and runs {speed:g}× real time")
    simulator = CommunitySimulator(site, seed=seed, start=clock.now(), scenario=demo_faults(site), mqtt_only=True)
    publisher = DevicePublisher(broker.host, broker.port, site.id, client_id="facilities-demo-devices")
    published = 0
    began = time.monotonic()
    next_report = began
    try:
        while not stop.is_set() and (duration_s is None or time.monotonic() - began < duration_s):
            published += publisher.publish(simulator.due(clock.now()))
            if time.monotonic() >= next_report:
                echo(_line(hub, clock.now(), published))
                next_report += 5
            stop.wait(0.2)
        # Let the hub catch up with what was published before the summary is taken.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (hub.ingest.spool.lag("rules") or hub.ingest.spool.depth):
            time.sleep(0.1)
        summary = _summary(hub, simulator, published, api_url)
    finally:
        publisher.close()
        _stop_api(hub)
        api.join(10)
        hub.stop()
        for meters in (modbus, dlt645):
            if meters is not None:
                meters.stop()
        broker.stop()
    return summary


def _start_modbus(site: Site, clock: ScaledClock, echo: Callable[[str], None]) -> ModbusSimulator | None:
    if not any(m.binding.protocol == "modbus" for m in site.meters.values()):
        return None
    return start_or_report("Modbus meters", lambda: ModbusSimulator(site, clock), echo)


def _start_dlt645(site: Site, clock: ScaledClock, echo: Callable[[str], None]) -> Dlt645Simulator | None:
    if not any(m.binding.protocol == "dlt645" for m in site.meters.values()):
        return None
    return start_or_report("DL/T 645 meters", lambda: Dlt645Simulator.from_site(site, clock), echo)


def _stop_api(hub: Hub) -> None:
    server = hub.server
    if server is not None:
        server.should_exit = True


def _counts(hub: Hub) -> tuple[int, int]:
    with hub.database.connect() as conn:
        orders = conn.execute(sa.text("SELECT count(*) FROM work_orders")).scalar_one()
        breaches = conn.execute(sa.text("SELECT count(*) FROM sla_breaches")).scalar_one()
    return int(orders), int(breaches)


def _planned_orders(hub: Hub) -> int:
    query = sa.text("SELECT count(*) FROM maintenance_occurrences WHERE site_id = :site")
    with hub.database.connect() as conn:
        return int(conn.execute(query, {"site": hub.site.id}).scalar_one())


def _line(hub: Hub, now: datetime, published: int) -> str:
    orders, breaches = _counts(hub)
    return (
        f"{now.isoformat(timespec='minutes')}  published {published}  stored {hub.ingest.writer.stats.written}  "
        f"dead letters {hub.ingest.spool.dead_letter_count()}  alarms {len(hub.engine.open_alarms())} open  "
        f"work orders {orders}  SLA breaches {breaches}"
    )


def _summary(hub: Hub, simulator: CommunitySimulator, published: int, api_url: str) -> DemoSummary:
    orders, breaches = _counts(hub)
    return DemoSummary(
        simulated_from=simulator.start.isoformat(timespec="seconds"),
        simulated_to=simulator.now.isoformat(timespec="seconds"),
        messages_published=published,
        readings_stored=hub.ingest.writer.stats.written,
        dead_letters=hub.ingest.spool.dead_letter_count(),
        alarms_raised=hub.rules.stats.raised,
        open_alarms=[f"{a.rule_id} {a.asset_id}" for a in hub.engine.open_alarms()],
        work_orders=orders,
        sla_breaches=breaches,
        planned_orders=_planned_orders(hub),
        alerts=_alert_counts(hub),
        entrapment_alerted=_entrapment_alerted(hub),
        api=api_url,
        console=f"{api_url}/console",
        work_orders_by_category=_orders_by_category(hub),
        patrols_due=_patrols_due(hub, simulator.start, simulator.now),
    )


def _orders_by_category(hub: Hub) -> dict[str, list[str]]:
    query = "SELECT category, code, rule_id, asset_id FROM work_orders ORDER BY category, code"
    with hub.database.connect() as conn:
        rows = conn.execute(sa.text(query)).all()
    out: dict[str, list[str]] = {}
    for category, code, rule_id, asset_id in rows:
        out.setdefault(str(category), []).append(f"{code} {rule_id or ''} {asset_id or ''}".strip())
    return out


def _patrols_due(hub: Hub, start: datetime, end: datetime) -> int:
    zone = ZoneInfo(hub.site.info.timezone)
    return sum(len(list(slots_between(route, start, end, zone))) for route in hub.patrols.routes.values())


def uses_own_database(settings: Settings) -> bool:
    """Whether the demo keeps its work orders in its own SQLite file (FACILITIES_DATABASE_URL was not set)."""
    return "database_url" not in settings.model_fields_set  # field names, not the variables' names


def start_afresh(data_dir: Path, *, database: bool) -> None:
    """Forget the previous demo: every run replays the same morning, so its data would overlap the last run's.

    Only the demo's own files under `data_dir`; a database or InfluxDB named in FACILITIES_* is left alone.
    """
    names = ["readings.db", "spool.db", *(["facilities.db"] if database else [])]
    for name in names:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (data_dir / f"{name}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(data_dir / "mosquitto", ignore_errors=True)


def demo_accounts(hub: Hub) -> str:
    """Make (or re-password) the demo's console accounts; returns this run's password."""
    password = secrets.token_urlsafe(9)
    with hub.sessions() as session:
        existing = {row.username for row in list_users(session)}
        for username, name, role, team in DEMO_ACCOUNTS:
            if username in existing:
                set_password(session, username, password, now=hub.clock.now())
            else:
                create_user(
                    session, username=username, display_name=name, role=role, password=password, team=team,
                    now=hub.clock.now(),
                )  # fmt: skip
        session.commit()
    return password


def _alert_counts(hub: Hub) -> dict[str, int]:
    if hub.alerts is None:
        return {}
    with hub.sessions() as session:
        return delivery_counts(session, site_id=hub.site.id)


def _entrapment_alerted(hub: Hub) -> list[str]:
    if hub.alerts is None:
        return []
    with hub.sessions() as session:
        return alerted_for_rule(session, site_id=hub.site.id, rule_id=ENTRAPMENT_RULE)


def summary_json(summary: DemoSummary) -> str:
    return json.dumps(asdict(summary), ensure_ascii=False, indent=2)
