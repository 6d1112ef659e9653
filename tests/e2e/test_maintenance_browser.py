"""A crew member completes an elevator's half-monthly checklist on a phone (headless Chromium at 360 px): every
item passed but the landing-door lock engagement, measured 6 mm against the 7 mm minimum, with a photo of the
machine room. The value out of limits opens a follow-up work order; the planned order is resolved; the record with
its photo shows on the asset's page. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from core.reading import Reading
from core.registry import AssetRegistry
from maintenance.orders import Occurrence, open_occurrence
from maintenance.orm import Trigger
from maintenance.reports import occurrences
from storage.points import to_point
from tests.support.browser import LiveServer, console_errors, page_replaced, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig
from workorders.codes import local_day
from workorders.lifecycle import Status
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.unit_of_work import run_in_transaction
from workorders.values import Priority

pytestmark = pytest.mark.e2e
TASK = "elevator-own/half-monthly/B1-L1"


def png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG (a grey gradient), written by hand: the phone's photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((x * 4) % 256 for x in range(width)) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def served(tmp_path: Any, live_server: LiveServerFactory) -> Iterator[tuple[ConsoleRig, LiveServer, int]]:
    with console_rig(tmp_path) as rig:
        runtime = rig.config.maintenance
        assert runtime is not None
        info = AssetRegistry.from_site(rig.site).get("B1-L1")
        now = rig.clock.now()
        rig.store.write([to_point(Reading("B1-L1", now - timedelta(minutes=m), {"vibration": 0.1 + m / 1000,
                                                                                "state": "moving", "floor": 3.0}),
                                  info) for m in range(0, 180, 5)])  # fmt: skip
        planned = runtime.maintenance.task(TASK)
        assert planned is not None
        occ = Occurrence(
            site_id=rig.site.id, task_key=TASK, plan_id=planned.plan.id, task_id=planned.task.id,
            asset=planned.asset, trigger=Trigger.CALENDAR, due_on=local_day(now, runtime.zone),
            title="半月维护保养 · 1号楼1号梯", description="", team="elevator-crew",
        )  # fmt: skip
        uow = rig.uow()
        run_in_transaction(uow, lambda: open_occurrence(uow, occ, now=now, tz=runtime.zone))
        [view] = occurrences(rig.sessions, rig.site.id, asset_id="B1-L1")
        yield rig, live_server(rig.app), view.id


def _tap(driver: webdriver.Chrome, element_id: str) -> None:
    button = driver.find_element(By.ID, element_id)
    assert button.size["height"] >= 48, f"{element_id} is {button.size['height']} px tall: too small for a thumb"
    page = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    WebDriverWait(driver, 10).until(page_replaced(page))


def test_a_crew_member_completes_the_half_monthly_checklist_on_a_phone(
    served: tuple[ConsoleRig, LiveServer, int], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    rig, server, occurrence_id = served
    photo = tmp_path / "machine-room.png"
    photo.write_bytes(png())
    set_viewport(browser, 360, 740)
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys("wang")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _tap(browser, "sign-in")
    browser.find_element(By.ID, "nav-maintenance").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "due-list")))
    browser.find_element(By.ID, f"task-{occurrence_id}").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "checklist-form")))
    # the asset's recent readings beside the checklist
    readings = browser.find_element(By.ID, "readings").text
    assert "vibration" in readings and "近24小时" in readings
    for radio in browser.find_elements(By.CSS_SELECTOR, "input[type=radio][value=pass]"):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
        radio.click()
    values = {"A-1.5": "0.3", "A-1.23": "4", "A-1.29": "6"}  # brake gap, levelling, lock engagement (min 7 mm)
    for item, value in values.items():
        browser.find_element(By.ID, f"value-{item}").send_keys(value)
    browser.find_element(By.ID, "note-A-1.29").send_keys("3楼层门锁钩啮合不足")
    browser.find_element(By.ID, "photo-A-1.1").send_keys(str(photo))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"the checklist is {width} px wide at 360 px"
    save_screenshot(browser, "maintenance-checklist-360")
    _tap(browser, "save-record")

    assert browser.find_element(By.ID, "saved").text == "保养记录已保存。"
    followup_code = browser.find_element(By.ID, "followup").find_element(By.TAG_NAME, "a").text
    results = browser.find_element(By.ID, "results").text
    assert "A-1.29" in results and "6.0 mm 不合格" in results
    image = browser.find_element(By.CSS_SELECTOR, "#results img.photo")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 64
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    assert console_errors(browser) == []
    save_screenshot(browser, "maintenance-record-360")

    [view] = occurrences(rig.sessions, rig.site.id, asset_id="B1-L1")
    assert (view.status, view.completed_by, len(view.photos)) == ("done", "王师傅 (wang)", 1)
    assert view.followup_codes == [followup_code]
    with rig.sessions() as session:
        repo = SqlAlchemyWorkOrderRepository(session)
        followup = repo.get_by_code(site_id=rig.site.id, code=followup_code)
        planned = repo.get_by_code(site_id=rig.site.id, code=view.work_order_code or "")
    assert followup is not None and followup.priority is Priority.HIGH and followup.asset_id == "B1-L1"
    assert "A-1.29" in followup.description and "6 mm" in followup.description
    assert planned is not None and planned.status is Status.RESOLVED

    browser.get(server.url + "/console/assets/B1-L1/maintenance")
    assert "半月维护保养" in browser.find_element(By.ID, "asset-records").text
    csv = browser.execute_script("return fetch('/console/assets/B1-L1/maintenance.csv').then(r => r.text())")
    assert ",A-1.29,fail,6,mm,3楼层门锁钩啮合不足," in csv
