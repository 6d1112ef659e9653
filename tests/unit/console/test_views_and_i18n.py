"""What the pages compute (next deadline, countdown, deadline order) and the words they need in both languages."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import console
from console.i18n import LANGS, WORDS, Words, pick_lang
from console.views import ACTIONS, NEEDS_NOTE, TARGETS, Due, by_deadline, countdown, next_due
from workorders.lifecycle import ACTIVE_STATES, Status
from workorders.links import LinkProblem
from workorders.queries import WorkOrderSummary
from workorders.values import AuditAction, Category, Deadlines, Priority, Satisfaction, SlaKind, Source

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DEADLINES = Deadlines(acknowledge_by=NOW + 5 * MINUTE, on_site_by=NOW + 30 * MINUTE, resolve_by=NOW + 24 * 60 * MINUTE)
ZH, EN = Words("zh-CN"), Words("en")
CONSOLE = Path(console.__file__).parent


def due_now(
    status: Status,
    *,
    deadlines: Deadlines = DEADLINES,
    acknowledged_at: datetime | None = None,
    arrived_at: datetime | None = None,
    resolved_at: datetime | None = None,
    now: datetime = NOW,
) -> Due | None:
    return next_due(
        deadlines,
        status=status,
        acknowledged_at=acknowledged_at,
        arrived_at=arrived_at,
        resolved_at=resolved_at,
        now=now,
    )


# --- next deadline ------------------------------------------------------------------------------------------


def test_the_next_step_follows_the_order_through_its_lifecycle() -> None:
    assert due_now(Status.OPEN) == Due(SlaKind.ACKNOWLEDGE, NOW + 5 * MINUTE, 300)
    assert due_now(Status.ACKNOWLEDGED, acknowledged_at=NOW + MINUTE) == Due(SlaKind.ON_SITE, NOW + 30 * MINUTE, 1800)
    on_site = due_now(Status.ON_SITE, acknowledged_at=NOW + MINUTE, arrived_at=NOW + 20 * MINUTE)
    assert on_site == Due(SlaKind.RESOLVE, NOW + 24 * 60 * MINUTE, 24 * 3600)


def test_a_step_without_a_target_is_skipped() -> None:
    entrapment = Deadlines(acknowledge_by=None, on_site_by=NOW + 10 * MINUTE, resolve_by=NOW + 120 * MINUTE)
    assert due_now(Status.OPEN, deadlines=entrapment) == Due(SlaKind.ON_SITE, NOW + 10 * MINUTE, 600)
    assert due_now(Status.OPEN, deadlines=Deadlines()) is None


def test_a_late_step_counts_negative_seconds() -> None:
    due = due_now(Status.OPEN, now=NOW + 8 * MINUTE + timedelta(seconds=5))
    assert due is not None
    assert (due.step, due.seconds_left, due.late) == (SlaKind.ACKNOWLEDGE, -185, True)
    # At the deadline itself the step is missed (Deadlines.missed: now >= due), so the page says overdue too.
    at_deadline = due_now(Status.OPEN, now=NOW + 5 * MINUTE)
    assert at_deadline is not None and (at_deadline.seconds_left, at_deadline.late) == (0, True)
    just_in_time = due_now(Status.OPEN, now=NOW + 5 * MINUTE - timedelta(seconds=1))
    assert just_in_time is not None and (just_in_time.seconds_left, just_in_time.late) == (1, False)


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.CANCELLED])
def test_nothing_is_due_once_the_order_is_done_or_withdrawn(status: Status) -> None:
    assert status not in ACTIVE_STATES
    assert due_now(status, now=NOW + 48 * 60 * MINUTE) is None


# --- countdown ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds_left", "zh", "en"),
    [
        (425, "剩余 7 分 05 秒", "7 min 05 s left"),
        (1, "剩余 0 分 01 秒", "0 min 01 s left"),
        (0, "已超时 0 分 00 秒", "0 min 00 s overdue"),
        (-185, "已超时 3 分 05 秒", "3 min 05 s overdue"),
        (3725, "剩余 1 小时 2 分 05 秒", "1 h 2 min 05 s left"),
        (-7200, "已超时 2 小时 0 分 00 秒", "2 h 0 min 00 s overdue"),
        (90_061, "剩余 1 天 1 小时 1 分", "1 d 1 h 1 min left"),
        (-2 * 86_400, "已超时 2 天 0 小时 0 分", "2 d 0 h 0 min overdue"),
    ],
)
def test_the_countdown_reads_in_both_languages(seconds_left: int, zh: str, en: str) -> None:
    due = Due(SlaKind.ACKNOWLEDGE, NOW, seconds_left)
    assert (countdown(due, ZH), countdown(due, EN)) == (zh, en)


def test_no_deadline_says_so() -> None:
    assert (countdown(None, ZH), countdown(None, EN)) == ("无时限", "No deadline")


# --- deadline order -----------------------------------------------------------------------------------------

_SUMMARY = WorkOrderSummary(
    id=uuid.UUID(int=0),
    code="WO-20261126-0000",
    site_id="lakeview",
    status=Status.OPEN,
    category=Category.ELEVATOR,
    priority=Priority.HIGH,
    source=Source.RULE,
    title="电梯振动超标",
    asset_id="B1-L1",
    rule_id="elevator-vibration-limit",
    building_id="B1",
    unit_id=None,
    reporter=None,
    assignee=None,
    team=None,
    reported_at=NOW,
    opened_at=NOW,
    acknowledged_at=None,
    arrived_at=None,
    resolved_at=None,
    closed_at=None,
    cancelled_at=None,
    updated_at=NOW,
    deadlines=Deadlines(),
    alarm_count=1,
    breached=(),
)


def summary(
    code: str, *, reported: timedelta = timedelta(0), ack_in: timedelta | None = None, **changes: object
) -> WorkOrderSummary:
    deadlines = Deadlines(acknowledge_by=NOW + ack_in) if ack_in is not None else Deadlines()
    return replace(_SUMMARY, code=code, reported_at=NOW + reported, deadlines=deadlines, **changes)  # type: ignore[arg-type]


def test_orders_sort_most_overdue_first_and_those_without_a_deadline_last() -> None:
    rows = [
        summary("no-deadline-new", reported=-MINUTE),
        summary("soon", ack_in=10 * MINUTE),
        summary("overdue-a-little", ack_in=-MINUTE),
        summary(
            "done", reported=-60 * MINUTE, ack_in=-60 * MINUTE, status=Status.RESOLVED
        ),  # done: its deadline no longer counts
        summary("overdue-most", ack_in=-30 * MINUTE),
        summary("later", ack_in=60 * MINUTE),
        summary("no-deadline-old", reported=-90 * MINUTE),
    ]

    ordered = [order.code for order in by_deadline(rows, NOW)]

    assert ordered == [
        "overdue-most", "overdue-a-little", "soon", "later", "no-deadline-old", "done", "no-deadline-new",
    ]  # fmt: skip


def test_a_step_already_done_gives_way_to_the_next_deadline() -> None:
    acknowledged = summary("acknowledged", ack_in=-30 * MINUTE, status=Status.ACKNOWLEDGED, acknowledged_at=NOW)
    acknowledged = replace(acknowledged, deadlines=Deadlines(NOW - 30 * MINUTE, NOW + 2 * 60 * MINUTE))
    waiting = summary("waiting", ack_in=60 * MINUTE)
    assert [o.code for o in by_deadline([acknowledged, waiting], NOW)] == ["waiting", "acknowledged"]


# --- words --------------------------------------------------------------------------------------------------

_LITERAL = re.compile(r"""\bw\.t\(\s*["']([A-Za-z0-9_]+)["']\s*[,)]""")
_PREFIXED = re.compile(r"""\bw\.t\(\s*["']([a-z_]+_)["']\s*~""")
_PAGE_TITLES = re.compile(r"""title_key=["']([a-z_]+)["']""")
_CODE_LITERAL = re.compile(r"""\b(?:words|w)\.t\(\s*["']([A-Za-z0-9_]+)["']\s*[,)]""")
# The keys the templates build as `w.t("<prefix>" ~ value)`, by prefix: every value the page may pass.
BUILT: dict[str, set[str]] = {
    "act_": set(ACTIONS.values()),
    "note_": set(NEEDS_NOTE),
    "done_": {*TARGETS, "comment", "follow_up", "register", "alarm_ack", "alarm_shelve", "mw"},  # after a POST
    "due_": {kind.value for kind in SlaKind},
    "audit_": {action.value for action in AuditAction},
    "alarm_": {"acknowledged"},  # the alarms page's handling steps
    "state_": {"moving", "stopped", "idle", "fault", "maintenance"},  # a car's state, shown raw when unknown
    "door_": {"open", "closed", "opening", "closing"},  # a car's door, shown raw when unknown
    "call_": {"duty_manager", "resident"},  # console/order_facts.py Call.role
}


def templates() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in (CONSOLE / "templates").glob("*.html")}


def template_keys() -> set[str]:
    return {key for text in templates().values() for key in _LITERAL.findall(text)}


def template_prefixes() -> set[str]:
    return {prefix for text in templates().values() for prefix in _PREFIXED.findall(text)}


def dynamic_keys() -> set[str]:
    """The keys the pages build from values: enum members, actions, outcomes, deadlines, refusals."""
    enums = {member.value for enum in (Status, Category, Priority, Source, Satisfaction) for member in enum}
    intake_fields = {"kind", "unit", "category", "description", "contact_name", "contact_phone"}
    return (
        enums
        | {prefix + value for prefix in template_prefixes() for value in BUILT.get(prefix, set())}
        | {f"link_{problem.value}" for problem in LinkProblem}
        | {"repair", "complaint"}  # the intake's kinds, shown by name
        | intake_fields  # console/intake.py names the field to correct
        | {"left", "overdue", "no_deadline", "minutes"}  # console/views.py
    )


def code_keys() -> set[str]:
    """Literal keys the Python modules of the console look up, and the titles of the message page."""
    keys: set[str] = set()
    for path in CONSOLE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys |= set(_CODE_LITERAL.findall(text)) | set(_PAGE_TITLES.findall(text))
    return keys


def test_the_templates_are_found_and_parsed() -> None:
    keys = template_keys()
    assert "sign_in" in keys and not any(key.endswith("_") for key in keys)
    assert len(keys) > 50
    assert {"act_", "done_", "due_", "note_"} <= template_prefixes()
    assert template_prefixes() <= set(BUILT), "a template builds keys with a prefix BUILT does not know"
    assert {"forbidden", "not_found", "link_refused", "threshold", "my_orders"} <= code_keys()


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_the_console_uses_has_a_word(lang: str) -> None:
    used = template_keys() | dynamic_keys() | code_keys()
    missing = sorted(key for key in used if key not in WORDS[lang])  # type: ignore[index]
    assert missing == []


def test_both_languages_have_the_same_keys() -> None:
    zh, en = set(WORDS["zh-CN"]), set(WORDS["en"])
    assert (sorted(zh - en), sorted(en - zh)) == ([], [])


def test_placeholders_agree_between_the_languages() -> None:
    def fields(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    differing = {key for key in WORDS["zh-CN"] if fields(WORDS["zh-CN"][key]) != fields(WORDS["en"].get(key, ""))}
    assert differing == set()


def test_words_fill_placeholders_and_show_unknown_keys_as_themselves() -> None:
    assert ZH.t("total", n=3) == "共 3 条"
    assert EN.t("done_register", code="WO-20261126-0001") == "Registered as WO-20261126-0001"
    assert EN.t("no_such_key") == "no_such_key"
    assert (ZH.other, EN.other) == ("en", "zh-CN")


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [(None, None, "zh-CN"), ("en", None, "en"), (None, "en", "en"), ("zh-CN", "en", "zh-CN"), ("fr", "xx", "zh-CN")],
)
def test_the_query_beats_the_cookie_and_unknown_languages_fall_back(
    query: str | None, cookie: str | None, expected: str
) -> None:
    assert pick_lang(query, cookie) == expected
