"""POST …/rules/{rule}/assets/{asset}/baseline/reset against a real rules engine: who may, and what it answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.roles import Role
from api.app import create_app
from api.routes import baselines
from rules.engine import RuleEngine
from tests.unit.api.harness import Api, running_api
from tests.unit.rules.support import T0, make_engine, reading, seconds
from tests.unit.rules.test_threshold import NOISE, VIBRATION

PATH = "/sites/lakeview/rules/{rule}/assets/{asset}/baseline/reset"


@pytest.fixture
def engine() -> RuleEngine:
    engine, _ = make_engine(VIBRATION, NOISE)
    for i in range(10):
        engine.on_reading(reading("B1-L1", T0 + seconds(10 * i), state="moving", vibration=0.1))
    return engine


@pytest.fixture
def api(tmp_path: Path, engine: RuleEngine) -> Iterator[tuple[Api, TestClient]]:
    with running_api(tmp_path) as base:
        deps = replace(base.deps, baseline_resetter=engine.reset_baseline)
        with TestClient(create_app(deps, routers=[baselines.router])) as client:
            yield base, client


def test_staff_reset_a_cars_baseline_and_the_engine_learns_again(
    api: tuple[Api, TestClient], engine: RuleEngine
) -> None:
    base, client = api
    answer = client.post(PATH.format(rule="vibration", asset="B1-L1"), headers=base.as_role(Role.STAFF))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "rule_id": "vibration", "asset_id": "B1-L1", "reset_by": "staff key", "reset_at": "2026-11-26T08:00:00Z",
    }  # fmt: skip
    # Twice the old 0.1 no longer raises: the engine has no reference until it learnt the car again.
    assert engine.on_reading(reading("B1-L1", T0 + seconds(200), state="moving", vibration=0.25)) == []


@pytest.mark.parametrize(
    ("role", "rule", "asset", "status", "message"),
    [
        (Role.CREW, "vibration", "B1-L1", 403, "lacks the permission 'rules:reset_baseline'"),
        (Role.FEE_MODULE, "vibration", "B1-L1", 403, "lacks the permission"),
        (Role.ADMIN, "vibration", "B9-NOPE", 404, "rule vibration does not watch asset B9-NOPE"),
        (Role.ADMIN, "noise", "B1-L1", 409, "rule noise learns no baseline"),
    ],
)
def test_what_is_refused_and_why(
    api: tuple[Api, TestClient], role: Role, rule: str, asset: str, status: int, message: str
) -> None:
    base, client = api
    answer = client.post(PATH.format(rule=rule, asset=asset), headers=base.as_role(role))
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]


def test_without_a_rules_engine_in_the_process_the_route_says_so(tmp_path: Path) -> None:
    with running_api(tmp_path) as base, TestClient(create_app(base.deps, routers=[baselines.router])) as client:
        answer = client.post(PATH.format(rule="vibration", asset="B1-L1"), headers=base.as_role(Role.ADMIN))
    assert answer.status_code == 404
    assert "the rules engine does not run in this process" in answer.json()["error"]["message"]
