"""Outbox retention: only the site's finished messages and stopped clocks older than the cut-off go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from alerts.orm import EscalationRow, OutboxRow
from alerts.retention import prune_outbox
from tests.integration.alerts.conftest import Rig
from tests.unit.workorders.builders import T0

pytestmark = pytest.mark.integration
DAY = timedelta(days=1)


@pytest.mark.parametrize(("status", "goes"), [("delivered", True), ("failed", True), ("superseded", True),
                                              ("pending", False), ("sending", False)])  # fmt: skip
def test_finished_messages_older_than_the_cut_off_are_deleted_and_nothing_else(
    rig: Rig, status: str, goes: bool
) -> None:
    rig.open_entrapment()  # the crew's alert, a state message, and an escalation clock
    first, *others = [row.id for row in rig.rows()]
    with rig.sessions() as session, session.begin():
        session.execute(update(OutboxRow).where(OutboxRow.id == first).values(status=status))
        session.execute(update(OutboxRow).where(OutboxRow.id.in_(others)).values(status="pending"))
        session.execute(update(EscalationRow).where(EscalationRow.site_id == rig.site_id).values(stopped_at=T0))

    with rig.sessions() as session, session.begin():
        assert prune_outbox(session, site_id=rig.site_id, older_than=T0) == 0  # made at T0: not older than it
        assert prune_outbox(session, site_id="another-site", older_than=T0 + 400 * DAY) == 0
    with rig.sessions() as session, session.begin():
        pruned = prune_outbox(session, site_id=rig.site_id, older_than=T0 + DAY)

    assert pruned == int(goes) + 1  # and the stopped escalation clock
    assert [row.id for row in rig.rows()] == ([] if goes else [first]) + others
    with rig.sessions() as session:
        assert session.scalars(select(EscalationRow).where(EscalationRow.site_id == rig.site_id)).all() == []


def test_a_running_escalation_clock_stays_however_old(rig: Rig) -> None:
    rig.open_entrapment()
    with rig.sessions() as session, session.begin():
        assert prune_outbox(session, site_id=rig.site_id, older_than=T0 + 400 * DAY) == 0  # all pending
    with rig.sessions() as session:
        assert len(session.scalars(select(EscalationRow).where(EscalationRow.site_id == rig.site_id)).all()) == 1
