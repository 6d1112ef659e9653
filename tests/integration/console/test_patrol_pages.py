"""The patrol pages with what a phone may send: unknown and malformed ids, a huge code, a missing CSRF token,
a patrol whose route was taken out of the patrols file, a crew member's records."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patrols.config import PatrolBook
from storage.photos import PhotoStore, PhotoStoreUnavailable
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
    rig, client = signed_in
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

    # The photo bucket down: the page says so (503), it does not claim the photo is gone.
    form = client.get(page, params={"code": "GARAGE"}).text
    assert "每张不超过 2 MB" in form  # the rig's store: 2 MB
    down = PhotoStore(BucketDown(), max_bytes=3 * 1024 * 1024)
    rig.app.state.console = dataclasses.replace(rig.config, photos=down)
    answer = client.get(link)
    assert answer.status_code == 503 and "暂时无法读取" in answer.text
    assert "每张不超过 3 MB" in client.get(page, params={"code": "GARAGE"}).text  # the store's limit, not a fixed one
    assert rig.config.maintenance is not None
    rig.app.state.console = dataclasses.replace(
        rig.config, photos=down, maintenance=dataclasses.replace(rig.config.maintenance, photos=down)
    )
    key = link.rsplit("/", 1)[1]
    assert client.get(f"/console/maintenance/photos/{key}").status_code == 503
    assert client.get("/console/maintenance/photos/not-a-key.png").status_code == 404


class BucketDown:
    """A photo backend whose bucket does not answer (our own port, faked)."""

    def write(self, key: str, data: bytes, content_type: str) -> None:
        raise PhotoStoreUnavailable("the photo bucket answered ConnectionError; try again in a while")

    def read(self, key: str) -> bytes | None:
        raise PhotoStoreUnavailable("the photo bucket answered ConnectionError; try again in a while")


def test_a_label_s_link_opens_the_walker_s_patrol_at_that_checkpoint(tmp_path: Path) -> None:
    """What a phone's camera app opens from a label: after signing in, the walker's patrol under way through the
    checkpoint, at it (the one still to visit there first); without one, the routes that pass it."""
    with console_rig(tmp_path) as rig:
        client = TestClient(rig.app, base_url="http://hub.test")
        to_login = client.get("/console/patrols/at/PUMP", follow_redirects=False)
        assert to_login.status_code == 303 and to_login.headers["location"].startswith("/console/login")
        assert client.post("/console/login", data=login_data(client, username="wang", password=PASSWORD),
                           follow_redirects=False).status_code == 303  # fmt: skip

        none_yet = client.get("/console/patrols/at/pump", follow_redirects=False)  # case and spaces forgiven
        assert none_yet.status_code == 200
        assert 'id="scanned"' in none_yet.text and "PUMP" in none_yet.text
        assert re.findall(r'class="card route passing" id="route-([^"]+)"', none_yet.text) == [
            "manager-daily",
            "repair-plant",
        ]

        first = client.post("/console/patrols/start", data={"route": "repair-plant", "csrf": _csrf(client)},
                            follow_redirects=False).headers["location"]  # fmt: skip
        items = {"item-0": "ok", "item-1": "ok", "item-2": "ok", "note": "", "csrf": _csrf(client)}
        assert client.post(f"{first}/visits", data={"code": "PUMP", **items}, follow_redirects=False).status_code == 303
        rig.clock.advance(timedelta(minutes=20))
        second = client.post("/console/patrols/start", data={"route": "manager-daily", "csrf": _csrf(client)},
                             follow_redirects=False).headers["location"]  # fmt: skip
        assert second != first
        at = client.get("/console/patrols/at/GARAGE", follow_redirects=False)
        assert (at.status_code, at.headers["location"]) == (303, f"{first}?code=GARAGE")  # only the plant round
        at_pump = client.get("/console/patrols/at/%20PUMP%20", follow_redirects=False)
        assert at_pump.headers["location"] == f"{second}?code=PUMP"  # both pass it; the plant round did it already
        page = client.get(at_pump.headers["location"])
        assert page.status_code == 200 and 'name="item-0"' in page.text
        assert (
            client.post(f"{second}/visits", data={"code": "PUMP", **items}, follow_redirects=False).status_code == 303
        )
        again = client.get("/console/patrols/at/PUMP", follow_redirects=False)
        assert again.headers["location"] == f"{second}?code=PUMP"  # visited in both: the newest says so

        for hostile in ("NOPE", "界" * 5_000, "%00", "%2E%2E", "%FF"):
            unknown = client.get(f"/console/patrols/at/{hostile}", follow_redirects=False)
            assert unknown.status_code == 404 and 'id="scanned"' in unknown.text, hostile
            assert len(unknown.text) < 100_000

        assert client.get("/console/patrols/at/..%2F..%2Fetc").status_code == 404  # no page of ours at all
        zhao = TestClient(rig.app, base_url="http://hub.test")  # another crew member: not wang's patrol
        assert zhao.post("/console/login", data=login_data(zhao, username="zhao", password=PASSWORD),
                         follow_redirects=False).status_code == 303  # fmt: skip
        assert zhao.get("/console/patrols/at/GARAGE", follow_redirects=False).status_code == 200
