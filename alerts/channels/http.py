"""HTTP channels: a generic JSON webhook (HMAC-signed), the WeCom group robot and the DingTalk robot (markdown).

Every request carries the message's idempotency key in `Idempotency-Key`, so a peer that keeps it can drop
the repeat that follows a timeout. The robots ignore it (they have no such feature): a timeout there may
show a message twice, which is why the key's first 8 characters end each robot message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx

from alerts.channels.base import OutgoingMessage, PermanentFailure, TemporaryFailure
from core.clock import Clock
from core.text import one_line

# 408 timeout, 425 too early, 429 rate limited: worth another try, like any 5xx.
RETRYABLE_STATUS = frozenset({408, 425, 429})
WECOM_MAX_BYTES = 4096  # WeCom refuses longer markdown content
# Robot error codes that mean "later": WeCom 45009 and DingTalk 130101 rate limits, -1 system busy.
ROBOT_RETRY_CODES = frozenset({-1, 45009, 130101})


def webhook_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `timestamp.body`: the peer checks it and the timestamp's age."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's 加簽: Base64 of HMAC-SHA256(key=secret, message=timestamp + "\\n" + secret), before URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class _HttpChannel:
    def __init__(self, name: str, url: str, *, timeout_s: float, client: httpx.Client | None = None) -> None:
        self.name = name
        self.url = url
        self._client = client or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def _post(self, body: bytes, headers: dict[str, str], params: dict[str, str] | None = None) -> httpx.Response:
        # Header values on one line, whatever they hold: a line break there would split or add a header.
        headers = {"Content-Type": "application/json; charset=utf-8", **{k: one_line(v) for k, v in headers.items()}}
        # Merged by hand: httpx's `params=` would replace the URL's own query (DingTalk's access_token).
        url = httpx.URL(self.url).copy_merge_params(params) if params else httpx.URL(self.url)
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TemporaryFailure(f"{self.name}: no answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status >= 500 or status in RETRYABLE_STATUS:
            raise TemporaryFailure(f"{self.name}: HTTP {status} {response.text[:200]}")
        if status >= 400 and status != 409:  # 409: the peer already has this idempotency key
            raise PermanentFailure(f"{self.name}: HTTP {status} {response.text[:200]}")
        return response


class WebhookChannel(_HttpChannel):
    """POST `OutgoingMessage.document()` as JSON; signed with `signature_header` when a secret is set."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        clock: Clock,
        secret: str | None = None,
        signature_header: str = "X-Facilities-Signature",
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(name, url, timeout_s=timeout_s, client=client)
        self.clock = clock
        self.secret = secret.encode() if secret else None
        self.signature_header = signature_header

    def send(self, message: OutgoingMessage) -> None:
        body = _json(message.document())
        headers = {"Idempotency-Key": message.key}
        if self.secret is not None:
            timestamp = str(int(self.clock.now().timestamp()))
            headers["X-Facilities-Timestamp"] = timestamp
            headers[self.signature_header] = webhook_signature(self.secret, timestamp, body)
        self._post(body, headers)


class WeComChannel(_HttpChannel):
    """企業微信 group robot: markdown, mentioning the on-call members who have a WeCom userid."""

    def send(self, message: OutgoingMessage) -> None:
        mentions = " ".join(f"<@{one_line(r.wecom_id)}>" for r in message.recipients if r.wecom_id)
        # The title is the markdown's bold first line: on one line, or it would start lines of its own.
        content = _fit_bytes(f"**{one_line(message.title)}**\n{message.body}", WECOM_MAX_BYTES - 64)
        content += f'\n<font color="comment">#{message.key[:8]}</font>' + (f"\n{mentions}" if mentions else "")
        document = {"msgtype": "markdown", "markdown": {"content": content}}
        _robot_result(self.name, self._post(_json(document), {"Idempotency-Key": message.key}))


class DingTalkChannel(_HttpChannel):
    """釘釘 robot: markdown with @mentions by mobile number; signed (timestamp, sign) when a secret is set."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        clock: Clock,
        secret: str | None = None,
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(name, url, timeout_s=timeout_s, client=client)
        self.clock = clock
        self.secret = secret

    def send(self, message: OutgoingMessage) -> None:
        mobiles = [one_line(r.phone) for r in message.recipients if r.phone]
        title = one_line(message.title)  # the notification's title and the markdown heading: one line each
        # DingTalk notifies an @mobile only when the text itself contains it.
        lines = [f"#### {title}", *message.body.split("\n"), f"#{message.key[:8]}"]
        if mobiles:
            lines.append(" ".join(f"@{mobile}" for mobile in mobiles))
        document = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": "\n\n".join(lines)},
            "at": {"atMobiles": mobiles, "isAtAll": False},
        }
        params = None
        if self.secret:
            timestamp = str(int(self.clock.now().timestamp() * 1000))
            params = {"timestamp": timestamp, "sign": dingtalk_sign(self.secret, timestamp)}
        _robot_result(self.name, self._post(_json(document), {"Idempotency-Key": message.key}, params))


def _robot_result(name: str, response: httpx.Response) -> None:
    """Robots answer HTTP 200 with `errcode`; 0 is success."""
    try:
        answer: Any = response.json()
    except ValueError:
        raise TemporaryFailure(f"{name}: not a JSON answer: {response.text[:200]}") from None
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code == 0:
        return
    failure = TemporaryFailure if code in ROBOT_RETRY_CODES else PermanentFailure
    raise failure(f"{name}: errcode {code}: {answer.get('errmsg', '')}")


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _fit_bytes(text: str, limit: int) -> str:
    encoded = text.encode()
    return text if len(encoded) <= limit else encoded[: limit - 3].decode(errors="ignore") + "…"
