"""Site leases in the shared database: which replica runs each site, until when, and which replicas are alive.

A lease is a row per site (owner, epoch, expires_at). Taking one is a single `INSERT … ON CONFLICT DO UPDATE …
WHERE expired OR ours RETURNING epoch`, so two replicas racing for a site cannot both win: PostgreSQL locks the
conflicting row and re-checks the WHERE on its newest version. A released lease keeps its row (expired) so the
epoch, a fencing token, only grows.

Expiry is judged with each replica's own clock: the replicas' clocks must be NTP-synced, with a skew well under
the ttl (the replica loop stops a site a margin before its lease could expire, see cluster/replica.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Delete, Insert, Update, case, delete, exc, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from cluster.orm import ReplicaRow, SiteLeaseRow
from core.clock import Clock

# A released lease expires "long ago": free for anyone, whatever their clock's skew.
RELEASED = datetime(1970, 1, 1, tzinfo=UTC)
SITE_ID_MAX = 64  # site_leases.site_id
FORGET_AFTER = timedelta(days=1)  # a replica row silent this long is deleted (its id may never come back)

T = TypeVar("T")


class LeaseStoreUnavailable(Exception):
    """The lease database cannot be reached (connection refused, dropped, timed out)."""


def engine_options(url: str, ttl: timedelta) -> dict[str, Any]:
    """`make_engine` keyword arguments that bound how long a lease call may hang on a cut-off network.

    Without them a query on a dead TCP connection waits for the kernel's retransmission timeout (minutes), and
    the replica loop could not fence its sites before their leases expire. Use as
    `make_engine(url, **engine_options(url, ttl))` for the engine of the LeaseBook's sessions (PostgreSQL/psycopg;
    nothing to add for SQLite, which is local).
    """
    if not url.startswith("postgresql"):
        return {}
    quarter = max(1, int(ttl.total_seconds() / 4))
    return {
        "connect_args": {
            "connect_timeout": quarter,
            "tcp_user_timeout": quarter * 1000,  # ms: data sent but unacknowledged this long drops the connection
            "keepalives": 1,
            "keepalives_idle": 1,
            "keepalives_interval": 1,
            "keepalives_count": quarter,
            "options": f"-c statement_timeout={quarter * 1000} -c lock_timeout={quarter * 1000}",
        },
        "pool_timeout": quarter,
    }


class LeaseBook:
    """One replica's view of the lease tables: heartbeat, take, renew, give up, and who runs what."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        replica_id: str,
        clock: Clock,
        *,
        ttl: timedelta = timedelta(seconds=10),
        url: str = "",
    ) -> None:
        if not isinstance(replica_id, str) or not replica_id.strip():
            raise ValueError(f"replica id {replica_id!r} must be a non-empty string")
        if ttl <= timedelta(0):
            raise ValueError(f"lease ttl {ttl} must be positive")
        self._sessions = sessions
        self.replica_id = replica_id
        self.ttl = ttl
        self.url = url
        self._clock = clock
        self._started_at = clock.now()

    def heartbeat(self) -> None:
        """Say this replica is alive (insert or refresh its row), and forget replicas silent for a day."""
        now = self._clock.now()
        values = {"id": self.replica_id, "url": self.url, "started_at": self._started_at, "heartbeat_at": now}
        set_ = {"url": self.url, "started_at": self._started_at, "heartbeat_at": now}

        def run(session: Session) -> None:
            insert = self._insert(session, ReplicaRow).values(values)
            session.execute(insert.on_conflict_do_update(index_elements=[ReplicaRow.id], set_=set_))
            session.execute(delete(ReplicaRow).where(ReplicaRow.heartbeat_at < now - FORGET_AFTER))

        self._transact(run)

    def live_replicas(self) -> list[str]:
        """The replicas whose heartbeat is younger than the ttl, sorted."""
        since = self._clock.now() - self.ttl
        query = select(ReplicaRow.id).where(ReplicaRow.heartbeat_at >= since).order_by(ReplicaRow.id)
        return self._transact(lambda session: [str(row) for row in session.scalars(query)])

    def try_acquire(self, site_id: str) -> int | None:
        """Take the site's lease if it is free, expired or already ours: the lease's epoch, else None."""
        check_site_id(site_id)
        now = self._clock.now()
        lease = SiteLeaseRow.__table__

        def run(session: Session) -> int | None:
            insert = self._insert(session, SiteLeaseRow).values(
                site_id=site_id, owner=self.replica_id, epoch=1, acquired_at=now, expires_at=now + self.ttl
            )
            # Renewing our own live lease keeps its tenure; anything else (expired, released, another's) is new.
            same_tenure = (lease.c.owner == insert.excluded.owner) & (lease.c.expires_at >= insert.excluded.acquired_at)
            upsert = insert.on_conflict_do_update(
                index_elements=[lease.c.site_id],
                set_={
                    "owner": insert.excluded.owner,
                    "epoch": case((same_tenure, lease.c.epoch), else_=lease.c.epoch + 1),
                    "acquired_at": case((same_tenure, lease.c.acquired_at), else_=insert.excluded.acquired_at),
                    "expires_at": insert.excluded.expires_at,
                },
                where=(lease.c.expires_at < insert.excluded.acquired_at) | (lease.c.owner == insert.excluded.owner),
            ).returning(lease.c.epoch)
            epoch = session.execute(upsert).scalar_one_or_none()
            return None if epoch is None else int(epoch)

        return self._transact(run)

    def renew(self, site_ids: Iterable[str]) -> set[str]:
        """Extend our live leases on these sites; the ones returned are still ours (an expired one is lost)."""
        wanted = sorted(set(site_ids))
        if not wanted:
            return set()
        now = self._clock.now()
        statement = (
            update(SiteLeaseRow)
            .where(
                SiteLeaseRow.site_id.in_(wanted),
                SiteLeaseRow.owner == self.replica_id,
                SiteLeaseRow.expires_at >= now,
            )
            .values(expires_at=now + self.ttl)
            .returning(SiteLeaseRow.site_id)
        )
        return self._transact(lambda session: {str(site) for site in session.scalars(statement)})

    def release(self, site_id: str) -> None:
        """Give up our lease on the site (another replica may take it at once); nothing if it is not ours."""
        check_site_id(site_id)
        self._transact(lambda session: session.execute(self._release(SiteLeaseRow.site_id == site_id)))

    def owners(self) -> dict[str, str]:
        """Site → owner, for every lease not expired."""
        now = self._clock.now()
        query = select(SiteLeaseRow.site_id, SiteLeaseRow.owner).where(SiteLeaseRow.expires_at >= now)
        return self._transact(lambda session: {str(site): str(owner) for site, owner in session.execute(query)})

    def owner_url(self, site_id: str) -> str | None:
        """The url of the replica running the site (None when nobody holds a live lease or it gave no url)."""
        check_site_id(site_id)
        now = self._clock.now()
        query = (
            select(ReplicaRow.url)
            .join(SiteLeaseRow, SiteLeaseRow.owner == ReplicaRow.id)
            .where(SiteLeaseRow.site_id == site_id, SiteLeaseRow.expires_at >= now)
        )
        url = self._transact(lambda session: session.scalar(query))
        return str(url) if url else None

    def leave(self) -> None:
        """Graceful stop: release every lease of ours and delete our replica row, in one transaction."""

        def run(session: Session) -> None:
            session.execute(self._release(SiteLeaseRow.expires_at > RELEASED))
            session.execute(self._forget())

        self._transact(run)

    def _release(self, which: Any) -> Update:
        return (
            update(SiteLeaseRow)
            .where(which, SiteLeaseRow.owner == self.replica_id)
            .values(expires_at=RELEASED)
            .execution_options(synchronize_session=False)
        )

    def _forget(self) -> Delete:
        return delete(ReplicaRow).where(ReplicaRow.id == self.replica_id)

    @staticmethod
    def _insert(session: Session, table: type[ReplicaRow] | type[SiteLeaseRow]) -> Any:
        """The dialect's INSERT, which has ON CONFLICT (PostgreSQL, and SQLite for the single-machine case)."""
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            insert: Insert = postgresql.insert(table)
        elif dialect == "sqlite":
            insert = sqlite.insert(table)
        else:
            raise NotImplementedError(f"site leases need PostgreSQL or SQLite, not {dialect}")
        return insert

    def _transact(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction; a lost or refused connection becomes LeaseStoreUnavailable."""
        try:
            with self._sessions.begin() as session:
                return work(session)
        except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
            raise LeaseStoreUnavailable(f"lease database unreachable: {error}") from error


def check_site_id(site_id: str) -> None:
    """Refuse what cannot be a lease's site id (the column holds 64 characters)."""
    if not isinstance(site_id, str) or not site_id or len(site_id) > SITE_ID_MAX:
        raise ValueError(f"site id {site_id!r} must be a non-empty string of at most {SITE_ID_MAX} characters")
