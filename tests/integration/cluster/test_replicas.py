"""Replicas sharing the sites through leases on real PostgreSQL, on one fake clock: failover, handover, joining,
self-fencing when cut off. After every tick no site may have two runners."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from cluster.leases import LeaseBook
from cluster.replica import Replica
from core.clock import FakeClock
from core.health import HealthState
from storage.database import make_engine
from tests.integration.cluster.conftest import TTL, Books

pytestmark = pytest.mark.integration

EVERY = timedelta(seconds=2)
SITES = [f"site-{n:02d}" for n in range(12)]


class Runs:
    """What each replica's start/stop callbacks did, and what runs where now."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.running: dict[str, set[str]] = defaultdict(set)  # site → replicas running it
        self.starts: Counter[str] = Counter()
        self.stopped_at: dict[tuple[str, str], datetime] = {}
        self.failed_at: dict[tuple[str, str], datetime] = {}
        self.problems: list[str] = []
        self.refuse: set[tuple[str, str]] = set()  # (replica, site) whose start raises; replica "*": everywhere
        self.stuck: set[str] = set()  # replicas whose stop raises (after stopping the site)

    def start_for(self, replica: str) -> Callable[[str], None]:
        def start(site: str) -> None:
            self.starts[site] += 1
            if (replica, site) in self.refuse or ("*", site) in self.refuse:
                self.failed_at[replica, site] = self.clock.now()
                raise RuntimeError(f"{site} cannot start on {replica}")
            self.running[site].add(replica)

        return start

    def stop_for(self, replica: str) -> Callable[[str], None]:
        def stop(site: str) -> None:
            if replica not in self.running[site]:
                self.problems.append(f"{replica} stopped {site}, which it did not run")
            self.running[site].discard(replica)
            self.stopped_at[replica, site] = self.clock.now()
            if replica in self.stuck:
                raise RuntimeError(f"{site} on {replica}: stop failed")

        return stop

    def killed(self, replica: str) -> None:
        """The process died (SIGKILL): whatever it ran stopped with it."""
        for runners in self.running.values():
            runners.discard(replica)

    def of(self, replica: str) -> set[str]:
        return {site for site, runners in self.running.items() if replica in runners}

    def check(self, replicas: Sequence[Replica]) -> None:
        doubled = {site: sorted(runners) for site, runners in self.running.items() if len(runners) > 1}
        assert not doubled, f"at {self.clock.now()} sites run twice: {doubled}"
        assert not self.problems
        for replica in replicas:
            assert replica.held == self.of(replica.book.replica_id), replica.book.replica_id


class Cluster:
    def __init__(self, books: Books, sites: Sequence[str] = SITES) -> None:
        self.books = books
        self.clock = books.clock
        self.sites = sites
        self.runs = Runs(books.clock)
        self.replicas: dict[str, Replica] = {}

    def add(self, replica_id: str, book: LeaseBook | None = None) -> Replica:
        book = book or self.books.book(replica_id, url=f"http://{replica_id}:8000")
        replica = Replica(
            book,
            self.sites,
            start_site=self.runs.start_for(replica_id),
            stop_site=self.runs.stop_for(replica_id),
            clock=self.clock,
            every=EVERY,
        )
        self.replicas[replica_id] = replica
        return replica

    def tick(self, *names: str) -> None:
        """One tick of each named replica (all by default), checking for doubled sites after each one."""
        for name in names or sorted(self.replicas):
            self.replicas[name].tick()
            self.runs.check(list(self.replicas.values()))

    def run_until(self, done: Callable[[], bool], *names: str, within: timedelta) -> timedelta:
        """Tick and move the clock on by `every` until `done`; how much simulated time that took."""
        began = self.clock.now()
        while not done():
            assert self.clock.now() - began <= within, f"not done within {within}: {self.loads()}"
            self.clock.advance(EVERY)
            self.tick(*names)
        return self.clock.now() - began

    def loads(self) -> dict[str, int]:
        return {name: len(replica.held) for name, replica in self.replicas.items()}

    def all_run_by(self, names: Sequence[str]) -> bool:
        return all(self.runs.running[site] & set(names) for site in self.sites)

    def settled(self) -> bool:
        loads = self.loads()
        return self.all_run_by(list(loads)) and max(loads.values()) - min(loads.values()) <= 1


@pytest.fixture
def cluster(pg_books: Books) -> Cluster:
    made = Cluster(pg_books)
    for name in ("a", "b", "c"):
        made.add(name)
    made.tick()  # they start together: each sees the others' heartbeat before taking a site
    made.run_until(made.settled, within=timedelta(seconds=30))
    assert made.loads() == {"a": 4, "b": 4, "c": 4}
    assert made.runs.starts.total() == len(SITES)  # nobody took more than its share only to shed it again
    assert not made.runs.stopped_at
    return made


