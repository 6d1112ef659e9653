"""The composition root: the only place that picks concrete adapters and wires the hub together.

`bootstrap(settings)` builds the whole hub (stores, spool, rule-state store, unit of work, alerts,
collectors); `build_ingest` is its ingest half, which `facilities ingest` runs on its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.build import build_channels
from alerts.channels.mqtt import MqttPublisher
from alerts.dispatcher import OutboxDispatcher
from alerts.facts import PlaceBook
from alerts.loading import load_alerts
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from billing.config import BillingConfig, check_against_site, load_billing_config
from billing.influx_registers import InfluxRegisterReader
from billing.sources import RegisterReader
from collectors.dlt645.collector import Dlt645Poller
from collectors.dlt645.collector import devices_from_site as dlt645_meters_from_site
from collectors.modbus.collector import DeviceStateChanged, ModbusPoller, devices_from_site
from collectors.mqtt.collector import Decoder, MqttCollector, MqttOptions, OwnTopicDecoder, own_topic_filter
from collectors.mqtt.discovered import DiscoveryBook, DiscoveryDecoder
from collectors.mqtt.discovery import FILTERS as DISCOVERY_FILTERS
from collectors.mqtt.payloads import MappingDecoder, subscription_filters
from console.access import ConsoleConfig
from console.secret import console_secret
from core.clock import Clock, SystemClock
from core.inventory import LastSeen
from core.registry import AssetRegistry
from core.settings import Environment, Settings
from core.site import Site
from core.site_loader import load_site
from core.threads import Spawn, start_thread
from core.validation import ReadingValidator
from facilities.alerting import Alerts
from facilities.errors import SetupError as SetupError  # its home before facilities/errors.py; callers import it here
from facilities.health import HealthMetrics
from facilities.hub import Hub
from facilities.ingest import Ingest
from facilities.maintenance_wiring import build_maintenance, build_planner, condition_trigger
from facilities.metrics import DeviceMetrics, IngestMetrics, RulesMetrics
from facilities.photo_wiring import photos_from_settings
from facilities.reload import SiteReloader
from facilities.supervisor import Supervisor
from operations.hub_metrics import WorkOrderMetrics
from patrols.config import EMPTY as EMPTY_PATROLS
from patrols.config import check_supervisors, load_patrols
from rules.engine import RuleEngine
from rules.library import effective_rules
from rules.state_store import SqlRuleStateStore
from rules.worker import RulesWorker
from storage.database import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedStore
from storage.influx import InfluxV1Store
from storage.influx_v2 import InfluxV2Store
from storage.libpq import libpq_dsn
from storage.pg_spool import PgSpool
from storage.spool import Spool
from storage.spool_base import SpoolBase, SpoolUnavailable
from storage.store import ReadingStore, StoreUnavailable
from storage.writer import SpoolWriter
from workorders.alarm_policy import AlarmDispatcher
from workorders.links import OrderLinkSigner
from workorders.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork

log = logging.getLogger(__name__)
EMBEDDED_LINGER_S = 0.5
INFLUX_LINGER_S = 0.05


def build_store(settings: Settings) -> ReadingStore:
    """InfluxDB when FACILITIES_INFLUX_URL is set (v1 or v2 API), the embedded SQLite store otherwise."""
    if not settings.influx_url:
        return EmbeddedStore(settings.data_dir / "readings.db")
    if settings.influx_api == "v2":
        if settings.influx_token is None:
            raise SetupError("FACILITIES_INFLUX_API=v2 needs FACILITIES_INFLUX_TOKEN (and _ORG, _BUCKET)")
        v2 = InfluxV2Store(
            settings.influx_url,
            token=settings.influx_token.get_secret_value(),
            org=settings.influx_org,
            bucket=settings.influx_bucket,
        )
        try:
            v2.ensure_dbrp()
        except StoreUnavailable as exc:
            _store_down_at_start(exc)
            v2.map_on_write = True
        return v2
    if settings.influx_api == "v1":
        store = InfluxV1Store(
            settings.influx_url,
            settings.influx_db,
            retention_policy=settings.influx_rp,
            username=settings.influx_username,
            password=settings.influx_password.get_secret_value() if settings.influx_password else None,
        )
        try:
            store.ensure_database()
        except StoreUnavailable as exc:
            _store_down_at_start(exc)
            store.create_on_write = True
        return store
    raise SetupError(f"FACILITIES_INFLUX_API={settings.influx_api!r}: use v1 or v2")


def _store_down_at_start(exc: StoreUnavailable) -> None:
    # The hub starts anyway: readings spool, rules run and alerts go out; the writer sets the store up later.
    log.warning("%s; starting anyway: readings wait in the spool until it answers", exc)


def build_decoder(site: Site) -> Decoder:
    """Our own topic format, behind the site's third-party mappings when it has any."""
    own = OwnTopicDecoder(site.id)
    return MappingDecoder(site.mqtt_mappings, fallback=own) if site.mqtt_mappings else own


