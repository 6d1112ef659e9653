"""Who gets a work order's alert, on which channel, right now: routing rules, the on-call roster, escalation.

Times are the site's local time. A shift runs from `from` (inclusive) to `to` (exclusive); one whose `to` is
at or before its `from` ends the next day, and counts as the day it starts on (Friday 20:00-08:00 covers
Saturday 07:59). When no shift covers the moment, every member of the team is on call: an alert nobody
receives is worse than one too many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.config import AlertsFile, Calendar, EscalationChain, Locale, Member, RouteRule, Shift, Team
from workorders.values import Category, Priority


@dataclass(frozen=True)
class Target:
    """One message to send: a team's group channel (all on-call members mentioned) or one member's channel."""

    team: str
    channel: str
    recipients: tuple[Member, ...]
    locale: Locale
    personal: bool = False  # a member's own channel (SMS, e-mail, pager), not the team's group channel


class Routing:
    """The alerts file, resolved against the site's time zone."""

    def __init__(self, file: AlertsFile, *, timezone: str = "Asia/Shanghai", base_url: str = "") -> None:
        self.file = file
        self.zone = ZoneInfo(timezone)
        self.base_url = base_url.rstrip("/")  # fills {base} in the link: where people reach this hub

    def rule(self, category: Category, priority: Priority) -> RouteRule:
        """The first rule that matches; loading made sure one does."""
        return next(rule for rule in self.file.rules if rule.matches(category, priority))

    def teams_for(self, category: Category, priority: Priority) -> tuple[str, ...]:
        """The teams an order of this category and priority is for until someone dispatches it elsewhere."""
        return self.rule(category, priority).teams

    def chain(self, name: str | None) -> EscalationChain | None:
        return None if name is None else self.file.escalations.get(name)

    def on_call(self, team_id: str, at: datetime) -> tuple[Member, ...]:
        """The members of the team on call at `at`, in the order the team lists them."""
        team = self.file.teams[team_id]
        local = at.astimezone(self.zone)
        calendar = self.file.calendar
        on_duty = {member_id for shift in team.roster if covers(shift, local, calendar) for member_id in shift.members}
        if not on_duty:
            return team.members
        return tuple(member for member in team.members if member.id in on_duty)

    def targets(self, team_ids: Sequence[str], at: datetime) -> list[Target]:
        """A target per team channel and per personal channel of each on-call member, teams in the given order."""
        targets: list[Target] = []
        for team_id in dict.fromkeys(team_ids):  # a team named twice is told once
            team = self.file.teams[team_id]
            locale = self.locale(team)
            members = self.on_call(team_id, at)
            targets += [Target(team_id, channel, members, locale) for channel in team.channels]
            targets += [Target(team_id, channel, (m,), locale, True) for m in members for channel in m.channels]
        return targets

    def dispatch_targets(self, team_id: str | None, assignee: str | None, at: datetime) -> list[Target]:
        """Who hears of a dispatch (派單): the named member on their own channels (the team's group channel,
        mentioning them, when they have none); else the team as for a new order; nobody for unknown names."""
        teams = [team_id] if team_id in self.file.teams else list(self.file.teams)
        for candidate in teams:
            team = self.file.teams[candidate]
            member = next((m for m in team.members if assignee in (m.id, f"{m.name} ({m.id})")), None)
            if member is None:
                continue
            locale = self.locale(team)
            personal = [Target(candidate, channel, (member,), locale, True) for channel in member.channels]
            return personal or [Target(candidate, channel, (member,), locale) for channel in team.channels]
        if team_id in self.file.teams:
            return self.targets([team_id], at)
        return []

    def locale(self, team: Team) -> Locale:
        return team.locale or self.file.locale

    def team_name(self, team_id: str) -> str:
        team = self.file.teams.get(team_id)
        return (team.name if team is not None else "") or team_id

    def link(self, *, order_id: str, code: str, site_id: str) -> str:
        if not self.file.link:
            return ""
        return self.file.link.format(base=self.base_url, id=order_id, code=code, site=site_id)


def covers(shift: Shift, local: datetime, calendar: Calendar | None = None) -> bool:
    """Whether the shift covers the local time `local` (naive fields read in the site's zone).

    Days are the calendar's: a public holiday counts as a Sunday, a make-up working day (调休) as a Monday.
    """
    calendar = calendar or Calendar()
    start, end = shift.from_ or time(0), shift.to or time(0)
    today, moment = calendar.weekday(local.date()), local.time().replace(tzinfo=None)
    if start < end:  # inside one day
        return today in shift.days and start <= moment < end
    # Overnight (or a whole day when start == end): the part after `start` today, the rest after midnight.
    yesterday = calendar.weekday((local - timedelta(days=1)).date())
    return (today in shift.days and moment >= start) or (yesterday in shift.days and moment < end)
