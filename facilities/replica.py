"""A collector replica: one more process taking a share of a site's MQTT traffic into the hub's spool file.

`facilities collect` runs it beside the hub (`facilities run`) on the same machine, with the same
FACILITIES_DATA_DIR, the same FACILITIES_MQTT_SHARE_GROUP and its own FACILITIES_MQTT_REPLICA. It only
collects: the hub's store writer and rules read what every replica committed, from one spool, through the
rules' reorder hold (docs/scaling.md). Home Assistant discovery stays with the hub.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.mqtt.collector import MqttCollector, own_topic_filter
from collectors.mqtt.payloads import subscription_filters
from core.clock import Clock, SystemClock
from core.registry import AssetRegistry
from core.settings import Settings
from core.site import Site
from core.site_loader import load_site
from core.threads import Spawn, start_thread
from core.validation import ReadingValidator
from facilities.bootstrap import SetupError, build_decoder, mqtt_options
from storage.libpq import libpq_dsn
from storage.pg_spool import PgSpool
from storage.spool import Spool
from storage.spool_base import SpoolBase


@dataclass
class CollectorReplica:
    site: Site
    spool: SpoolBase
    collector: MqttCollector

    def start(self) -> None:
        self.collector.start()

    def stop(self) -> None:
        self.collector.stop()  # commits what the spool takes; the rest stays un-acked at the broker
        self.spool.close()


def build_collector_replica(
    settings: Settings, *, site: Site | None = None, clock: Clock | None = None, spawn: Spawn = start_thread
) -> CollectorReplica:
    """The replica's collector over a producer-only view of the hub's spool, not yet started."""
    if settings.mqtt_share_group is None:
        raise SetupError(
            "a collector replica needs FACILITIES_MQTT_SHARE_GROUP (with FACILITIES_MQTT_PROTOCOL=5 and "
            "FACILITIES_MQTT_REPLICA): without a share group it would take every message a second time"
        )
    clock = clock or SystemClock()
    site = site or load_site(settings.site_file)
    validator = ReadingValidator(AssetRegistry.from_site(site), clock)
    spool: SpoolBase
    if settings.spool == "postgresql":  # the site's rows in the database: the replica may be on another machine
        spool = PgSpool(
            libpq_dsn(settings.database_url), validator, clock,
            site_id=site.id, max_readings=settings.spool_max_readings, consumers=(),
        )  # fmt: skip
    else:
        spool = Spool(
            settings.data_dir / "spool.db", validator, clock,
            max_readings=settings.spool_max_readings, consumers=(), shared=True,
        )  # fmt: skip
    filters = subscription_filters(site.mqtt_mappings, own_topic_filter(site.id))
    collector = MqttCollector(mqtt_options(settings, site, filters), build_decoder(site), spool, clock, spawn=spawn)
    return CollectorReplica(site, spool, collector)
