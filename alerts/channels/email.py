"""E-mail through an SMTP server (stdlib smtplib): implicit TLS (465), STARTTLS (587) or plain (a local relay).

The Message-ID is made from the idempotency key, so a repeat after a lost answer is the same message to
mail clients and servers that drop duplicates by Message-ID.
"""

from __future__ import annotations

import email.errors
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

from alerts.channels.base import OutgoingMessage, PermanentFailure, TemporaryFailure
from core.clock import Clock
from core.text import one_line

log = logging.getLogger(__name__)


class EmailChannel:
    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        sender: str,
        clock: Clock,
        security: Literal["ssl", "starttls", "none"] = "ssl",
        username: str | None = None,
        password: str | None = None,
        to: tuple[str, ...] = (),
        timeout_s: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.name = name
        self.host, self.port, self.security = host, port, security
        self.sender, self.to = sender, to
        self.username, self.password = username, password
        self.clock = clock
        self.timeout_s = timeout_s
        self.tls_context = tls_context or ssl.create_default_context()

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail for a message: to the channel's `to`, else to the recipients' addresses.

        Every header value is put on one line first (`core.text.one_line`): a title with a line separator
        (CR, LF, NEL, U+2028 …) must neither add a header nor make the mail impossible to write. A message
        that still cannot be written is a `PermanentFailure` naming why: trying again would fail the same way.
        """
        addresses = [one_line(a) for a in self.to] or [one_line(r.email) for r in message.recipients if r.email]
        addresses = [address for address in addresses if address]
        if not addresses:
            raise PermanentFailure(f"{self.name}: no e-mail address for {message.team or 'this message'}")
        mail = EmailMessage()
        try:
            mail["Subject"] = one_line(message.title)
            mail["From"] = one_line(self.sender)
            mail["To"] = ", ".join(addresses)
            mail["Date"] = format_datetime(self.clock.now())
            mail["Message-ID"] = f"<{one_line(message.key)}@facilities.alerts>"
            mail["X-Idempotency-Key"] = one_line(message.key)
            mail.set_content(message.body)
            mail.as_bytes()  # headers are checked and folded when written: fail here, not inside smtplib
        except (ValueError, TypeError, LookupError, email.errors.MessageError) as exc:
            raise PermanentFailure(f"{self.name}: the alert cannot be written as an e-mail: {exc}") from exc
        return mail

    def send(self, message: OutgoingMessage) -> None:
        mail = self.compose(message)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail)
            if refused:  # some got it: the message counts as sent, the rest is for a person to fix
                log.warning("%s: %s refused %s", self.name, message.key, refused)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(f"{self.name}: the SMTP server refused the login: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx: the server will refuse this again; 4xx: try later.
            failure = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
            raise failure(f"{self.name}: SMTP {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _reason in exc.recipients.values()]
            failure = PermanentFailure if all(code >= 500 for code in codes) else TemporaryFailure
            raise failure(f"{self.name}: every recipient was refused: {exc.recipients}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"{self.name}: {type(exc).__name__}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=self.tls_context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self.tls_context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def close(self) -> None:
        """A connection per message: nothing is kept open."""
