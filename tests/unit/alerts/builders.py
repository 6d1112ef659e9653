"""Builders for alert tests: the facts of an elevator entrapment order and a message about it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from alerts.channels.base import OutgoingMessage, Recipient
from alerts.facts import PlaceBook, order_facts
from alerts.orm import MessageKind
from alerts.templates import render
from tests.unit.workorders.builders import MINUTE, T0
from workorders.domain import WorkOrder
from workorders.sla import DEFAULT_SLA
from workorders.values import AlarmOccurrence, Category, Priority, Source

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLACES = PlaceBook({"lakeview": "湖景花园"}, {"B1": "1"}, {"B1-L1": "1号梯"})
WANG = Recipient(id="wang", name="王师傅", phone="13800000001", email="wang@example.com", wecom_id="WangWei")
LI = Recipient(id="li", name="李师傅", phone="13800000002")


def entrapment_order() -> WorkOrder:
    """An elevator emergency opened one minute after the alarm at 16:00 Shanghai time."""
    alarm = AlarmOccurrence(
        rule_id="elevator.entrapment",
        severity="critical",
        raised_at=T0,
        message="B1-L1 疑似困人",
        recorded_at=T0 + MINUTE,
        evidence={"state": "stopped", "door": "closed", "alarm_button": True, "floor": 3},
    )
    return WorkOrder.open(
        code="WO-20261126-0001",
        site_id="lakeview",
        category=Category.ELEVATOR,
        priority=Priority.EMERGENCY,
        source=Source.RULE,
        title="困人",
        description="B1-L1 疑似困人",
        reported_at=T0,
        opened_at=T0 + MINUTE,
        deadlines=DEFAULT_SLA.policy(Category.ELEVATOR, Priority.EMERGENCY).deadlines(T0),
        actor="system",
        asset_id="B1-L1",
        rule_id="elevator.entrapment",
        building_id="B1",
        alarm=alarm,
    )


def entrapment_facts(**extra: Any) -> dict[str, Any]:
    order = entrapment_order()
    return {**order_facts(order, places=PLACES, link=f"https://wuye.example.com/workorders/{order.code}"), **extra}


def message(
    *,
    kind: MessageKind = MessageKind.ALERT,
    locale: str = "zh-CN",
    recipients: tuple[Recipient, ...] = (WANG, LI),
    personal: bool = False,
    key: str = "5f0c0ffee0ddf00d5f0c0ffee0ddf00d",
) -> OutgoingMessage:
    facts = entrapment_facts()
    text = render(kind, facts, "en" if locale == "en" else "zh-CN", SHANGHAI)
    return OutgoingMessage(
        row_id=1,
        key=key,
        attempt=1,
        kind=kind,
        channel_name="test",
        site_id="lakeview",
        order_id=facts["order_id"],
        order_code=facts["code"],
        team="elevator-crew",
        personal=personal,
        level=0,
        locale=locale,
        title=text.title,
        body=text.body,
        recipients=recipients,
        facts=facts,
    )
