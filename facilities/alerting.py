"""The alerts side of the hub: the outbox written with each work-order change and its dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.mqtt import MqttPublisher
from alerts.dispatcher import OutboxDispatcher
from alerts.handlers import outbox_unit_of_work
from alerts.outbox import AlertOutbox
from workorders.unit_of_work import SqlAlchemyUnitOfWork


@dataclass
class Alerts:
    sessions: sessionmaker[Session]
    outbox: AlertOutbox
    dispatcher: OutboxDispatcher
    publisher: MqttPublisher

    def uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work that writes the alerts of its work-order changes in the same transaction."""
        return outbox_unit_of_work(self.sessions, self.outbox, on_commit=self.dispatcher.wake)

    def start(self) -> None:
        self.dispatcher.start()

    def stop(self) -> None:
        self.dispatcher.stop()
        self.publisher.stop()
