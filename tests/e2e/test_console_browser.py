"""The web console in a real headless Chromium, served by uvicorn over the hub's real database and outbox.

The crew's flow starts where the crew's does: an alert delivered over HTTP to the SMS gateway (a local
peer), carrying the technician's own link. Screenshots at 360 px and 1280 px go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from access.roles import Role
from alerts.channels.http import WebhookChannel
from alerts.dispatcher import OutboxDispatcher
from api.keys_crud import create_key
from tests.integration.alerts.peers import HttpPeer, http_peer
from tests.support.browser import LiveServer, console_errors, page_replaced, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig

pytestmark = pytest.mark.e2e
MINUTE = timedelta(minutes=1)


@dataclass
class Served:
    rig: ConsoleRig
    server: LiveServer
    peer: HttpPeer
    dispatcher: OutboxDispatcher
    api_key: str

    def deliver_alerts(self, count: int) -> list[dict[str, Any]]:
        """Run the outbox once and return the documents the SMS gateway received so far."""
        self.dispatcher.deliver_due()
        assert self.peer.wait_for(count), f"expected {count} alert deliveries, got {len(self.peer.requests)}"
        return [request.json() for request in self.peer.requests]

    def api(self, path: str) -> Any:
        response = httpx.get(self.server.url + path, headers={"X-API-Key": self.api_key}, timeout=10)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def served(tmp_path: Any, live_server: LiveServerFactory) -> Iterator[Served]:
    with console_rig(tmp_path) as rig, http_peer() as peer:
        server = live_server(rig.app)
        rig.point_links_at(server.url, peer.url)
        channel = WebhookChannel("crew-sms", f"{peer.url}/sms", clock=rig.clock)
        dispatcher = OutboxDispatcher(rig.sessions, {"crew-sms": channel}, clock=rig.clock, sites=[rig.site.id])
        with rig.sessions() as session:
            _, key = create_key(session=session, role=Role.STAFF, name="browser test", now=rig.clock.now())
        yield Served(rig, server, peer, dispatcher, key)
        dispatcher.stop()


def _text(driver: webdriver.Chrome, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def _tap(driver: webdriver.Chrome, element_id: str) -> None:
    """Tap a submit button and wait until the next page replaced this one (a condition, not a sleep)."""
    button = driver.find_element(By.ID, element_id)
    assert button.size["height"] >= 48, f"{element_id} is {button.size['height']} px tall: too small for a thumb"
    _submit(driver, button)


def _submit(driver: webdriver.Chrome, button: WebElement) -> None:
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 10).until(page_replaced(page))


def _no_horizontal_scroll(driver: webdriver.Chrome) -> None:
    width = driver.execute_script("return document.documentElement.scrollWidth")
    viewport = driver.execute_script("return window.innerWidth")
    assert width <= viewport, f"{driver.current_url} is {width} px wide in a {viewport} px viewport"


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_a_technician_works_the_order_from_the_link_in_the_alert(
    served: Served,
    browser: webdriver.Chrome,
) -> None:
    rig = served.rig
    order = rig.vibration_order()
    [alert] = served.deliver_alerts(1)
    assert alert["work_order"]["code"] == order.code
    [recipient] = alert["recipients"]
    assert recipient["id"] == "wang"
    assert recipient["link"] in alert["text"]  # the SMS itself carries the link
    assert urlsplit(recipient["link"]).netloc == urlsplit(served.server.url).netloc

    set_viewport(browser, 360, 740)
    browser.get(recipient["link"])
    assert order.code in _text(browser, "code")
    assert _text(browser, "status") == "待接单"
    assert "剩余" in _text(browser, "countdown")  # the 10-minute rule, counting down
    ticking = _text(browser, "countdown")
    # The optional script ticks it every second (a condition with a deadline, not a sleep).
    WebDriverWait(browser, 5).until(lambda driver: _text(driver, "countdown") != ticking)
    assert console_errors(browser) == []  # the script loads under the page's Content-Security-Policy
    chart = browser.find_element(By.CSS_SELECTOR, "#evidence-chart svg")
    assert chart.find_elements(By.CSS_SELECTOR, ".threshold") and chart.find_elements(By.CSS_SELECTOR, ".over")
    _no_horizontal_scroll(browser)
    save_screenshot(browser, "order-from-alert-360")
    set_viewport(browser, 1280, 900)
    save_screenshot(browser, "order-from-alert-1280")
    set_viewport(browser, 360, 740)

    rig.clock.advance(2 * MINUTE)
    acknowledged_at = rig.clock.now()
    _tap(browser, "act-acknowledge")
    assert _text(browser, "status") == "已接单"
    assert _text(browser, "done") == "已接单"

    rig.clock.advance(6 * MINUTE)
    arrived_at = rig.clock.now()
    _tap(browser, "act-arrive")
    assert _text(browser, "status") == "已到场"
    assert not browser.find_elements(By.ID, "act-close")  # a link holder cannot close or cancel

    rig.clock.advance(25 * MINUTE)
    resolved_at = rig.clock.now()
    browser.find_element(By.ID, "note-resolve").send_keys("导轨润滑不足，已清洁润滑并复测振动 0.11 m/s²")
    _tap(browser, "act-resolve")
    assert _text(browser, "status") == "已完工"
    save_screenshot(browser, "order-resolved-360")

    body = served.api(f"/sites/{rig.site.id}/work-orders/{order.code}")
    assert body["status"] == "resolved"
    assert [_at(body[name]) for name in ("acknowledged_at", "arrived_at", "resolved_at")] == [
        acknowledged_at,
        arrived_at,
        resolved_at,
    ]
    steps = [(entry["action"], _at(entry["at"]), entry["actor"]) for entry in body["audit"]]
    assert steps[-3:] == [
        ("acknowledged", acknowledged_at, "王师傅 (wang)"),
        ("arrived", arrived_at, "王师傅 (wang)"),
        ("resolved", resolved_at, "王师傅 (wang)"),
    ]
    assert body["resolution"].startswith("导轨润滑不足")
    assert body["breaches"] == []  # acknowledged in 4 min, on site in 10: within the elevator's promise
    assert "王师傅 (wang)" in _text(browser, "history")


def test_a_double_tap_acknowledges_once(served: Served, browser: webdriver.Chrome) -> None:
    rig = served.rig
    order = rig.vibration_order()
    browser.get(rig.link_for(order.code, "wang"))
    # Two taps before the first answer arrives: the second form submission races the first.
    page = browser.find_element(By.TAG_NAME, "html")
    browser.execute_script(
        "const f = document.getElementById('act-acknowledge').form; f.requestSubmit(); f.requestSubmit();"
    )
    WebDriverWait(browser, 10).until(page_replaced(page))
    assert _text(browser, "status") == "已接单"
    browser.back()  # the old page, with its stale button, tapped again
    _submit(browser, browser.find_element(By.ID, "act-acknowledge"))
    assert _text(browser, "done") == "此操作已完成，未重复执行"
    audit = served.api(f"/sites/{rig.site.id}/work-orders/{order.code}")["audit"]
    assert [entry["action"] for entry in audit].count("acknowledged") == 1


def test_the_core_actions_work_without_javascript(
    served: Served,
    browser_without_js: webdriver.Chrome,
) -> None:
    rig = served.rig
    order = rig.vibration_order()
    browser = browser_without_js
    browser.get(rig.link_for(order.code, "wang"))
    countdown = _text(browser, "countdown")
    rig.clock.advance(MINUTE)
    _submit(browser, browser.find_element(By.ID, "act-acknowledge"))
    assert _text(browser, "status") == "已接单"
    assert _text(browser, "countdown") != countdown  # the server-rendered countdown moved on, no script needed
    browser.find_element(By.ID, "comment-text").send_keys("电梯已停用，正在赶往现场")
    _submit(browser, browser.find_element(By.ID, "add-comment"))
    assert "电梯已停用，正在赶往现场" in browser.page_source
    assert served.api(f"/sites/{rig.site.id}/work-orders/{order.code}")["status"] == "acknowledged"


@pytest.mark.parametrize("problem", ["tampered", "expired", "other_order"])
def test_a_bad_link_is_refused_in_the_browser(
    served: Served,
    browser: webdriver.Chrome,
    problem: str,
) -> None:
    rig = served.rig
    first = rig.vibration_order(asset_id="B1-L1")
    second = rig.vibration_order(asset_id="B1-L2")
    link = rig.link_for(first.code, "wang")
    if problem == "tampered":
        token = link.split("k=")[1]
        link = link.replace(token, token[:10] + ("A" if token[10] != "A" else "B") + token[11:])
    elif problem == "expired":
        rig.clock.advance(timedelta(hours=72))
    else:
        link = link.replace(first.code, second.code)
    browser.get(link)
    assert "链接无效" in browser.find_element(By.TAG_NAME, "h1").text
    assert not browser.find_elements(By.ID, "act-acknowledge")
    expected = {"tampered": "被修改", "expired": "已过期", "other_order": "另一个工单"}[problem]
    assert expected in browser.find_element(By.CSS_SELECTOR, ".message").text
    statuses = {served.api(f"/sites/{rig.site.id}/work-orders/{code}")["status"] for code in (first.code, second.code)}
    assert statuses == {"open"}


def _sign_in(browser: webdriver.Chrome, server: LiveServer, username: str) -> None:
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _tap(browser, "sign-in")


def test_the_service_centre_registers_a_request_and_the_plumbers_are_alerted(
    served: Served,
    browser: webdriver.Chrome,
) -> None:
    rig = served.rig
    set_viewport(browser, 360, 740)
    _sign_in(browser, served.server, "lina")
    browser.get(served.server.url + "/console/requests/new")
    _no_horizontal_scroll(browser)
    browser.find_element(By.ID, "unit").send_keys("B1-0101")
    Select(browser.find_element(By.ID, "category")).select_by_value("plumbing")
    browser.find_element(By.ID, "description").send_keys("厨房水槽下水管漏水，地面有积水")
    browser.find_element(By.ID, "contact_name").send_keys("张女士")
    browser.find_element(By.ID, "contact_phone").send_keys("13900001111")
    browser.find_element(By.ID, "preferred_time").send_keys("今晚 19:00 以后")
    save_screenshot(browser, "request-form-360")
    _tap(browser, "register")

    notice = _text(browser, "done")
    assert notice.startswith("已登记，工单 WO-")
    code = notice.removeprefix("已登记，工单 ")
    assert "今晚 19:00 以后" in browser.page_source and "张女士 13900001111" in browser.page_source

    browser.get(served.server.url + "/console/orders?status=active&category=plumbing")
    assert code in _text(browser, "orders")
    _no_horizontal_scroll(browser)
    save_screenshot(browser, "orders-list-360")
    set_viewport(browser, 1280, 900)
    save_screenshot(browser, "orders-list-1280")

    [alert] = served.deliver_alerts(1)
    assert (alert["work_order"]["code"], alert["team"]) == (code, "plumbing-crew")
    assert [r["id"] for r in alert["recipients"]] == ["zhao"]

    # 派單: the service centre gives it to 赵师傅 by name; he is told again, as the one who has it now.
    browser.get(f"{served.server.url}/console/orders/{code}")
    Select(browser.find_element(By.ID, "dispatch-to")).select_by_value("plumbing-crew:zhao")
    _tap(browser, "dispatch")
    assert _text(browser, "done") == "已派单"
    dispatched = served.deliver_alerts(2)[1]
    assert dispatched["title"].startswith("【派单·一般】") and "李娜 (lina) 派给 赵师傅 (zhao)" in dispatched["text"]
    assert [r["id"] for r in dispatched["recipients"]] == ["zhao"] and dispatched["recipients"][0]["link"]
    order = served.api(f"/sites/{rig.site.id}/work-orders/{code}")
    assert (order["source"], order["category"], order["unit_id"]) == ("resident_request", "plumbing", "B1-0101")
    assert (order["team"], order["assignee"]) == ("plumbing-crew", "赵师傅 (zhao)")
    assert order["audit"][0]["actor"] == "李娜 (lina)"


def test_the_crew_sees_their_team_first_and_every_page_fits_a_phone(
    served: Served,
    browser: webdriver.Chrome,
) -> None:
    rig = served.rig
    rig.clock.advance(-30 * MINUTE)
    later = rig.vibration_order(asset_id="B1-L2")
    rig.clock.advance(20 * MINUTE)
    sooner = rig.vibration_order(asset_id="B1-L1")
    rig.clock.advance(10 * MINUTE)
    set_viewport(browser, 360, 740)
    _sign_in(browser, served.server, "wang")
    browser.get(served.server.url + "/console/my")
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#orders .code")]
    assert rows == [later.code, sooner.code]  # the older alarm's deadline comes first (it is overdue)
    assert "已超时" in browser.find_elements(By.CSS_SELECTOR, "#orders .countdown")[0].text
    save_screenshot(browser, "my-team-360")
    for path in ("/console/my", "/console/orders", f"/console/orders/{sooner.code}"):
        browser.get(served.server.url + path)
        _no_horizontal_scroll(browser)
    _submit(browser, browser.find_element(By.ID, "lang-switch"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Acknowledge" in _text(browser, "act-acknowledge")
    save_screenshot(browser, "order-en-360")
    _sign_in(browser, served.server, "lina")
    browser.get(served.server.url + "/console/stats")
    _no_horizontal_scroll(browser)
    assert "2" in _text(browser, "stats")
    save_screenshot(browser, "stats-360")
    set_viewport(browser, 1280, 900)
    save_screenshot(browser, "stats-1280")
