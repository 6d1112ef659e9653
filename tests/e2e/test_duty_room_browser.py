"""The duty room in a real headless Chromium at 360 px and 1280 px: the alarms page, the live elevator board
(updating without a reload, and right without JavaScript), the crew's entrapment page (no cancel for crew,
tap-to-call, the car's floor, a timeline), the desk's cancel behind a confirmation, dispatch defaulting to
the category's team, and the API docs rendering from the hub's own files. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import LiveServer, console_errors, page_replaced, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig
from tests.support.duty_room import car_readings, entrapment_order, fire
from workorders import service
from workorders.values import Category, Priority

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(tmp_path: Path, live_server: LiveServerFactory) -> Iterator[tuple[ConsoleRig, LiveServer]]:
    with console_rig(tmp_path) as rig:
        server = live_server(rig.app)
        rig.point_links_at(server.url)
        yield rig, server


def _sign_in(browser: webdriver.Chrome, server: LiveServer, username: str) -> None:
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _submit(browser, "sign-in")


def _submit(browser: webdriver.Chrome, element_id: str) -> None:
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, element_id).click()
    WebDriverWait(browser, 10).until(page_replaced(page))


def _fits(browser: webdriver.Chrome) -> None:
    width = browser.execute_script("return document.documentElement.scrollWidth")
    viewport = browser.execute_script("return window.innerWidth")
    assert width <= viewport, f"{browser.current_url} is {width} px wide in a {viewport} px viewport"


def _both_sizes(browser: webdriver.Chrome, name: str) -> None:
    for width, height in ((360, 740), (1280, 900)):
        set_viewport(browser, width, height)
        _fits(browser)
        save_screenshot(browser, f"{name}-{width}")
    set_viewport(browser, 360, 740)


def test_the_duty_room_acknowledges_and_shelves_an_alarm(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    fire(rig, "elevator-vibration-limit", "B1-L2", "major", field="vibration", value=0.42, limit=0.3)
    fire(rig, "elevator-entrapment", "B1-L1", "critical", state="stopped", door="closed")
    set_viewport(browser, 360, 740)
    _sign_in(browser, server, "lina")
    browser.get(server.url + "/console/alarms")
    first = browser.find_element(By.ID, "alarm-1")
    assert ("严重" in first.text and "电梯困人" in first.text) or "困人" in first.text  # the worst first
    _both_sizes(browser, "alarms-firing")
    _submit(browser, "ack-1")
    assert browser.find_element(By.ID, "done").text == "报警已确认"
    assert "李娜 (lina)" in browser.find_element(By.ID, "alarm-1").text
    browser.find_element(By.ID, "shelve-open-1").click()
    browser.find_element(By.ID, "shelve-reason-1").send_keys("维保公司已在现场")
    Select(browser.find_element(By.ID, "shelve-hours-1")).select_by_value("4")
    _submit(browser, "shelve-1")
    shelved = browser.find_element(By.CSS_SELECTOR, ".alarm-shelved")
    assert "维保公司已在现场" in shelved.text and "已搁置" in shelved.text  # shelved, still on the page
    _both_sizes(browser, "alarms-shelved")
    assert console_errors(browser) == []


def test_the_live_board_updates_without_a_reload(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    car_readings(rig, "B1-L1", [(-5, {"state": "stopped", "door": "open", "floor": 1})])
    order = entrapment_order(rig, "B1-L2")
    _sign_in(browser, server, "wang")
    browser.get(server.url + "/console/live")
    card = browser.find_element(By.ID, "car-B1-L1")
    assert card.find_element(By.CSS_SELECTOR, '[data-f="floor"]').text == "1"
    assert order.code in browser.find_element(By.ID, "car-B1-L2").text
    _both_sizes(browser, "live-board")
    page = browser.find_element(By.TAG_NAME, "html")
    car_readings(rig, "B1-L1", [(0, {"state": "moving", "door": "closed", "floor": 2})])
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '#car-B1-L1 [data-f="floor"]').text == "2"
    )
    assert page.is_displayed()  # the same page: updated in place, not reloaded
    assert console_errors(browser) == []


def test_the_live_board_is_right_without_javascript(
    served: tuple[ConsoleRig, LiveServer], browser_without_js: webdriver.Chrome
) -> None:
    rig, server = served
    car_readings(rig, "B1-L1", [(-5, {"state": "stopped", "door": "open", "floor": 7})])
    _sign_in(browser_without_js, server, "wang")
    browser_without_js.get(server.url + "/console/live")
    assert browser_without_js.find_element(By.CSS_SELECTOR, '#car-B1-L1 [data-f="floor"]').text == "7"
    assert "开" in browser_without_js.find_element(By.CSS_SELECTOR, '#car-B1-L1 [data-f="door"]').text


def test_a_crew_member_sees_the_car_the_calls_and_no_cancel(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    order = entrapment_order(rig)
    set_viewport(browser, 360, 740)
    _sign_in(browser, server, "wang")
    browser.get(f"{server.url}/console/orders/{order.code}")
    assert not browser.find_elements(By.ID, "act-cancel") and not browser.find_elements(By.ID, "cancel-box")
    acknowledge = browser.find_element(By.ID, "act-acknowledge")
    assert acknowledge.size["height"] >= 56  # the main action, large
    assert browser.find_element(By.ID, "car-floor").text == "6 层"
    call = browser.find_element(By.CSS_SELECTOR, "#calls a.call")
    assert call.get_attribute("href") == "tel:13800000003" and call.size["height"] >= 48
    assert browser.find_element(By.ID, "reporter").text.startswith("系统（")
    assert browser.find_elements(By.CSS_SELECTOR, "#evidence-chart svg .band-state")
    assert "困人" in browser.find_element(By.ID, "evidence-title").text
    _both_sizes(browser, "crew-entrapment")
    browser.get(f"{server.url}/console/orders/{order.code}?lang=en")
    assert browser.find_element(By.ID, "reporter").text.startswith("system (")
    assert console_errors(browser) == []


def test_the_desk_cancels_only_after_confirming(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    order = entrapment_order(rig)
    set_viewport(browser, 360, 740)
    _sign_in(browser, server, "lina")
    browser.get(f"{server.url}/console/orders/{order.code}")
    assert not browser.find_element(By.ID, "act-cancel").is_displayed()  # folded away under the main actions
    browser.find_element(By.ID, "cancel-open").click()
    browser.find_element(By.ID, "note-cancel").send_keys("误报，已电话确认无人被困")
    browser.find_element(By.ID, "act-cancel").click()  # not confirmed: the browser keeps the form
    assert browser.find_element(By.ID, "status").text == "待接单"
    save_screenshot(browser, "desk-cancel-confirm-360")
    browser.find_element(By.ID, "cancel-confirm").click()
    _submit(browser, "act-cancel")
    assert browser.find_element(By.ID, "status").text == "已取消"


def test_dispatch_defaults_to_the_category_s_team(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    ref = service.create_resident_request(
        rig.uow(), site_id=rig.site.id, category=Category.PLUMBING, priority=Priority.NORMAL, title="厨房漏水",
        description="", reporter="王女士", actor="desk", clock=rig.clock,
    )  # fmt: skip
    _sign_in(browser, server, "lina")
    browser.get(f"{server.url}/console/orders/{ref.code}")
    chosen = Select(browser.find_element(By.ID, "dispatch-to")).first_selected_option
    assert chosen.get_attribute("value") == "plumbing-crew:" and "水电班" in chosen.text
    _both_sizes(browser, "dispatch-default")
    Select(browser.find_element(By.ID, "dispatch-to")).select_by_value("elevator-crew:wang")
    _submit(browser, "dispatch")
    assert "跨工种" in browser.find_element(By.ID, "cross-trade").text  # a leak to the elevator crew: warned
    save_screenshot(browser, "dispatch-cross-trade-360")
    Select(browser.find_element(By.ID, "dispatch-to")).select_by_value("plumbing-crew:zhao")
    _submit(browser, "dispatch")
    browser.get(f"{server.url}/console/orders/{ref.code}")
    assert browser.find_element(By.ID, "team").text == "水电班"  # the name, never plumbing-crew
    chosen = Select(browser.find_element(By.ID, "dispatch-to")).first_selected_option
    assert chosen.get_attribute("value") == "plumbing-crew:zhao"  # kept after dispatching


def test_the_api_docs_render_from_the_hub_s_own_files(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    _, server = served
    browser.get(server.url + "/docs")
    assert "/console/login" in browser.current_url  # behind the console's sign-in
    _sign_in(browser, server, "lina")
    browser.get(server.url + "/docs")
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title"))
    assert "Facilities monitoring API" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
    scripts = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert scripts and all(name.startswith(server.url) for name in scripts)  # nothing from a CDN
    _both_sizes_docs(browser, "api-docs-swagger")
    browser.get(server.url + "/redoc")
    WebDriverWait(browser, 30).until(lambda d: "Facilities monitoring API" in d.find_element(By.TAG_NAME, "body").text)
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [n for n in resources if not n.startswith((server.url, "blob:", "data:"))] == []
    _both_sizes_docs(browser, "api-docs-redoc")
    assert [e for e in console_errors(browser) if "favicon" not in e] == []


def _both_sizes_docs(browser: webdriver.Chrome, name: str) -> None:
    for width, height in ((360, 740), (1280, 900)):
        set_viewport(browser, width, height)
        save_screenshot(browser, f"{name}-{width}")


def test_the_service_centre_s_pages_fit_a_phone_and_speak_chinese(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    service.create_resident_request(
        rig.uow(), site_id=rig.site.id, category=Category.PLUMBING, priority=Priority.NORMAL, title="厨房漏水",
        description="", reporter="王女士", actor="desk", clock=rig.clock,
    )  # fmt: skip
    set_viewport(browser, 360, 740)
    _sign_in(browser, server, "lina")
    browser.get(server.url + "/console/stats")
    table = browser.find_element(By.ID, "stats")
    wrap = browser.execute_script("return [arguments[0].scrollWidth, arguments[0].parentElement.clientWidth]", table)
    assert wrap[0] <= wrap[1], f"the statistics table is {wrap[0]} px in a {wrap[1]} px card: it would scroll"
    _fits(browser)
    month = Select(browser.find_element(By.ID, "month")).first_selected_option.text
    assert month.startswith("2026年11月")  # the page's language, not the browser's locale
    _both_sizes(browser, "stats-stacked")
    browser.get(server.url + "/console/requests/new")
    labels = [o.text for o in Select(browser.find_element(By.ID, "priority")).options]
    assert labels == ["紧急", "重要", "一般", "低"]
    assert Select(browser.find_element(By.ID, "priority")).first_selected_option.text == "一般"


def test_the_desk_records_a_maintenance_window_and_the_car_s_alarm_is_suppressed(
    served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome
) -> None:
    rig, server = served
    fire(rig, "elevator-vibration-limit", "B1-L1", "major", field="vibration", value=0.42, limit=0.3)
    set_viewport(browser, 360, 740)
    _sign_in(browser, server, "lina")
    browser.get(server.url + "/console/alarms")
    browser.find_element(By.ID, "mw-open").click()
    Select(browser.find_element(By.ID, "mw-asset")).select_by_value("B1-L1")
    assert browser.find_element(By.ID, "mw-from").get_attribute("value") == "2026-11-26 16:00"  # site time, typed
    browser.find_element(By.ID, "mw-to").send_keys("2026-11-26 18:00")
    browser.find_element(By.ID, "mw-reason").send_keys("季度保养")
    _submit(browser, "mw-add")
    assert browser.find_element(By.ID, "done").text == "维保时段已登记"
    card = browser.find_element(By.ID, "alarm-1")
    assert "维保中" in card.text and "季度保养" in card.text  # suppressed, still shown
    assert "季度保养" in browser.find_element(By.ID, "maintenance").text
    _both_sizes(browser, "alarms-maintenance")
