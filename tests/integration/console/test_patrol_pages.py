"""The patrol pages with what a phone may send: unknown and malformed ids, a huge code, a missing CSRF token,
a patrol whose route was taken out of the patrols file, a crew member's records."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patrols.config import PatrolBook
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig, login_data

pytestmark = pytest.mark.integration


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[tuple[ConsoleRig, TestClient]]:
    with console_rig(tmp_path) as rig:
        client = TestClient(rig.app, base_url="http://hub.test")
        assert client.post("/console/login", data=login_data(client, username="wang", password=PASSWORD),
                           follow_redirects=False).status_code == 303  # fmt: skip
        yield rig, client


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/patrols").text)
    assert found is not None
    return found.group(1)


def test_what_a_phone_may_send(signed_in: tuple[ConsoleRig, TestClient]) -> None:
    rig, client = signed_in
    assert client.get("/console/patrols/not-a-uuid").status_code == 404
    assert client.get("/console/patrols/00000000-0000-0000-0000-000000000000").status_code == 404
    started = client.post("/console/patrols/start", data={"route": "repair-plant", "csrf": _csrf(client)},
                          follow_redirects=False)  # fmt: skip
    assert started.status_code == 303
    page = started.headers["location"]
    assert client.post("/console/patrols/start", data={"route": "nope", "csrf": _csrf(client)}).status_code == 422
    huge = client.get(page, params={"code": "界" * 5_000})
    assert huge.status_code == 422 and "is not a checkpoint of this route" in huge.text
    assert client.post(f"{page}/visits", data={"code": "PUMP", "csrf": "forged"}).status_code == 403
    answer = client.post(f"{page}/visits", data={"code": "PUMP", "item-0": "ok", "csrf": _csrf(client)})
    assert answer.status_code == 422 and "answer every checklist item" in answer.text
    assert client.post(f"{page}/complete", data={"csrf": _csrf(client)}).status_code == 422

    # The route taken out of the file: the patrol still shows, and cannot be completed.
    rig.app.state.console = dataclasses.replace(rig.config, patrols=PatrolBook(checkpoints={}, routes={}))
    assert client.get(page).status_code == 200
    refused = client.post(f"{page}/complete", data={"csrf": _csrf(client)})
    assert refused.status_code == 422 and "no patrol route 'repair-plant'" in html.unescape(refused.text)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))


def test_a_finding_with_a_photo_is_kept_and_shown(signed_in: tuple[ConsoleRig, TestClient]) -> None:
    _, client = signed_in
    page = client.post("/console/patrols/start", data={"route": "repair-plant", "csrf": _csrf(client)},
                       follow_redirects=False).headers["location"]  # fmt: skip
    items = {"item-0": "ok", "item-1": "fail", "item-2": "ok", "note": "泵房漏水", "csrf": _csrf(client)}
    svg = client.post(f"{page}/visits", data={"code": "PUMP", **items},
                      files={"photo": ("leak.jpg", b"<svg onload=alert(1)>" + b" " * 64, "image/jpeg")})  # fmt: skip
    assert svg.status_code == 422 and "is markup (SVG/HTML), not a photo" in html.unescape(svg.text)
    upload = {"photo": ("leak.png", PNG, "image/png")}
    saved = client.post(f"{page}/visits", data={"code": "PUMP", **items}, files=upload, follow_redirects=False)
    assert saved.status_code == 303 and "order=WO-" in saved.headers["location"]
    shown = client.get(saved.headers["location"]).text
    [link] = re.findall(r'href="(/console/patrols/[^"]+/photos/[0-9a-f]{64}\.png)"', shown)
    photo = client.get(link)
    assert (photo.status_code, photo.content, photo.headers["content-type"]) == (200, PNG, "image/png")
    assert client.get(link.replace(".png", ".jpg")).status_code == 404  # only this patrol's own photos
    assert client.get(f"{page}/photos/..%2F..%2Ffacilities.db").status_code == 404
