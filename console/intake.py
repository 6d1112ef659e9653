"""The service centre's intake (報修登記): a resident's repair request or complaint becomes a work order.

The order, the intake details (contact, preferred time) and the form's nonce are written in one transaction,
so a double tap registers one order, and the order's alert goes out through the outbox like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from console.i18n import Words
from console.orm import ConsoleSubmission, ResidentRequestRow
from core.clock import Clock
from core.site import Site
from core.text import describe, first_refused, one_line
from workorders.service import OrderRef, ResidentRequest, open_request
from workorders.sla import SlaTable
from workorders.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork, run_in_transaction
from workorders.values import Category, Priority, Source

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
MAX_DESCRIPTION = 2000


class IntakeError(ValueError):
    """A field of the form to correct; the message names it."""


def _refuse_controls(name: str, text: str, bad: Callable[[str, str], IntakeError]) -> None:
    """A control, format or line-separator character (U+2028 …) in `text` is an error naming it."""
    found = first_refused(text)
    if found is not None:
        raise bad(name, describe(found[1]))


@dataclass(frozen=True)
class RequestForm:
    kind: str  # repair | complaint
    unit_id: str
    building_id: str | None
    category: Category
    priority: Priority
    description: str
    contact_name: str
    contact_phone: str
    preferred_time: str

    @classmethod
    def parse(cls, values: Mapping[str, str], *, site: Site, words: Words) -> RequestForm:
        """The checked form; `IntakeError` names the first field to correct, in the page's language."""

        def field(name: str) -> str:
            return values.get(name, "").strip()

        def bad(name: str, why: str) -> IntakeError:
            return IntakeError(f"{words.t(name)}: {why}")

        kind = field("kind")
        if kind not in {"repair", "complaint"}:
            raise bad("kind", kind or "—")
        unit_id = field("unit")
        unit = site.units.get(unit_id)
        if unit is None:
            raise bad("unit", f"{unit_id or '—'} ?")
        try:
            category, priority = Category(field("category")), Priority(field("priority") or "normal")
        except ValueError:
            raise bad("category", field("category") or "—") from None
        description = field("description")
        if not description or len(description) > MAX_DESCRIPTION:
            raise bad("description", f"1-{MAX_DESCRIPTION}")
        # Its first line becomes the order's title (an alert's e-mail subject): plain line breaks only.
        _refuse_controls("description", description.replace("\r\n", "\n").replace("\n", "").replace("\t", " "), bad)
        name, phone = field("contact_name"), field("contact_phone")
        if not name or len(name) > 100:
            raise bad("contact_name", "1-100")
        _refuse_controls("contact_name", name, bad)
        if not _PHONE.fullmatch(phone):
            raise bad("contact_phone", phone or "—")
        preferred = field("preferred_time")[:100]
        _refuse_controls("preferred_time", preferred, bad)
        return cls(kind, unit_id, unit.building, category, priority, description, name, phone, preferred)

    def title(self, words: Words) -> str:
        first_line = one_line(self.description.splitlines()[0])
        return f"{words.t(self.kind)} · {self.unit_id} · {first_line[:40]}"

    def as_request(self, *, site_id: str, actor: str, words: Words) -> ResidentRequest:
        return ResidentRequest(
            site_id=site_id,
            category=self.category,
            priority=self.priority,
            title=self.title(words),
            description=self.description,
            reporter=f"{self.contact_name} {self.contact_phone}",
            actor=actor,
            building_id=self.building_id,
            unit_id=self.unit_id,
            source=Source.RESIDENT_REQUEST,
        )

    def details(self, ref: OrderRef, *, site_id: str, taken_by: str, now: datetime) -> ResidentRequestRow:
        """What the order itself has no place for: the kind, the contact and when the resident is home."""
        return ResidentRequestRow(
            work_order_id=ref.order_id,
            site_id=site_id,
            code=ref.code,
            kind=self.kind,
            unit_id=self.unit_id,
            contact_name=self.contact_name,
            contact_phone=self.contact_phone,
            preferred_time=self.preferred_time,
            taken_by=taken_by,
            created_at=now,
        )


def register_request(
    uow: UnitOfWork,
    form: RequestForm,
    *,
    site_id: str,
    nonce: str,
    actor: str,
    clock: Clock,
    sla: SlaTable,
    zone: tzinfo,
) -> str:
    """Open the order (once per nonce) and keep the intake details beside it; returns the order's code."""
    if not isinstance(uow, SqlAlchemyUnitOfWork):
        raise TypeError("the intake writes its details in the work orders' own database transaction")
    words = Words("zh-CN")  # the stored title is in the site's working language, whatever the page showed

    def work() -> str:
        session = uow.session
        earlier = session.get(ConsoleSubmission, nonce)
        if earlier is not None:  # the same form again: the first POST registered it
            return earlier.redirect_to
        ref = open_request(
            uow, form.as_request(site_id=site_id, actor=actor, words=words), clock=clock, sla=sla, tz=zone
        )
        now = clock.now()
        session.add(form.details(ref, site_id=site_id, taken_by=actor, now=now))
        session.add(ConsoleSubmission(nonce=nonce, action="register", redirect_to=ref.code, created_at=now))
        return ref.code

    return run_in_transaction(uow, work)
