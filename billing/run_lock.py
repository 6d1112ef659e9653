"""One billing run (or finalisation) per site and period at a time, held by the database for one transaction.

Two `billing run`s of the same month used to race: both found no statement, both inserted, and the second
died on the unique key (site, unit, period, kind, sequence). Now the write transaction first takes a lock on
(site, period): PostgreSQL an advisory transaction lock, SQLite its database write lock. The second run waits
for the first to commit, then reconciles against what the first stored (its drafts come out `unchanged`);
if the wait runs out it stops with `BillingBusy`, one sentence the CLI prints as it is.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from billing.calculate import BillingError
from billing.orm import StatementRow
from billing.periods import BillingPeriod

DEFAULT_WAIT = timedelta(minutes=5)
# pgcode of lock_not_available: the lock_timeout ran out.
_LOCK_NOT_AVAILABLE = "55P03"


class BillingBusy(BillingError):
    """Another billing run or finalisation of the same site and period holds the lock."""


def lock_period(session: Session, site_id: str, period: BillingPeriod, *, wait: timedelta = DEFAULT_WAIT) -> None:
    """Take the (site, period) lock for the rest of `session`'s transaction, waiting at most `wait`."""
    busy = (
        f"another billing run or finalisation of site {site_id} for {period} is still in progress "
        f"(waited {wait.total_seconds():g} s); run it again when that one has finished"
    )
    if session.get_bind().dialect.name == "postgresql":
        milliseconds = max(1, int(wait.total_seconds() * 1000))
        key = zlib.crc32(f"billing:{site_id}".encode()) - 2**31  # advisory keys are signed int4 pairs
        try:
            session.execute(sa.text(f"SET LOCAL lock_timeout = {milliseconds}"))
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(key, period.year * 100 + period.month)))
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise BillingBusy(busy) from None
            raise
        return
    # SQLite: a write statement that matches nothing still takes the database write lock, held until commit;
    # a second writer waits for the connection's busy timeout.
    try:
        session.execute(sa.delete(StatementRow).where(sa.false()))
    except OperationalError as exc:
        if "locked" in str(exc.orig):
            raise BillingBusy(busy) from None
        raise
