"""Webhook, WeCom and DingTalk channels against a local HTTP peer: the exact JSON, the signatures, the errors."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import Iterator

import pytest

from alerts.channels.base import OutgoingMessage, PermanentFailure, TemporaryFailure
from alerts.channels.http import DingTalkChannel, WebhookChannel, WeComChannel
from core.clock import FakeClock
from tests.integration.alerts.peers import HttpPeer, Reply, http_peer
from tests.unit.alerts.builders import WANG, message
from tests.unit.workorders.builders import T0

KEY = "5f0c0ffee0ddf00d5f0c0ffee0ddf00d"
BODY = (
    "工单 WO-20261126-0001 · 湖景花园 1栋 电梯 1号梯\n"
    "报警 11-26 16:00 · 紧急 (critical)\n"
    "证据 state=stopped, door=closed, alarm_button=True, floor=3\n"
    "时限 11-26 16:10 前到场（10 分钟）\n"
    "详情 https://wuye.example.com/workorders/WO-20261126-0001"
)


@pytest.fixture
def peer() -> Iterator[HttpPeer]:
    with http_peer() as peer:
        yield peer


def test_wecom_gets_markdown_with_mentions(peer: HttpPeer) -> None:
    channel = WeComChannel("wecom", f"{peer.url}/cgi-bin/webhook/send?key=robot-key", timeout_s=2)
    channel.send(message())
    [request] = peer.requests
    assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": ["robot-key"]})
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {
            "content": f'**【紧急】困人 · B1-L1**\n{BODY}\n<font color="comment">#5f0c0ffe</font>\n<@WangWei>'
        },
    }


def test_dingtalk_signs_the_request_as_dingtalk_documents(peer: HttpPeer) -> None:
    clock = FakeClock(T0)
    channel = DingTalkChannel("ding", f"{peer.url}/robot/send?access_token=tok", clock=clock, secret="SECabc123")
    channel.send(message())
    [request] = peer.requests
    timestamp = str(int(T0.timestamp() * 1000))  # milliseconds
    assert request.query["access_token"] == ["tok"]
    assert request.query["timestamp"] == [timestamp]
    # Checked independently: HMAC-SHA256 keyed with the secret over "timestamp\nsecret", Base64, URL-encoded.
    digest = hmac.new(b"SECabc123", f"{timestamp}\nSECabc123".encode(), hashlib.sha256).digest()
    assert request.query["sign"] == [base64.b64encode(digest).decode()]  # parse_qs undid the URL encoding
    lines = ["#### 【紧急】困人 · B1-L1", *BODY.split("\n"), "#5f0c0ffe", "@13800000001 @13800000002"]
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"title": "【紧急】困人 · B1-L1", "text": "\n\n".join(lines)},
        "at": {"atMobiles": ["13800000001", "13800000002"], "isAtAll": False},
    }


def test_dingtalk_without_a_secret_is_not_signed(peer: HttpPeer) -> None:
    DingTalkChannel("ding", f"{peer.url}/robot/send?access_token=tok", clock=FakeClock(T0)).send(message())
    assert set(peer.requests[0].query) == {"access_token"}


def test_the_webhook_posts_the_document_with_its_key(peer: HttpPeer) -> None:
    channel = WebhookChannel("sms", f"{peer.url}/send", clock=FakeClock(T0))
    channel.send(message(personal=True))
    [request] = peer.requests
    assert request.headers["Idempotency-Key"] == KEY
    assert "X-Facilities-Signature" not in request.headers
    document = request.json()
    assert {k: document[k] for k in ("idempotency_key", "kind", "site_id", "team", "level", "title", "text")} == {
        "idempotency_key": KEY,
        "kind": "alert",
        "site_id": "lakeview",
        "team": "elevator-crew",
        "level": 0,
        "title": "【紧急】困人 · B1-L1",
        "text": BODY,
    }
    assert document["work_order"]["code"] == "WO-20261126-0001"
    assert document["recipients"][0] == {"id": "wang", "name": "王师傅", "phone": "13800000001",
                                         "email": "wang@example.com", "link": ""}  # fmt: skip
    assert document["facts"]["deadline"] == {"step": "on_site", "due_at": "2026-11-26T08:10:00+00:00", "within_min": 10}


@pytest.mark.parametrize(
    ("reply", "failure", "text"),
    [
        (Reply(body={"errcode": 45009, "errmsg": "api freq out of limit"}), TemporaryFailure, "errcode 45009"),
        (Reply(body={"errcode": 130101, "errmsg": "send too fast"}), TemporaryFailure, "errcode 130101"),
        (Reply(body={"errcode": 310000, "errmsg": "sign not match"}), PermanentFailure, "sign not match"),
        (Reply(status=429), TemporaryFailure, "HTTP 429"),
        (Reply(status=404), PermanentFailure, "HTTP 404"),
    ],
)
def test_robot_answers_are_sorted_into_retry_or_give_up(
    peer: HttpPeer, reply: Reply, failure: type[Exception], text: str
) -> None:
    peer.replies.append(reply)
    channel = DingTalkChannel("ding", f"{peer.url}/robot/send?access_token=tok", clock=FakeClock(T0))
    with pytest.raises(failure, match=text):
        channel.send(message())


def test_a_peer_that_is_not_there_is_a_temporary_failure(peer: HttpPeer) -> None:
    url = peer.url
    peer.server.shutdown()
    peer.server.server_close()
    with pytest.raises(TemporaryFailure, match="ConnectError"):
        WebhookChannel("sms", f"{url}/send", clock=FakeClock(T0), timeout_s=1).send(message())


def test_a_duplicate_answer_counts_as_delivered(peer: HttpPeer) -> None:
    peer.replies.append(Reply(status=409, body={"error": "duplicate idempotency key"}))
    WebhookChannel("sms", f"{peer.url}/send", clock=FakeClock(T0)).send(message())


# --- issue 17: header values and titles are one line, whatever the order's title holds ------------------------


def titled(title: str, *, key: str = "5f0c0ffee0ddf00d5f0c0ffee0ddf00d") -> OutgoingMessage:
    return dataclasses.replace(message(recipients=(WANG,)), title=title, key=key)


@pytest.mark.parametrize("char", ["\n", "\u2028", "\x85", "\r"], ids=lambda c: f"U+{ord(c):04X}")
def test_robot_titles_are_one_line(peer: HttpPeer, char: str) -> None:
    WeComChannel("wecom", f"{peer.url}/wecom", timeout_s=2).send(titled(f"困人{char}## 伪造标题"))
    DingTalkChannel("ding", f"{peer.url}/ding", clock=FakeClock(T0)).send(titled(f"困人{char}## 伪造标题"))

    wecom, ding = (request.json() for request in peer.requests)
    assert wecom["markdown"]["content"].split("\n", 1)[0] == "**困人 ## 伪造标题**"
    assert ding["markdown"]["title"] == "困人 ## 伪造标题"
    assert ding["markdown"]["text"].split("\n\n", 1)[0] == "#### 困人 ## 伪造标题"


def test_http_header_values_are_one_line(peer: HttpPeer) -> None:
    channel = WebhookChannel("hook", f"{peer.url}/hook", clock=FakeClock(T0), secret="s3cret")
    channel.send(titled("困人", key="k1\r\nX-Evil: 1"))
    [request] = peer.requests
    assert request.headers["Idempotency-Key"] == "k1 X-Evil: 1"
    assert "X-Evil" not in request.headers
