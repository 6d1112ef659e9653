"""The e-mail channel against a real SMTP server (aiosmtpd in a thread)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from alerts.channels.base import PermanentFailure, TemporaryFailure
from alerts.channels.email import EmailChannel
from core.clock import FakeClock
from tests.support.services import free_port
from tests.unit.alerts.builders import LI, WANG, message
from tests.unit.workorders.builders import T0

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - the dev extra brings it
    if os.environ.get("CI"):
        raise
    pytest.skip("aiosmtpd is not installed (pip install aiosmtpd)", allow_module_level=True)


class Inbox:
    """An aiosmtpd handler that keeps every message, refusing the addresses a test names."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def channel(port: int, **options: Any) -> EmailChannel:
    return EmailChannel(
        "mail", host="127.0.0.1", port=port, security="none", sender="物业告警 <alerts@wuye.example.com>",
        clock=FakeClock(T0), timeout_s=5, **options,
    )  # fmt: skip


def test_the_alert_arrives_as_a_plain_text_mail_keyed_by_its_idempotency_key(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    channel(port).send(message(recipients=(WANG, LI)))
    [(sender, recipients, mail)] = inbox.received
    assert (sender, recipients) == ("alerts@wuye.example.com", ["wang@example.com"])  # Li has no address
    assert mail["Subject"] == "【紧急】困人 · B1-L1"
    assert mail["Message-ID"] == "<5f0c0ffee0ddf00d5f0c0ffee0ddf00d@facilities.alerts>"
    assert mail["X-Idempotency-Key"] == "5f0c0ffee0ddf00d5f0c0ffee0ddf00d"
    assert mail["Date"] == "Thu, 26 Nov 2026 08:00:00 +0000"
    body = mail.get_content()
    assert body.splitlines()[0] == "工单 WO-20261126-0001 · 湖景花园 1栋 电梯 1号梯"
    assert "时限 11-26 16:10 前到场（10 分钟）" in body


def test_a_group_mailbox_overrides_the_members_addresses(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    channel(port, to=("duty@wuye.example.com", "boss@wuye.example.com")).send(message())
    assert inbox.received[0][1] == ["duty@wuye.example.com", "boss@wuye.example.com"]


def test_refusals_are_sorted_into_retry_or_give_up(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    inbox.refuse["wang@example.com"] = "550 5.1.1 no such mailbox"
    with pytest.raises(PermanentFailure, match="refused"):
        channel(port).send(message())
    inbox.refuse["wang@example.com"] = "451 4.3.0 try again later"
    with pytest.raises(TemporaryFailure, match="refused"):
        channel(port).send(message())
    with pytest.raises(PermanentFailure, match="no e-mail address"):
        channel(port).send(message(recipients=(LI,)))


def test_a_server_that_is_not_there_is_a_temporary_failure() -> None:
    with pytest.raises(TemporaryFailure, match="ConnectionRefusedError"):
        channel(free_port()).send(message())
