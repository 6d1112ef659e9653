"""Persistence of per-(rule, asset) state and open alarms (SQLAlchemy 2.x; SQLite and PostgreSQL).

One row per watched (rule, asset) of a site: its status, the open alarm if any, and the evaluator's memory.
The engine writes a row when its status changes and at checkpoints, and reads its site's rows back on
start. Rows are keyed by site so hubs sharing one database never touch each other's alarms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, DateTime, Engine, String, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base


class RuleStateRow(Base):
    """One (rule, asset) monitor's state; migration branch `rules` (storage/migrations/versions/0004_rules.py)."""

    __tablename__ = "rule_state"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    raised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    alarm_id: Mapped[str | None] = mapped_column(String(200))
    message_key: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    memory: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StoredState:
    """One (rule, asset) as stored; times are aware UTC datetimes."""

    rule_id: str
    asset_id: str
    status: str
    severity: str
    updated_at: datetime
    since: datetime | None = None
    fire_at: datetime | None = None
    raised_at: datetime | None = None
    cleared_at: datetime | None = None
    alarm_id: str | None = None
    message_key: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    last_ts: datetime | None = None


class RuleStateStore(Protocol):
    def load_all(self) -> list[StoredState]:
        """Every stored (rule, asset) state."""

    def save(self, states: Sequence[StoredState]) -> None:
        """Insert or replace these states in one transaction."""

    def delete(self, keys: Sequence[tuple[str, str]]) -> None:
        """Forget these (rule id, asset id) pairs."""


_TIMES = ("since", "fire_at", "raised_at", "cleared_at", "last_ts", "updated_at")
_COLUMNS = tuple(column.name for column in RuleStateRow.__table__.columns)
_KEY = ("site_id", "rule_id", "asset_id")


def create_schema(engine: Engine) -> None:
    """Create the rules table directly, for tests; the service runs the Alembic migrations instead."""
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[RuleStateRow.__tablename__]])


class SqlRuleStateStore:
    """One site's rule state on any SQLAlchemy engine; upserts natively on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine, site_id: str) -> None:
        self.engine = engine
        self.site_id = site_id

    def load_all(self) -> list[StoredState]:
        query = select(RuleStateRow).where(RuleStateRow.site_id == self.site_id)
        with Session(self.engine) as session:
            return [_from_row(row) for row in session.scalars(query).all()]

    def open_alarms(self) -> list[StoredState]:
        """The site's firing alarms, oldest first (for `facilities alarms list` and the API)."""
        query = (
            select(RuleStateRow)
            .where(RuleStateRow.site_id == self.site_id, RuleStateRow.status == "firing")
            .order_by(RuleStateRow.raised_at, RuleStateRow.rule_id, RuleStateRow.asset_id)
        )
        with Session(self.engine) as session:
            return [_from_row(row) for row in session.scalars(query).all()]

    def save(self, states: Sequence[StoredState]) -> None:
        if not states:
            return
        values = [_to_values(state) | {"site_id": self.site_id} for state in states]
        dialect = self.engine.dialect.name
        with Session(self.engine) as session, session.begin():
            if dialect in ("sqlite", "postgresql"):
                insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
                statement = insert(RuleStateRow)
                keep = {name: statement.excluded[name] for name in _COLUMNS if name not in _KEY}
                session.execute(statement.on_conflict_do_update(index_elements=list(_KEY), set_=keep), values)
            else:
                for value in values:
                    session.merge(RuleStateRow(**value))

    def delete(self, keys: Sequence[tuple[str, str]]) -> None:
        if not keys:
            return
        pair = tuple_(RuleStateRow.rule_id, RuleStateRow.asset_id)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(RuleStateRow).where(RuleStateRow.site_id == self.site_id, pair.in_(keys)))


def firing_counts(session: Session, *, site_ids: Iterable[str]) -> dict[str, int]:
    """Per site, its open (firing) alarms as the engines keep them; 0 for a site with none."""
    counts = dict.fromkeys(site_ids, 0)
    query = (
        select(RuleStateRow.site_id, func.count())
        .where(RuleStateRow.site_id.in_(list(counts)), RuleStateRow.status == "firing")
        .group_by(RuleStateRow.site_id)
    )
    for site_id, count in session.execute(query):
        counts[site_id] = count
    return counts


def _to_values(state: StoredState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in _COLUMNS if name != "site_id"}
    for name in _TIMES:
        if values[name] is not None:
            # SQLite keeps no zone: store UTC and read it back as UTC.
            values[name] = values[name].astimezone(UTC)
    return values


def _from_row(row: RuleStateRow) -> StoredState:
    values = {name: getattr(row, name) for name in _COLUMNS if name != "site_id"}
    for name in _TIMES:
        moment = values[name]
        if moment is not None:
            values[name] = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return StoredState(**values)
