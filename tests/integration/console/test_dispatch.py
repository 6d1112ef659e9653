"""Dispatch (派單) from the console: the order changes hands and the new team or person gets an alert with
their own link; a repeat or a stale choice changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts.loading import parse_alerts
from alerts.routing import Routing
from tests.integration.console.test_console_pages import Hub, hidden, path_of, running_hub
from tests.support.console_rig import NOW
from workorders.values import Category, Priority

pytestmark = pytest.mark.integration


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    with running_hub(tmp_path / "hub") as running:
        yield running


def dispatch(hub: Hub, client: TestClient, code: str, to: str, *, cross_trade: bool = False) -> str:
    page = client.get(f"/console/orders/{code}")
    nonce = re.search(
        r'action="/console/orders/[^"]+/assign">\s*<input type="hidden" name="nonce" value="([^"]+)"', page.text
    )
    assert nonce is not None, "the staff's order page has a dispatch form"
    form = {"to": to, "nonce": nonce[1], "csrf": hidden(page.text, "csrf")} | (
        {"cross_trade": "yes"} if cross_trade else {}
    )
    answer = client.post(f"/console/orders/{code}/assign", data=form, follow_redirects=False)
    assert answer.status_code == 303
    location: str = answer.headers["location"]
    return location


def test_dispatching_to_a_member_alerts_that_member_with_their_own_link(hub: Hub) -> None:
    lina = hub.signed_in("lina")
    code = hub.register(lina)  # a plumbing leak: the plumbing crew's alert went out on registering
    assert [r["id"] for row in hub.rig.alerts(work_order_code=code) for r in row.recipients] == ["zhao"]

    warned = dispatch(hub, lina, code, "elevator-crew:wang")  # the plumber is off sick: wang goes
    assert warned.startswith(f"/console/orders/{code}?warn=cross")  # a plumbing order to the elevator crew
    page = lina.get(warned).text
    assert 'id="cross-trade"' in page and "给排水" in page and "仍然派单" in page
    assert '<option value="elevator-crew:wang" selected>' in page  # the choice kept for the confirmation
    assert hub.order(code)["team"] is None  # nothing dispatched before the confirmation
    location = dispatch(hub, lina, code, "elevator-crew:wang", cross_trade=True)

    assert location == f"/console/orders/{code}?done=assign"
    order = hub.order(code)
    assert (order["team"], order["assignee"]) == ("elevator-crew", "王师傅 (wang)")
    assert order["audit"][-1]["action"] == "assigned" and order["audit"][-1]["actor"] == "李娜 (lina)"
    [first, dispatched] = hub.rig.alerts(work_order_code=code)
    assert [r["id"] for r in dispatched.recipients] == ["wang"]
    assert "李娜 (lina) 派给 王师傅 (wang)" in dispatched.body and dispatched.title.startswith("【派单·一般】")
    link = dispatched.recipients[0]["link"]
    assert link in dispatched.body
    assert first.work_order_id is not None
    grant = hub.rig.config.links.verify(link.split("k=")[1], order_id=first.work_order_id, now=NOW)
    assert (grant.member_id, grant.team) == ("wang", "elevator-crew")
    assert "已派单" in lina.get(location).text
    assert hub.browser().get(path_of(link)).status_code == 200  # his link opens the order

    wang = hub.signed_in("wang")
    assert code in wang.get("/console/my").text  # now his, though it is a plumbing order
    zhao = hub.signed_in("zhao")
    assert code not in zhao.get("/console/my").text  # dispatched away from the plumbing team


def test_dispatching_again_to_the_same_person_sends_nothing_twice(hub: Hub) -> None:
    lina = hub.signed_in("lina")
    code = hub.register(lina)
    dispatch(hub, lina, code, "plumbing-crew:zhao")
    again = dispatch(hub, lina, code, "plumbing-crew:zhao")
    assert again == f"/console/orders/{code}?done=already"
    assert len(hub.rig.alerts(work_order_code=code)) == 2  # the registration's and one dispatch


def test_a_whole_team_is_alerted_when_no_member_is_named(hub: Hub) -> None:
    lina = hub.signed_in("lina")
    code = hub.register(lina)
    dispatch(hub, lina, code, "elevator-crew:", cross_trade=True)
    order = hub.order(code)
    assert (order["team"], order["assignee"]) == ("elevator-crew", None)
    assert [r["id"] for r in hub.rig.alerts(work_order_code=code)[-1].recipients] == ["wang"]


@pytest.mark.parametrize("to", ["nosuch-team:", "plumbing-crew:nobody", "garbage"])
def test_a_stale_or_made_up_choice_changes_nothing(hub: Hub, to: str) -> None:
    lina = hub.signed_in("lina")
    code = hub.register(lina)
    location = dispatch(hub, lina, code, to)
    assert location == f"/console/orders/{code}?error=dispatch"
    assert "派单未完成" in lina.get(location).text
    order = hub.order(code)
    assert (order["team"], order["assignee"]) == (None, None)
    assert len(hub.rig.alerts(work_order_code=code)) == 1


def test_crews_and_link_holders_cannot_dispatch(hub: Hub) -> None:
    ref = hub.rig.vibration_order()
    link = hub.rig.link_for(ref.code, "wang")
    form = {"to": "plumbing-crew:zhao", "nonce": "n" * 24}
    token = link.split("k=")[1]
    holder = hub.browser().post(f"/console/orders/{ref.code}/assign", data=form | {"k": token}, follow_redirects=False)
    assert holder.status_code == 303 and holder.headers["location"].startswith("/console/login")  # the link: no
    wang = hub.signed_in("wang")
    answer = wang.post(f"/console/orders/{ref.code}/assign", data=form | {"csrf": hub.csrf(wang)})
    assert answer.status_code == 403
    assert 'id="dispatch"' not in wang.get(f"/console/orders/{ref.code}").text
    assert hub.order(ref.code)["team"] is None


ROUTING = """
[channels.group]
type = "webhook"
url = "http://127.0.0.1:9/group"

