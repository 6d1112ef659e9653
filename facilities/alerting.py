"""The alerts side of the hub: channels, the outbox written with each work-order change, its dispatcher."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.build import build_channels
from alerts.channels.mqtt import MqttPublisher
from alerts.dispatcher import OutboxDispatcher
from alerts.facts import PlaceBook
from alerts.loading import load_alerts
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from alerts.unit_of_work import OutboxUnitOfWork
from core.clock import Clock
from core.settings import Environment, Settings
from core.site import Site
from core.threads import Spawn, start_thread
from workorders.links import OrderLinkSigner


@dataclass
class Alerts:
    sessions: sessionmaker[Session]
    outbox: AlertOutbox
    dispatcher: OutboxDispatcher
    publisher: MqttPublisher

    def uow(self) -> OutboxUnitOfWork:
        """A unit of work that writes the alerts of its work-order changes in the same transaction."""
        return OutboxUnitOfWork(self.sessions, self.outbox, on_commit=self.dispatcher.wake)

    def start(self) -> None:
        self.dispatcher.start()

    def stop(self) -> None:
        self.dispatcher.stop()
        self.publisher.stop()


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
