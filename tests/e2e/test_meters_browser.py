"""The service centre records a meter swap on the console's meters page in a real headless Chromium at 360 px,
and the next billing run bills the two meters' legs (issue 22). Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from billing.config import load_billing_config
from billing.periods import BillingPeriod
from billing.run import run_billing
from core.clock import FakeClock
from tests.support.browser import LiveServer, console_errors, page_replaced, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig
from tests.unit.billing.sample import D, cst, write

pytestmark = pytest.mark.e2e
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
METER = "B1-0101-W"


@pytest.fixture
def served(tmp_path: Any, live_server: LiveServerFactory) -> Iterator[tuple[ConsoleRig, LiveServer]]:
    with console_rig(tmp_path) as rig:
        # Registers read exactly at the boundaries: 50 on 1 January, 250 on 1 October, and 25 on 1 November,
        # which is the new meter's: without the swap the register went down and the line waits for review.
        write(
            rig.store, METER, [(cst(2026, 1, 1), 50.0), (cst(2026, 10, 1), 250.0), (cst(2026, 11, 1), 25.0)], rig.site
        )
        yield rig, live_server(rig.app)


def _tap(driver: webdriver.Chrome, element_id: str) -> None:
    button = driver.find_element(By.ID, element_id)
    assert button.size["height"] >= 48, f"{element_id} is {button.size['height']} px tall: too small for a thumb"
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 10).until(page_replaced(page))


def _fill(driver: webdriver.Chrome, values: dict[str, str]) -> None:
    for element_id, value in values.items():
        field = driver.find_element(By.ID, element_id)
        if field.get_attribute("type") == "datetime-local":  # the picker's typing order depends on the locale
            driver.execute_script("arguments[0].value = arguments[1]", field, value)
        else:
            field.clear()
            field.send_keys(value)


def test_a_swap_entered_on_a_phone_is_billed(served: tuple[ConsoleRig, LiveServer], browser: webdriver.Chrome) -> None:
    rig, server = served
    config = load_billing_config(EXAMPLES / "billing.toml")
    october = BillingPeriod(2026, 10)

    def bill() -> Any:
        run = run_billing(rig.site, rig.store, rig.sessions, october, config, clock=FakeClock(cst(2026, 11, 26)))
        return next(line for s in run.statements for line in s.lines if line.meter_id == METER)

    assert bill().review is not None  # 25 after 250: held until the swap is recorded

    set_viewport(browser, 360, 740)
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys("lina")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _tap(browser, "sign-in")
    browser.find_element(By.ID, "nav-meters").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "swap-form")))
    # a mistake first: the new meter's register cannot be negative; the page says so and keeps what was typed
    _fill(browser, {"swap-meter": METER, "swap-at": "2026-10-20T10:00", "old-final": "280", "new-initial": "-1"})
    _tap(browser, "save-swap")
    assert "new_initial must be a register value ≥ 0" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "old-final").get_attribute("value") == "280"
    # the refusal is a 422 page, which Chromium logs; nothing else may be in the log
    assert [e for e in console_errors(browser) if "422 (Unprocessable Entity)" not in e] == []
    _fill(browser, {"new-initial": "0", "swap-note": "WO-20261020-0001 换新水表"})
    _tap(browser, "save-swap")
    assert browser.find_element(By.ID, "done").text == "换表已登记，重新出账后生效"
    recent = browser.find_element(By.ID, "recent").text
    assert f"换表 · {METER} · 2026-10-20 10:00 · 280 → 0 WO-20261020-0001 换新水表" in recent
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"the meters page is {width} px wide at 360 px"
    assert console_errors(browser) == []
    save_screenshot(browser, "meters-swap-360")

    line = bill()
    # (280 - 250) + (25 - 0) = 55 m³ after 200 earlier this year: 16 × 2.90 = 46.40; 39 × 3.85 = 150.15; 196.55
    assert (line.consumption, line.amount, line.review) == (D("55.000"), D("196.55"), None)
    assert [(r.old_final, r.new_initial, r.note) for r in line.replacements] == [
        (D("280"), D("0"), "WO-20261020-0001 换新水表")
    ]
