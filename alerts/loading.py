"""Loads an alerts file (TOML) into an `AlertsFile`, or fails with every problem named by key path."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alerts.config import GROUP_ONLY, AlertsFile, Team
from core.config_files import ConfigError, ConfigProblem, parse_config_file, read_config_text
from workorders.values import Category, Priority


def load_alerts(path: str | Path) -> AlertsFile:
    return parse_alerts(read_config_text(path, "alerts"), source=str(path))


def parse_alerts(text: str, *, source: str = "<memory>") -> AlertsFile:
    """The validated file; `ConfigError` lists every problem as `source: key.path: what to change`."""
    parsed = parse_config_file(text, AlertsFile, source=source)
    problems = cross_reference_problems(parsed)
    if problems:
        raise ConfigError(source, problems)
    return parsed


def cross_reference_problems(file: AlertsFile) -> list[ConfigProblem]:
    """Names that point nowhere, and (category, priority) pairs no rule routes."""
    problems: list[ConfigProblem] = []
    channels, teams = set(file.channels), set(file.teams)
    for i, name in enumerate(file.state_channels):
        path = f"state_channels[{i}]"
        if _known(problems, path, "channel", name, channels) and file.channels[name].type != "mqtt":
            problems.append(ConfigProblem(path, f"channel {name!r} is not an MQTT channel; state is kept on MQTT"))
    for team_id, team in file.teams.items():
        problems += _team_problems(file, f"teams.{team_id}", team)
    for i, rule in enumerate(file.rules):
        for j, team_id in enumerate(rule.teams):
            _known(problems, f"rules[{i}].teams[{j}]", "team", team_id, teams)
        for j, team_id in enumerate(rule.breach_teams):
            _known(problems, f"rules[{i}].breach_teams[{j}]", "team", team_id, teams)
        if rule.escalation is not None:
            _known(problems, f"rules[{i}].escalation", "escalation chain", rule.escalation, set(file.escalations))
    for chain_id, chain in file.escalations.items():
        for i, step in enumerate(chain.steps):
            for j, team_id in enumerate(step.teams):
                _known(problems, f"escalations.{chain_id}.steps[{i}].teams[{j}]", "team", team_id, teams)
    unrouted = [
        f"{c.value}/{p.value}" for c in Category for p in Priority if not any(r.matches(c, p) for r in file.rules)
    ]
    if unrouted:
        problems.append(
            ConfigProblem("rules", f"no rule routes {', '.join(unrouted)}; end with a rule without categories")
        )
    return problems


def _team_problems(file: AlertsFile, path: str, team: Team) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    channels = set(file.channels)
    for i, name in enumerate(team.channels):
        _known(problems, f"{path}.channels[{i}]", "channel", name, channels)
    member_ids: set[str] = set()
    for i, member in enumerate(team.members):
        if member.id in member_ids:
            problems.append(ConfigProblem(f"{path}.members[{i}].id", f"duplicate member id {member.id!r}"))
        member_ids.add(member.id)
        for j, name in enumerate(member.channels):
            where = f"{path}.members[{i}].channels[{j}]"
            if not _known(problems, where, "channel", name, channels):
                continue
            kind = file.channels[name].type
            if kind in GROUP_ONLY:
                problems.append(ConfigProblem(where, f"{name!r} is a group robot; list it in the team's channels"))
            elif kind == "email" and not member.email:
                problems.append(ConfigProblem(where, f"{member.id} has no 'email' for channel {name!r}; add one"))
    for i, shift in enumerate(team.roster):
        for j, member_id in enumerate(shift.members):
            _known(problems, f"{path}.roster[{i}].members[{j}]", "member of this team", member_id, member_ids)
    if not team.channels and not any(member.channels for member in team.members):
        problems.append(ConfigProblem(path, "nobody could be reached: give the team channels, or its members some"))
    if team.roster and not team.members:
        problems.append(ConfigProblem(f"{path}.roster", "a roster needs the team's members; add them"))
    return problems


def _known(problems: list[ConfigProblem], path: str, what: str, name: str, known: Iterable[str]) -> bool:
    known = sorted(known)
    if name in known:
        return True
    problems.append(ConfigProblem(path, f"no {what} {name!r}; known: {', '.join(known) or '(none)'}"))
    return False
