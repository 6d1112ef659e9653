"""A work order's title, names and places are one line: every Unicode line separator and control is a clear 422.

Issue 17: a title with U+2028 or U+0085 passed the API's check, and every e-mail alert for that order then
failed and was retried.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from access.roles import Role
from tests.unit.api.workorders_harness import ORDERS, OrdersApi, orders_api
from tests.unit.core.test_text import INVISIBLE, LINE_BREAKS

HOSTILE = [c for c in LINE_BREAKS + INVISIBLE if c != "\ud800"]  # a lone surrogate is not valid JSON text


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrdersApi]:
    with orders_api(tmp_path_factory.mktemp("titles")) as running:
        yield running


@pytest.mark.parametrize("char", HOSTILE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_title_that_is_not_one_line_is_refused_naming_the_character(api: OrdersApi, char: str) -> None:
    before = api.call(Role.STAFF, "GET", ORDERS)[1]["total"]

    status, body = api.call(Role.STAFF, "POST", ORDERS, {"category": "elevator", "title": f"电梯{char}困人"})

    assert status == 422
    [detail] = body["error"]["details"]
    assert detail["location"] == "body.title"
    assert detail["message"].startswith(f"must be one line of text: U+{ord(char):04X} (")
    assert detail["message"].endswith("at character 3 is not allowed; remove line breaks and control characters")
    assert api.call(Role.STAFF, "GET", ORDERS)[1]["total"] == before


def test_the_message_names_a_line_separator_in_words(api: OrdersApi) -> None:
    status, body = api.call(Role.STAFF, "POST", ORDERS, {"category": "other", "title": "Gate\u2028Bcc: x@evil"})
    assert (status, body["error"]["message"]) == (
        422,
        "body.title: must be one line of text: U+2028 (LINE SEPARATOR) at character 5 is not allowed; "
        "remove line breaks and control characters",
    )


@pytest.mark.parametrize("field", ["reporter", "unit_id", "building_id", "asset_id"])
def test_names_and_places_are_one_line_too(api: OrdersApi, field: str) -> None:
    status, body = api.call(Role.STAFF, "POST", ORDERS, {"category": "other", "title": "Gate", field: "B1\x85"})
    assert (status, body["error"]["details"][0]["location"]) == (422, f"body.{field}")


def test_a_dispatch_to_a_team_or_person_that_is_not_one_line_is_refused(api: OrdersApi) -> None:
    code = api.create()
    for body in ({"team": "night\u2029shift"}, {"assignee": "Wang\r\nX-Evil: 1"}):
        status, answer = api.act(code, "assign", Role.STAFF, body)
        assert status == 422 and "must be one line of text" in answer["error"]["message"]


def test_titles_in_any_script_with_emoji_are_fine(api: OrdersApi) -> None:
    status, body = api.call(Role.STAFF, "POST", ORDERS, {"category": "other", "title": "大门 🚪 Tür ‍👨‍🔧 باب"})
    assert (status, body["title"]) == (201, "大门 🚪 Tür ‍👨‍🔧 باب")
