"""Issue 19 evidence in a real headless Chromium: devices announced by Zigbee2MQTT and Tasmota (Home Assistant
discovery, retained at a real Mosquitto) appear on the console's devices page of the real hub; the service centre
adopts the Tasmota plug as the pump's meter there, and the plug's readings then land and show it online."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from console.users import create_user
from core.settings import Settings
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from tests.e2e.test_discovery import SITE, publish
from tests.support.browser import console_errors, page_replaced, save_screenshot
from tests.support.browser_fixtures import LiveServerFactory
from tests.support.discovery_messages import TASMOTA_ENERGY, TASMOTA_LWT, TASMOTA_MAC, TASMOTA_STATE, Z2M_LEAK, Z2M_TEMP
from tests.support.services import Mosquitto, wait_until

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
PLUG = f"{TASMOTA_MAC}_ENERGY_Total"


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Hub]:
    publish(mosquitto.port, [Z2M_LEAK, Z2M_TEMP, TASMOTA_ENERGY], retain=True)
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE, encoding="utf-8")
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-discovery-browser",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
        site_file=site_file,
    )
    running = build_hub(settings)
    with running.sessions() as session:
        create_user(session, username="lina", display_name="李娜", role="staff", password=PASSWORD, team=None,
                    now=datetime.now(UTC))  # fmt: skip
        session.commit()
    running.start()
    assert running.ingest.collector.subscribed.wait(10)
    yield running
    running.stop()
    publish(mosquitto.port, [(Z2M_LEAK[0], ""), (Z2M_TEMP[0], ""), (TASMOTA_ENERGY[0], "")], retain=True)


def _submit(driver: webdriver.Chrome, element_id: str) -> None:
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(driver, 10).until(page_replaced(page))


def test_staff_adopt_a_discovered_plug_in_the_browser_and_its_readings_land(
    hub: Hub, mosquitto: Mosquitto, browser: webdriver.Chrome, live_server: LiveServerFactory
) -> None:
    wait_until(lambda: len(hub.ingest.discovery.entities()) == 3, "the three announced entities", 30)
    publish(mosquitto.port, [TASMOTA_LWT])
    server = live_server(hub.api())
    browser.get(server.url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys("lina")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    _submit(browser, "sign-in")
    browser.find_element(By.ID, "nav-devices").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "discovered")))
    discovered = browser.find_element(By.ID, "discovered").text
    assert "leak_b1_pump" in discovered and "Aqara" in discovered and "Water leak sensor (SJCGQ11LM)" in discovered
    assert "tele/pump_plug/SENSOR" in discovered and "kWh" in discovered
    save_screenshot(browser, "devices-discovered")

    browser.find_element(By.ID, f"asset-{PLUG}").send_keys("PUMP-E")
    assert browser.find_element(By.ID, f"kind-{PLUG}").get_attribute("value") == "electricity"  # from its class
    browser.find_element(By.ID, f"place-{PLUG}").send_keys("lobby")
    _submit(browser, f"adopt-{PLUG}")
    assert browser.find_element(By.ID, "done").is_displayed()
    assert "PUMP-E" in hub.ingest.registry

    readings = [(TASMOTA_STATE[0], json.dumps({"ENERGY": {"Total": 812.0 + n}})) for n in range(5)]
    publish(mosquitto.port, readings)
    info = hub.ingest.registry.get("PUMP-E")
    now = datetime.now(UTC)
    window = (now - timedelta(hours=1), now + timedelta(hours=1))
    wait_until(lambda: len(hub.ingest.store.history(info, "total", *window)) == 5, "the plug's readings", 30)

    browser.get(server.url + "/console/devices?kind=meter&state=online")
    rows = browser.find_elements(By.CSS_SELECTOR, "#devices tr.device")
    assert [r.get_attribute("data-asset") for r in rows] == ["PUMP-E"]
    save_screenshot(browser, "devices-online")
    assert console_errors(browser) == []
