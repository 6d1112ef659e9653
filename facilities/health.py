"""The hub's health checks: each part's state and figures, for /health, `facilities status` and Prometheus.

Every threshold is in `HealthPolicy`, and docs/operations.md says what each state means and what to do.
Ages are in seconds of the hub's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import OutboxDispatcher
from alerts.orm import DeliveryStatus, OutboxRow
from collectors.mqtt.collector import MqttCollector
from collectors.polling import Poller
from core.clock import Clock
from core.health import ComponentHealth, HealthState
from facilities.supervisor import Supervisor
from rules.worker import RulesWorker
from storage.photos_s3 import BucketProbe, BucketState
from storage.spool_base import SpoolBase
from storage.writer import SpoolWriter

Check = Callable[[], ComponentHealth]
MAX_LISTED = 10  # offline devices named in a detail; the figure counts them all


@dataclass(frozen=True)
class HealthPolicy:
    """When a part counts as degraded or failing."""

    mqtt_reconnect_grace: timedelta = timedelta(seconds=30)  # disconnected longer: failing
    mqtt_silence: timedelta = timedelta(minutes=15)  # connected, yet no message for this long: degraded
    spool_nearly_full: float = 0.9  # share of FACILITIES_SPOOL_MAX_READINGS: degraded; full: failing
    store_behind: timedelta = timedelta(minutes=5)  # oldest reading not yet in the store: degraded
    rules_behind: timedelta = timedelta(minutes=1)  # oldest reading not yet judged: degraded
    outbox_behind: timedelta = timedelta(minutes=5)  # oldest alert not yet delivered: degraded
    failed_alerts_window: timedelta = timedelta(hours=24)  # alerts failed for good within it: degraded


def _age(clock: Clock, since: datetime | None) -> float | None:
    return None if since is None else round(max(0.0, (clock.now() - since).total_seconds()), 3)


def mqtt_check(collector: MqttCollector, clock: Clock, policy: HealthPolicy) -> Check:
    def check() -> ComponentHealth:
        health = collector.health
        figures = {
            "connected": health.connected,
            "last_message_age_seconds": _age(clock, health.last_message_at),
            "pending_messages": collector.pending,
            "received": collector.stats.received,
        }
        if health.sink == "failing":
            return ComponentHealth.failing(
                f"the spool cannot take messages ({health.sink_error}); they wait un-acked at the broker", **figures
            )
        if not health.connected:
            away = _age(clock, health.disconnected_since) or 0.0
            state = HealthState.FAILING if away > policy.mqtt_reconnect_grace.total_seconds() else HealthState.DEGRADED
            detail = f"not connected to the broker {collector.options.host}:{collector.options.port} for {away:.0f} s"
            return ComponentHealth(state, detail, figures)
        silent = figures["last_message_age_seconds"]
        if isinstance(silent, float) and silent > policy.mqtt_silence.total_seconds():
            return ComponentHealth.degraded(f"connected, but no message for {silent:.0f} s", **figures)
        if health.sink == "full":
            return ComponentHealth.degraded("the spool is full; messages wait un-acked at the broker", **figures)
        return ComponentHealth.ok("connected and receiving", **figures)

    return check


def spool_check(spool: SpoolBase, clock: Clock, policy: HealthPolicy) -> Check:
    def check() -> ComponentHealth:
        figures = {
            "depth": spool.depth,
            "max_readings": spool.max_readings,
            "oldest_unwritten_age_seconds": _age(clock, spool.oldest_pending_at("store")),
            "dead_letters": spool.dead_letter_count(),
        }
        if spool.health.error is not None:
            since = _age(clock, spool.health.since)
            return ComponentHealth.failing(f"cannot write for {since:.0f} s: {spool.health.error}", **figures)
        if spool.full:
            return ComponentHealth.failing(f"full ({spool.depth} readings): the collectors hold back", **figures)
        if spool.depth >= policy.spool_nearly_full * spool.max_readings:
            return ComponentHealth.degraded(f"{spool.depth} of {spool.max_readings} readings", **figures)
        return ComponentHealth.ok(f"writable, {spool.depth} readings waiting", **figures)

    return check


def store_check(writer: SpoolWriter, spool: SpoolBase, clock: Clock, policy: HealthPolicy) -> Check:
    def check() -> ComponentHealth:
        behind = _age(clock, spool.oldest_pending_at(writer.consumer))
        figures = {
            "last_success_age_seconds": _age(clock, writer.health.last_success_at),
            "error": writer.health.error,
            "error_age_seconds": _age(clock, writer.health.error_since),
            "written": writer.stats.written,
        }
        # The store being down is degraded, not failing: the spool holds the readings until it is back.
        if writer.health.error is not None:
            return ComponentHealth.degraded(
                f"writes fail, readings wait in the spool: {writer.health.error}", **figures
            )
        if behind is not None and behind > policy.store_behind.total_seconds():
            return ComponentHealth.degraded(f"the oldest unwritten reading waits for {behind:.0f} s", **figures)
        return ComponentHealth.ok("writes succeed", **figures)

    return check


def rules_check(worker: RulesWorker, spool: SpoolBase, clock: Clock, policy: HealthPolicy) -> Check:
    def check() -> ComponentHealth:
        behind = _age(clock, spool.oldest_pending_at(worker.consumer))
        figures = {
            "lag_readings": spool.lag(worker.consumer),
            "lag_seconds": behind,
            "raised": worker.stats.raised,
            "failed_readings": worker.stats.failed_readings,
            "late_readings": worker.stats.late,
        }
        if worker.health.error is not None:
            since = _age(clock, worker.health.error_since) or 0.0
            return ComponentHealth.failing(
                f"alarms cannot reach work orders for {since:.0f} s: {worker.health.error}", **figures
            )
        if behind is not None and behind > policy.rules_behind.total_seconds():
            return ComponentHealth.degraded(f"{figures['lag_readings']} readings not judged yet", **figures)
        return ComponentHealth.ok("judging readings as they arrive", **figures)

    return check


def outbox_check(
    sessions: sessionmaker[Session], dispatcher: OutboxDispatcher, site_id: str, clock: Clock, policy: HealthPolicy
) -> Check:
    waiting = [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]

    def check() -> ComponentHealth:
        now = clock.now()
        with sessions() as session:
            pending, oldest = session.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(
                    OutboxRow.site_id == site_id, OutboxRow.status.in_(waiting)
                )
            ).one()
            failed = session.scalar(
                select(func.count()).where(
                    OutboxRow.site_id == site_id,
                    OutboxRow.status == DeliveryStatus.FAILED.value,
                    OutboxRow.created_at >= now - policy.failed_alerts_window,
                )
            )
        figures = {
            "pending": int(pending),
            "oldest_pending_age_seconds": _age(clock, oldest),
            "failed": int(failed or 0),
        }
        if dispatcher.error is not None:
            return ComponentHealth.failing(f"alerts cannot be sent: {dispatcher.error}", **figures)
        age = figures["oldest_pending_age_seconds"]
        if isinstance(age, float) and age > policy.outbox_behind.total_seconds():
            return ComponentHealth.degraded(f"{pending} alerts waiting, the oldest for {age:.0f} s", **figures)
        if figures["failed"]:
            hours = policy.failed_alerts_window.total_seconds() / 3600
            return ComponentHealth.degraded(f"{failed} alerts failed for good in {hours:g} h", **figures)
        return ComponentHealth.ok(f"{pending} alerts waiting", **figures)

    return check


def devices_check(pollers: Sequence[Poller]) -> Check:
    def check() -> ComponentHealth:
        offline = [a for p in pollers for a in p.asset_ids() if p.status(a).online is False]
        polled = sum(len(p.asset_ids()) for p in pollers)
        figures = {"polled": polled, "offline": len(offline)}
        if offline:
            named = ", ".join(offline[:MAX_LISTED]) + (" …" if len(offline) > MAX_LISTED else "")
            return ComponentHealth.degraded(f"{len(offline)} of {polled} polled devices offline: {named}", **figures)
        return ComponentHealth.ok(f"{polled} polled devices answering", **figures)

    return check


def threads_check(supervisor: Supervisor) -> Check:
    def check() -> ComponentHealth:
        states = supervisor.threads()
        figures: dict[str, int | str | None] = {
            "threads": len(states),
            "restarts": sum(s.restarts for s in states),
            "exiting": supervisor.fatal,
        }
        if supervisor.fatal is not None:
            return ComponentHealth.failing(f"exiting: {supervisor.fatal}", **figures)
        dead = [s.name for s in states if not s.alive]
        if dead:
            return ComponentHealth.failing(f"not running: {', '.join(dead)}", **figures)
        restarted = [f"{s.name} ({s.restarts}×, last: {s.last_error})" for s in states if s.restarts]
        if restarted:
            return ComponentHealth.degraded(f"restarted after a crash: {'; '.join(restarted)}", **figures)
        return ComponentHealth.ok(f"{len(states)} threads running", **figures)

    return check


def photos_check(probe: BucketProbe) -> Check:
    """The photo bucket: degraded while it does not answer (uploads fail; readings and alarms do not).

    The probe asks with a 2 s timeout and keeps its answer for 30 s, so /health and the scrape stay quick.
    """

    def check() -> ComponentHealth:
        answer = probe.check()
        figures = {"reachable": answer.state is BucketState.OK, "state": answer.state.value}
        if answer.state is BucketState.OK:
            return ComponentHealth.ok(answer.detail, **figures)
        return ComponentHealth.degraded(f"photo uploads fail: {answer.detail}", **figures)

    return check


class HealthMetrics(Collector):
    """The checks' states and numeric figures as Prometheus gauges, computed at scrape time.

    `facilities_health_state{component}` is 0 ok, 1 degraded, 2 failing; every number or flag a check
    reports is `facilities_health_<component>_<figure>` (e.g. facilities_health_spool_depth).
    """

    def __init__(self, checks: Mapping[str, Callable[[], ComponentHealth | tuple[bool, str]]]) -> None:
        self.checks = checks

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily("facilities_health_state", "0 ok, 1 degraded, 2 failing", labels=["component"])
        figures: list[Metric] = []
        for name, check in self.checks.items():
            try:
                answer = check()
            except Exception as exc:
                answer = ComponentHealth.failing(f"check failed: {exc!r}")
            if not isinstance(answer, ComponentHealth):
                answer = ComponentHealth(HealthState.OK if answer[0] else HealthState.FAILING, answer[1])
            state.add_metric([name], answer.state.rank)
            for figure, value in answer.figures.items():
                if isinstance(value, bool | int | float):
                    gauge = GaugeMetricFamily(f"facilities_health_{name}_{figure}", f"{name}: {figure}")
                    gauge.add_metric([], float(value))
                    figures.append(gauge)
        yield state
        yield from figures
