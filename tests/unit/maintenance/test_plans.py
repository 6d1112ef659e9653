"""The maintenance file and the built-in plans: valid as shipped, and every mistake named by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.loading import load_alerts
from core.config_files import ConfigError
from core.site import Site
from core.site_loader import load_site
from maintenance.config import ItemKind
from maintenance.loading import library_names, library_plan, load_maintenance, parse_maintenance

ROOT = Path(__file__).resolve().parents[3]
P = '[[plans]]\nid = "p"\nname = "p"\nkind = "pump"\n[[plans.tasks]]\nid = "t"\nname = "t"\n'


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(ROOT / "examples/site.toml")


def test_the_example_file_is_valid_against_the_site_and_the_alerts_teams(site: Site) -> None:
    teams = frozenset(load_alerts(ROOT / "examples/alerts.toml").teams)
    m = load_maintenance(ROOT / "examples/maintenance.toml", site, teams=teams)
    plans = {t.plan.id for t in m.tasks}
    assert plans == {"elevator-own", "elevator-xunda", "pump", "generator", "fire-water", "lighting"}
    xunda = [t for t in m.tasks if t.plan.id == "elevator-xunda"]
    assert {t.asset.id for t in xunda} == {"B2-L1", "B2-L2"}
    assert all(t.contractor is not None and t.contractor.team == "xunda-elevator" for t in xunda)
    own = [t for t in m.tasks if t.plan.id == "elevator-own"]
    assert {t.team for t in own} == {"elevator-crew"} and all(t.contractor is None for t in own)
    assert {i.asset for i in m.inspections} == set(site.elevators)
    assert {t.asset.id for t in m.tasks if t.plan.id == "pump"} == {"PUMP-1", "PUMP-2"}


def test_the_elevator_plan_follows_tsg_t5002_with_every_item_sourced() -> None:
    plan = library_plan("elevator")
    by_task = {t.id: t for t in plan.tasks}
    # TSG T5002-2017 附件A: 31 half-monthly, 13 quarterly, 15 half-yearly, 16 yearly items (as remembered).
    counts = {tid: sum(1 for i in by_task[tid].items if i.kind is not ItemKind.NOTE) for tid in
              ("half-monthly", "quarterly", "half-yearly", "yearly")}  # fmt: skip
    assert counts == {"half-monthly": 31, "quarterly": 13, "half-yearly": 15, "yearly": 16}
    for tid in counts:
        for item in by_task[tid].items:
            if item.kind is not ItemKind.NOTE:
                assert item.source.startswith("TSG T5002-2017 附件A 表A-"), item.id
                assert item.verify, f"{item.id} is quoted from memory and must be marked for checking"
    lock = next(i for i in by_task["half-monthly"].items if "啮合长度" in i.text)
    assert (lock.kind, lock.min, lock.unit) == (ItemKind.MEASURE, 7, "mm")
    assert by_task["door-operator"].usage is not None and by_task["vibration-check"].condition is not None


@pytest.mark.parametrize("name", library_names())
def test_every_built_in_plan_loads(name: str) -> None:
    assert library_plan(name).tasks


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[[use]]\nname = "escalator"', "use[0].name: no built-in plan escalator"),
        ('[[use]]\nname = "elevator"\nassets = ["NOPE-1"]', "use[0].assets[0]: unknown asset NOPE-1"),
        ('[[use]]\nname = "elevator"\ncontractor = "ghost"', "use[0].tasks[0].contractor: unknown contractor ghost"),
        ('[[use]]\nname = "elevator"\nteam = "nobody"', "use[0].tasks[0].team: unknown team nobody"),
        ('[[use]]\nname = "pump"\n[[use]]\nname = "pump"', "use[1].id: plan pump appears twice"),
        ('[[equipment]]\nid = "B1-L1"\nkind = "pump"\nname = "x"', "equipment[0].id: B1-L1 is already a site asset"),
        ('[[equipment]]\nid = "P-9"\nkind = "pump"\nname = "x"\narea = "moon"', "equipment[0].area: unknown area"),
        ('[[inspections]]\nasset = "PUMP-1"\ndue = 2027-01-01', "inspections[0].asset: PUMP-1 is not an elevator"),
        ('[[inspections]]\nasset = "B1-L1"\ndue = "soon"', "inspections[0].due"),
        ("bogus = 1", "bogus: unknown key"),
        ("[[use]\n", "not valid TOML"),
        (
            '[[plans]]\nid = "p"\nname = "p"\nkind = "pump"\n[[plans.tasks]]\nid = "t"\nname = "t"\n'
            '[[plans.tasks.items]]\nid = "a"\ntext = "a"',
            "plans[0].tasks[0]: task t: give a cadence",
        ),
        (
            P + 'cadence = "weekly"\n[[plans.tasks.items]]\nid = "a"\ntext = "a"',
            "plans[0].tasks[0].cadence",
        ),
        (
            P + 'cadence = "yearly"\n[[plans.tasks.items]]\nid = "a"\ntext = "a"\nkind = "measure"',
            "a measured item needs min, max or both",
        ),
        (
            P + 'cadence = "yearly"\n[[plans.tasks.items]]\nid = "a"\ntext = "a"\nkind = "measure"\nmin = 5\nmax = 1',
            "min 5.0 is above max 1.0",
        ),
        (
            '[[plans]]\nid = "p"\nname = "p"\nkind = "pump"\nassets = ["PUMP-1"]\n[[plans.tasks]]\nid = "t"\nname = "t"'
            '\ncadence = "yearly"\n[[plans.tasks.items]]\nid = "a"\ntext = "a"',
            "give either kind",
        ),
        (
            '[[contractors]]\nid = "c"\nname = "c"\nteam = "t"\nscope = "s"\nvisits_per_month = -1\ncontact = "x"',
            "contractors[0].visits_per_month",
        ),
        (
            '[[use]]\nname = "pump"\n\n[[equipment]]\nid = "P-1"\nkind = "pump"\nname = "\\ud800"',
            "not a Unicode scalar value",
        ),
    ],
)
def test_mistakes_are_named_by_file_and_key(site: Site, text: str, where: str) -> None:
    base = '[[equipment]]\nid = "PUMP-1"\nkind = "pump"\nname = "泵"\n\n'
    with pytest.raises(ConfigError) as caught:
        parse_maintenance(base + text if "PUMP-1" in text and "equipment" not in text else text, site,
                          source="m.toml", teams=frozenset({"elevator-crew", "plumbing"}))  # fmt: skip
    assert str(caught.value).startswith("m.toml: ")
    assert where in str(caught.value)


def test_a_huge_file_is_refused_cleanly(site: Site) -> None:
    text = "".join(f'[[equipment]]\nid = "P-{i}"\nkind = "pump"\nname = "x"\narea = "nowhere"\n' for i in range(2000))
    with pytest.raises(ConfigError) as caught:
        parse_maintenance(text, site, source="big.toml")
    assert len(caught.value.problems) == 2000
