"""The hubs of the sites this replica holds leases for (issue 23): started and stopped by the replica loop.

Each site gets the hub `facilities run` builds for one site (its own collectors with a broker client id of its
own, spool, store writer, rules, alerts, pollers, console and API), from the portfolio's files for it and a data
folder of its own, over one database engine the replica's hubs share, and a scheduler of its own for its SLA,
escalation, billing, report, patrol and planner jobs. A hub whose supervisor gives up on a thread reports the
site to `on_failure` (the replica then stops it and releases its lease, so another replica takes it over).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from sqlalchemy import Engine

from core.clock import Clock
from core.health import ComponentHealth, HealthState, overall
from core.portfolio import Portfolio, settings_for
from core.settings import Settings
from facilities.bootstrap import bootstrap
from facilities.hub import Hub
from storage.store import ReadingStore

log = logging.getLogger(__name__)
JOB_THREADS = 2  # a site's jobs are short and coalesced; two threads let the SLA check run beside a long report


@dataclass
class RunningSite:
    hub: Hub
    scheduler: BackgroundScheduler
    app: FastAPI


class SiteHubs:
    """start(site) / stop(site) for the replica loop; the running sites' apps for the replica's API."""

    def __init__(
        self,
        settings: Settings,
        portfolio: Portfolio,
        database: Engine,
        clock: Clock,
        *,
        checks_every: timedelta | None = None,
        build: Callable[..., Hub] = bootstrap,
    ) -> None:
        self.settings = settings
        self.portfolio = portfolio
        self.database = database
        self.clock = clock
        self.checks_every = checks_every
        self.on_failure: Callable[[str, str], None] = lambda site, reason: None
        self._build = build
        self._running: dict[str, RunningSite] = {}
        self._lock = threading.Lock()  # the replica loop changes the map while the API's threads read it

    def start(self, site_id: str) -> None:
        """Build and start the site's hub; raises (with nothing left running) when it cannot start."""
        files = self.portfolio.sites[site_id]
        hub = self._build(settings_for(self.settings, files), site=files.site, clock=self.clock, database=self.database)
        hub.portfolio = self.portfolio
        hub.portfolio_stores = self.store_of
        scheduler = BackgroundScheduler(timezone="UTC", executors={"default": ThreadPoolExecutor(JOB_THREADS)})
        try:
            hub.start()
            hub.schedule_jobs(scheduler, self.checks_every)
            scheduler.start()
            app = hub.api()
        except BaseException:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            hub.stop()
            raise
        hub.supervisor.on_fatal(lambda reason: self.on_failure(site_id, reason))
        with self._lock:
            self._running[site_id] = RunningSite(hub, scheduler, app)
        log.info("site %s: hub started", site_id)

    def stop(self, site_id: str) -> None:
        """Stop the site's jobs (a running one finishes first), then its hub: what was acknowledged is spooled."""
        with self._lock:
            running = self._running.pop(site_id, None)
        if running is None:
            return
        try:
            running.scheduler.shutdown(wait=True)
        finally:
            running.hub.stop()
        log.info("site %s: hub stopped", site_id)

    def stop_all(self) -> None:
        for site_id in self.held():
            self.stop(site_id)

    def held(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def app_for(self, site_id: str) -> FastAPI | None:
        with self._lock:
            running = self._running.get(site_id)
        return running.app if running is not None else None

    def hub_for(self, site_id: str) -> Hub | None:
        with self._lock:
            running = self._running.get(site_id)
        return running.hub if running is not None else None

    def store_of(self, site_id: str) -> ReadingStore | None:
        """A site's readings for the company view: its hub's store when it runs here, else none (shown so)."""
        hub = self.hub_for(site_id)
        return hub.ingest.store if hub is not None else None

    def subscribed(self, site_id: str) -> bool | None:
        """Whether the site's collector has its subscriptions at the broker (None: the site does not run here)."""
        hub = self.hub_for(site_id)
        return hub.ingest.collector.subscribed.is_set() if hub is not None else None

    def health(self) -> dict[str, HealthState]:
        """Each running site's overall state, as its own /health computes it."""
        states = {}
        for site_id in self.held():
            hub = self.hub_for(site_id)
            if hub is not None:
                states[site_id] = overall(_state(check()) for check in hub.health_checks().values())
        return states


def _state(result: ComponentHealth | tuple[bool, str]) -> HealthState:
    if isinstance(result, ComponentHealth):
        return result.state
    return HealthState.OK if result[0] else HealthState.FAILING
