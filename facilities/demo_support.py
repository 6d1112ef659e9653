"""The demo's small helpers: starting a simulator or saying on one line why not, the API-key hint, who was alerted."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.orm import MessageKind, OutboxRow
from workorders.orm import WorkOrderRow

ENTRAPMENT_RULE = "elevator-entrapment"


class Startable(Protocol):
    def start(self) -> None: ...


S = TypeVar("S", bound=Startable)


def start_or_report(what: str, make: Callable[[], S], echo: Callable[[str], None]) -> S | None:
    """Make and start a simulator; on any failure say so on one line and return None: the demo goes on without it.

    A port taken by another program is the usual cause (pymodbus reports it as a RuntimeError, asyncio as an
    OSError); whatever it is, it must not end the demo with a traceback.
    """
    try:
        simulator = make()
        simulator.start()
    except Exception as exc:  # every start failure: reported, not raised
        reason = " ".join(str(exc).split()) or type(exc).__name__
        echo(f"{what} are not simulated (the demo goes on without them): {reason}")
        return None
    return simulator


def key_hint(database_file: Path | None) -> str:
    """The command that creates an admin API key the demo's API accepts.

    `database_file`: the demo's own SQLite file, which the command must write to (the hub's default database
    is another file); None when FACILITIES_DATABASE_URL names the database, which the command then reads too.
    """
    command = "facilities keys create --role admin --name demo"
    if database_file is None:
        return command
    url = f"sqlite:///{database_file.resolve()}"
    return f"FACILITIES_DATABASE_URL={shlex.quote(url)} {command}"


def alerted_for_rule(session: Session, *, site_id: str, rule_id: str) -> list[str]:
    """Who received the first alert of the work orders a rule opened, as "name (id)", in the order sent."""
    query = (
        select(OutboxRow.recipients)
        .join(WorkOrderRow, WorkOrderRow.id == OutboxRow.work_order_id)
        .where(OutboxRow.site_id == site_id, OutboxRow.kind == MessageKind.ALERT.value, WorkOrderRow.rule_id == rule_id)
        .order_by(OutboxRow.id)
    )
    names: dict[str, None] = {}
    for recipients in session.scalars(query):
        for recipient in recipients:
            member = str(recipient.get("id", ""))
            name = str(recipient.get("name", "")) or member
            names[f"{name} ({member})" if member and name != member else name] = None
    return list(names)
