"""The duty room's console pages over the hub's real database: the alarms page (acknowledge, shelve,
maintenance windows, every step recorded, shelved alarms still shown), the exports, the live board, and
the crew page's entrapment (latest alarm's timeline, the car's floor, calls, reporter, history)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.integration.console.test_console_pages import Hub, hidden, running_hub
from tests.support.duty_room import car_readings, entrapment_order, fire

pytestmark = pytest.mark.integration


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    with running_hub(tmp_path / "hub") as running:
        yield running


def test_the_alarms_page_lists_worst_first_and_records_acknowledge_and_shelve(hub: Hub) -> None:
    fire(hub.rig, "elevator-vibration-limit", "B1-L1", "major", field="vibration", value=0.42, limit=0.3)
    trapped = fire(hub.rig, "elevator-entrapment", "B1-L1", "critical", minutes_ago=2, state="stopped")
    lina = hub.signed_in("lina")
    page = lina.get("/console/alarms").text
    assert (
        page.index("电梯困人") < page.index("电梯振动")
        if "电梯困人" in page
        else page.index("严重") < page.index("重要")
    )
    assert "报警中" in page and 'id="ack-1"' in page

    form = {"alarm": trapped, "csrf": hidden(page, "csrf")}
    answer = lina.post("/console/alarms/acknowledge", data=form, follow_redirects=False)
    assert answer.headers["location"] == "/console/alarms?done=alarm_ack"
    again = lina.post("/console/alarms/acknowledge", data=form, follow_redirects=False)
    assert again.headers["location"] == "/console/alarms?done=already"  # once: the first one's name stays
    page = lina.get("/console/alarms").text
    assert "李娜 (lina)" in page and "已确认" in page

    shelf = {"alarm": trapped, "csrf": hidden(page, "csrf"), "hours": "4", "reason": "维保公司已在现场"}
    assert lina.post("/console/alarms/shelve", data=shelf, follow_redirects=False).status_code == 303
    page = lina.get("/console/alarms?state=shelved").text
    assert "维保公司已在现场" in page and "已搁置" in page  # shelved, and still on the page
    assert "电梯振动" not in page or "重要" not in page.split('id="alarms"')[1]  # the filter keeps shelved only

    hub.clock.advance(__import__("datetime").timedelta(hours=4))
    page = lina.get("/console/alarms").text
    assert 'data-state="shelved"' not in page  # the shelf ran out: firing (acknowledged) again


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"reason": ""}, "reason is required"),
        ({"hours": "9999"}, "hours must be one of"),
        ({"reason": "x" * 600}, "at most 500"),
    ],
)
def test_a_bad_shelf_is_refused_and_nothing_recorded(hub: Hub, changes: dict[str, str], problem: str) -> None:
    alarm = fire(hub.rig, "elevator-entrapment", "B1-L1", "critical")
    lina = hub.signed_in("lina")
    page = lina.get("/console/alarms").text
    form = {"alarm": alarm, "csrf": hidden(page, "csrf"), "hours": "2", "reason": "年检"} | changes
    answer = lina.post("/console/alarms/shelve", data=form)
    assert problem in answer.text and 'data-state="shelved"' not in answer.text


def test_a_crew_member_acknowledges_but_cannot_shelve(hub: Hub) -> None:
    alarm = fire(hub.rig, "elevator-entrapment", "B1-L1", "critical")
    wang = hub.signed_in("wang")
    page = wang.get("/console/alarms").text
    assert 'id="ack-1"' in page and 'id="shelve-1"' not in page and 'id="mw-add"' not in page
    form = {"alarm": alarm, "csrf": hidden(page, "csrf"), "hours": "2", "reason": "x"}
    assert wang.post("/console/alarms/shelve", data=form).status_code == 403


def test_a_maintenance_window_suppresses_the_asset_s_alarms_while_it_runs(hub: Hub) -> None:
    fire(hub.rig, "elevator-entrapment", "B1-L1", "critical")
    lina = hub.signed_in("lina")
    page = lina.get("/console/alarms").text
    form = {"asset": "B1-L1", "starts": "2026-11-26T15:00", "ends": "2026-11-26T18:00", "reason": "季度保养",
            "csrf": hidden(page, "csrf")}  # fmt: skip
    planned = lina.post("/console/maintenance-windows", data=form, follow_redirects=False)
    assert planned.headers["location"].endswith("mw")
    page = lina.get("/console/alarms").text
    assert 'data-state="in_maintenance"' in page and "季度保养" in page  # still shown, marked
    bad = form | {"ends": "2026-11-26T14:00"}
    assert "end after it starts" in lina.post("/console/maintenance-windows", data=bad).text
    hostile = form | {"asset": "B1-L1\x00<script>"}
    assert "no asset" in lina.post("/console/maintenance-windows", data=hostile).text


def test_the_exports_hold_the_filtered_lists(hub: Hub) -> None:
    fire(hub.rig, "elevator-entrapment", "B1-L1", "critical")
    fire(hub.rig, "elevator-vibration-limit", "B1-L2", "major")
    lina = hub.signed_in("lina")
    answer = lina.get("/console/export/alarms.csv?severity=critical")
    assert answer.headers["content-type"].startswith("text/csv") and answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "级别" and len(rows) == 2 and rows[1][0] == "严重"
    code = hub.register(lina, description='=HYPERLINK("http://evil")')
    book = load_workbook(io.BytesIO(lina.get("/console/export/orders.xlsx?status=all").content))
    values = [[cell.value for cell in row] for row in book.active.iter_rows()]
    assert values[0][0] == "工单号" and any(row[0] == code for row in values[1:])
    assert lina.get("/console/export/orders.pdf").status_code == 404


def test_the_live_board_shows_each_car_now_and_its_open_order(hub: Hub) -> None:
    car_readings(hub.rig, "B1-L1", [(-20, {"state": "moving", "door": "closed", "floor": 4}),
                                    (-10, {"state": "moving", "door": "closed", "floor": 5})])  # fmt: skip
    order = entrapment_order(hub.rig, "B1-L2")
    wang = hub.signed_in("wang")
    page = wang.get("/console/live").text
    assert 'id="car-B1-L1"' in page and "▲" in page.split('id="car-B1-L1"')[1].split("</li>")[0]
    body = wang.get("/console/live.json").json()
    cars = {car["id"]: car for car in body["cars"]}
    assert cars["B1-L2"]["order"] == order.code and cars["B1-L2"]["floor"] == "6" and cars["B1-L2"]["online"]
    assert cars["B1-L1"]["direction"] == "up"
    assert hub.browser().get("/console/live.json", follow_redirects=False).status_code == 303  # sign in first


def test_the_crew_page_of_an_entrapment(hub: Hub) -> None:
    order = entrapment_order(hub.rig)
    wang = hub.signed_in("wang")
    page = wang.get(f"/console/orders/{order.code}").text
    assert re.search(r'id="evidence-title">[^<]*电梯困人|id="evidence-title">[^<]*困人', page)
    assert "非平层停梯" not in page.split('id="evidence-title"')[1].split("</h2>")[0]
    assert 'class="band band-state' in page  # a timeline, not a raw dump
    assert "conditions=" not in page
    assert 'id="car-floor">6 层' in page
    assert "系统（" in page and "rule:elevator" not in page
    assert 'href="tel:13800000003"' in page  # the service centre's duty manager
    assert 'id="act-cancel"' not in page  # crew cannot cancel
    history = page.split('id="history"')[1]
    assert "再次报警" not in history.split("</li>")[0]
    english = wang.get(f"/console/orders/{order.code}?lang=en").text
    assert "system (" in english and "Duty manager" in english
    lina = hub.signed_in("lina")
    desk = lina.get(f"/console/orders/{order.code}").text
    assert 'id="cancel-confirm"' in desk and "<details" in desk.split('id="cancel-box"')[0][-40:]


def test_a_browser_reads_the_schema_once_signed_in(hub: Hub) -> None:
    page = {"Accept": "text/html,application/xhtml+xml"}
    lina = hub.signed_in("lina")
    answer = lina.get("/openapi.json", headers=page, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (307, "/console/openapi.json")
    schema = lina.get("/openapi.json", headers=page)  # followed: the console's copy, with the session
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Facilities monitoring API"
    assert hub.browser().get("/openapi.json").status_code == 401  # an API client without a key, as before
    stranger = hub.browser().get("/openapi.json", headers=page, follow_redirects=True)
    assert "/console/login" in str(stranger.url)  # a browser without a session: sign in first
    assert hub.browser().get("/openapi.json", headers={"X-API-Key": hub.api_key}).status_code == 200


def test_the_api_lists_an_alarm_s_handling(hub: Hub) -> None:
    alarm = fire(hub.rig, "elevator-entrapment", "B1-L1", "critical")
    lina = hub.signed_in("lina")
    page = lina.get("/console/alarms").text
    lina.post("/console/alarms/acknowledge", data={"alarm": alarm, "csrf": hidden(page, "csrf")})
    shelf = {"alarm": alarm, "csrf": hidden(page, "csrf"), "hours": "2", "reason": "年检"}
    lina.post("/console/alarms/shelve", data=shelf)
    answer = hub.browser().get(f"/sites/{hub.rig.site.id}/alarms", headers={"X-API-Key": hub.api_key})
    [item] = answer.json()["items"]
    assert (item["acknowledged_by"], item["shelved_reason"], item["in_maintenance"]) == ("李娜 (lina)", "年检", False)
    assert item["shelved_until"] is not None


def test_the_crew_can_call_the_resident_who_asked(hub: Hub) -> None:
    lina = hub.signed_in("lina")
    code = hub.register(lina, contact_name="王女士", contact_phone="+86 139-0000-1111")
    page = hub.signed_in("zhao").get(f"/console/orders/{code}").text
    assert 'href="tel:+8613900001111"' in page and "业主 · 王女士" in page
    assert 'href="tel:13800000003"' in page  # and the service centre's duty manager


def test_the_docs_pages_are_behind_the_sign_in_and_load_only_our_files(hub: Hub) -> None:
    stranger = hub.browser()
    assert stranger.get("/docs", follow_redirects=False).headers["location"] == "/console/docs"
    assert stranger.get("/redoc", follow_redirects=False).headers["location"] == "/console/redoc"
    assert stranger.get("/console/docs", follow_redirects=False).headers["location"].startswith("/console/login")
    lina = hub.signed_in("lina")
    page = lina.get("/console/docs")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN address in the page
    redoc = lina.get("/console/docs/static/redoc.standalone.js")
    assert redoc.status_code == 200 and b"cdn.redoc.ly" not in redoc.content
    for name in ("../pages.py", "console.css", "%2e%2e%2fweb.py"):
        assert stranger.get(f"/console/docs/static/{name}").status_code == 404
