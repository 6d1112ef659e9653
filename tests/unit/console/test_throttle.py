"""Sign-in throttling: five failures within 15 minutes lock a username out for 15 minutes (injected times)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.throttle import SignInThrottle

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_the_fifth_failure_in_the_window_locks_the_username_for_the_lockout() -> None:
    throttle = SignInThrottle()
    for minute in range(4):
        throttle.failed("Wang", T0 + minute * MINUTE)
    assert throttle.locked_until("wang", T0 + 4 * MINUTE) is None
    throttle.failed(" wang ", T0 + 4 * MINUTE)  # the same account, however it was typed
    assert throttle.locked_until("WANG", T0 + 4 * MINUTE) == T0 + 19 * MINUTE
    assert throttle.locked_until("wang", T0 + 19 * MINUTE - timedelta(seconds=1)) == T0 + 19 * MINUTE
    assert throttle.locked_until("wang", T0 + 19 * MINUTE) is None
    assert throttle.locked_until("lina", T0 + 4 * MINUTE) is None  # other accounts are not affected


def test_failures_older_than_the_window_do_not_count() -> None:
    throttle = SignInThrottle()
    for minute in (0, 1, 2, 3):
        throttle.failed("wang", T0 + minute * MINUTE)
    throttle.failed("wang", T0 + 15 * MINUTE)  # the first has left the 15-minute window: four in it
    assert throttle.locked_until("wang", T0 + 15 * MINUTE) is None
    late = T0 + 15 * MINUTE + timedelta(seconds=30)
    throttle.failed("wang", late)  # 1, 2, 3, 15, 15½: five within 15 minutes
    assert throttle.locked_until("wang", late) == late + 15 * MINUTE


def test_a_successful_sign_in_forgets_the_failures_before_it() -> None:
    throttle = SignInThrottle()
    for minute in range(4):
        throttle.failed("wang", T0 + minute * MINUTE)
    throttle.succeeded("wang")
    throttle.failed("wang", T0 + 5 * MINUTE)
    assert throttle.locked_until("wang", T0 + 5 * MINUTE) is None


def test_made_up_usernames_do_not_grow_memory_without_end() -> None:
    throttle = SignInThrottle()
    for number in range(10_050):
        throttle.failed(f"guess{number}", T0)
    assert len(throttle._failures) <= 10_001
