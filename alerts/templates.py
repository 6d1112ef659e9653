"""Alert texts in zh-CN (default) and en: what, where, when, severity, evidence, work order, deadline, link.

Short enough for a phone's lock screen: a title that says what and where, then at most six short lines.
Times are shown in the site's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from alerts.config import Locale
from alerts.orm import MessageKind
from core.text import one_line

TITLE_MAX = 60
EVIDENCE_MAX = 80

WORDS: dict[Locale, dict[str, str]] = {
    "zh-CN": {
        "emergency": "紧急", "high": "重要", "normal": "一般", "low": "低",
        "elevator": "电梯", "plumbing": "给排水", "electrical": "电气", "lighting": "照明", "metering": "计量",
        "security": "安防", "other": "其他",
        "acknowledge": "接单", "on_site": "到场", "resolve": "完工",
        "open": "待接单", "acknowledged": "已接单", "resolved": "已完工", "closed": "已归档", "cancelled": "已取消",
        "building": "{name}栋", "order": "工单 {code} · {where}", "reported": "报警 {when} · {priority}",
        "evidence": "证据 {text}", "deadline": "时限 {when} 前{step}（{minutes} 分钟）", "link": "详情 {link}",
        "link_for": "{name} 处理 {link}",
        "escalation": "【升级】{minutes} 分钟无人接单 · {title}", "notified": "已通知 {teams}，无人接单",
        "breach": "【超时】{step}超时 · {title}", "missed": "应于 {when} 前{step}，仍未完成",
        "alert": "【{priority}】{title}", "state": "工单 {code} {status}", "assignee": "处理人 {name}",
        "dispatch": "【派单·{priority}】{title}", "dispatched": "{by} 派给 {who}",
        "sep": "、",
    },
    "en": {
        "emergency": "EMERGENCY", "high": "HIGH", "normal": "normal", "low": "low",
        "elevator": "elevator", "plumbing": "plumbing", "electrical": "electrical", "lighting": "lighting",
        "metering": "metering", "security": "security", "other": "other",
        "acknowledge": "acknowledge", "on_site": "on site", "resolve": "resolve",
        "open": "open", "acknowledged": "acknowledged", "resolved": "resolved", "closed": "closed",
        "cancelled": "cancelled",
        "building": "bldg {name}", "order": "Work order {code} · {where}", "reported": "Raised {when} · {priority}",
        "evidence": "Evidence {text}", "deadline": "Deadline {step} by {when} ({minutes} min)", "link": "{link}",
        "link_for": "{name}: {link}",
        "escalation": "[ESCALATED] unacknowledged {minutes} min · {title}", "notified": "{teams} told, no one took it",
        "breach": "[SLA MISSED] {step} · {title}", "missed": "Due {step} by {when}, not done",
        "alert": "[{priority}] {title}", "state": "Work order {code} {status}", "assignee": "Assignee {name}",
        "dispatch": "[DISPATCHED · {priority}] {title}", "dispatched": "{by} assigned it to {who}",
        "sep": ", ",
    },
}  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render(kind: MessageKind, facts: Mapping[str, Any], locale: Locale, zone: tzinfo) -> Rendered:
    """The title and the body lines for one message; `facts` as `alerts.facts.order_facts` made them."""
    w = WORDS[locale]
    priority = w[facts["priority"]]
    if kind is MessageKind.STATE:
        title = w["state"].format(code=facts["code"], status=w.get(facts["status"], facts["status"]))
        who = [w["assignee"].format(name=facts["assignee"])] if facts.get("assignee") else []
        return Rendered(_cut(title, TITLE_MAX), "\n".join([_subject(facts, TITLE_MAX), *who]))
    if kind is MessageKind.ESCALATION:
        escalation = facts["escalation"]
        title = _title(w["escalation"], facts, minutes=escalation["after_min"])
        first = [w["notified"].format(teams=w["sep"].join(escalation["notified"]))]
    elif kind is MessageKind.BREACH:
        breach = facts["breach"]
        step = w[breach["step"]]
        title = _title(w["breach"], facts, step=step)
        first = [w["missed"].format(when=_when(breach["due_at"], zone), step=step)]
    elif facts.get("dispatch"):
        dispatch = facts["dispatch"]
        to = dispatch.get("assignee") or dispatch.get("team") or ""
        title = _title(w["dispatch"], facts, priority=priority)
        first = [w["dispatched"].format(by=dispatch["by"], who=to)]
    else:
        title, first = _title(w["alert"], facts, priority=priority), []
    severity = f"{priority} ({facts['severity']})" if facts.get("severity") else priority
    lines = [
        *first,
        w["order"].format(code=facts["code"], where=_where(facts, w)),
        w["reported"].format(when=_when(facts["reported_at"], zone), priority=severity),
    ]
    if facts.get("evidence"):
        lines.append(w["evidence"].format(text=_evidence(facts["evidence"])))
    deadline = facts.get("deadline")
    if deadline and kind is not MessageKind.BREACH:
        when = _when(deadline["due_at"], zone)
        lines.append(w["deadline"].format(when=when, step=w[deadline["step"]], minutes=deadline["within_min"]))
    personal = facts.get("links") or []
    if len(personal) > 1:  # a group message: each person on call gets their own link
        lines += [w["link_for"].format(name=entry["name"], link=entry["url"]) for entry in personal]
    elif facts.get("link"):
        lines.append(w["link"].format(link=facts["link"]))
    return Rendered(title, "\n".join(lines))


def _title(template: str, facts: Mapping[str, Any], **values: object) -> str:
    """The template filled in; the order's title is shortened to fit, the asset id always stays."""
    room = TITLE_MAX - len(template.format(title="", **values))
    return template.format(title=_subject(facts, room), **values)


def _subject(facts: Mapping[str, Any], room: int) -> str:
    """`<order title> · <asset id>` on one line, at most `room` characters, cutting the title rather than the asset.

    One line whatever the order's title holds (an order from before titles were checked, a rule's title): the
    message's title becomes an e-mail subject and a robot message's heading.
    """
    asset = f" · {one_line(str(facts['asset_id']))}" if facts.get("asset_id") else ""
    return _cut(one_line(str(facts["title"])), max(room - len(asset), 8)) + asset


def _where(facts: Mapping[str, Any], w: Mapping[str, str]) -> str:
    name = facts.get("building") or ""
    # "1" becomes 1栋 / bldg 1; a name that already says what it is ("1号楼", "A座") stays as it is.
    building = name if name[-1:] in "楼栋座幢" or not name else w["building"].format(name=name)
    category = w.get(facts["category"], facts["category"])
    asset = f"{category} {facts['asset']}" if facts.get("asset") else ""
    return " ".join(part for part in (facts["site"], building, facts.get("unit_id") or "", asset) if part)


def _when(iso: str, zone: tzinfo) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%m-%d %H:%M")


def _evidence(evidence: Mapping[str, Any]) -> str:
    return _cut(", ".join(f"{key}={value}" for key, value in evidence.items()), EVIDENCE_MAX)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
