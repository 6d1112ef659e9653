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
