"""The push to the fee module over real HTTP to a local server: retries, backoff, idempotency key.

Waits between attempts go to an injected `sleep` that records them, so nothing here waits.
"""

from __future__ import annotations

import dataclasses

from billing.config import WebhookSettings
from billing.webhook import WebhookPusher, idempotency_key
from tests.unit.billing.fee_module import FeeModule, running
from tests.unit.billing.test_exports import STATEMENT

SETTINGS = WebhookSettings(max_attempts=4, backoff_initial_ms=500, backoff_max_ms=1500)
STATEMENT_OK = dataclasses.replace(STATEMENT, lines=STATEMENT.lines[:1])


def pusher(url: str, waits: list[float]) -> WebhookPusher:
    return WebhookPusher(url, token="s3cret", settings=SETTINGS, sleep=waits.append)


def test_server_errors_are_retried_with_backoff_and_the_same_key() -> None:
    waits: list[float] = []
    with running(FeeModule(script=[503, 500, 502])) as fee:
        result = pusher(fee.url, waits).push(STATEMENT_OK)
    # 4 attempts; waits 0.5, 1.0, then 2.0 capped at 1.5
    assert (result.delivered, result.attempts, result.status_code) == (True, 4, 200)
    assert waits == [0.5, 1.0, 1.5]
    keys = {headers["Idempotency-Key"] for headers, _ in fee.requests}
    assert keys == {idempotency_key(STATEMENT_OK)} == {f"{STATEMENT_OK.id}:{STATEMENT_OK.fingerprint[:16]}"}
    headers, body = fee.requests[-1]
    assert headers["Authorization"] == "Bearer s3cret"
    assert body["type"] == "billing.statement"
    assert body["statement"]["total"] == "100.30" and body["statement"]["fingerprint"] == STATEMENT_OK.fingerprint


def test_a_refusal_is_not_retried() -> None:
    waits: list[float] = []
    with running(FeeModule(script=[422])) as fee:
        result = pusher(fee.url, waits).push(STATEMENT_OK)
    assert (result.delivered, result.attempts, result.status_code, waits) == (False, 1, 422, [])
    assert result.error is not None and result.error.startswith("HTTP 422")


def test_retry_after_is_honoured_up_to_the_maximum() -> None:
    waits: list[float] = []
    with running(FeeModule(script=[429], retry_after="1")) as fee:
        result = pusher(fee.url, waits).push(STATEMENT_OK)
    assert (result.delivered, result.attempts, waits) == (True, 2, [1.0])


def test_an_unreachable_fee_module_is_tried_max_attempts_times() -> None:
    waits: list[float] = []
    with running(FeeModule()) as fee:
        url = fee.url  # the server is gone after the block: connections are refused
    result = pusher(url, waits).push(STATEMENT_OK)
    assert (result.delivered, result.attempts, result.status_code) == (False, 4, None)
    assert result.error is not None and result.error.startswith("ConnectError")
    assert waits == [0.5, 1.0, 1.5]
