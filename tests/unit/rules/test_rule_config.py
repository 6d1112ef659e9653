"""Rule tables are validated like the rest of the site file, with key paths in every message."""

from __future__ import annotations

import re
import tomllib
from datetime import time, timedelta
from typing import get_args

import pytest
from pydantic import BaseModel, ValidationError

from core.config_files import ConfigProblem
from core.durations import parse_duration, parse_time_of_day
from core.site import AreaKind, RuleSpec, Utility
from core.site_loader import rule_problems as validate_rules
from rules.config import AreaKindName, UtilityName
from rules.kinds.threshold import ThresholdRule
from tests.unit.rules.support import rules, site


class SiteFileWithRules(BaseModel):
    """How the site file will hold rules: `rules: tuple[RuleSpec, ...]`."""

    rules: tuple[RuleSpec, ...] = ()


def errors(toml: str) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        SiteFileWithRules.model_validate(tomllib.loads(toml))
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def problems(*texts: str) -> list[ConfigProblem]:
    return validate_rules(rules(*texts), site())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", 90), ("15m", 900), ("6h", 21_600), ("1d", 86_400), ("1h30m", 5_400), (45, 45), ("0.5h", 1_800)],
)
def test_durations_read_like_people_write_them(text: str | int, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)


def test_bad_durations_and_times_say_how_to_write_them() -> None:
    with pytest.raises(ValueError, match=re.escape("write e.g. '30s', '15m', '6h', '1d'")):
        parse_duration("soon")
    with pytest.raises(ValueError, match="zero or more"):
        parse_duration(-5)
    with pytest.raises(ValueError, match=re.escape("write e.g. '08:00'")):
        parse_time_of_day("25:00")
    assert parse_time_of_day("8:05") == time(8, 5)


def test_errors_name_the_rule_and_key_without_the_kind_in_the_path() -> None:
    found = errors(
        """
        [[rules]]
        id = "ok"
        kind = "silence"

        [[rules]]
        id = "noise"
        kind = "threshold"
        field = "noise_db"
        above = 55.0
        for = "a while"
        abov = 3

        [[rules]]
        id = "x"
        kind = "thresold"

        [[rules]]
        id = "y"
        """
    )
    assert [loc for loc, _ in found] == [("rules", 1, "for"), ("rules", 1, "abov"), ("rules", 2), ("rules", 3)]
    assert "unknown rule kind; use one of threshold, state, entrapment" in found[2][1]
    assert found[3][1].startswith("kind is missing")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('field = "noise_db"', "set exactly one of 'above' or 'below'"),
        ('field = "noise_db"\nabove = 55.0\nclear = 56.0', "clear 56.0 must be at or below 'above' (55.0)"),
        ('field = "load"\nbelow = 0.1\nclear = 0.05', "clear 0.05 must be at or above 'below' (0.1)"),
        (
            'field = "noise_db"\nabove = 55.0\noverrides = { "B1-L1" = { abov = 60.0 } }',
            "overrides.B1-L1.abov: not a setting an override can change",
        ),
        (
            'field = "noise_db"\nabove = 55.0\noverrides = { "B1-L1" = { clear = 70.0 } }',
            "overrides.B1-L1: clear 70.0 must be at or below 'above' (55.0)",
        ),
    ],
)
def test_threshold_levels_and_overrides_are_checked(table: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        ThresholdRule.model_validate(tomllib.loads('id = "t"\n' + table))


def test_windows_and_conditions_are_checked() -> None:
    found = errors(
        """
        [[rules]]
        id = "lights"
        kind = "continuous_on"
        daylight = { start = "17:00", end = "08:00" }

        [[rules]]
        id = "state"
        kind = "state"
        conditions = [{ field = "state", op = "gt", value = "moving" }]

        [[rules]]
        id = "spike"
        kind = "consumption_spike"
        window = "7h"
        """
    )
    assert found == [
        (("rules", 0, "daylight"), "Value error, end 08:00 must be after start 17:00"),
        (("rules", 1, "conditions", 0), "Value error, op 'gt' compares numbers; value must be a number"),
        (("rules", 2), "Value error, window must divide a day evenly, e.g. '1h', '6h' or '1d'"),
    ]


def test_valid_rules_have_no_problems() -> None:
    assert (
        problems(
            'id = "a"\nkind = "threshold"\nfield = "noise_db"\nabove = 55.0\n'
            'overrides = { "B1-L1" = { above = 60.0 } }',
            'id = "b"\nkind = "state"\nconditions = [{ field = "door", op = "eq", value = "open" }]',
        )
        == []
    )


def test_cross_checks_name_the_key_path_and_what_is_wrong() -> None:
    found = problems(
        'id = "a"\nkind = "silence"\ntargets = { buildings = ["B9"] }',
        'id = "b"\nkind = "entrapment"\ntargets = { utilities = ["water"] }',
        'id = "c"\nkind = "threshold"\nfield = "vibraton"\nabove = 1.0\ntargets = { kinds = ["elevator"] }',
        'id = "d"\nkind = "threshold"\nfield = "door"\nabove = 1.0',
        'id = "e"\nkind = "state"\nconditions = [{ field = "alarm", value = 1 }]',
        'id = "f"\nkind = "silence"\ntargets = { kinds = ["elevator"] }\noverrides = { "B9-L1" = { intervals = 2 } }',
        'id = "g"\nkind = "silence"\ntargets = { kinds = ["elevator"] }\n'
        'overrides = { "GARAGE-LIGHT" = { intervals = 2 } }',
        'id = "a"\nkind = "silence"',
    )
    assert [(p.path, p.message) for p in found] == [
        ("rules[0].targets.buildings[0]", "no building 'B9' in this site"),
        ("rules[1].targets", "matches no asset this entrapment rule applies to (elevator)"),
        (
            "rules[2].field",
            "unknown field 'vibraton'; known: alarm, door, fault_code, floor, in_door_zone, load, noise_db, state, "
            "vibration",
        ),
        ("rules[3].field", "field 'door' is string; need a number"),
        ("rules[4].conditions[0].value", "field 'alarm' is bool; compare it with a bool value"),
        ("rules[5].overrides.B9-L1", "no asset 'B9-L1' in this site"),
        ("rules[6].overrides.GARAGE-LIGHT", "this rule does not watch that asset"),
        ("rules[7].id", "duplicate rule id 'a', already used at rules[0]"),
    ]


def test_the_repeated_names_match_core_site() -> None:
    assert set(get_args(UtilityName)) == {u.value for u in Utility}
    assert set(get_args(AreaKindName)) == {a.value for a in AreaKind}
