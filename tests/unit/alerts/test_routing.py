"""Routing: the first matching rule, and who is on call at the edges of each shift (site time, Shanghai)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from alerts.loading import load_alerts, parse_alerts
from alerts.routing import Routing, Target
from core.config_files import ConfigError
from workorders.values import Category, Priority

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alerts.toml"
ROUTING = Routing(load_alerts(EXAMPLE), timezone="Asia/Shanghai")


def shanghai(text: str) -> datetime:
    """A literal local time; 2026-11-23 is a Monday."""
    return datetime.fromisoformat(text + "+08:00")


@pytest.mark.parametrize(
    ("local", "on_call"),
    [
        ("2026-11-23 07:59:59", ("wang", "li", "zhao")),  # Monday before 08:00: Sunday had no night shift, a gap
        ("2026-11-23 08:00:00", ("wang", "li")),  # the day shift starts on the minute
        ("2026-11-23 19:59:59", ("wang", "li")),
        ("2026-11-23 20:00:00", ("zhao",)),  # the day shift has ended, the night shift begun
        ("2026-11-24 07:59:59", ("zhao",)),  # Monday's night shift runs into Tuesday
        ("2026-11-24 08:00:00", ("wang", "li")),
        ("2026-11-28 07:59:59", ("li", "zhao")),  # Saturday: Friday's night shift and the weekend's all-day one
        ("2026-11-29 23:59:59", ("li", "zhao")),
        ("2026-11-30 00:00:00", ("wang", "li", "zhao")),  # Monday 00:00: the weekend is over, nobody rostered
    ],
)
def test_on_call_at_the_edges_of_the_shifts(local: str, on_call: tuple[str, ...]) -> None:
    assert tuple(m.id for m in ROUTING.on_call("elevator-crew", shanghai(local))) == on_call


def test_the_roster_reads_site_time_whatever_zone_the_instant_comes_in() -> None:
    utc = datetime.fromisoformat("2026-11-23T12:00:00+00:00")  # 20:00 in Shanghai
    assert [m.id for m in ROUTING.on_call("elevator-crew", utc)] == ["zhao"]


def test_the_first_matching_rule_decides() -> None:
    assert ROUTING.rule(Category.ELEVATOR, Priority.EMERGENCY).escalation == "urgent"
    assert ROUTING.rule(Category.ELEVATOR, Priority.LOW).escalation == "standard"
    assert ROUTING.rule(Category.LIGHTING, Priority.NORMAL).teams == ("electrical",)
    assert ROUTING.rule(Category.METERING, Priority.HIGH).teams == ("service-centre",)


def test_targets_are_the_team_channels_then_each_on_call_members_own() -> None:
    targets = ROUTING.targets(["elevator-crew", "supervisors", "elevator-crew"], shanghai("2026-11-23 20:30:00"))
    summary = [(t.team, t.channel, tuple(m.id for m in t.recipients), t.personal) for t in targets]
    assert summary == [
        ("elevator-crew", "elevator-wecom", ("zhao",), False),
        ("elevator-crew", "app", ("zhao",), False),
        ("elevator-crew", "sms", ("zhao",), True),
        ("supervisors", "supervisors-dingtalk", ("zhou",), False),
        ("supervisors", "sms", ("zhou",), True),
        ("supervisors", "mail", ("zhou",), True),
    ]
    assert all(isinstance(t, Target) and t.locale == "zh-CN" for t in targets)


def test_links_and_team_names() -> None:
    routing = Routing(load_alerts(EXAMPLE), timezone="Asia/Shanghai", base_url="https://wuye.example.com/")
    assert (
        routing.link(order_id="42", code="WO-1", site_id="lakeview") == "https://wuye.example.com/console/orders/WO-1"
    )
    assert (ROUTING.team_name("elevator-crew"), ROUTING.team_name("gone")) == ("电梯运维", "gone")


def test_a_link_with_an_unknown_placeholder_is_refused_naming_the_ones_allowed() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('link = "{base}/console', 'link = "{host}/console')
    with pytest.raises(ConfigError, match=r"link.*uses 'host'.*\{base\}, \{id\}, \{code\} and \{site\}"):
        parse_alerts(text)


# The 2026 National Day holiday: 1-7 October off; Sunday 27 September and Saturday 10 October worked (调休).
NATIONAL_DAY = """
[calendar]
holidays = [2026-10-01, 2026-10-02, 2026-10-03, 2026-10-04, 2026-10-05, 2026-10-06, 2026-10-07]
workdays = [2026-09-27, 2026-10-10]
"""
HOLIDAY_ROUTING = Routing(parse_alerts(EXAMPLE.read_text(encoding="utf-8") + NATIONAL_DAY), timezone="Asia/Shanghai")


@pytest.mark.parametrize(
    ("local", "on_call"),
    [
        ("2026-09-27 10:00:00", ("wang", "li")),  # a Sunday worked: the weekday day shift
        ("2026-09-30 21:00:00", ("zhao",)),  # Wednesday night, as any weekday
        ("2026-10-01 07:59:59", ("li", "zhao")),  # Wednesday's night shift runs on, and the holiday's all-day one
        ("2026-10-01 10:00:00", ("li", "zhao")),  # Thursday, a holiday: the weekend roster
        ("2026-10-07 23:59:59", ("li", "zhao")),
        ("2026-10-08 07:59:59", ("wang", "li", "zhao")),  # after a "Sunday" there is no night shift: a gap
        ("2026-10-08 10:00:00", ("wang", "li")),  # back to work
        ("2026-10-10 10:00:00", ("wang", "li")),  # a Saturday worked
        ("2026-10-11 10:00:00", ("li", "zhao")),  # an ordinary Sunday
    ],
)
def test_public_holidays_and_make_up_working_days_follow_the_calendar(local: str, on_call: tuple[str, ...]) -> None:
    assert tuple(m.id for m in HOLIDAY_ROUTING.on_call("elevator-crew", shanghai(local))) == on_call
    plain = tuple(m.id for m in ROUTING.on_call("elevator-crew", shanghai(local)))
    if local.startswith(("2026-09-27", "2026-10-01 10", "2026-10-10")):
        assert plain != on_call  # without the calendar these days would be rostered as the week says


def test_a_day_cannot_be_both_a_holiday_and_a_workday() -> None:
    text = EXAMPLE.read_text(encoding="utf-8") + "[calendar]\nholidays = [2026-10-01]\nworkdays = [2026-10-01]\n"
    with pytest.raises(ConfigError, match=r"calendar: 2026-10-01 cannot be both a holiday and a workday"):
        parse_alerts(text)
