"""The cluster tables on the shared `Base`: the replicas that are running and the lease each site is run under.

`storage/migrations/versions/0017_site_leases.py` creates exactly these (tests/integration/cluster/test_schema.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base
from storage.sql_types import UtcDateTime

TABLES = frozenset({"replicas", "site_leases"})


class ReplicaRow(Base):
    """A `facilities run` process sharing the database; alive while its heartbeat is younger than the lease ttl."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    url: Mapped[str] = mapped_column(Text)  # where its API is reachable, so another replica can redirect to it
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SiteLeaseRow(Base):
    """Who runs a site until when. The row outlives its owners so the epoch only ever grows (a fencing token)."""

    __tablename__ = "site_leases"
    __table_args__ = (Index("ix_site_leases_owner", "owner"),)

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(Text)
    epoch: Mapped[int] = mapped_column(BigInteger)  # +1 on every new tenure
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
