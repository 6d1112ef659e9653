"""The routes file: every mistake named as `file: key.path: what to change`; slots in the site's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.config_files import ConfigError
from core.site_loader import load_site
from patrols.config import check_supervisors, parse_patrols
from patrols.schedule import slot_of, slots_between

EXAMPLES = Path(__file__).parents[3] / "examples"
SITE = load_site(EXAMPLES / "site.toml")
ZONE = ZoneInfo("Asia/Shanghai")
GOOD = """
[[checkpoints]]
code = "PUMP"
name = "水泵房"
area = "pump-room"
items = ["quiet"]

[[routes]]
id = "daily"
name = "daily"
role = "manager"
every = "1d"
start = "09:00"
checkpoints = ["PUMP"]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_patrols(text, SITE, source="patrols.toml")
    return str(caught.value).splitlines()


def test_the_example_loads() -> None:
    book = parse_patrols((EXAMPLES / "patrols.toml").read_text(encoding="utf-8"), SITE)
    assert set(book.routes) == {"manager-daily", "repair-plant", "security-night"}
    assert book.checkpoints["V-B1-0302"].building == "B1"  # from its unit


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('area = "pump-room"', 'area = "boiler"'), "patrols.toml: checkpoints[0].area: no area 'boiler' in the site"),
        (('code = "PUMP"', 'code = "pump room"'), "patrols.toml: checkpoints[0].code: a code is 2-16 capital"),
        (
            ('checkpoints = ["PUMP"]', 'checkpoints = ["PUMP", "ROOF"]'),
            "patrols.toml: routes[0].checkpoints[1]: no checkpoint 'ROOF'; known: PUMP",
        ),
        (('every = "1d"', 'every = "10m"'), "patrols.toml: routes[0].every: every must be between 1h and 31d"),
        (('role = "manager"', 'role = "boss"'), "patrols.toml: routes[0].role: Input should be"),
        (('items = ["quiet"]', "items = []"), "patrols.toml: checkpoints[0].items:"),
        (('items = ["quiet"]', 'items = ["quiet", "quiet"]'), "checkpoints[0].items: checklist items must differ"),
        (('start = "09:00"', 'start = "09:00"\nlate_after = "2d"'), "routes[0].late_after: late_after must not be"),
        (('name = "daily"', 'name = "daily"\nfrequency = "1d"'), "routes[0].frequency: unknown key"),
    ],
)
def test_mistakes_are_named(change: tuple[str, str], expected: str) -> None:
    assert any(expected in line for line in problems(GOOD.replace(*change))), problems(GOOD.replace(*change))


def test_not_toml_is_named() -> None:
    assert problems("[[routes]\n")[0].startswith("patrols.toml: not valid TOML")


def test_daily_slots_follow_the_site_clock() -> None:
    route = parse_patrols(GOOD, SITE).routes["daily"]
    at = datetime(2026, 12, 7, 8, 59, tzinfo=ZONE)
    assert slot_of(route, at, ZONE) == datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # yesterday 09:00 local
    assert slot_of(route, at.replace(minute=0, hour=9), ZONE) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    week = list(slots_between(route, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC), ZONE))
    assert len(week) == 7 and all(slot.astimezone(ZONE).hour == 9 for slot in week)


def test_a_supervisor_team_the_alerts_file_lacks_is_named() -> None:
    book = parse_patrols(GOOD.replace('role = "manager"', 'role = "manager"\nsupervisor_team = "bosses"'), SITE,
                         source="patrols.toml")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        check_supervisors(book, {"supervisors", "manager"})
    assert str(caught.value) == (
        "patrols.toml: routes.daily.supervisor_team: no team 'bosses' in the alerts file; known: manager, supervisors"
    )
    check_supervisors(parse_patrols(GOOD, SITE), {"supervisors"})  # no supervisor named: nothing to check