def subscriptions_for(site: Site, *extra: str) -> tuple[str, ...]:
    """Our own topics, the site's mappings, Home Assistant discovery, and `extra` (availability topics)."""
    return (*subscription_filters(site.mqtt_mappings, own_topic_filter(site.id)), *DISCOVERY_FILTERS, *extra)


def mqtt_options(
    settings: Settings, site: Site, subscriptions: Sequence[str], *, unshared: Sequence[str] = ()
) -> MqttOptions:
    """The collector's options from the settings: broker, credentials, protocol, session and share group."""
    return MqttOptions(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        client_id=settings.mqtt_ingest_client_id(site.id),
        username=settings.mqtt_username,
        password=settings.mqtt_password.get_secret_value() if settings.mqtt_password else None,
        tls=settings.mqtt_tls,
        ca_file=str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None,
        cert_file=str(settings.mqtt_cert_file) if settings.mqtt_cert_file else None,
        key_file=str(settings.mqtt_key_file) if settings.mqtt_key_file else None,
        keepalive_s=settings.mqtt_keepalive_s,
        subscriptions=tuple(subscriptions),
        protocol=settings.mqtt_protocol,
        session_expiry_s=settings.mqtt_session_expiry_s,
        share_group=settings.mqtt_share_group,
        unshared=tuple(unshared),
    )


def open_spool(
    settings: Settings,
    registry: AssetRegistry,
    clock: Clock,
    consumers: Sequence[str] = ("store",),
    seen: LastSeen | None = None,
    *,
    site_id: str,
) -> SpoolBase:
    """The spool FACILITIES_SPOOL names: a SQLite file in data_dir, or the site's rows in the database."""
    validator = ReadingValidator(registry, clock, seen=seen)
    if settings.spool == "sqlite":
        path = settings.data_dir / "spool.db"
        # In a share group, collector replicas on this machine may commit into this file too (docs/scaling.md).
        shared = settings.mqtt_share_group is not None
        return Spool(
            path, validator, clock, max_readings=settings.spool_max_readings, consumers=consumers, shared=shared
        )
    try:
        upgrade(settings.database_url)  # `facilities ingest` runs without the hub, which would have migrated
        return PgSpool(
            libpq_dsn(settings.database_url),
            validator,
            clock,
            site_id=site_id,
            max_readings=settings.spool_max_readings,
            consumers=consumers,
        )
    except (SpoolUnavailable, SQLAlchemyError) as exc:
        raise SetupError(f"FACILITIES_SPOOL=postgresql, FACILITIES_DATABASE_URL: {exc}") from exc


