"""`push_dashboards` against a stand-in for Grafana's HTTP API on the loopback interface.

No Grafana binary is packaged for Debian, so a small server answers the three calls the push
makes (list folders, create a folder, save a dashboard) and records what it was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dashboards.generate import GENERATED_DIR
from dashboards.push import PushError, folder_uid, push_dashboards
from tests.support.services import free_port


@dataclass
class FakeGrafana:
    folders: list[dict[str, str]] = field(default_factory=list)
    saved: list[dict[str, Any]] = field(default_factory=list)
    auth: set[str] = field(default_factory=set)
    refuse_with: int = 0


def _handler(state: FakeGrafana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _refused(self) -> bool:
            state.auth.add(self.headers.get("Authorization", ""))
            if state.refuse_with:
                self._answer(state.refuse_with, {"message": "invalid API key"})
            return bool(state.refuse_with)

        def do_GET(self) -> None:
            if self._refused():
                return
            assert self.path.split("?")[0] == "/api/folders"
            self._answer(200, state.folders)

        def do_POST(self) -> None:
            if self._refused():
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/api/folders":
                folder = {"uid": body["uid"], "title": body["title"]}
                state.folders.append(folder)
                self._answer(200, folder)
            else:
                assert self.path == "/api/dashboards/db"
                state.saved.append(body)
                uid = body["dashboard"]["uid"]
                self._answer(200, {"status": "success", "uid": uid, "url": f"/d/{uid}/x", "version": 1})

    return Handler


@pytest.fixture
def grafana() -> Iterator[tuple[str, FakeGrafana]]:
    state = FakeGrafana()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def test_every_generated_dashboard_is_saved_in_the_folder(grafana: tuple[str, FakeGrafana]) -> None:
    url, state = grafana
    pushed = push_dashboards(url, "glsa_token", "设施监控")
    files = sorted(GENERATED_DIR.glob("*/*.json"))
    assert [p.uid for p in pushed] == [json.loads(f.read_text())["uid"] for f in files]
    assert state.folders == [{"uid": folder_uid("设施监控"), "title": "设施监控"}]
    assert {body["folderUid"] for body in state.saved} == {folder_uid("设施监控")}
    assert all(body["overwrite"] for body in state.saved)
    assert state.saved[0]["dashboard"] == json.loads(files[0].read_text())
    assert state.auth == {"Bearer glsa_token"}


def test_an_existing_folder_is_reused_and_a_second_push_overwrites(grafana: tuple[str, FakeGrafana]) -> None:
    url, state = grafana
    state.folders.append({"uid": "ops", "title": "Facilities"})
    push_dashboards(url, "glsa_token")
    push_dashboards(url, "glsa_token")
    assert state.folders == [{"uid": "ops", "title": "Facilities"}]
    assert {body["folderUid"] for body in state.saved} == {"ops"}


def test_user_and_password_are_sent_as_basic_auth(grafana: tuple[str, FakeGrafana]) -> None:
    url, state = grafana
    push_dashboards(url, "admin:secret")
    assert state.auth == {"Basic YWRtaW46c2VjcmV0"}


def test_a_refused_token_is_a_push_error_naming_grafana(grafana: tuple[str, FakeGrafana]) -> None:
    url, state = grafana
    state.refuse_with = 401
    with pytest.raises(PushError, match=f"Grafana at {url} refused the request \\(401\\)"):
        push_dashboards(url, "wrong")


def test_an_unreachable_grafana_is_a_push_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PushError, match="could not be reached"):
        push_dashboards(url, "glsa_token", timeout_s=2)


def test_dashboards_can_be_pushed_from_a_folder_of_json(grafana: tuple[str, FakeGrafana], tmp_path: Path) -> None:
    url, state = grafana
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "custom.json").write_text('{"uid": "custom", "title": "Custom", "panels": []}')
    assert [p.uid for p in push_dashboards(url, "glsa_token", source=tmp_path)] == ["custom"]
    assert [body["dashboard"]["uid"] for body in state.saved] == ["custom"]


def test_nothing_to_push_says_how_to_generate(tmp_path: Path) -> None:
    with pytest.raises(PushError, match=r"python -m dashboards\.generate"):
        push_dashboards("http://127.0.0.1:9", "t", source=tmp_path)


def test_a_push_can_show_times_in_another_site_s_zone(grafana: tuple[str, FakeGrafana]) -> None:
    url, state = grafana
    push_dashboards(url, "glsa_token", timezone="Europe/Berlin")
    assert {body["dashboard"]["timezone"] for body in state.saved} == {"Europe/Berlin"}
    with pytest.raises(PushError, match="Mars/Olympus"):
        push_dashboards(url, "glsa_token", timezone="Mars/Olympus")
    with pytest.raises(PushError, match="unknown"):
        push_dashboards(url, "glsa_token", timezone="../../etc/passwd")