[channels.sms]
type = "webhook"
url = "http://127.0.0.1:9/sms"

[teams.crew]
channels = ["group"]
members = [{ id = "wang", name = "王师傅", channels = ["sms"] }, { id = "li", name = "李师傅" }]

[[rules]]
teams = ["crew"]
"""


def test_dispatch_targets_prefer_the_members_own_channels() -> None:
    routing = Routing(parse_alerts(ROUTING))
    [own] = routing.dispatch_targets("crew", "王师傅 (wang)", NOW)
    assert (own.channel, [m.id for m in own.recipients], own.personal) == ("sms", ["wang"], True)
    [group] = routing.dispatch_targets("crew", "li", NOW)  # no channel of his own: the group, naming him only
    assert (group.channel, [m.id for m in group.recipients], group.personal) == ("group", ["li"], False)
    team = routing.dispatch_targets("crew", None, NOW)
    assert {(t.channel, t.personal) for t in team} == {("group", False), ("sms", True)}
    assert routing.dispatch_targets("nosuch", "someone", NOW) == []
    assert routing.rule(Category.OTHER, Priority.LOW).teams == ("crew",)


def test_the_dispatch_list_defaults_to_the_category_s_team_and_keeps_the_dispatch(hub: Hub) -> None:
    lina = hub.signed_in("lina")
    code = hub.register(lina)  # a plumbing leak
    page = lina.get(f"/console/orders/{code}").text
    assert '<option value="plumbing-crew:" selected>' in page  # not the elevator crew first in the file
    dispatch(hub, lina, code, "plumbing-crew:zhao")  # within the trade: no warning
    page = lina.get(f"/console/orders/{code}").text
    assert '<option value="plumbing-crew:zhao" selected>' in page  # after dispatching: where it went
    team = re.search(r'<dd id="team">([^<]*)</dd>', page)
    assert team is not None and team[1] != "plumbing-crew"  # the team's name, never its id
