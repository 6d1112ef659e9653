"""The replica loop: keep this process's share of the sites running, under leases, and never a site twice.

Every `every` it heartbeats, renews the leases of the sites it runs, stops the ones it lost, and follows the
balance plan (cluster/balance.py): give up surplus, take free sites, start them. Self-fencing: a site whose lease
could not be renewed is stopped once `now >= last renewal + ttl - margin`, before any other replica may take it
(the margin covers a tick that comes late, a call that hangs a while and the clocks' skew).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cluster.balance import plan
from cluster.leases import LeaseBook, LeaseStoreUnavailable, check_site_id
from core.clock import Clock
from core.health import ComponentHealth

log = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(minutes=5)
ERROR_FRESH = timedelta(minutes=1)  # how long /health shows the replica degraded after an error


@dataclass(frozen=True)
class ReplicaStatus:
    """What /health shows of the replica loop."""

    replica_id: str
    held: tuple[str, ...]
    epochs: dict[str, int]
    last_renewal: datetime | None  # the last tick whose heartbeat and renewal both reached the database
    last_error: str | None  # the newest failure (database, start or stop of a site)
    last_error_at: datetime | None
    live_replicas: tuple[str, ...]
    target: int | None  # this replica's fair share at the last plan
    failing: tuple[str, ...]  # sites whose start failed here, retried after a growing pause


@dataclass
class _Backoff:
    failures: int
    not_before: datetime


class Replica:
    """Runs this process's share of `sites` through `start_site` / `stop_site`, under leases in `book`."""

    def __init__(
        self,
        book: LeaseBook,
        sites: Sequence[str],
        *,
        start_site: Callable[[str], None],
        stop_site: Callable[[str], None],
        clock: Clock,
        every: timedelta = timedelta(seconds=2),
        margin: timedelta | None = None,
    ) -> None:
        # A tick may come `every` late, and a failing call may hang for a while: fence that much early, and more.
        margin = every + book.ttl / 5 if margin is None else margin
        if every <= timedelta(0):
            raise ValueError(f"replica tick interval {every} must be positive")
        if margin < every or margin >= book.ttl - every:
            raise ValueError(
                f"lease ttl {book.ttl} is too short for ticks every {every} with fencing margin {margin}: "
                "need every <= margin < ttl - every (make the ttl at least 3 ticks, 5 is better)"
            )
        for site in sites:
            check_site_id(site)
        plan(sites, [], {}, book.replica_id, ())  # refuse bad or repeated site ids now, not at the first tick
        self.book = book
        self.sites = tuple(sites)
        self.every = every
        self.margin = margin
        self.held: set[str] = set()
        self._start = start_site
        self._stop = stop_site
        self._clock = clock
        self._renewed: dict[str, datetime] = {}  # site → clock time just before its lease was last extended
        self._epochs: dict[str, int] = {}
        self._backoff: dict[str, _Backoff] = {}
        self._free_since: dict[str, datetime] = {}
        self._lock = threading.Lock()  # status() reads from the API's threads while tick() runs
        self._last_renewal: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._live: tuple[str, ...] = ()
        self._target: int | None = None
        self._joined = False
        self._given_up: dict[str, str] = {}  # site → why its running hub failed; handled at the next tick

    def give_up(self, site: str, reason: str) -> None:
        """A site we run has failed for good (its hub's supervisor gave up on a thread): at the next tick it is
        stopped and its lease released, so another replica takes it; here it is retried only after a back-off."""
        with self._lock:
            self._given_up[site] = reason

    def tick(self) -> None:
        """One round: heartbeat, renew, fence, then acquire and release per the balance plan."""
        self._fence()  # a tick that comes late (the previous ones hung on the database) stops overdue sites first
        self._drop_given_up()
        began = self._clock.now()
        try:
            self.book.heartbeat()
            if self.held:
                kept = self.book.renew(self.held)
                for site in sorted(self.held - kept):
                    log.warning("site %s: lease lost to another replica; stopping it", site)
                    self._stop_site(site)
                for site in kept:
                    self._renewed[site] = began
            live = self.book.live_replicas()
            owners = self.book.owners()
        except LeaseStoreUnavailable as error:
            self._note_error(f"lease database: {error}")
            self._fence()
            return
        with self._lock:
            self._last_renewal = began
            self._live = tuple(live)
        if not self._joined:
            # Replicas starting together see each other's heartbeat before any takes a site (and sheds it again).
            self._joined = True
            return
        self._follow(live, owners)

    def run(self, stop: threading.Event) -> None:
        """Tick every `every` until `stop` is set, then hand every site over (also when a tick fails unexpectedly)."""
        try:
            while not stop.is_set():
                self.tick()
                stop.wait(self.every.total_seconds())
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop every held site, then release all our leases and leave, so other replicas take them at once."""
        for site in sorted(self.held):
            self._stop_site(site)
        try:
            self.book.leave()
        except LeaseStoreUnavailable as error:
            self._note_error(f"leaving: {error}; our leases expire within {self.book.ttl}")
            log.warning("replica %s: could not release its leases: %s", self.book.replica_id, error)

    def status(self) -> ReplicaStatus:
        with self._lock:
            return ReplicaStatus(
                replica_id=self.book.replica_id,
                held=tuple(sorted(self.held)),
                epochs=dict(self._epochs),
                last_renewal=self._last_renewal,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                live_replicas=self._live,
                target=self._target,
                failing=tuple(sorted(self._backoff)),
            )

    def health(self) -> ComponentHealth:
        """Failing when no lease was renewed for a ttl; degraded while a site fails to start, or after any error."""
        status = self.status()
        figures = {"held": len(status.held), "target": status.target, "replicas": len(status.live_replicas)}
        now = self._clock.now()
        if status.last_renewal is None:
            return ComponentHealth.failing(f"lease database not reached yet ({status.last_error})", **figures)
        if now - status.last_renewal >= self.book.ttl:
            since = status.last_renewal.isoformat(timespec="seconds")
            return ComponentHealth.failing(f"no lease renewed since {since}: {status.last_error}", **figures)
        if status.failing:
            return ComponentHealth.degraded(f"sites failing to start here: {', '.join(status.failing)}", **figures)
        if status.last_error_at is not None and now - status.last_error_at < ERROR_FRESH:
            return ComponentHealth.degraded(str(status.last_error), **figures)
        return ComponentHealth.ok(f"running {len(status.held)} of {len(self.sites)} sites", **figures)

    def _follow(self, live: list[str], owners: dict[str, str]) -> None:
        now = self._clock.now()
        free = {site for site in self.sites if site not in owners}
        self._free_since = {site: self._free_since.get(site, now) for site in free}
        # A free site nobody took for a ttl: its preferred replica cannot start it, so anyone may try.
        stale = {site for site, since in self._free_since.items() if now - since >= self.book.ttl}
        decided = plan(self.sites, live, owners, self.book.replica_id, self.held, up_for_grabs=stale)
        with self._lock:
            self._target = decided.target
            for site in [
                site for site in self._backoff if owners.get(site, self.book.replica_id) != self.book.replica_id
            ]:
                del self._backoff[site]  # another replica runs it now: our failure no longer matters
        try:
            for site in decided.release:
                if site in self.held:
                    self._stop_site(site)
                self.book.release(site)
            for site in decided.acquire:
                backoff = self._backoff.get(site)
                if backoff is None or now >= backoff.not_before:
                    self._acquire(site)
        except LeaseStoreUnavailable as error:
            self._note_error(f"lease database: {error}")
            self._fence()

    def _acquire(self, site: str) -> None:
        asked = self._clock.now()
        epoch = self.book.try_acquire(site)
        if epoch is None:
            return  # another replica was quicker
        try:
            self._start(site)
        except Exception as error:
            self._failed_start(site, error)
            self.book.release(site)
            return
        with self._lock:
            self._backoff.pop(site, None)
            self.held.add(site)
            self._epochs[site] = epoch
        self._renewed[site] = asked
        log.info("site %s: started under lease epoch %d", site, epoch)

    def _failed_start(self, site: str, error: Exception) -> None:
        previous = self._backoff.get(site)
        failures = 1 if previous is None else previous.failures + 1
        wait = min(self.every * 2**failures, BACKOFF_CAP)  # a site that fails everywhere must not spin
        with self._lock:
            self._backoff[site] = _Backoff(failures, self._clock.now() + wait)
        self._note_error(f"site {site}: start failed ({error}); retrying here in {wait}")
        log.error("site %s: start failed (attempt %d), releasing its lease: %s", site, failures, error, exc_info=error)

    def _drop_given_up(self) -> None:
        with self._lock:
            given_up, self._given_up = self._given_up, {}
        for site, reason in sorted(given_up.items()):
            if site not in self.held:
                continue
            self._stop_site(site)
            self._failed_start(site, RuntimeError(reason))  # the same back-off as a site that fails to start
            try:
                self.book.release(site)
            except LeaseStoreUnavailable as error:
                self._note_error(f"releasing {site}: {error}; its lease expires within {self.book.ttl}")

    def _fence(self) -> None:
        """Stop every site whose lease may be about to expire unrenewed, before another replica can take it."""
        now = self._clock.now()
        for site in sorted(self.held):
            if now >= self._renewed[site] + self.book.ttl - self.margin:
                log.warning("site %s: lease not renewed since %s; stopping it (fencing)", site, self._renewed[site])
                self._stop_site(site)

    def _stop_site(self, site: str) -> None:
        """Stop a site we run; a stop that raises is logged and the site counts as stopped (its lease goes)."""
        try:
            self._stop(site)
        except Exception as error:
            self._note_error(f"site {site}: stop failed ({error})")
            log.error("site %s: stop failed; giving its lease up anyway: %s", site, error, exc_info=error)
        with self._lock:
            self.held.discard(site)
            self._epochs.pop(site, None)
        self._renewed.pop(site, None)

    def _note_error(self, message: str) -> None:
        with self._lock:
            self._last_error = message
            self._last_error_at = self._clock.now()
