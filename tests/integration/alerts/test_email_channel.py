"""The e-mail channel against a real SMTP server (aiosmtpd in a thread), hostile titles and addresses included."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from alerts.channels.base import OutgoingMessage, PermanentFailure, TemporaryFailure
from alerts.channels.email import EmailChannel
from alerts.dispatcher import OutboxDispatcher
from core.clock import FakeClock
from tests.integration.alerts.conftest import Rig
from tests.support.services import free_port
from tests.unit.alerts.builders import LI, WANG, message
from tests.unit.core.test_text import INVISIBLE, LINE_BREAKS
from tests.unit.workorders.builders import T0
from workorders import service
from workorders.values import Category, Priority

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


# --- issue 17: header values and titles are one line, whatever the order's title holds ------------------------

HOSTILE = [c for c in LINE_BREAKS + INVISIBLE if c != "\ud800"]  # every line break and invisible control


def titled(title: str, *, key: str = "5f0c0ffee0ddf00d5f0c0ffee0ddf00d") -> OutgoingMessage:
    return dataclasses.replace(message(recipients=(WANG,)), title=title, key=key)


@pytest.mark.parametrize("char", HOSTILE, ids=lambda c: f"U+{ord(c):04X}")
def test_an_e_mail_subject_is_one_line_and_adds_no_header(smtp: tuple[Inbox, int], char: str) -> None:
    inbox, port = smtp

    channel(port).send(titled(f"【紧急】困人{char}Bcc: thief@evil.example{char}X-Evil: 1"))

    [(_, recipients, mail)] = inbox.received
    assert recipients == ["wang@example.com"]
    assert mail["Subject"] == "【紧急】困人 Bcc: thief@evil.example X-Evil: 1"
    assert mail["Bcc"] is None and mail["X-Evil"] is None
    assert sorted(mail.keys()) == ["Content-Transfer-Encoding", "Content-Type", "Date", "From", "MIME-Version",
                                   "Message-ID", "Subject", "To", "X-Idempotency-Key"]  # fmt: skip


def test_an_address_from_the_alerts_file_cannot_smuggle_a_header_either(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    sneaky = dataclasses.replace(WANG, email="wang@example.com\r\nBcc: thief@evil.example")
    channel(port).send(dataclasses.replace(titled("困人"), recipients=(sneaky,)))
    [(_, _, mail)] = inbox.received
    assert mail["Bcc"] is None


def test_an_order_whose_title_has_a_line_separator_is_mailed_once_and_delivered(
    rig: Rig, smtp: tuple[Inbox, int]
) -> None:
    """Issue 17 end to end: such an order (made before the API refused these titles) used to fail every try."""
    inbox, port = smtp
    service.create_resident_request(
        rig.uow(), site_id=rig.site_id, category=Category.ELEVATOR, priority=Priority.EMERGENCY,
        title="电梯困人\u2028Bcc: thief@evil.example", description="", reporter="resident", actor="clerk",
        clock=rig.clock,
    )  # fmt: skip
    mail_channel = channel(port, to=("duty@wuye.example.com",))
    channels = {"crew-hook": mail_channel, "app": rig.app}
    dispatcher = OutboxDispatcher(rig.sessions, channels, clock=rig.clock, sites=[rig.site_id])
    rig.dispatchers.append(dispatcher)

    assert dispatcher.deliver_due().delivered == 2
    [(_, recipients, mail)] = inbox.received
    assert (recipients, mail["Bcc"]) == (["duty@wuye.example.com"], None)
    assert mail["Subject"] == "【紧急】电梯困人 Bcc: thief@evil.example"
    [alert] = rig.rows(kind="alert")
    assert (alert.status, alert.attempts, alert.last_error) == ("delivered", 1, None)
