"""The hub: collectors, spool, store writer, rules, work orders, SLA checks and the API in one process.

`facilities run` starts it. Threads: paho's network loop, the group-commit flusher, the store
writer, the rules worker, the Modbus poller's event loop. The main thread runs asyncio: the API
(uvicorn) and the APScheduler jobs. SIGTERM stops the API, then the collectors (their last messages
are committed), then the rules (events delivered, state checkpointed), then the writer: nothing
that was acknowledged is lost, and what the store has not confirmed stays in the spool.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from access import audit
from alerts.escalation import schedule_escalation_checks
from alerts.retention import prune_outbox
from api.app import create_app
from api.health_checks import database_check
from api.ports import ApiDependencies, HealthCheck
from api.routes import baselines
from api.workorder_deps import WORK_ORDER_CONFLICTS
from billing.config import BillingConfig, check_against_site, load_billing_config
from billing.periods import BillingPeriod
from billing.run import run_billing
from collectors.modbus import DeviceStateChanged
from console import forms, session_store
from console.access import ConsoleConfig
from console.pages import mount_console
from console.secret import console_secret
from core.clock import Clock, SystemClock
from core.config import Site, load_site
from core.settings import Environment, Settings
from facilities.alarm_handling import AlarmDispatcher
from facilities.alerting import Alerts, build_alerts
from facilities.bootstrap import Ingest, billing_reader, build_ingest
from facilities.health import (
    HealthMetrics,
    HealthPolicy,
    devices_check,
    mqtt_check,
    outbox_check,
    rules_check,
    spool_check,
    store_check,
    threads_check,
)
from facilities.metrics import IngestMetrics
from facilities.rules_worker import RulesWorker
from facilities.supervisor import Supervisor
from operations.hub_metrics import WorkOrderMetrics
from rules.engine import RuleEngine
from rules.library import effective_rules
from rules.state_store import SqlRuleStateStore
from storage.database import make_engine, session_factory, upgrade
from workorders.events import Event as WorkOrderEvent
from workorders.events import SlaBreached
from workorders.sla import schedule_sla_checks
from workorders.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork

# Routers the hub mounts beyond create_app's own (the authorization matrix test covers these too).
HUB_ROUTERS = (baselines.router,)
log = logging.getLogger(__name__)
FORMS_KEPT = timedelta(days=30)  # how long a handled console form's nonce still catches a repeat
SESSIONS_KEPT = timedelta(days=30)  # an expired or ended console session's row, for looking into an incident
SIGN_INS_KEPT = timedelta(days=365)  # the sign-in audit log


@dataclass
class Hub:
    settings: Settings
    site: Site
    clock: Clock
    database: Engine
    sessions: sessionmaker[Session]
    ingest: Ingest
    engine: RuleEngine
    rules: RulesWorker
    supervisor: Supervisor
    alerts: Alerts | None = None
    billing: BillingConfig | None = None
    console: ConsoleConfig | None = None  # the web console at /console; None: the JSON API only
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    server: uvicorn.Server | None = None  # set while the API runs, so another thread can stop it

    def start(self) -> None:
        """Start the background work; restored alarms are delivered before the first new reading."""
        if self.alerts is not None:
            self.alerts.start()  # first: what the outbox still holds from before goes out
        self.ingest.writer.start()
        self.rules.start()
        self.ingest.collector.start()
        for poller in self.ingest.pollers:
            poller.start()

    def stop(self) -> None:
        self.supervisor.stop()  # a thread that ends from here on is stopping, not crashing
        for poller in self.ingest.pollers:
            poller.stop()
        self.ingest.collector.stop()
        self.rules.stop()
        if self.alerts is not None:
            self.alerts.stop()
        self.ingest.writer.stop()
        self.ingest.spool.close()
        self.database.dispose()

    def uow(self) -> UnitOfWork:
        return self.alerts.uow() if self.alerts is not None else SqlAlchemyUnitOfWork(self.sessions)

    def bill_last_month(self) -> None:
        """Draft statements for the month that just ended (re-running is harmless: unchanged drafts stay)."""
        if self.billing is None:
            return
        period = BillingPeriod.last_completed(self.clock.now(), self.site.info.timezone)
        reader = billing_reader(self.ingest.store, self.billing)
        result = run_billing(
            self.site, self.ingest.store, self.sessions, period, self.billing, clock=self.clock, reader=reader
        )
        log.info("billing %s: %s", period, result.counts)

    def api(self) -> FastAPI:
        deps = ApiDependencies(
            site=self.site,
            registry=self.ingest.registry,
            store=self.ingest.store,
            dead_letters=self.ingest.spool,
            session_factory=self.sessions,
            health_checks=self.health_checks(),
            exiting=lambda: self.supervisor.fatal,
            metrics=self.metrics,
            clock=self.clock,
            alarms=SqlRuleStateStore(self.database, self.site.id),
            work_order_events=_publish_breach,
            uow_factory=self.uow,
            billing_config=self.billing,
            baseline_resetter=self.engine.reset_baseline,
            # Whose an undispatched order is, for crew keys: the same routing the console and the alerts use.
            order_teams=self.alerts.outbox.routing.teams_for if self.alerts is not None else None,
        )
        app = create_app(deps, routers=HUB_ROUTERS, conflicts=WORK_ORDER_CONFLICTS)
        return mount_console(app, self.console) if self.console is not None else app

    def health_checks(self, policy: HealthPolicy | None = None) -> dict[str, HealthCheck]:
        """Every part's check, as /health, `facilities status` and the metrics report them."""
        policy = policy or HealthPolicy()
        ingest, clock = self.ingest, self.clock
        checks: dict[str, HealthCheck] = {
            "mqtt": mqtt_check(ingest.collector, clock, policy),
            "spool": spool_check(ingest.spool, clock, policy),
            "store": store_check(ingest.writer, ingest.spool, clock, policy),
            "rules": rules_check(self.rules, ingest.spool, clock, policy),
            "database": database_check(self.sessions),
            "threads": threads_check(self.supervisor),
        }
        if self.alerts is not None:
            checks["outbox"] = outbox_check(self.sessions, self.alerts.dispatcher, self.site.id, clock, policy)
        if ingest.pollers:
            checks["devices"] = devices_check(ingest.pollers)
        return checks

    def prune(self) -> None:
        """Delete what is past keeping: finished alert messages, stopped escalations, handled console forms,
        console sessions a month past their expiry, sign-in audit entries a year old."""
        now = self.clock.now()
        with self.sessions() as session:
            kept = timedelta(days=self.settings.alerts_retention_days)
            pruned = prune_outbox(session, site_id=self.site.id, older_than=now - kept)
            session.commit()
        pruned += forms.prune(self.sessions, older_than=now - FORMS_KEPT)
        pruned += session_store.prune(self.sessions, expired_before=now - SESSIONS_KEPT)
        pruned += audit.prune(self.sessions, older_than=now - SIGN_INS_KEPT)
        log.info("retention: %d rows deleted", pruned)

    async def serve(self, *, host: str, port: int, checks_every: timedelta | None = None) -> None:
        """Run the API and the scheduled jobs until uvicorn is told to stop (SIGINT/SIGTERM)."""
        scheduler = AsyncIOScheduler()
        every = checks_every or timedelta(seconds=30)
        schedule_sla_checks(scheduler, uow_factory=self.uow, clock=self.clock, publish=_publish_breach, every=every)
        if self.billing is not None:
            # The fee module wants last month's drafts on the 1st; a missed run (hub down) runs once at start.
            scheduler.add_job(
                self.bill_last_month, "cron", day=1, hour=2, timezone=self.site.info.timezone,
                id="billing.monthly", coalesce=True, max_instances=1, misfire_grace_time=86_400,
            )  # fmt: skip
        # Nightly, when nobody is dispatching: old finished alerts and handled console forms go.
        scheduler.add_job(
            self.prune, "cron", hour=3, minute=30, timezone=self.site.info.timezone,
            id="retention.nightly", coalesce=True, max_instances=1, misfire_grace_time=86_400,
        )  # fmt: skip
        if self.alerts is not None:
            alerts = self.alerts
            schedule_escalation_checks(
                scheduler,
                uow_factory=alerts.uow,
                clock=self.clock,
                sites=[self.site.id],
                every=checks_every or timedelta(seconds=15),
            )
        scheduler.start()  # inside the running loop, as APScheduler 3 requires
        server = self.server = uvicorn.Server(uvicorn.Config(self.api(), host=host, port=port, log_level="warning"))
        self.supervisor.on_fatal(lambda _reason: setattr(server, "should_exit", True))  # then run exits non-zero
        try:
            await server.serve()
        finally:
            scheduler.shutdown(wait=False)


