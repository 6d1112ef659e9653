"""Debian's headless Chromium for the web console's browser tests, and a live server for the app under test.

Nothing is ever downloaded: the browser and its driver are the `chromium` and `chromium-driver` packages, named by
path, so Selenium Manager is never asked for them.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement

from tests.support.servers import MissingBinary, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEBIAN_PACKAGE = {CHROMIUM: "chromium", CHROMEDRIVER: "chromium-driver"}
PAGE_LOAD_TIMEOUT_S = 30.0
MOBILE_WIDTH, MOBILE_HEIGHT = 360, 740  # CSS pixels of a common Android phone
REPO_ROOT = Path(__file__).resolve().parents[2]


class HeadlessChromium(webdriver.Chrome):
    """A Chrome driver that removes its throwaway profile folder when it quits."""

    profile_dir: Path

    def quit(self) -> None:
        try:
            super().quit()
        finally:
            shutil.rmtree(self.profile_dir, ignore_errors=True)


def require_browser() -> None:
    """MissingBinary naming the first of Chromium and its driver that is not installed."""
    for path, package in DEBIAN_PACKAGE.items():
        if not os.access(path, os.X_OK):
            raise MissingBinary(
                f"{path} is not installed (apt-get install -y {package}, or scripts/install-services.sh)"
            )


def chrome_driver(
    *, width: int = 1280, height: int = 900, lang: str = "zh-CN", javascript: bool = True
) -> webdriver.Chrome:
    """Start Debian's Chromium headless, as root in a container, with a window of width×height (not the viewport:
    headless=new draws a toolbar, so the viewport is shorter; use set_viewport for exact viewport sizes)."""
    require_browser()
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: explicit paths already keep Selenium Manager out
    profile_dir = Path(tempfile.mkdtemp(prefix="facilities-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for Chromium's sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",  # a container's /dev/shm is often 64 MB; Chromium crashes when it fills
        "--hide-scrollbars",  # the scrollbar would otherwise take 15 px of a 360 px viewport and of screenshots
        f"--user-data-dir={profile_dir}",
        f"--lang={lang}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    # --lang alone changes neither navigator.language nor Accept-Language on Linux; this preference does both.
    prefs: dict[str, object] = {"intl.accept_languages": f"{lang},{lang.split('-')[0]}"}
    if not javascript:  # the console's core actions must work as plain forms
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP violations
    try:
        driver = HeadlessChromium(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    except BaseException:
        shutil.rmtree(profile_dir, ignore_errors=True)
        raise
    driver.profile_dir = profile_dir
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
    # --window-size is clamped to a 500 px minimum width at launch; a resize afterwards is not.
    driver.set_window_size(width, height)
    return driver


@dataclass(frozen=True)
class Viewport:
    width: int  # window.innerWidth, CSS pixels
    height: int
    device_pixel_ratio: float
    emulated: bool  # through CDP Emulation.setDeviceMetricsOverride, not the window's size


def measure_viewport(driver: webdriver.Chrome, *, emulated: bool = False) -> Viewport:
    width, height, ratio = driver.execute_script("return [innerWidth, innerHeight, devicePixelRatio]")
    return Viewport(int(width), int(height), float(ratio), emulated)


def set_viewport(driver: webdriver.Chrome, width: int, height: int, mobile: bool = False) -> Viewport:
    """Give the page a viewport of width×height CSS pixels, checked with window.innerWidth/innerHeight.

    mobile=False resizes the window, and emulates through CDP only if the window cannot get that small.
    mobile=True emulates a phone through CDP (device pixel ratio 2, `<meta name="viewport">` honoured); as on a
    real phone, a page without that meta tag is laid out 980 px wide, and innerWidth will say so.
    """
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    if not mobile:
        window, now = driver.get_window_size(), measure_viewport(driver)
        driver.set_window_size(width + window["width"] - now.width, height + window["height"] - now.height)
        resized = measure_viewport(driver)
        if (resized.width, resized.height) == (width, height):
            return resized
    metrics = {"width": width, "height": height, "deviceScaleFactor": 2 if mobile else 0, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    emulated = measure_viewport(driver, emulated=True)
    screen_width = driver.execute_script("return screen.width")
    meta = driver.execute_script("return document.querySelector('meta[name=viewport]') !== null")
    if screen_width != width or ((meta or not mobile) and emulated.width != width):
        raise RuntimeError(
            f"asked Chromium for a {width}×{height} viewport, got {emulated} (screen.width {screen_width})"
        )
    return emulated


def set_mobile_viewport(driver: webdriver.Chrome) -> Viewport:
    """A 360×740 phone at device pixel ratio 2."""
    return set_viewport(driver, MOBILE_WIDTH, MOBILE_HEIGHT, mobile=True)


def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root, or FACILITIES_TEST_ARTIFACTS; CI keeps it after a failed run."""
    return Path(os.environ.get("FACILITIES_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")


def save_screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """A PNG of the whole page, not only the part in the viewport, as <artifacts>/screenshots/<name>.png."""
    metrics: dict[str, Any] = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    content, view = metrics["cssContentSize"], metrics["cssLayoutViewport"]
    clip = {
        "x": 0,
        "y": 0,
        "width": max(content["width"], view["clientWidth"]),
        "height": max(content["height"], view["clientHeight"]),
        "scale": 1,
    }
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    folder = artifacts_dir() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name.removesuffix(".png")).strip(".-") or "screenshot"
    path = folder / f"{stem}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


class LiveServer:
    """An ASGI app served by uvicorn from a background thread on 127.0.0.1, on a port bound before it starts."""

    def __init__(self, app: Any, *, start_timeout: float = 10.0) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))  # bound here, so no other process can take the port meanwhile
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name=f"live-server-{self.port}", daemon=True)
        self._start_timeout = start_timeout
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # uvicorn ends a failed startup with sys.exit
            self._error = exc

    def _started(self) -> bool:
        if not self._thread.is_alive() and not self._server.started:
            raise RuntimeError(f"the live server on {self.url} stopped while starting: {self._error!r}")
        return self._server.started

    def start(self) -> LiveServer:
        self._thread.start()
        try:
            wait_until(self._started, f"the live server on {self.url}", timeout=self._start_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._thread.is_alive():  # a client holding a connection open; drop it
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._socket.close()
        if self._thread.is_alive():
            raise TimeoutError(f"the live server on {self.url} did not stop within 15 s")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """The page's console errors since the last call: script errors, refused resources, CSP violations."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def page_replaced(page: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """A wait condition: the page whose <html> element is `page` has been replaced by the next one.

    Selenium's `staleness_of`, except that chromedriver sometimes answers a node of the old document, mid-
    navigation, with "Node with given id does not belong to the document" instead of a stale-element error.
    """

    def replaced(_driver: webdriver.Chrome) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return replaced