def build_ingest(
    settings: Settings,
    *,
    site: Site | None = None,
    clock: Clock | None = None,
    consumers: Sequence[str] = ("store",),
    on_device_state: Callable[[DeviceStateChanged], None] | None = None,
    spawn: Spawn = start_thread,
) -> Ingest:
    """The collectors, the spool (read by `consumers`) and the store writer, not yet started.

    `spawn` starts their threads: the hub passes its supervisor's, so that none dies unnoticed.
    """
    clock = clock or SystemClock()
    site = site or load_site(settings.site_file)
    registry = AssetRegistry.from_site(site)
    devices = devices_from_site(site)  # before anything opens: a bad Modbus binding fails fast
    dlt645_meters = dlt645_meters_from_site(site)
    store = build_store(settings)
    seen = LastSeen()
    spool = open_spool(settings, registry, clock, consumers, seen, site_id=site.id)
    options = mqtt_options(settings, site, subscriptions_for(site), unshared=DISCOVERY_FILTERS)
    discovery = DiscoveryBook()
    collector = MqttCollector(options, DiscoveryDecoder(build_decoder(site), discovery), spool, clock, spawn=spawn)
    # An availability topic a discovery config names is subscribed to when the config comes.
    discovery.on_availability_topic = lambda topic: collector.reconfigure(
        collector.decoder, [*collector.options.subscriptions, topic], unshared=[topic]
    )
    # The embedded store lingers longer between writes: each SQLite commit costs an fsync, and the spool
    # holds the readings durably meanwhile.
    linger_s = EMBEDDED_LINGER_S if isinstance(store, EmbeddedStore) else INFLUX_LINGER_S
    writer = SpoolWriter(spool, store, registry, clock=clock, spawn=spawn, linger_s=linger_s)
    poller = ModbusPoller(devices, spool, clock, on_state=on_device_state, spawn=spawn) if devices else None
    dlt645 = Dlt645Poller(dlt645_meters, spool, clock, on_state=on_device_state, spawn=spawn) if dlt645_meters else None
    return Ingest(site, registry, spool, collector, writer, store, poller, dlt645, seen, discovery)


def billing_reader(store: ReadingStore, config: BillingConfig) -> RegisterReader | None:
    """Batch boundary reads on InfluxDB 1.x (one query for many meters); other stores answer meter by meter."""
    if isinstance(store, InfluxV1Store):
        return InfluxRegisterReader(store, window=config.tolerance)
    return None


def build_alerts(
    settings: Settings,
    site: Site,
    sessions: sessionmaker[Session],
    clock: Clock,
    *,
    links: OrderLinkSigner | None = None,
    spawn: Spawn = start_thread,
) -> Alerts:
    """Alerts from FACILITIES_ALERTS_FILE; its errors name the file and key, missing secrets their variable."""
    assert settings.alerts_file is not None  # noqa: S101 (the caller checks)
    source = str(settings.alerts_file)
    file = load_alerts(settings.alerts_file)
    publisher = MqttPublisher.from_settings(settings, client_id=f"facilities-alerts-{site.id}")
    channels = build_channels(
        file,
        environ=os.environ,
        clock=clock,
        mqtt=publisher,
        production=settings.env is Environment.PRODUCTION,
        source=source,
    )
    dispatcher = OutboxDispatcher(sessions, channels, clock=clock, sites=[site.id], spawn=spawn)
    routing = Routing(file, timezone=site.info.timezone, base_url=settings.base_url)
    outbox = AlertOutbox(routing, places=PlaceBook.from_site(site), clock=clock, links=links)
    return Alerts(sessions, outbox, dispatcher, publisher)