def _publish_breach(event: WorkOrderEvent) -> None:
    # The alerts outbox (when configured) carries breaches to supervisors; the log line is for operators.
    if not isinstance(event, SlaBreached):
        return
    details = ", ".join(
        f"{name}={getattr(event, name)}" for name in ("code", "asset_id", "kind", "due_at") if hasattr(event, name)
    )
    log.warning("SLA breached: %s", details or event)


def build_hub(settings: Settings, *, site: Site | None = None, clock: Clock | None = None) -> Hub:
    clock = clock or SystemClock()
    site = site or load_site(settings.site_file)
    supervisor = Supervisor(clock)
    upgrade(settings.database_url)
    database = make_engine(settings.database_url)
    sessions = session_factory(database)
    rules = effective_rules(site.rules, use_builtin=site.use_builtin_rules)
    # autosave off: the worker writes engine state only after the alarms were handed on.
    engine = RuleEngine(rules, site, clock, store=SqlRuleStateStore(database, site.id), autosave=False)

    def device_state(event: DeviceStateChanged) -> None:
        if not event.online:
            engine.on_offline(event.asset_id, event.reason)

    console = console_config(settings)
    alerts = (
        build_alerts(settings, site, sessions, clock, links=console.links, spawn=supervisor.spawn)
        if settings.alerts_file
        else None
    )
    ingest = build_ingest(
        settings,
        site=site,
        clock=clock,
        consumers=("store", "rules"),
        on_device_state=device_state,
        spawn=supervisor.spawn,
    )
    zone = ZoneInfo(site.info.timezone)
    dispatcher = AlarmDispatcher(
        rules=rules,
        registry=ingest.registry,
        uow_factory=alerts.uow if alerts is not None else lambda: SqlAlchemyUnitOfWork(sessions),
        clock=clock,
        zone=zone,
    )
    worker = RulesWorker(ingest.spool, engine, dispatcher, ingest.writer.annotate, clock=clock, spawn=supervisor.spawn)
    worker.restore()
    if alerts is not None:
        console = replace(console, routing=alerts.outbox.routing)
    billing = _billing_config(settings, site)
    hub = Hub(settings, site, clock, database, sessions, ingest, engine, worker, supervisor, alerts, billing)
    hub.console = console
    hub.metrics.register(IngestMetrics(ingest))
    hub.metrics.register(HealthMetrics(hub.health_checks()))
    hub.metrics.register(WorkOrderMetrics(sessions, site.id, zone, clock))
    return hub


def console_config(settings: Settings) -> ConsoleConfig:
    """The console's signer and sessions from FACILITIES_CONSOLE_*; production refuses a missing secret."""
    return ConsoleConfig.from_secret(
        console_secret(settings),
        link_ttl=timedelta(hours=settings.console_link_ttl_h),
        session_ttl=timedelta(hours=settings.console_session_h),
        secure_cookies=settings.env is Environment.PRODUCTION,
    )


def _billing_config(settings: Settings, site: Site) -> BillingConfig | None:
    if not settings.billing_file.is_file():
        log.warning("no billing file at %s: monthly billing is off (FACILITIES_BILLING_FILE)", settings.billing_file)
        return None
    config = load_billing_config(settings.billing_file)  # a bad file stops the start with its key path
    check_against_site(config, site, source=str(settings.billing_file))
    return config


async def run_until_stopped(hub: Hub, *, host: str, port: int) -> None:
    hub.start()
    try:
        await hub.serve(host=host, port=port)
    finally:
        await asyncio.to_thread(hub.stop)
