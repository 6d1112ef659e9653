"""The alerts file: the example loads, and every mistake is named by its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.channels.build import build_channels
from alerts.config import parse_days
from alerts.loading import load_alerts, parse_alerts
from core.clock import FakeClock
from core.config_files import ConfigError
from tests.unit.workorders.builders import T0

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "alerts.toml"

MINIMAL = """
[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/alerts"

[teams.crew]
channels = ["hook"]
members = [{ id = "wang", name = "王师傅" }]

[[rules]]
teams = ["crew"]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_alerts(text, source="alerts.toml")
    return str(caught.value).splitlines()


def test_the_example_file_loads() -> None:
    file = load_alerts(EXAMPLE)
    trades = {"elevator-crew", "plumbing", "electrical", "security"}
    others = {"duty-manager", "service-centre", "supervisors", "manager"}
    contractor = {"xunda-elevator"}  # the elevator contractor of examples/maintenance.toml
    assert set(file.teams) == trades | others | contractor
    assert file.rules[0].escalation == "urgent"
    assert [s.after.total_seconds() for s in file.escalations["urgent"].steps] == [180, 480]


def test_a_minimal_file_loads() -> None:
    assert parse_alerts(MINIMAL).locale == "zh-CN"


def test_unknown_keys_and_bad_values_name_their_path() -> None:
    text = MINIMAL.replace('type = "webhook"', 'type = "webhook"\nsecret = "x"').replace(
        "[[rules]]", '[teams.night]\nroster = [{ days = ["mon-fry"], members = ["x"] }]\n[[rules]]'
    )
    assert problems(text) == [
        "alerts.toml: channels.hook.webhook.secret: unknown key; remove it or correct its spelling",
        "alerts.toml: teams.night.roster[0].days: 'mon-fry' is not a day; write mon … sun, a range such as"
        " 'mon-fri', or 'daily'",
    ]


def test_names_that_point_nowhere_are_listed_with_what_is_known() -> None:
    text = MINIMAL.replace('teams = ["crew"]', 'teams = ["crew", "plumbers"]\nescalation = "fast"').replace(
        'members = [{ id = "wang", name = "王师傅" }]',
        'members = [{ id = "wang", name = "王师傅", channels = ["mail", "hook"] }]\n'
        'roster = [{ days = "daily", members = ["li"] }]',
    )
    assert problems(text) == [
        "alerts.toml: teams.crew.members[0].channels[0]: no channel 'mail'; known: hook",
        "alerts.toml: teams.crew.roster[0].members[0]: no member of this team 'li'; known: wang",
        "alerts.toml: rules[0].teams[1]: no team 'plumbers'; known: crew",
        "alerts.toml: rules[0].escalation: no escalation chain 'fast'; known: (none)",
    ]


def test_every_category_and_priority_must_be_routed() -> None:
    text = MINIMAL.replace('teams = ["crew"]', 'categories = ["elevator"]\nteams = ["crew"]')
    [problem] = problems(text)
    assert problem.startswith("alerts.toml: rules: no rule routes plumbing/emergency, plumbing/high,")
    assert problem.endswith("end with a rule without categories")


def test_group_robots_and_email_need_the_right_place_and_address() -> None:
    text = (
        MINIMAL.replace(
            "[teams.crew]",
            '[channels.bot]\ntype = "wecom"\nurl_env = "BOT_URL"\n'
            '[channels.mail]\ntype = "email"\nhost = "smtp.example.com"\nsender = "a@example.com"\n[teams.crew]',
        )
        .replace('channels = ["hook"]', 'channels = ["hook", "bot"]')
        .replace('name = "王师傅" }', 'name = "王师傅", channels = ["bot", "mail"] }')
    )
    assert problems(text) == [
        "alerts.toml: teams.crew.members[0].channels[0]: 'bot' is a group robot; list it in the team's channels",
        "alerts.toml: teams.crew.members[0].channels[1]: wang has no 'email' for channel 'mail'; add one",
    ]


def test_escalation_steps_must_grow_and_urls_come_from_one_place() -> None:
    text = MINIMAL.replace('url = "http://127.0.0.1:9/alerts"', 'url = "http://x/"\nurl_env = "HOOK_URL"') + (
        '[escalations.bad]\nsteps = [{ after = "5m", teams = ["crew"] }, { after = "5m", teams = ["crew"] }]\n'
    )
    assert problems(text) == [
        "alerts.toml: channels.hook.webhook: give exactly one of url and url_env (the environment variable holding"
        " the URL)",
        "alerts.toml: escalations.bad.steps: each step's 'after' must be above zero and later than the step before it",
    ]


def test_a_team_nobody_could_reach_is_refused() -> None:
    text = MINIMAL.replace("[[rules]]", '[teams.ghosts]\nmembers = [{ id = "x", name = "X" }]\n[[rules]]')
    assert problems(text) == [
        "alerts.toml: teams.ghosts: nobody could be reached: give the team channels, or its members some"
    ]


def test_production_refuses_placeholder_secrets() -> None:
    file = parse_alerts(
        MINIMAL.replace('url = "http://127.0.0.1:9/alerts"', 'url_env = "HOOK_URL"\nsecret_env = "KEY"')
    )
    environ = {"HOOK_URL": "http://127.0.0.1:9/alerts", "KEY": "changeme"}
    assert set(build_channels(file, environ=environ, clock=FakeClock(T0))) == {"hook"}
    with pytest.raises(ConfigError, match=r"channels\.hook\.secret_env: KEY holds a placeholder; set the real one"):
        build_channels(file, environ=environ, clock=FakeClock(T0), production=True)


@pytest.mark.parametrize("weak", ["Password123456789", "wuye2026wuye2026", "aaaaaaaaaaaaaaaaaaaa", "x7Q!a"])
def test_production_holds_signing_secrets_to_the_secret_policy_without_quoting_them(weak: str) -> None:
    file = parse_alerts(
        MINIMAL.replace('url = "http://127.0.0.1:9/alerts"', 'url_env = "HOOK_URL"\nsecret_env = "KEY"')
    )
    environ = {"HOOK_URL": "http://127.0.0.1:9/alerts", "KEY": weak}
    with pytest.raises(ConfigError, match=r"channels\.hook\.secret_env: KEY ") as caught:
        build_channels(file, environ=environ, clock=FakeClock(T0), production=True)
    assert all(weak[i : i + 4] not in str(caught.value) for i in range(len(weak) - 3))
    environ["KEY"] = "9f2c4e71b8a05d3e6c1f7a29d4b8e0c5"
    assert set(build_channels(file, environ=environ, clock=FakeClock(T0), production=True)) == {"hook"}


def test_days_are_names_ranges_or_daily() -> None:
    assert parse_days(["mon-fri"]) == (0, 1, 2, 3, 4)
    assert parse_days("sat-sun") == (5, 6)
    assert parse_days(["fri-mon"]) == (0, 4, 5, 6)  # a range may wrap over the weekend
    assert parse_days(["daily"]) == tuple(range(7))


def test_missing_secrets_in_the_environment_are_named_with_their_channel() -> None:
    file = load_alerts(EXAMPLE)
    with pytest.raises(ConfigError) as caught:
        build_channels(file, environ={"FACILITIES_ALERTS_SMS_SECRET": "x"}, clock=FakeClock(T0), source="alerts.toml")
    assert str(caught.value).splitlines() == [
        "alerts.toml: channels.app: an MQTT channel needs the hub's broker connection",
        "alerts.toml: channels.elevator-wecom.url_env: environment variable FACILITIES_ALERTS_WECOM_ELEVATOR_URL is"
        " not set",
        "alerts.toml: channels.service-wecom.url_env: environment variable FACILITIES_ALERTS_WECOM_SERVICE_URL is"
        " not set",
        "alerts.toml: channels.supervisors-dingtalk.url_env: environment variable"
        " FACILITIES_ALERTS_DINGTALK_SUPERVISORS_URL is not set",
        "alerts.toml: channels.supervisors-dingtalk.secret_env: environment variable"
        " FACILITIES_ALERTS_DINGTALK_SUPERVISORS_SECRET is not set",
        "alerts.toml: channels.mail.password_env: environment variable FACILITIES_ALERTS_SMTP_PASSWORD is not set",
    ]
