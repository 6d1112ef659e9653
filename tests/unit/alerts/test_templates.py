"""The texts people read on their phones, literally, in zh-CN and en."""

from __future__ import annotations

from alerts.orm import MessageKind
from alerts.templates import TITLE_MAX, render
from tests.unit.alerts.builders import SHANGHAI, entrapment_facts


def test_entrapment_alert_in_chinese() -> None:
    text = render(MessageKind.ALERT, entrapment_facts(), "zh-CN", SHANGHAI)
    assert text.title == "【紧急】困人 · B1-L1"
    assert text.body.splitlines() == [
        "工单 WO-20261126-0001 · 湖景花园 1栋 电梯 1号梯",
        "报警 11-26 16:00 · 紧急 (critical)",
        "证据 state=stopped, door=closed, alarm_button=True, floor=3",
        "时限 11-26 16:10 前到场（10 分钟）",
        "详情 https://wuye.example.com/workorders/WO-20261126-0001",
    ]


def test_entrapment_alert_in_english() -> None:
    text = render(MessageKind.ALERT, entrapment_facts(), "en", SHANGHAI)
    assert text.title == "[EMERGENCY] 困人 · B1-L1"
    assert text.body.splitlines() == [
        "Work order WO-20261126-0001 · 湖景花园 bldg 1 elevator 1号梯",
        "Raised 11-26 16:00 · EMERGENCY (critical)",
        "Evidence state=stopped, door=closed, alarm_button=True, floor=3",
        "Deadline on site by 11-26 16:10 (10 min)",
        "https://wuye.example.com/workorders/WO-20261126-0001",
    ]


def test_escalation_and_breach_say_why_first() -> None:
    escalation = {"escalation": {"level": 1, "after_min": 3, "notified": ["电梯运维"]}}
    zh = render(MessageKind.ESCALATION, entrapment_facts(**escalation), "zh-CN", SHANGHAI)
    assert (zh.title, zh.body.splitlines()[0]) == ("【升级】3 分钟无人接单 · 困人 · B1-L1", "已通知 电梯运维，无人接单")
    breach = {"breach": {"step": "on_site", "due_at": "2026-11-26T08:10:00+00:00"}}
    en = render(MessageKind.BREACH, entrapment_facts(**breach), "en", SHANGHAI)
    assert (en.title, en.body.splitlines()[0]) == (
        "[SLA MISSED] on site · 困人 · B1-L1",
        "Due on site by 11-26 16:10, not done",
    )
    assert not any(line.startswith("Deadline") for line in en.body.splitlines())  # the deadline has passed


def test_state_is_one_short_line_per_fact() -> None:
    text = render(MessageKind.STATE, entrapment_facts(status="acknowledged", assignee="wang"), "zh-CN", SHANGHAI)
    assert (text.title, text.body) == ("工单 WO-20261126-0001 已接单", "困人 · B1-L1\n处理人 wang")


def test_a_long_title_is_cut_but_keeps_the_asset_and_the_evidence_stays_short() -> None:
    facts = entrapment_facts(title="轿厢" * 40, evidence={f"field{i}": i * 1000 for i in range(20)})
    text = render(MessageKind.ALERT, facts, "zh-CN", SHANGHAI)
    assert len(text.title) == TITLE_MAX and text.title.endswith("… · B1-L1")
    evidence = text.body.splitlines()[2]
    assert evidence.startswith("证据 field0=0, field1=1000") and evidence.endswith("…") and len(evidence) == 83
