"""Dead letters from a real Spool: newest first, paginated, payload bytes made readable."""

from __future__ import annotations

from datetime import timedelta

from access.roles import Role
from tests.unit.api.harness import Api


def test_dead_letters_newest_first_with_the_reason(api: Api) -> None:
    api.spool.reject(source="facilities/lakeview/B1-0101-W/telemetry", payload=b"{not json", error="malformed JSON")
    api.clock.advance(timedelta(seconds=30))
    api.spool.reject(source="facilities/lakeview/X/telemetry", payload=b"\xff\xfe1", error="unknown asset id 'X'")
    response = api.client.get("/dead-letters", headers=api.as_role(Role.STAFF))
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": 2,
                "received_at": "2026-11-26T08:00:30Z",
                "source": "facilities/lakeview/X/telemetry",
                "payload": "\ufffd\ufffd1",
                "payload_bytes": 3,
                "error": "unknown asset id 'X'",
            },
            {
                "id": 1,
                "received_at": "2026-11-26T08:00:00Z",
                "source": "facilities/lakeview/B1-0101-W/telemetry",
                "payload": "{not json",
                "payload_bytes": 9,
                "error": "malformed JSON",
            },
        ],
        "total": 2,
        "limit": 100,
        "offset": 0,
    }


def test_pages_walk_back_in_time(api: Api) -> None:
    for n in range(7):
        api.spool.reject(source="s", payload=str(n).encode(), error=f"bad {n}")
    headers = api.as_role(Role.ADMIN)
    pages = [api.client.get(f"/dead-letters?limit=3&offset={offset}", headers=headers).json() for offset in (0, 3, 6)]
    assert [[item["payload"] for item in page["items"]] for page in pages] == [["6", "5", "4"], ["3", "2", "1"], ["0"]]
    assert {page["total"] for page in pages} == {7}
    past_the_end = api.client.get("/dead-letters?offset=50", headers=headers).json()
    assert (past_the_end["items"], past_the_end["total"]) == ([], 7)


def test_limits_are_bounded(api: Api) -> None:
    headers = api.as_role(Role.ADMIN)
    assert api.client.get("/dead-letters?limit=501", headers=headers).status_code == 422
    assert api.client.get("/dead-letters?offset=10001", headers=headers).status_code == 422
