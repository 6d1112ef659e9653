"""The browser fixtures for every end-to-end test (headless Chromium, a live uvicorn server)."""

from tests.support.browser_fixtures import browser, browser_without_js, live_server

__all__ = ["browser", "browser_without_js", "live_server"]
