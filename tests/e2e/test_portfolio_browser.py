"""The company overview in a real headless Chromium with JavaScript off: at 360 px one card per site and no
sideways scroll, sorted with the form; at desktop width sorted by a heading's link. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from core.portfolio import load_portfolio
from tests.support.browser import LiveServer, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.console_rig import PASSWORD, console_rig
from tests.support.patrols import firing
from workorders import service
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category, Priority

pytestmark = pytest.mark.e2e
PORTFOLIO = Path(__file__).resolve().parents[2] / "examples" / "portfolio" / "portfolio.toml"


@pytest.fixture
def server(tmp_path: Any, live_server: LiveServerFactory) -> Iterator[LiveServer]:
    with console_rig(tmp_path) as rig:
        for _ in range(2):
            service.create_resident_request(
                SqlAlchemyUnitOfWork(rig.sessions), site_id="harbour", category=Category.PLUMBING,
                priority=Priority.NORMAL, title="漏水", description="", reporter="resident", actor="desk",
                clock=rig.clock,
            )  # fmt: skip
        firing(rig.sessions, "tianshan", "silence", "BOILER-G", rig.clock.now())
        rig.app.state.deps = replace(rig.deps, portfolio=load_portfolio(PORTFOLIO))
        yield live_server(rig.app)


def _go(driver: webdriver.Chrome, click: Any) -> None:
    page = driver.find_element(By.TAG_NAME, "html")
    click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(page))


def _first_cells(driver: webdriver.Chrome) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#portfolio tbody tr")
    return [row.find_element(By.TAG_NAME, "td").text for row in rows]


def test_the_company_overview_on_a_phone_and_a_desk(server: LiveServer, browser_without_js: webdriver.Chrome) -> None:
    browser = browser_without_js
    set_viewport(browser, 360, 740)
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys("lina")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _go(browser, browser.find_element(By.ID, "sign-in").click)
    _go(browser, browser.find_element(By.ID, "nav-portfolio").click)

    assert len(_first_cells(browser)) == 3
    assert not browser.find_element(By.CSS_SELECTOR, "#portfolio thead").is_displayed()  # cards, not columns
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"the company overview is {width} px wide at 360 px"
    Select(browser.find_element(By.ID, "sort")).select_by_value("open_orders")
    Select(browser.find_element(By.ID, "desc")).select_by_value("1")
    _go(browser, browser.find_element(By.ID, "show").click)
    assert _first_cells(browser) == ["海港苑 Harbour Court", "湖景花園 Lakeview Gardens", "天山雅苑 Tianshan Gardens"]
    save_screenshot(browser, "portfolio-360")

    set_viewport(browser, 1280, 900)
    _go(browser, browser.find_element(By.LINK_TEXT, "当前报警").click)
    assert _first_cells(browser)[-1] == "天山雅苑 Tianshan Gardens"  # ascending: the site with an alarm last
    _go(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "当前报警").click)
    assert _first_cells(browser)[0] == "天山雅苑 Tianshan Gardens"
    save_screenshot(browser, "portfolio-desk")
