"""The composition root: the only place that picks concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.mqtt import MqttCollector, MqttOptions, OwnTopicDecoder, own_topic_filter
from core.clock import Clock, SystemClock
from core.config import Site, load_site
from core.registry import AssetRegistry
from core.settings import Settings
from core.validation import ReadingValidator
from storage.influx import InfluxV1Store
from storage.spool import Spool
from storage.store import ReadingStore
from storage.writer import SpoolWriter


class SetupError(Exception):
    """Settings that cannot work together; the message says which variable to set."""


def build_store(settings: Settings) -> ReadingStore:
    if not settings.influx_url:
        raise SetupError("no reading store configured: set FACILITIES_INFLUX_URL (e.g. http://127.0.0.1:8086)")
    if settings.influx_api == "v1":
        store = InfluxV1Store(
            settings.influx_url,
            settings.influx_db,
            retention_policy=settings.influx_rp,
            username=settings.influx_username,
            password=settings.influx_password.get_secret_value() if settings.influx_password else None,
        )
        store.ensure_database()
        return store
    raise SetupError(f"FACILITIES_INFLUX_API={settings.influx_api!r} is not supported yet; use v1")


def open_spool(settings: Settings, registry: AssetRegistry, clock: Clock) -> Spool:
    return Spool(settings.data_dir / "spool.db", ReadingValidator(registry, clock), clock)


@dataclass
class Ingest:
    """MQTT collector → spool → store, as one running service."""

    site: Site
    registry: AssetRegistry
    spool: Spool
    collector: MqttCollector
    writer: SpoolWriter

    def start(self) -> None:
        self.writer.start()
        self.collector.start()

    def stop(self) -> None:
        self.collector.stop()
        self.writer.stop()
        self.spool.close()


def build_ingest(settings: Settings, *, site: Site | None = None, clock: Clock | None = None) -> Ingest:
    clock = clock or SystemClock()
    site = site or load_site(settings.site_file)
    registry = AssetRegistry.from_site(site)
    store = build_store(settings)
    spool = open_spool(settings, registry, clock)
    options = MqttOptions(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        client_id=settings.mqtt_client_id,
        username=settings.mqtt_username,
        password=settings.mqtt_password.get_secret_value() if settings.mqtt_password else None,
        tls=settings.mqtt_tls,
        subscriptions=(own_topic_filter(site.id),),
    )
    collector = MqttCollector(options, OwnTopicDecoder(site.id), spool, clock)
    writer = SpoolWriter(spool, store, registry)
    return Ingest(site, registry, spool, collector, writer)
