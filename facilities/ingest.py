"""The ingest service: MQTT and Modbus/DL/T 645 collectors → spool → store, started and stopped as one."""

from __future__ import annotations

from dataclasses import dataclass, field

from collectors.dlt645.collector import Dlt645Poller
from collectors.modbus.collector import ModbusPoller
from collectors.mqtt.collector import MqttCollector
from collectors.mqtt.discovered import DiscoveryBook
from core.inventory import LastSeen
from core.registry import AssetRegistry
from core.site import Site
from storage.spool_base import SpoolBase
from storage.store import ReadingStore
from storage.writer import SpoolWriter


@dataclass
class Ingest:
    """MQTT and Modbus collectors → spool → store, as one running service."""

    site: Site
    registry: AssetRegistry
    spool: SpoolBase
    collector: MqttCollector
    writer: SpoolWriter
    store: ReadingStore
    poller: ModbusPoller | None = None
    dlt645_poller: Dlt645Poller | None = None
    seen: LastSeen = field(default_factory=LastSeen)  # the device inventory's last-seen times
    discovery: DiscoveryBook = field(default_factory=DiscoveryBook)  # Home Assistant discovery configs

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