def test_the_sites_of_a_killed_replica_are_run_by_the_others_within_30_seconds(cluster: Cluster) -> None:
    cluster.runs.killed("c")  # c stops ticking, and its sites died with it
    del cluster.replicas["c"]
    took = cluster.run_until(lambda: cluster.all_run_by(["a", "b"]), "a", "b", within=timedelta(seconds=30))
    assert took <= TTL + 2 * EVERY
    cluster.run_until(cluster.settled, "a", "b", within=timedelta(seconds=10))
    assert cluster.loads() == {"a": 6, "b": 6}


def test_a_graceful_stop_hands_the_sites_over_at_once(cluster: Cluster) -> None:
    c = cluster.replicas.pop("c")
    theirs = set(c.held)
    c.shutdown()
    assert c.held == set()
    assert {site for (replica, site) in cluster.runs.stopped_at if replica == "c"} == theirs
    cluster.tick("a", "b")  # no time passes
    assert cluster.all_run_by(["a", "b"])
    assert cluster.loads() == {"a": 6, "b": 6}


def test_a_fourth_replica_takes_a_fair_share_and_only_that_moves(cluster: Cluster) -> None:
    before = {site: next(iter(runners)) for site, runners in cluster.runs.running.items()}
    cluster.add("d")
    cluster.run_until(lambda: cluster.loads() == dict.fromkeys("abcd", 3), within=timedelta(seconds=20))
    moved = [site for site, runners in cluster.runs.running.items() if runners != {before[site]}]
    assert sorted(moved) == sorted(cluster.replicas["d"].held)
    for _ in range(10):  # and then nothing flaps
        cluster.clock.advance(EVERY)
        cluster.tick()
    assert cluster.loads() == dict.fromkeys("abcd", 3)
    assert [site for site, runners in cluster.runs.running.items() if runners != {before[site]}] == moved


def test_a_replica_cut_off_from_the_database_stops_its_sites_before_others_take_them(cluster: Cluster) -> None:
    c = cluster.replicas["c"]
    theirs = set(c.held)
    renewed = c.status().last_renewal
    assert renewed is not None
    cluster.clock.advance(EVERY)
    cluster.books.cut_off(c.book)
    # c keeps ticking (it is alive, only partitioned): the checks after each tick prove nobody ran a site twice.
    cluster.run_until(lambda: cluster.all_run_by(["a", "b"]), within=timedelta(seconds=30))
    assert c.held == set()
    for site in theirs:
        stopped = cluster.runs.stopped_at["c", site]
        assert renewed + TTL - c.margin <= stopped < renewed + TTL  # fenced before its lease could expire
    status = c.status()
    assert status.last_error is not None and "lease database" in status.last_error
    assert c.health().state is HealthState.FAILING
    assert cluster.replicas["a"].health().state is HealthState.OK


def test_a_cut_off_replica_that_comes_back_gets_its_share_again_without_running_a_site_twice(cluster: Cluster) -> None:
    c = cluster.replicas["c"]
    cluster.books.cut_off(c.book)
    cluster.run_until(lambda: cluster.all_run_by(["a", "b"]), within=timedelta(seconds=30))
    cluster.books.reconnect(c.book)
    cluster.run_until(cluster.settled, within=timedelta(seconds=30))
    assert cluster.loads() == {"a": 4, "b": 4, "c": 4}
    assert c.health().state is HealthState.DEGRADED  # the outage is still recent
    for _ in range(30):  # a minute of quiet ticks
        cluster.clock.advance(EVERY)
        cluster.tick()
    assert c.health().state is HealthState.OK
    assert cluster.loads() == {"a": 4, "b": 4, "c": 4}


def test_connections_the_server_drops_are_replaced_without_losing_a_site(cluster: Cluster, postgres_url: str) -> None:
    held = {name: set(replica.held) for name, replica in cluster.replicas.items()}
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        dropped = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    assert dropped >= 3  # each replica's pooled connection
    cluster.clock.advance(EVERY)
    cluster.tick()
    assert {name: replica.held for name, replica in cluster.replicas.items()} == held
    assert all(replica.status().last_error is None for replica in cluster.replicas.values())


