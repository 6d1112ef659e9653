"""LeaseBook on a real database: taking, renewing, losing and giving up site leases; who is alive; epochs."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cluster.leases import LeaseBook, LeaseStoreUnavailable, engine_options
from core.clock import FakeClock
from storage.database import make_engine, session_factory
from tests.integration.cluster.conftest import TTL, Books

pytestmark = pytest.mark.integration


def lease_row(url: str, site: str) -> tuple[str, int] | None:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT owner, epoch FROM site_leases WHERE site_id = :s"), {"s": site}).first()
    engine.dispose()
    return None if row is None else (str(row[0]), int(row[1]))


def replica_ids(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM replicas ORDER BY id")).scalars().all()
    engine.dispose()
    return [str(i) for i in ids]


def test_a_free_site_is_taken_once_and_renewing_it_keeps_the_epoch(books: Books) -> None:
    a, b = books.book("a", url="http://a:8000"), books.book("b")
    assert a.try_acquire("s1") == 1
    assert b.try_acquire("s1") is None
    assert a.try_acquire("s1") == 1  # ours and live: same tenure
    assert a.owners() == {"s1": "a"}
    assert b.renew(["s1"]) == set()
    books.clock.advance(TTL - timedelta(seconds=1))
    assert a.renew(["s1", "s2"]) == {"s1"}
    books.clock.advance(TTL - timedelta(seconds=1))
    assert b.try_acquire("s1") is None  # the renewal moved the expiry on
    assert lease_row(books.url, "s1") == ("a", 1)


def test_an_expired_lease_goes_to_the_next_taker_with_a_new_epoch_and_the_old_owner_cannot_renew(books: Books) -> None:
    a, b = books.book("a"), books.book("b")
    assert a.try_acquire("s1") == 1
    books.clock.advance(TTL + timedelta(milliseconds=1))
    assert a.owners() == {}
    assert b.try_acquire("s1") == 2
    assert a.renew(["s1"]) == set()
    assert a.owners() == {"s1": "b"}


def test_an_expired_lease_not_taken_by_anyone_is_lost_too(books: Books) -> None:
    a = books.book("a")
    a.try_acquire("s1")
    books.clock.advance(TTL + timedelta(seconds=1))
    assert a.renew(["s1"]) == set()  # we may have been fenced: take it afresh
    assert a.try_acquire("s1") == 2


def test_a_released_lease_is_free_at_once_and_the_epoch_keeps_growing(books: Books) -> None:
    a, b = books.book("a"), books.book("b")
    a.try_acquire("s1")
    b.release("s1")  # not b's: nothing happens
    assert a.owners() == {"s1": "a"}
    a.release("s1")
    assert a.owners() == {}
    assert b.try_acquire("s1") == 2
    b.release("s1")
    assert b.try_acquire("s1") == 3  # a new tenure, even for the same owner
    assert lease_row(books.url, "s1") == ("b", 3)


def test_live_replicas_are_those_with_a_fresh_heartbeat_and_leave_hands_everything_over(books: Books) -> None:
    a, b, c = books.book("a", url="http://a"), books.book("b", url="http://b"), books.book("c")
    for book in (c, a, b):
        book.heartbeat()
    assert a.live_replicas() == ["a", "b", "c"]
    for site in ("s1", "s2"):
        b.try_acquire(site)
    c.try_acquire("s3")
    assert a.owner_url("s1") == "http://b"
    assert a.owner_url("s3") is None  # c gave no url
    assert a.owner_url("s4") is None  # nobody's
    books.clock.advance(TTL / 2)
    a.heartbeat()
    b.heartbeat()
    b.renew(["s1", "s2"])
    books.clock.advance(TTL / 2 + timedelta(milliseconds=1))
    assert a.live_replicas() == ["a", "b"]
    assert a.owners() == {"s1": "b", "s2": "b"}
    b.leave()
    assert a.live_replicas() == ["a"]
    assert a.owners() == {}
    assert a.try_acquire("s1") == 2


def race(takers: list[LeaseBook], site: str) -> dict[str, int | None]:
    """Every book tries to take the site at the same moment, each from a thread (and connection) of its own."""
    start = threading.Barrier(len(takers))
    won: dict[str, int | None] = {}

    def take(book: LeaseBook) -> None:
        start.wait()
        won[book.replica_id] = book.try_acquire(site)

    threads = [threading.Thread(target=take, args=(book,)) for book in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == len(takers)
    return won


def test_replicas_silent_for_a_day_are_forgotten(books: Books) -> None:
    a, b = books.book("a"), books.book("b")
    a.heartbeat()
    b.heartbeat()
    books.clock.advance(timedelta(days=1))
    a.heartbeat()
    assert replica_ids(books.url) == ["a", "b"]  # silent for exactly a day: kept
    books.clock.advance(timedelta(seconds=1))
    a.heartbeat()
    assert replica_ids(books.url) == ["a"]


def test_concurrent_takers_of_one_site_have_exactly_one_winner(postgres_url: str, pg_books: Books) -> None:
    takers = [pg_books.book(f"r{n}") for n in range(8)]
    for round_ in range(5):
        site = f"site-{round_}"
        won = race(takers, site)
        winners = [replica for replica, epoch in won.items() if epoch is not None]
        assert len(winners) == 1, won
        assert won[winners[0]] == 1
        assert lease_row(postgres_url, site) == (winners[0], 1)
    pg_books.clock.advance(TTL + timedelta(seconds=1))  # every lease expired: race again for one of them
    epochs = race(takers, "site-0").values()
    assert sorted(epochs, key=lambda epoch: epoch or 0) == [None] * 7 + [2]


def test_every_call_says_the_store_is_unavailable_when_the_database_cannot_be_reached(pg_books: Books) -> None:
    book = pg_books.book("a")
    book.heartbeat()
    pg_books.cut_off(book)
    calls = [
        book.heartbeat,
        book.live_replicas,
        lambda: book.try_acquire("s1"),
        lambda: book.renew(["s1"]),
        lambda: book.release("s1"),
        book.owners,
        lambda: book.owner_url("s1"),
        book.leave,
    ]
    for call in calls:
        with pytest.raises(LeaseStoreUnavailable, match="lease database unreachable"):
            call()


@pytest.mark.parametrize("site", ["", "x" * 65])
def test_a_bad_site_id_is_refused(books: Books, site: str) -> None:
    with pytest.raises(ValueError, match="site id"):
        books.book("a").try_acquire(site)


def test_bad_settings_are_refused(books: Books) -> None:
    with pytest.raises(ValueError, match="replica id"):
        books.book(" ")
    with pytest.raises(ValueError, match="ttl"):
        LeaseBook(books.sessions(), "a", books.clock, ttl=timedelta(0))


def test_a_database_that_never_answers_fails_the_call_within_the_engine_options_bounds(clock: FakeClock) -> None:
    # A listener that completes TCP handshakes and then says nothing: what a silently cut-off peer looks like.
    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/facilities"
        engine = make_engine(url, **engine_options(url, TTL))
        book = LeaseBook(session_factory(engine), "a", clock, ttl=TTL)
        began = time.monotonic()
        with pytest.raises(LeaseStoreUnavailable):
            book.heartbeat()
        engine.dispose()
    assert time.monotonic() - began < TTL.total_seconds() / 2  # well before a lease of ours could expire
