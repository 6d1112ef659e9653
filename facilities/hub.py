"""The hub: collectors, spool, store writer, rules, work orders, SLA checks and the API in one process.

facilities.bootstrap.bootstrap() builds it from settings; this module runs it.

`facilities run` starts it. Threads: paho's network loop, the group-commit flusher, the store
writer, the rules worker, the Modbus poller's event loop. The main thread runs asyncio: the API
(uvicorn) and the APScheduler jobs. SIGTERM stops the API, then the collectors (their last messages
are committed), then the rules (events delivered, state checkpointed), then the writer: nothing
that was acknowledged is lost, and what the store has not confirmed stays in the spool.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import BaseScheduler
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from access import audit
from alerts.escalation import schedule_escalation_checks
from alerts.facts import PlaceBook
from alerts.retention import prune_outbox
from api.app import create_app
from api.health_checks import database_check
from api.ports import AlarmSource, ApiDependencies, HealthCheck
from api.routes import admin, baselines
from api.workorder_deps import WORK_ORDER_CONFLICTS
from billing.config import BillingConfig
from billing.periods import BillingPeriod
from billing.run import run_billing
from billing.sources import RegisterReader
from console import forms, session_store
from console.access import ConsoleConfig
from console.pages import mount_console
from core.clock import Clock
from core.config_files import ConfigError
from core.inventory import Adoption
from core.portfolio import Portfolio
from core.settings import Settings
from core.site import Site
from facilities.adopt import SiteEditor
from facilities.alerting import Alerts
from facilities.health import (
    HealthPolicy,
    devices_check,
    mqtt_check,
    outbox_check,
    photos_check,
    rules_check,
    spool_check,
    store_check,
    threads_check,
)
from facilities.ingest import Ingest
from facilities.reload import ReloadResult, SiteReloader
from facilities.reporting import planned_maintenance
from facilities.supervisor import Supervisor
from maintenance.planner import Planner, schedule_planner
from patrols.alerting import OutboxPatrolNotifier
from patrols.config import EMPTY as EMPTY_PATROLS
from patrols.config import PatrolBook
from patrols.job import log_only, schedule_patrol_checks
from patrols.watch import Notify
from reports.files import write_monthly_files
from reports.gather import build_monthly_report
from rules.engine import RuleEngine
from rules.worker import RulesWorker
from storage.photos_s3 import BucketProbe
from storage.store import ReadingStore
from workorders.events import SlaBreached, WorkOrderEvent
from workorders.sla_job import schedule_sla_checks
from workorders.unit_of_work import UnitOfWork

# Routers the hub mounts beyond create_app's own (the authorization matrix test covers these too).
HUB_ROUTERS = (baselines.router, admin.router)
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
    uow_factory: Callable[[], UnitOfWork]  # with the alerts outbox when alerts are configured
    rule_state: AlarmSource  # the engine's stored state, which the API reads for open alarms
    alerts: Alerts | None = None
    billing: BillingConfig | None = None
    billing_reader: RegisterReader | None = None  # batch boundary reads where the store offers them
    console: ConsoleConfig | None = None  # the web console at /console; None: the JSON API only
    planner: Planner | None = None  # planned maintenance (FACILITIES_MAINTENANCE_FILE); None: none configured
    patrols: PatrolBook = EMPTY_PATROLS  # the patrol routes; their late and missed slots are checked
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    server: uvicorn.Server | None = None  # set while the API runs, so another thread can stop it
    reloader: SiteReloader | None = None  # live reload of the site file (SIGHUP, POST /admin/reload)
    portfolio: Portfolio | None = None  # the company's sites, when this hub is one of a replica's (company view)
    portfolio_stores: Callable[[str], ReadingStore | None] | None = None  # their readings, where they run here
    shared_database: bool = False  # the engine is a replica's, shared by its sites' hubs: stop leaves it open
    photos_probe: BucketProbe | None = None  # the photo bucket's (FACILITIES_PHOTOS_STORE=s3://…); None: a folder
    api_deps: ApiDependencies | None = field(default=None, init=False)  # the API's, to give it a reloaded site

    def __post_init__(self) -> None:
        self.editor: SiteEditor | None = None
        if self.reloader is not None:
            self.reloader.on_site = self._site_reloaded
            self.editor = SiteEditor(self.reloader.path, self.reload)

    def adopt(self, adoption: Adoption, unique_id: str | None = None) -> object:
        """Add a discovered device to the site file and reload; `unique_id`: its Home Assistant entity.
        Raises ConfigError (the file is left as it was) or KeyError (no such discovered entity)."""
        if self.editor is None:
            raise RuntimeError("this hub was built without a site file to edit")
        entity = None
        if unique_id is not None:
            entity = self.ingest.discovery.get(unique_id)
            if entity is None:
                raise KeyError(unique_id)
        return self.editor.adopt(adoption, entity)

    def reload(self) -> ReloadResult:
        """Read the site file again and apply it; raises `ConfigError` (nothing changed) when it is refused."""
        if self.reloader is None:
            raise RuntimeError("this hub was built without a site file to reload")
        return self.reloader.reload()

    def _site_reloaded(self, site: Site) -> None:
        self.site = site
        if self.api_deps is not None:
            # The API's dependencies are frozen against the routes; the hub that built them swaps the site.
            object.__setattr__(self.api_deps, "site", site)
        if self.alerts is not None:
            self.alerts.outbox.places = PlaceBook.from_site(site)

    def reload_logged(self) -> None:
        """SIGHUP: reload, logging a refusal instead of raising (the running configuration stays)."""
        try:
            self.reload()
        except ConfigError:
            pass  # the reloader logged every problem
        except Exception:
            log.exception("site reload failed")

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
        if not self.shared_database:
            self.database.dispose()

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def bill_last_month(self) -> None:
        """Draft statements for the month that just ended (re-running is harmless: unchanged drafts stay)."""
        if self.billing is None:
            return
        period = BillingPeriod.last_completed(self.clock.now(), self.site.info.timezone)
        result = run_billing(
            self.site, self.ingest.store, self.sessions, period, self.billing, clock=self.clock,
            reader=self.billing_reader,
        )  # fmt: skip
        log.info("billing %s: %s", period, result.counts)

    def write_monthly_report(self) -> None:
        """Last month's operations report (月度小结) into <data>/reports, for the service-centre head."""
        period = str(BillingPeriod.last_completed(self.clock.now(), self.site.info.timezone))
        report = build_monthly_report(
            self.site, self.sessions, self.ingest.store, period, book=self.patrols, clock=self.clock,
            planned=planned_maintenance(self.settings, self.site, self.sessions),
        )  # fmt: skip
        pdf, xlsx = write_monthly_files(report, ZoneInfo(self.site.info.timezone), self.settings.data_dir / "reports")
        log.info("monthly report %s: %s, %s", period, pdf, xlsx)

    def patrol_notify(self) -> Notify:
        """Late and missed patrols to the supervisor's team through the alert outbox; the log without alerts."""
        if self.alerts is None:
            return log_only
        return OutboxPatrolNotifier(
            self.alerts.outbox.routing, clock=self.clock, zone=ZoneInfo(self.site.info.timezone)
        )

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
            alarms=self.rule_state,
            work_order_events=_publish_breach,
            uow_factory=self.uow,
            billing_config=self.billing,
            baseline_resetter=self.engine.reset_baseline,
            # Whose an undispatched order is, for crew keys: the same routing the console and the alerts use.
            order_teams=self.alerts.outbox.routing.teams_for if self.alerts is not None else None,
            site_reloader=self.reload if self.reloader is not None else None,
            last_seen=self.ingest.seen,
            discovery=self.ingest.discovery,
            device_adopter=self.adopt if self.reloader is not None else None,
            portfolio=self.portfolio,
            portfolio_stores=self.portfolio_stores,
        )
        self.api_deps = deps
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
        if self.photos_probe is not None:
            checks["photos"] = photos_check(self.photos_probe)
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
        self.schedule_jobs(scheduler, checks_every)
        scheduler.start()  # inside the running loop, as APScheduler 3 requires
        server = self.server = uvicorn.Server(uvicorn.Config(self.api(), host=host, port=port, log_level="warning"))
        self.supervisor.on_fatal(lambda _reason: setattr(server, "should_exit", True))  # then run exits non-zero
        try:
            await server.serve()
        finally:
            scheduler.shutdown(wait=False)

    def schedule_jobs(self, scheduler: BaseScheduler, checks_every: timedelta | None = None) -> None:
        """This site's jobs: SLA and escalation checks, billing and the monthly report on the 1st, retention,
        patrols and the maintenance planner (a replica running several sites gives each its own scheduler)."""
        every = checks_every or timedelta(seconds=30)
        schedule_sla_checks(
            scheduler, uow_factory=self.uow, clock=self.clock, publish=_publish_breach, every=every,
            site_id=self.site.id,
        )  # fmt: skip
        if self.billing is not None:
            # The fee module wants last month's drafts on the 1st; a missed run (hub down) runs once at start.
            scheduler.add_job(
                self.bill_last_month, "cron", day=1, hour=2, timezone=self.site.info.timezone,
                id="billing.monthly", coalesce=True, max_instances=1, misfire_grace_time=86_400,
            )  # fmt: skip
        # The monthly operations report on the 1st, after billing's drafts; a missed run (hub down) runs at start.
        scheduler.add_job(
            self.write_monthly_report, "cron", day=1, hour=4, timezone=self.site.info.timezone,
            id="reports.monthly", coalesce=True, max_instances=1, misfire_grace_time=86_400,
        )  # fmt: skip
        # Nightly, when nobody is dispatching: old finished alerts and handled console forms go.
        scheduler.add_job(
            self.prune, "cron", hour=3, minute=30, timezone=self.site.info.timezone,
            id="retention.nightly", coalesce=True, max_instances=1, misfire_grace_time=86_400,
        )  # fmt: skip
        if self.patrols.routes:
            schedule_patrol_checks(
                scheduler, self.sessions, self.patrols, site_id=self.site.id, zone=ZoneInfo(self.site.info.timezone),
                clock=self.clock, notify=self.patrol_notify(),
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
        if self.planner is not None:  # planned orders as they fall due, in the site's zone and calendar
            schedule_planner(scheduler, self.planner, every=timedelta(minutes=15))


def _publish_breach(event: WorkOrderEvent) -> None:
    # The alerts outbox (when configured) carries breaches to supervisors; the log line is for operators.
    if not isinstance(event, SlaBreached):
        return
    details = ", ".join(
        f"{name}={getattr(event, name)}" for name in ("code", "asset_id", "kind", "due_at") if hasattr(event, name)
    )
    log.warning("SLA breached: %s", details or event)


def reload_on_sighup(hub: Hub) -> bool:
    """SIGHUP reloads the site file (in a worker thread: a reload may wait for pollers to stop). False where
    signals cannot be handled (not the main thread, or Windows)."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, hub.reload_logged))
    except (ValueError, RuntimeError, NotImplementedError, AttributeError):
        return False
    return True


async def run_until_stopped(hub: Hub, *, host: str, port: int) -> None:
    hub.start()
    reload_on_sighup(hub)
    try:
        await hub.serve(host=host, port=port)
    finally:
        await asyncio.to_thread(hub.stop)