def test_a_site_that_fails_to_start_on_one_replica_is_released_and_runs_on_another(cluster: Cluster) -> None:
    a = cluster.replicas["a"]
    site = sorted(a.held)[0]
    cluster.runs.refuse.add(("a", site))
    a.book.release(site)  # a loses the site behind its back: it stops it, and takes it again as its plan says
    cluster.tick()
    assert cluster.runs.failed_at["a", site] == cluster.clock.now()
    assert site not in a.held
    # Released at once, the site is up for grabs once it stayed free for a ttl (its preferred replica failed it).
    took = cluster.run_until(lambda: bool(cluster.runs.running[site]), within=TTL + 2 * EVERY)
    assert took >= TTL
    assert cluster.runs.running[site] <= {"b", "c"}
    assert a.health().state is HealthState.DEGRADED
    assert site in str(a.health().detail)


def test_a_site_whose_hub_gives_up_is_stopped_released_and_run_by_another(cluster: Cluster) -> None:
    """A running site's hub fails for good (its supervisor's EXIT policy): the replica stops it at its next tick,
    releases the lease and backs off; another replica runs it; the rest of the replica's sites keep running."""
    a = cluster.replicas["a"]
    site, *others = sorted(a.held)
    cluster.runs.refuse.add(("a", site))  # and it would fail here again
    a.give_up(site, "rules thread died: boom")
    cluster.tick("a")
    assert site not in a.held and set(others) <= a.held
    assert ("a", site) in cluster.runs.stopped_at
    assert site in str(a.health().detail) and "boom" in str(a.status().last_error)
    cluster.run_until(lambda: bool(cluster.runs.running[site]), within=TTL + 2 * EVERY)
    assert cluster.runs.running[site] <= {"b", "c"}
    a.give_up("not-ours", "ignored")  # a site it does not hold: nothing happens
    cluster.tick("a")


def test_a_site_that_fails_everywhere_is_retried_with_backoff_and_the_rest_keep_running(pg_books: Books) -> None:
    cluster = Cluster(pg_books, sites=["good-1", "good-2", "bad"])
    for name in ("a", "b"):
        cluster.add(name)
    cluster.runs.refuse.add(("*", "bad"))
    began = cluster.clock.now()
    while cluster.clock.now() - began < timedelta(minutes=5):
        cluster.tick()
        cluster.clock.advance(EVERY)
    assert cluster.runs.running["good-1"] and cluster.runs.running["good-2"]
    assert not cluster.runs.running["bad"]
    # Ticking every 2 s, two replicas would try 300 times in 5 minutes; backing off, a handful each.
    assert 2 <= cluster.runs.starts["bad"] <= 20
    for replica in cluster.replicas.values():
        assert replica.health().state is HealthState.DEGRADED


def test_a_stop_that_raises_still_gives_the_lease_up(cluster: Cluster) -> None:
    c = cluster.replicas.pop("c")
    theirs = set(c.held)
    cluster.runs.stuck.add("c")
    c.shutdown()
    assert c.held == set()
    assert "stop failed" in str(c.status().last_error)
    cluster.tick("a", "b")
    assert theirs <= cluster.runs.of("a") | cluster.runs.of("b")


def test_run_hands_over_on_stop_and_also_when_a_tick_fails_unexpectedly(pg_books: Books) -> None:
    class BuggyBook(LeaseBook):
        broken = False

        def owners(self) -> dict[str, str]:
            if self.broken:
                raise RuntimeError("a bug")
            return super().owners()

    cluster = Cluster(pg_books, sites=["s1", "s2"])
    book = BuggyBook(pg_books.sessions(), "a", pg_books.clock, ttl=TTL)
    a = cluster.add("a", book)
    a.tick()  # joins
    a.tick()
    assert a.held == {"s1", "s2"}
    book.broken = True
    with pytest.raises(RuntimeError, match="a bug"):
        a.run(threading.Event())
    assert a.held == set()  # stopped before the loop died, and the leases were released
    assert cluster.add("b").book.owners() == {}
    stop = threading.Event()
    stop.set()
    b = cluster.replicas["b"]
    b.tick()
    b.tick()
    assert b.held == {"s1", "s2"}
    b.run(stop)
    assert b.held == set() and b.book.owners() == {} and b.book.live_replicas() == []


def test_bad_settings_are_refused(pg_books: Books) -> None:
    book = pg_books.book("a")
    calls: dict[str, Callable[[str], None]] = {"start_site": print, "stop_site": print}
    with pytest.raises(ValueError, match="ttl 0:00:10 is too short for ticks every 0:00:05"):
        Replica(book, SITES, clock=pg_books.clock, every=timedelta(seconds=5), **calls)
    with pytest.raises(ValueError, match="repeated: s1"):
        Replica(book, ["s1", "s1"], clock=pg_books.clock, **calls)
