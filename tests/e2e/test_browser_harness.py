"""The browser harness itself: Debian's headless Chromium against a live uvicorn server, a form round trip,
a 360 px phone viewport and a full-page screenshot."""

from __future__ import annotations

import html
import struct
from dataclasses import dataclass, field
from typing import Annotated

import pytest
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser import MOBILE_HEIGHT, MOBILE_WIDTH, save_screenshot, set_viewport
from tests.support.browser_fixtures import LiveServerFactory

pytestmark = pytest.mark.e2e

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEAD = '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'


@dataclass
class Seen:
    notes: list[str] = field(default_factory=list)
    accept_language: list[str] = field(default_factory=list)


def form_app() -> tuple[FastAPI, Seen]:
    app, seen = FastAPI(), Seen()

    @app.get("/", response_class=HTMLResponse)
    def form(request: Request) -> str:
        seen.accept_language.append(request.headers.get("accept-language", ""))
        return (
            f'{HEAD}<form method="post" action="/notes"><input name="note"><button type="submit">保存</button></form>'
        )

    @app.post("/notes")
    def post_note(note: Annotated[str, Form()]) -> RedirectResponse:
        seen.notes.append(note)
        return RedirectResponse("/notes/last", status_code=303)

    @app.get("/notes/last", response_class=HTMLResponse)
    def last_note() -> str:
        return f'{HEAD}<p id="note">{html.escape(seen.notes[-1])}</p>'

    @app.get("/long", response_class=HTMLResponse)
    def long_page() -> str:
        return HEAD + "".join(f"<p>第 {n} 行</p>" for n in range(80))

    return app, seen


def test_form_post_redirects_to_a_page_showing_the_text(
    browser: webdriver.Chrome,
    live_server: LiveServerFactory,
) -> None:
    app, seen = form_app()
    server = live_server(app)
    browser.get(f"{server.url}/")
    browser.find_element(By.NAME, "note").send_keys("B1-L2 电梯已恢复 <ok>")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_to_be(f"{server.url}/notes/last"))
    assert browser.find_element(By.ID, "note").text == "B1-L2 电梯已恢复 <ok>"
    assert seen.notes == ["B1-L2 电梯已恢复 <ok>"]  # one POST: the 303 made the browser GET the result
    assert seen.accept_language[0].startswith("zh-CN")


@pytest.mark.parametrize("mobile", [False, True], ids=["window", "emulated-phone"])
def test_360px_viewport_and_full_page_screenshot(
    browser: webdriver.Chrome,
    live_server: LiveServerFactory,
    request: pytest.FixtureRequest,
    mobile: bool,
) -> None:
    server = live_server(form_app()[0])
    set_viewport(browser, MOBILE_WIDTH, MOBILE_HEIGHT, mobile)
    browser.get(f"{server.url}/long")
    assert browser.execute_script("return window.innerWidth") == MOBILE_WIDTH
    ratio, page_height = browser.execute_script("return [devicePixelRatio, document.documentElement.scrollHeight]")
    assert ratio == (2 if mobile else 1)
    assert page_height > MOBILE_HEIGHT  # so a viewport-only screenshot would be too short

    png = save_screenshot(browser, request.node.name).read_bytes()
    assert png.startswith(PNG_MAGIC)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width == MOBILE_WIDTH * ratio
    assert height == page_height * ratio
