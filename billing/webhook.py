"""Pushing final statements to the fee module: an HTTP POST per statement, retried, with an idempotency key.

The key is the statement id plus its content fingerprint, so however often a push is retried (a timeout
after the peer committed, a crash before we recorded the delivery) the fee module can tell it already has
this exact statement. A confirmed delivery is recorded, and later pushes skip it.

Transport errors, 5xx, 408 and 429 are retried with exponential backoff (a `Retry-After` in seconds is
honoured up to the backoff maximum); any other 4xx means the fee module refuses the statement and is not
retried. `sleep` is injected so tests do not wait.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session, sessionmaker

from billing.config import WebhookSettings
from billing.repository import StatementRepository
from billing.statements import Statement
from core.clock import Clock

log = logging.getLogger(__name__)
_RETRIED_STATUS = frozenset({408, 429})


@dataclass(frozen=True)
class DeliveryResult:
    """How the push of one statement went."""

    statement_id: uuid.UUID
    delivered: bool
    attempts: int = 0
    status_code: int | None = None
    error: str | None = None
    already_delivered: bool = False


def idempotency_key(statement: Statement) -> str:
    """Stable for a statement's content: `<id>:<first 16 hex digits of the fingerprint>`."""
    return f"{statement.id}:{statement.fingerprint[:16]}"


class WebhookPusher:
    """POSTs statements to one URL (`Authorization: Bearer <token>` when a token is given)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        settings: WebhookSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")) or len(url) > 200:
            raise ValueError(f"webhook URL {url!r} must be http(s) and at most 200 characters")
        self.url = url
        self.settings = settings or WebhookSettings()
        self._sleep = sleep
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(timeout=self.settings.timeout_s, headers=headers, transport=transport)

    def close(self) -> None:
        self._http.close()

    def push(self, statement: Statement) -> DeliveryResult:
        """Deliver one statement, retrying per the settings; never raises for HTTP trouble."""
        key = idempotency_key(statement)
        body = json.dumps({"type": "billing.statement", "statement": statement.to_dict()}, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        error, status = "", None
        for attempt in range(1, self.settings.max_attempts + 1):
            wait = self._backoff(attempt)
            try:
                response = self._http.post(self.url, content=body.encode(), headers=headers)
            except httpx.TransportError as exc:
                error, status = f"{type(exc).__name__}: {exc}", None
            else:
                status = response.status_code
                if response.is_success:
                    return DeliveryResult(statement.id, True, attempt, status)
                error = f"HTTP {status}: {response.text[:200]}"
                if status < 500 and status not in _RETRIED_STATUS:
                    log.error("fee module refused %s: %s", statement.label, error)
                    return DeliveryResult(statement.id, False, attempt, status, error)
                wait = max(wait, self._retry_after(response))
            if attempt < self.settings.max_attempts:
                log.warning("push of %s failed (%s); retry %d in %.1f s", statement.label, error, attempt, wait)
                self._sleep(wait)
        return DeliveryResult(statement.id, False, self.settings.max_attempts, status, error)

    def _backoff(self, attempt: int) -> float:
        millis = min(self.settings.backoff_initial_ms << (attempt - 1), self.settings.backoff_max_ms)
        return millis / 1000

    def _retry_after(self, response: httpx.Response) -> float:
        value = str(response.headers.get("Retry-After", ""))
        if not value.isdigit():
            return 0.0
        return min(float(value), self.settings.backoff_max_ms / 1000)


def push_statements(
    session_factory: sessionmaker[Session],
    pusher: WebhookPusher,
    statements: Sequence[Statement],
    *,
    clock: Clock,
) -> list[DeliveryResult]:
    """Push the final statements not yet confirmed by this URL; drafts are never pushed."""
    results = []
    for statement in statements:
        if not statement.is_final:
            continue
        with session_factory() as session:
            if StatementRepository(session).delivered(statement.id, pusher.url):
                results.append(DeliveryResult(statement.id, True, already_delivered=True))
                continue
        result = pusher.push(statement)
        if result.delivered and result.status_code is not None:
            with session_factory.begin() as session:
                StatementRepository(session).record_delivery(
                    statement.id,
                    pusher.url,
                    key=idempotency_key(statement),
                    at=clock.now(),
                    attempts=result.attempts,
                    status_code=result.status_code,
                )
        results.append(result)
    return results
