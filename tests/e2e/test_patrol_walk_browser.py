"""The manager walks the daily patrol on a phone (360 px, real headless Chromium): types each checkpoint's code,
answers the checklist, confirms the 長明燈 the sensors found, and a failed item opens a work order (issue 21).
The screenshot goes to test-artifacts/screenshots/ (docs/images/patrol-walk-360.png is one of them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from patrols.service import list_patrols
from tests.support.browser import LiveServer, console_errors, page_replaced, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.console_rig import NOW, PASSWORD, ConsoleRig, console_rig
from tests.support.patrols import firing
from workorders.repository import SqlAlchemyWorkOrderRepository

pytestmark = pytest.mark.e2e
DOOR = "门已锁 Door locked"


@pytest.fixture
def served(tmp_path: Path, live_server: LiveServerFactory) -> Iterator[tuple[ConsoleRig, LiveServer]]:
    with console_rig(tmp_path) as rig:
        # The machine patrol already knows: B1's corridor lights have been on since the small hours.
        firing(rig.sessions, rig.site.id, "lights-left-on", "B1-CORRIDOR-LIGHT", NOW - timedelta(hours=13))
        yield rig, live_server(rig.app)


def _tap(driver: webdriver.Chrome, element_id: str) -> None:
    button = driver.find_element(By.ID, element_id)
    assert button.size["height"] >= 48, f"{element_id} is {button.size['height']} px tall: too small for a thumb"
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 10).until(page_replaced(page))


def _type_code(driver: webdriver.Chrome, code: str) -> None:
    field = driver.find_element(By.ID, "code")
    field.clear()
    field.send_keys(code)
    _tap(driver, "go")


def test_a_manager_walks_the_daily_round_by_typing_codes(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    route = rig.config.patrols.routes["manager-daily"]
    set_viewport(browser, 360, 740)
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys("lina")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _tap(browser, "sign-in")
    browser.find_element(By.ID, "nav-patrols").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "start-manager-daily")))
    # 16:00: the 09:00 round should have started by 11:00.
    assert browser.find_element(By.ID, "status-manager-daily").text == "本期已超时未开始"
    _tap(browser, "start-manager-daily")

    # What the sensors know for the route, to confirm on site.
    finding = browser.find_element(By.ID, "finding-1")
    assert "长明灯" in finding.text and "B1-CORRIDOR-LIGHT" in finding.text
    _tap(browser, "confirm-1")
    assert browser.find_element(By.ID, "answered-1").text.startswith("已确认")

    # A code that is not on this route: the page says which codes are.
    _type_code(browser, "GARAGE")
    assert "its codes: B1-COR, B2-COR, V-B1-0302, ROOF-B1, PUMP" in browser.find_element(By.ID, "error").text
    assert [e for e in console_errors(browser) if "422 (Unprocessable Entity)" not in e] == []

    for code in route.checkpoints:
        _type_code(browser, code.lower() if code == "B2-COR" else code)  # a phone keyboard's small letters
        assert browser.find_element(By.ID, "visit-form").text.startswith(code)
        if code == "V-B1-0302":
            items = rig.config.patrols.checkpoints[code].items
            browser.find_element(By.ID, f"item-{items.index(DOOR)}-fail").click()
            browser.find_element(By.ID, "visit-note").send_keys("门未锁，已临时关好")
        _tap(browser, "save-visit")
        assert browser.find_element(By.ID, "done").text.startswith(f"已记录 {code}")
        if code == "V-B1-0302":
            order_code = browser.find_element(By.ID, "opened-order").text
    _tap(browser, "complete")
    assert browser.find_element(By.ID, "completed").text.startswith("巡检已完成")
    stops = browser.find_element(By.ID, "stops").text
    assert stops.count("已到") == len(route.checkpoints) and order_code in stops
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"the patrol page is {width} px wide at 360 px"
    assert console_errors(browser) == []
    save_screenshot(browser, "patrol-walk-360")
    browser.find_element(By.ID, "nav-patrols").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "status-manager-daily")))
    assert browser.find_element(By.ID, "status-manager-daily").text == "本期已完成"

    [patrol] = list_patrols(rig.sessions, rig.site.id, since=NOW.replace(hour=0), until=NOW.replace(hour=23))
    assert patrol.completed_at is not None and patrol.started_by == "李娜 (lina)"
    assert [(n.key, n.kind, n.verdict) for n in patrol.sensor_notes] == [
        ("lights-left-on|B1-CORRIDOR-LIGHT", "lights_on", "confirmed")
    ]
    with rig.sessions() as session:
        order: Any = SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=rig.site.id, code=order_code)
    assert order is not None and (order.building_id, order.unit_id) == ("B1", "B1-0302")
    assert DOOR in order.description and "门未锁" in order.description
