"""Sign-in throttling per (username, address) with growing waits, never a lock of the account (injected times).

Replaces the tests of the old throttle, which locked a username for 15 minutes after five failures from
anywhere: anyone could lock anyone out (issue 17).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from console.throttle import SignInThrottle

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HOME, ATTACKER = "198.51.100.7", "203.0.113.9"


def test_three_failures_are_free_then_each_wait_doubles_up_to_the_cap() -> None:
    throttle = SignInThrottle()
    now = T0
    waits = []
    for _ in range(14):
        assert throttle.wait("wang", ATTACKER, now) is None  # after the wait is over it may try
        throttle.failed("wang", ATTACKER, now)
        wait = throttle.wait("wang", ATTACKER, now)
        waits.append(0 if wait is None else int(wait.total_seconds()))
        now += wait or SECOND
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_a_wait_counts_down_with_the_clock() -> None:
    throttle = SignInThrottle()
    for _ in range(5):
        throttle.failed("wang", ATTACKER, T0)
    assert throttle.wait("wang", ATTACKER, T0) == 4 * SECOND
    assert throttle.wait("wang", ATTACKER, T0 + 3 * SECOND) == SECOND
    assert throttle.wait("wang", ATTACKER, T0 + 4 * SECOND) is None


def test_the_owner_at_another_address_and_other_accounts_are_never_slowed() -> None:
    throttle = SignInThrottle()
    for _ in range(50):
        throttle.failed("Wang", ATTACKER, T0)
    assert throttle.wait(" WANG ", ATTACKER, T0) is not None  # the same account however it is typed
    assert throttle.wait("wang", HOME, T0) is None
    assert throttle.wait("lina", HOME, T0) is None


def test_one_address_spraying_many_usernames_is_slowed_down_too() -> None:
    throttle = SignInThrottle()
    for number in range(20):
        throttle.failed(f"user{number}", ATTACKER, T0)  # one failure each: none of them has a wait of its own
    assert throttle.wait("user0", ATTACKER, T0) is None
    throttle.failed("user20", ATTACKER, T0)  # the 21st failure from this address
    assert throttle.wait("someone-new", ATTACKER, T0) == 2 * SECOND
    assert throttle.wait("someone-new", HOME, T0) is None


def test_a_success_forgets_that_addresss_failures_for_that_username() -> None:
    throttle = SignInThrottle()
    for _ in range(4):
        throttle.failed("wang", HOME, T0)
    throttle.succeeded("wang", HOME)
    throttle.failed("wang", HOME, T0)
    assert throttle.wait("wang", HOME, T0) is None


def test_failures_a_day_old_no_longer_count() -> None:
    throttle = SignInThrottle()
    for _ in range(10):
        throttle.failed("wang", ATTACKER, T0)
    later = T0 + timedelta(hours=24)
    assert throttle.wait("wang", ATTACKER, later) is None
    throttle.failed("wang", ATTACKER, later)  # counts from one again
    assert throttle.wait("wang", ATTACKER, later) is None


def test_made_up_usernames_and_addresses_do_not_grow_memory_without_end() -> None:
    throttle = SignInThrottle(max_entries=1000)
    for number in range(5000):
        throttle.failed(f"guess{number}", f"10.0.{number // 256}.{number % 256}", T0)
    assert len(throttle._failures) <= 1000


def test_concurrent_failures_are_all_counted() -> None:
    throttle = SignInThrottle(free_failures=1999, client_free_failures=10_000)
    workers = [
        threading.Thread(target=lambda: [throttle.failed("wang", ATTACKER, T0) for _ in range(250)]) for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert throttle.wait("wang", ATTACKER, T0) == 2 * SECOND  # the 2000th failure is the first that costs a wait
    assert throttle._failures[("wang", ATTACKER)].count == 2000
