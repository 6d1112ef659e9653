"""Late and missed patrols to the supervisor's team through the alert outbox (its channels, its on-call roster).

The rows are written in the caller's transaction (see `patrols.watch`), with an idempotency key per route, slot,
kind and target, so the dispatcher delivers each once with retries like every other alert.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from alerts.config import Member
from alerts.orm import DeliveryStatus, MessageKind, OutboxRow
from alerts.outbox import insert_ignoring_duplicates
from alerts.routing import Routing
from core.clock import Clock
from patrols.watch import PatrolNotice

log = logging.getLogger("facilities.patrols")
KEY_NAMESPACE = uuid.UUID("0c1f4a6e-6a51-4f7e-9a0b-2f3d1c9b7e21")
WORDS = {
    "zh-CN": {"late": "巡检未按时开始", "missed": "巡检漏检", "due": "应于", "route": "路线"},
    "en": {"late": "Patrol not started on time", "missed": "Patrol missed", "due": "due", "route": "route"},
}


class OutboxPatrolNotifier:
    """`patrols.watch.Notify` over the alerts outbox."""

    def __init__(self, routing: Routing, *, clock: Clock, zone: ZoneInfo) -> None:
        self.routing = routing
        self.clock = clock
        self.zone = zone

    def __call__(self, session: Session, notice: PatrolNotice) -> None:
        team = notice.supervisor_team
        if team is None or team not in self.routing.file.teams:  # the hub checks the teams at start
            log.warning(
                "patrol %s of %s is %s; no supervisor team to tell", notice.route.id, notice.slot_at, notice.kind
            )
            return
        now = self.clock.now()
        rows: list[dict[str, Any]] = []
        for target in self.routing.targets([team], now):
            words = WORDS.get(target.locale, WORDS["en"])
            title = f"{words[notice.kind]}: {notice.route.name}"
            due = notice.slot_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
            body = f"{words['route']} {notice.route.id} · {words['due']} {due}"
            who = ",".join(member.id for member in target.recipients)
            key = uuid.uuid5(KEY_NAMESPACE, f"{notice.site_id}|{notice.route.id}|{notice.slot_at.isoformat()}|"
                                            f"{notice.kind}|{target.team}|{target.channel}|{who}")  # fmt: skip
            rows.append(
                {
                    "idempotency_key": key.hex, "site_id": notice.site_id, "work_order_id": None,
                    "work_order_code": "", "kind": MessageKind.ALERT.value, "level": 0, "team": target.team,
                    "personal": target.personal, "channel": target.channel,
                    "recipients": [_recipient(m) for m in target.recipients],
                    "locale": target.locale, "title": title[:200], "body": body,
                    "facts": {"patrol": notice.kind, "route": notice.route.id, "slot": notice.slot_at.isoformat()},
                    "status": DeliveryStatus.PENDING.value, "attempts": 0, "created_at": now, "next_attempt_at": now,
                }
            )  # fmt: skip
        if rows:
            insert_ignoring_duplicates(session, OutboxRow, rows)


def _recipient(member: Member) -> dict[str, str]:
    return {"id": member.id, "name": member.name, "phone": member.phone, "email": member.email,
            "wecom_id": member.wecom_id, "link": ""}  # fmt: skip
