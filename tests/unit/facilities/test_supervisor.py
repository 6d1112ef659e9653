"""The supervisor: a thread that ends unexpectedly is restarted or stops the hub, as its policy says."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from core.clock import FakeClock
from facilities.supervisor import HUB_POLICIES, Policy, Supervisor
from tests.support.services import wait_until

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


class InjectedFault(BaseException):
    """Escapes every `except Exception` in our loops, as a bug or worse would."""


def supervisor(**kw: object) -> tuple[Supervisor, list[str]]:
    fatal: list[str] = []
    sup = Supervisor(FakeClock(NOW), restart_delay_s=0.0, **kw)  # type: ignore[arg-type]
    sup.on_fatal(fatal.append)
    return sup, fatal


def test_a_restart_thread_runs_again_after_a_crash_and_health_shows_it() -> None:
    sup, fatal = supervisor(policies={"worker": Policy.RESTART})
    runs: list[int] = []
    done = threading.Event()

    def loop() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise InjectedFault("first run")
        done.wait(10)

    handle = sup.spawn("worker", loop)
    wait_until(lambda: len(runs) == 2, "the restarted loop", 5)
    (state,) = sup.threads()
    assert (state.alive, state.restarts, state.last_error, state.last_error_at) == (
        True, 1, "InjectedFault: first run", NOW,
    )  # fmt: skip
    assert fatal == [] and sup.fatal is None
    done.set()
    handle.join(5)
    assert not handle.is_alive()


def test_an_exit_thread_stops_the_hub_with_the_reason() -> None:
    sup, fatal = supervisor(policies={"rules": Policy.EXIT})

    def loop() -> None:
        raise InjectedFault("engine bug")

    sup.spawn("rules", loop).join(5)
    assert fatal == ["thread rules died: InjectedFault: engine bug"] == [sup.fatal]
    (state,) = sup.threads()
    assert not state.alive and state.restarts == 0
    late: list[str] = []
    sup.on_fatal(late.append)  # a listener that comes later hears it at once
    assert late == [sup.fatal]


def test_a_crash_loop_is_treated_as_exit() -> None:
    sup, fatal = supervisor(policies={"worker": Policy.RESTART}, max_restarts=3)
    runs: list[int] = []

    def loop() -> None:
        runs.append(1)
        raise InjectedFault(f"run {len(runs)}")

    sup.spawn("worker", loop)
    wait_until(lambda: bool(fatal), "the supervisor to give up", 5)
    assert len(runs) == 4
    assert fatal == ["thread worker died 4 times within 600 s; last: InjectedFault: run 4"]


def test_a_loop_that_returns_has_stopped_as_told_and_is_not_restarted() -> None:
    sup, fatal = supervisor(policies={"worker": Policy.RESTART})
    runs: list[int] = []
    sup.spawn("worker", lambda: runs.append(1)).join(5)
    assert runs == [1] and fatal == [] and not sup.threads()[0].alive


def test_nothing_is_restarted_or_fatal_while_the_hub_stops() -> None:
    sup, fatal = supervisor(policies={"rules": Policy.EXIT})
    release = threading.Event()

    def loop() -> None:
        release.wait(5)
        raise InjectedFault("during shutdown")

    handle = sup.spawn("rules", loop)
    sup.stop()
    release.set()
    handle.join(5)
    assert fatal == [] and sup.threads()[0].last_error == "InjectedFault: during shutdown"


def test_every_hub_thread_has_a_documented_policy() -> None:
    assert HUB_POLICIES == {
        "mqtt-network": Policy.RESTART,
        "mqtt-group-commit": Policy.RESTART,
        "spool-writer": Policy.RESTART,
        "alert-dispatcher": Policy.RESTART,
        "modbus-poller": Policy.RESTART,
        "dlt645-poller": Policy.RESTART,
        "rules": Policy.EXIT,
    }
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "operations.md").read_text()
    for name, policy in HUB_POLICIES.items():
        assert f"| `{name}` | {policy.value} |" in doc, name
