"""Browser fixtures; tests/e2e/conftest.py imports them for every end-to-end test.

A missing Chromium skips locally and fails under CI, like the other real servers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from selenium import webdriver

from tests.support.browser import LiveServer, chrome_driver, require_browser
from tests.support.servers import MissingBinary

LiveServerFactory = Callable[[Any], LiveServer]


def _require_browser() -> None:
    try:
        require_browser()
    except MissingBinary as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI must run every browser test")
        pytest.skip(str(exc))


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium per test (it starts in well under a second), 1280×900, zh-CN."""
    _require_browser()
    driver = chrome_driver()
    yield driver
    driver.quit()


@pytest.fixture
def browser_without_js() -> Iterator[webdriver.Chrome]:
    """The same browser with JavaScript switched off: what a locked-down phone or a slow page shows."""
    _require_browser()
    driver = chrome_driver(javascript=False)
    yield driver
    driver.quit()


@pytest.fixture
def live_server() -> Iterator[LiveServerFactory]:
    """Call it with an ASGI app; the server is running on return and stopped after the test."""
    servers: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()
