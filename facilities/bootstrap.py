"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from billing.config import BillingConfig
from billing.influx_registers import InfluxRegisterReader
from billing.sources import RegisterReader
from collectors.dlt645.collector import Dlt645Poller
from collectors.dlt645.collector import devices_from_site as dlt645_meters_from_site
from collectors.modbus.collector import DeviceStateChanged, ModbusPoller, devices_from_site
from collectors.mqtt.collector import Decoder, MqttCollector, MqttOptions, OwnTopicDecoder, own_topic_filter
from collectors.mqtt.payloads import MappingDecoder, subscription_filters
from core.clock import Clock, SystemClock
from core.config import Site, load_site
from core.registry import AssetRegistry
from core.settings import Settings
from core.threads import Spawn, start_thread
from core.validation import ReadingValidator
from storage.embedded import EmbeddedStore
from storage.influx import InfluxV1Store
from storage.influx_v2 import InfluxV2Store
from storage.spool import Spool
from storage.store import ReadingStore, StoreUnavailable
from storage.writer import SpoolWriter

log = logging.getLogger(__name__)
EMBEDDED_LINGER_S = 0.5
INFLUX_LINGER_S = 0.05


class SetupError(Exception):
    """Settings that cannot work together; the message says which variable to set."""


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


def open_spool(
    settings: Settings, registry: AssetRegistry, clock: Clock, consumers: Sequence[str] = ("store",)
) -> Spool:
    return Spool(
        settings.data_dir / "spool.db",
        ReadingValidator(registry, clock),
        clock,
        max_readings=settings.spool_max_readings,
        consumers=consumers,
    )


@dataclass
class Ingest:
    """MQTT and Modbus collectors → spool → store, as one running service."""

    site: Site
    registry: AssetRegistry
    spool: Spool
    collector: MqttCollector
    writer: SpoolWriter
    store: ReadingStore
    poller: ModbusPoller | None = None
    dlt645_poller: Dlt645Poller | None = None

    @property
    def pollers(self) -> list[ModbusPoller | Dlt645Poller]:
        return [p for p in (self.poller, self.dlt645_poller) if p is not None]

    def start(self) -> None:
        self.writer.start()
        self.collector.start()
        for poller in self.pollers:
            poller.start()

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()  # first: their last readings go to the spool
        self.collector.stop()
        self.writer.stop()
        self.spool.close()


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
    spool = open_spool(settings, registry, clock, consumers)
    options = MqttOptions(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        client_id=settings.mqtt_client_id,
        username=settings.mqtt_username,
        password=settings.mqtt_password.get_secret_value() if settings.mqtt_password else None,
        tls=settings.mqtt_tls,
        ca_file=str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None,
        cert_file=str(settings.mqtt_cert_file) if settings.mqtt_cert_file else None,
        key_file=str(settings.mqtt_key_file) if settings.mqtt_key_file else None,
        keepalive_s=settings.mqtt_keepalive_s,
        subscriptions=subscription_filters(site.mqtt_mappings, own_topic_filter(site.id)),
    )
    collector = MqttCollector(options, build_decoder(site), spool, clock, spawn=spawn)
    # The embedded store lingers longer between writes: each SQLite commit costs an fsync, and the spool
    # holds the readings durably meanwhile.
    linger_s = EMBEDDED_LINGER_S if isinstance(store, EmbeddedStore) else INFLUX_LINGER_S
    writer = SpoolWriter(spool, store, registry, clock=clock, spawn=spawn, linger_s=linger_s)
    poller = ModbusPoller(devices, spool, clock, on_state=on_device_state, spawn=spawn) if devices else None
    dlt645 = Dlt645Poller(dlt645_meters, spool, clock, on_state=on_device_state, spawn=spawn) if dlt645_meters else None
    return Ingest(site, registry, spool, collector, writer, store, poller, dlt645)


def billing_reader(store: ReadingStore, config: BillingConfig) -> RegisterReader | None:
    """Batch boundary reads on InfluxDB 1.x (one query for many meters); other stores answer meter by meter."""
    if isinstance(store, InfluxV1Store):
        return InfluxRegisterReader(store, window=config.tolerance)
    return None
