"""`facilities run` with FACILITIES_PORTFOLIO_FILE: one replica of a company's hub (issue 23, docs/scaling.md).

Several replicas, on one machine or many, share one database (PostgreSQL) and one broker. Each runs the sites
it holds a lease for (cluster.replica) as full one-site hubs (facilities.site_hubs) behind one HTTP front
(facilities.portfolio_app). SIGTERM or Ctrl-C: the API stops, every site's hub stops (what was acknowledged is
spooled), the leases are released so the other replicas take the sites at once. A replica that dies loses its
leases after FACILITIES_LEASE_TTL_S and the others take its sites.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta

import uvicorn

from cluster.leases import LeaseBook, engine_options
from cluster.replica import Replica
from core.clock import Clock, SystemClock
from core.portfolio import Portfolio, load_portfolio
from core.settings import Settings
from core.threads import start_thread
from facilities.portfolio_app import PortfolioApp
from facilities.site_hubs import SiteHubs
from storage.database import make_engine, session_factory, upgrade

log = logging.getLogger(__name__)


def after_uvicorn_signals() -> None:
    """Make the SIGTERM/SIGINT that uvicorn re-raises once it has stopped harmless, so the graceful stop after it
    (every site's hub, then the leases) runs; with the default handlers the process would die right there."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: log.info("signal %d: stopping", number))


def default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class PortfolioReplica:
    portfolio: Portfolio
    hubs: SiteHubs
    replica: Replica
    app: PortfolioApp
    fatal: str | None = None


def build_replica(settings: Settings, *, clock: Clock | None = None, replica_id: str | None = None) -> PortfolioReplica:
    """The portfolio, the shared database engine, the lease book and the replica loop, not yet started."""
    if settings.portfolio_file is None:
        raise ValueError("build_replica needs FACILITIES_PORTFOLIO_FILE")
    clock = clock or SystemClock()
    portfolio = load_portfolio(settings.portfolio_file)  # a bad file stops the start with every problem listed
    upgrade(settings.database_url)
    # One pool for all the replica's hubs: each running site's jobs, rules worker and outbox take a connection now
    # and then, so the pool grows with the sites (5 + 10 overflow ran out around 50 sites in bench/scale.py).
    sites = len(portfolio.sites)
    database = make_engine(settings.database_url, pool_size=min(5 + sites, 60), max_overflow=min(10 + sites, 60))
    ttl = timedelta(seconds=settings.lease_ttl_s)
    # The lease book's own engine: its calls are bounded, so a cut-off network cannot hold a tick past fencing.
    leases = make_engine(settings.database_url, **engine_options(settings.database_url, ttl))
    me = replica_id or settings.replica_id or default_replica_id()
    url = settings.replica_url or f"http://{settings.api_host}:{settings.api_port}"
    book = LeaseBook(session_factory(leases), me, clock, ttl=ttl, url=url)
    hubs = SiteHubs(settings, portfolio, database, clock)
    replica = Replica(
        book, list(portfolio.sites), start_site=hubs.start, stop_site=hubs.stop, clock=clock, every=ttl / 5
    )
    hubs.on_failure = replica.give_up
    return PortfolioReplica(portfolio, hubs, replica, PortfolioApp(hubs, portfolio, replica))


def serve(running: PortfolioReplica, *, host: str, port: int) -> None:
    """Run the lease loop and the HTTP front until SIGTERM/SIGINT (uvicorn's) or the loop fails."""
    stop = threading.Event()
    server = uvicorn.Server(uvicorn.Config(running.app, host=host, port=port, log_level="warning"))

    def loop() -> None:
        try:
            running.replica.run(stop)  # its finally stops every site and releases the leases
        except BaseException as exc:
            running.fatal = f"replica loop failed: {exc!r}"
            log.critical("%s; stopping the replica", running.fatal, exc_info=exc)
            server.should_exit = True
            raise

    thread = start_thread("replica-leases", loop)
    after_uvicorn_signals()
    log.info(
        "replica %s: %d sites in the portfolio, API on http://%s:%d",
        running.replica.book.replica_id, len(running.portfolio.sites), host, port,
    )  # fmt: skip
    try:
        server.run()
    finally:
        stop.set()
        thread.join()
