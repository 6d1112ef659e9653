"""What the order page shows beside the order itself: the car now, whom to call, who reported it, its history.

Each helper is forgiving: a store that is down, a car without readings or an order without routing leaves
its part of the page empty, never the page broken.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from alerts.routing import Routing
from core.registry import AssetRegistry, UnknownAsset
from rules.library import builtin_rules
from storage.store import ReadingStore
from workorders.domain import WorkOrder
from workorders.values import AuditAction, AuditEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CarNow:
    """An elevator's newest reading: floor, state, door and when it was read."""

    floor: object | None
    state: str | None
    door: str | None
    direction: str | None
    seen_at: datetime


@dataclass(frozen=True)
class Call:
    """A number to tap: whose role, their name and the `tel:` number."""

    role: str  # duty_manager, resident, assignee
    name: str
    phone: str

    @property
    def href(self) -> str:
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")


def car_now(store: ReadingStore, registry: AssetRegistry, asset_id: str | None) -> CarNow | None:
    """The car's newest values; None for no elevator, no readings or a store that fails."""
    if asset_id is None:
        return None
    try:
        asset = registry.get(asset_id)
        if asset.kind.value != "elevator":
            return None
        latest = store.latest(asset)
    except UnknownAsset:
        return None
    except Exception as exc:  # the page must render while the store is down
        log.warning("latest reading of %s failed: %s", asset_id, exc)
        return None
    if latest is None:
        return None
    fields = latest.fields
    text = {name: (str(fields[name]) if fields.get(name) is not None else None) for name in ("state", "door")}
    direction = fields.get("direction")
    return CarNow(
        floor=fields.get("floor"),
        state=text["state"],
        door=text["door"],
        direction=str(direction) if direction is not None else None,
        seen_at=latest.ts,
    )


def calls(routing: Routing | None, order: WorkOrder, resident: tuple[str, str] | None, at: datetime) -> list[Call]:
    """The duty manager (on call in the order's first escalation step's teams, else its breach teams, else the
    catch-all rule's teams: the service centre) and the resident who asked for the job; only people with a
    phone number."""
    found: list[Call] = []
    if routing is not None:
        rule = routing.rule(order.category, order.priority)
        chain = routing.chain(rule.escalation)
        teams = list(chain.steps[0].teams) if chain is not None else list(rule.breach_teams)
        if not teams:  # no escalation named: the desk that takes every other order (the service centre)
            desk = [r for r in routing.file.rules if not r.categories and not r.priorities]
            teams = list(desk[-1].teams) if desk else []
        for team_id in teams:
            if team_id in routing.file.teams:
                found += [Call("duty_manager", m.name, m.phone) for m in routing.on_call(team_id, at) if m.phone]
    if resident is not None and resident[1].strip():
        found.append(Call("resident", resident[0], resident[1]))
    return found


@cache
def _rule_titles() -> dict[str, tuple[str, str]]:
    try:
        return {rule.id: (rule.title.zh, rule.title.en) for rule in builtin_rules()}
    except Exception as exc:  # a broken library file must not break the order page
        log.warning("reading the built-in rules' titles failed: %s", exc)
        return {}


def rule_title(rule_id: str, lang: str) -> str:
    zh, en = _rule_titles().get(rule_id, ("", ""))
    return (zh if lang == "zh-CN" else en) or rule_id


def reporter_label(reporter: str | None, lang: str) -> str:
    """A person as recorded; a rule as 系统（电梯困人）/ system (Entrapment)."""
    if not reporter:
        return ""
    if reporter.startswith("rule:"):
        title = rule_title(reporter.removeprefix("rule:"), lang)
        return f"系统（{title}）" if lang == "zh-CN" else f"system ({title})"
    return reporter


def history(order: WorkOrder) -> Sequence[AuditEntry]:
    """The audit log without the alarm that opened the order written again as "再次报警" at its creation."""
    opened = next((e.at for e in order.audit if e.action is AuditAction.OPENED), None)
    return [e for e in order.audit if not (e.action is AuditAction.ALARM_APPENDED and e.at == opened)]


def actor_label(actor: str, lang: str) -> str:
    """`system` and `rule:…` actors in words; people as recorded."""
    if actor == "system":
        return "系统" if lang == "zh-CN" else "system"
    return reporter_label(actor, lang)