def bootstrap(
    settings: Settings, *, site: Site | None = None, clock: Clock | None = None, database: Engine | None = None
) -> Hub:
    """The whole hub from settings: database, rule-state store, unit of work, alerts, collectors, spool, store.

    `facilities run`, the demo and the benchmarks start what this returns; `facilities ingest` runs its
    `build_ingest` half, which needs no database. `database`: an engine shared by the hubs of a replica's sites
    (already upgraded; the hub does not dispose of it), so a hundred sites do not open a hundred pools.
    """
    clock = clock or SystemClock()
    site = site or load_site(settings.site_file)
    supervisor = Supervisor(clock)
    shared_database = database is not None
    if database is None:
        upgrade(settings.database_url)
        database = make_engine(settings.database_url)
    sessions = session_factory(database)
    rules = effective_rules(site.rules, use_builtin=site.use_builtin_rules)
    # autosave off: the worker writes engine state only after the alarms were handed on.
    rule_state = SqlRuleStateStore(database, site.id)
    engine = RuleEngine(rules, site, clock, store=rule_state, autosave=False)

    def device_state(event: DeviceStateChanged) -> None:
        if not event.online:
            engine.on_offline(event.asset_id, event.reason)

    console = console_config(settings)
    alerts = (
        build_alerts(settings, site, sessions, clock, links=console.links, spawn=supervisor.spawn)
        if settings.alerts_file
        else None
    )
    ingest = build_ingest(
        settings,
        site=site,
        clock=clock,
        consumers=("store", "rules"),
        on_device_state=device_state,
        spawn=supervisor.spawn,
    )
    # With alerts, each work-order change writes its alerts in the same transaction.
    uow_factory: Callable[[], UnitOfWork] = alerts.uow if alerts is not None else lambda: SqlAlchemyUnitOfWork(sessions)
    zone = ZoneInfo(site.info.timezone)
    photos = photos_from_settings(settings)  # one store for checklists and patrols
    maintenance = build_maintenance(settings, site, alerts, photos.store)
    planner = None
    if maintenance is not None:
        planner = build_planner(
            maintenance,
            uow_factory=uow_factory,
            clock=clock,
            store=ingest.store,
            registry=ingest.registry,
            publish=None,
        )
    dispatcher = AlarmDispatcher(
        rules=rules, registry=ingest.registry, uow_factory=uow_factory, clock=clock, zone=zone,
        also=[condition_trigger(planner)] if planner is not None else [],
    )  # fmt: skip
    worker = RulesWorker(
        ingest.spool, engine, dispatcher, ingest.writer.annotate, clock=clock, spawn=supervisor.spawn,
        reorder=settings.rules_reorder,
    )  # fmt: skip
    worker.restore()
    book = ingest.discovery
    reloader = SiteReloader(
        settings.site_file, ingest, rules=worker, dispatcher=dispatcher,
        decoder_for=lambda new: DiscoveryDecoder(build_decoder(new), book),
        subscriptions_for=lambda new: subscriptions_for(new, *book.availability_topics()),
        on_device_state=device_state, spawn=supervisor.spawn,
    )  # fmt: skip
    if alerts is not None:
        console = replace(console, routing=alerts.outbox.routing)
    console = replace(console, maintenance=maintenance)
    patrols = load_patrols(settings.patrols_file, site) if settings.patrols_file is not None else EMPTY_PATROLS
    if alerts is not None:
        check_supervisors(patrols, set(alerts.outbox.routing.file.teams))
    console = replace(console, patrols=patrols, photos=photos.store)
    billing = _billing_config(settings, site)
    hub = Hub(
        settings, site, clock, database, sessions, ingest, engine, worker, supervisor,
        uow_factory=uow_factory,
        rule_state=rule_state,
        alerts=alerts,
        billing=billing,
        billing_reader=billing_reader(ingest.store, billing) if billing is not None else None,
        console=console,
        reloader=reloader,
        planner=planner,
        patrols=patrols,
        shared_database=shared_database,
        photos_probe=photos.probe,
    )  # fmt: skip
    hub.metrics.register(IngestMetrics(ingest))
    hub.metrics.register(DeviceMetrics(ingest, clock))
    hub.metrics.register(RulesMetrics(hub.rules.stats))
    hub.metrics.register(HealthMetrics(hub.health_checks()))
    hub.metrics.register(WorkOrderMetrics(sessions, site.id, zone, clock))
    return hub


def console_config(settings: Settings) -> ConsoleConfig:
    """The console's signer and sessions from FACILITIES_CONSOLE_*; production refuses a missing secret."""
    return ConsoleConfig.from_secret(
        console_secret(settings),
        link_ttl=timedelta(hours=settings.console_link_ttl_h),
        session_ttl=timedelta(hours=settings.console_session_h),
        secure_cookies=settings.env is Environment.PRODUCTION,
    )


def _billing_config(settings: Settings, site: Site) -> BillingConfig | None:
    if not settings.billing_file.is_file():
        log.warning("no billing file at %s: monthly billing is off (FACILITIES_BILLING_FILE)", settings.billing_file)
        return None
    config = load_billing_config(settings.billing_file)  # a bad file stops the start with its key path
    check_against_site(config, site, source=str(settings.billing_file))
    return config
