"""Issue 17's sign-in findings, each with the test that would have caught it: sessions end on the server (sign-out,
password change, disable), the sign-in form needs its CSRF token, and sign-ins, failures and refusals are in the
audit log that admins read through the API and the command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from access.roles import Role
from api.keys_crud import create_key
from console.orm import ConsoleSession, ConsoleUser
from console.sessions import COOKIE, LOGIN_COOKIE
from console.users import set_active, set_password
from facilities.cli import app as cli
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig, login_data

pytestmark = pytest.mark.integration

BASE = "http://hub.test"
HOME = ("198.51.100.7", 50000)


@dataclass
class Rig:
    rig: ConsoleRig
    admin_key: str
    staff_key: str
    url: str

    def browser(self, client: tuple[str, int] = HOME) -> TestClient:
        return TestClient(self.rig.app, base_url=BASE, client=client)

    def sign_in(self, username: str, client: tuple[str, int] = HOME) -> TestClient:
        browser = self.browser(client)
        form = login_data(browser, username=username, password=PASSWORD)
        answer = browser.post("/console/login", data=form, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return browser

    def csrf(self, browser: TestClient) -> str:
        claims = self.rig.config.sessions.read(browser.cookies.get(COOKIE), now=self.rig.clock.now())
        assert claims is not None
        return claims.csrf

    def audit(self, **query: str) -> list[dict[str, object]]:
        answer = self.browser().get("/audit/sign-ins", params=query, headers={"X-API-Key": self.admin_key})
        assert answer.status_code == 200, answer.text
        items: list[dict[str, object]] = answer.json()["items"]
        return items

    def sessions_of(self, username: str) -> list[ConsoleSession]:
        with self.rig.sessions() as session:
            user = session.scalars(select(ConsoleUser).where(ConsoleUser.username == username)).one()
            rows = session.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user.id))
            return list(rows)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Rig]:
    url = f"sqlite:///{tmp_path}/hub/facilities.db"
    with console_rig(tmp_path / "hub") as rig:
        with rig.sessions() as session:
            _, admin = create_key(session=session, role=Role.ADMIN, name="auditor", now=rig.clock.now())
            _, staff = create_key(session=session, role=Role.STAFF, name="desk", now=rig.clock.now())
        yield Rig(rig, admin, staff, url)


def signed_in_page(browser: TestClient) -> httpx.Response:
    page: httpx.Response = browser.get("/console/my", follow_redirects=False)
    return page


# --- sessions end on the server ------------------------------------------------------------------------------


def test_signing_out_ends_the_session_so_a_copied_cookie_stops_working(hub: Rig) -> None:
    lina = hub.sign_in("lina")
    stolen = lina.cookies.get(COOKIE)
    assert stolen is not None

    out = lina.post("/console/logout", data={"csrf": hub.csrf(lina)}, follow_redirects=False)

    assert (out.status_code, out.headers["location"]) == (303, "/console/login")
    thief = hub.browser(("203.0.113.9", 1))
    thief.cookies.set(COOKIE, stolen, domain="hub.test", path="/console")
    page = signed_in_page(thief)
    assert (page.status_code, page.headers["location"]) == (303, "/console/login?next=%2Fconsole%2Fmy")
    [row] = hub.sessions_of("lina")
    assert (row.end_reason, row.ended_at, row.client) == ("signed_out", hub.rig.clock.now(), HOME[0])


def test_a_sign_out_form_from_another_site_ends_nothing(hub: Rig) -> None:
    lina = hub.sign_in("lina")

    for data in ({}, {"csrf": ""}, {"csrf": "0" * 32}):
        assert lina.post("/console/logout", data=data, follow_redirects=False).status_code == 403

    assert signed_in_page(lina).status_code == 200
    assert [row.ended_at for row in hub.sessions_of("lina")] == [None]


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_password_change_or_a_disable_ends_every_session_on_the_server(hub: Rig, change: str) -> None:
    desk, phone = hub.sign_in("lina"), hub.sign_in("lina", ("203.0.113.20", 2))
    with hub.rig.sessions() as session:
        if change == "password":
            set_password(session, "lina", "a brand new password", now=hub.rig.clock.now())
        else:
            set_active(session, "lina", False, now=hub.rig.clock.now())
        session.commit()
    # Not the session version alone: with it put back, the ended sessions stay ended.
    with hub.rig.sessions() as session:
        session.execute(
            update(ConsoleUser).where(ConsoleUser.username == "lina").values(session_version=1, active=True)
        )
        session.commit()

    assert [signed_in_page(browser).status_code for browser in (desk, phone)] == [303, 303]
    reason = "password_changed" if change == "password" else "disabled"
    assert sorted(row.end_reason or "" for row in hub.sessions_of("lina")) == [reason, reason]
    [entry] = hub.audit(username="lina")[:1]
    assert (entry["event"], entry["detail"]) == ("sessions_ended", f"{reason}: 2 session(s) ended")


def test_a_session_is_refused_once_its_row_has_expired(hub: Rig) -> None:
    lina = hub.sign_in("lina")
    with hub.rig.sessions() as session:  # the row says it expired, whatever the cookie says
        session.execute(update(ConsoleSession).values(expires_at=hub.rig.clock.now()))
        session.commit()
    assert signed_in_page(lina).status_code == 303


# --- the sign-in form's CSRF token ---------------------------------------------------------------------------


def test_a_sign_in_without_the_forms_token_signs_nobody_in(hub: Rig) -> None:
    """Another site's form posting our sign-in with its own account's password (login CSRF)."""
    victim = hub.browser()
    attacker = hub.browser(("203.0.113.9", 1))
    attackers_token = login_data(attacker)["csrf"]  # valid for the attacker's browser only
    victim.get("/console/login")  # the victim has a sign-in cookie of their own, too

    for token in (None, "", attackers_token, "f" * 32):
        data = {"username": "lina", "password": PASSWORD} | ({} if token is None else {"csrf": token})
        answer = victim.post("/console/login", data=data, follow_redirects=False)
        assert answer.status_code == 403, token
        assert "登录页面已过期" in answer.text
        assert COOKIE not in victim.cookies
    # A browser with no sign-in cookie at all (a form on another site, first visit) is refused the same way.
    fresh = hub.browser()
    answer = fresh.post("/console/login", data={"username": "lina", "password": PASSWORD, "csrf": attackers_token})
    assert answer.status_code == 403 and COOKIE not in fresh.cookies

    assert hub.sessions_of("lina") == []
    assert {entry["event"] for entry in hub.audit(username="lina")} == {"refused_csrf"}


def test_the_refused_form_comes_back_with_a_token_that_works(hub: Rig) -> None:
    browser = hub.browser()
    refused = browser.post("/console/login", data={"username": "lina", "password": PASSWORD})
    assert refused.status_code == 403 and LOGIN_COOKIE in browser.cookies
    token = refused.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]

    again = browser.post(
        "/console/login", data={"username": "lina", "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert again.status_code == 303 and COOKIE in browser.cookies


# --- the audit log -------------------------------------------------------------------------------------------


def test_sign_ins_failures_waits_and_sign_outs_are_in_the_audit_log(hub: Rig) -> None:
    attacker = hub.browser(("203.0.113.9", 1))
    for guess in ("guess-1", "guess-2", "guess-3", "guess-4", "guess-5"):
        attacker.post("/console/login", data=login_data(attacker, username="lina", password=guess))
    lina = hub.sign_in("lina")
    lina.post("/console/logout", data={"csrf": hub.csrf(lina)})
    hub.browser().post("/console/login", data=login_data(hub.browser(), username="ghost\u2028x", password="p"))

    entries = hub.audit()
    assert [(e["event"], e["username"], e["client"]) for e in entries] == [
        ("refused_csrf", "ghost\ufffdx", HOME[0]),  # a line separator is not written into the log
        ("signed_out", "lina", HOME[0]),
        ("signed_in", "lina", HOME[0]),
        ("throttled", "lina", "203.0.113.9"),
        ("failed", "lina", "203.0.113.9"),
        ("failed", "lina", "203.0.113.9"),
        ("failed", "lina", "203.0.113.9"),
        ("failed", "lina", "203.0.113.9"),
    ]
    assert entries[3]["detail"] == "wait 2 s"
    assert all(e["at"] == "2026-11-26T08:00:00Z" for e in entries)
    assert entries[2]["user_id"] is not None and entries[4]["user_id"] is None


def test_only_admins_read_the_audit_log(hub: Rig) -> None:
    answer = hub.browser().get("/audit/sign-ins", headers={"X-API-Key": hub.staff_key})
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden")
    assert hub.browser().get("/audit/sign-ins").status_code == 401


def test_the_command_line_prints_the_audit_log(hub: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.sign_in("wang")
    monkeypatch.setenv("FACILITIES_DATABASE_URL", hub.url)

    printed = CliRunner().invoke(cli, ["users", "audit", "--username", "wang"])

    assert printed.exit_code == 0, printed.output
    assert "2026-11-26T08:00:00+00:00\tsigned_in\twang (#2)\t198.51.100.7\t" in printed.output
    assert "1 of 1 entries" in printed.output
