"""`facilities ingest`, `collect`, `run` and `demo`: the long-running processes, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from core.clock import SystemClock
from core.settings import Settings
from facilities.cli.common import (
    SiteOption,
    database_unreachable,
    exit_if_fatal,
    fail,
    settings_from_env,
    site_from,
)
from facilities.heap import freeze_startup_heap
from facilities.logs import configure_logging
from facilities.metrics import serve_metrics
from simulators.servers import MissingBinary

if TYPE_CHECKING:
    from facilities.supervisor import Supervisor

log = logging.getLogger("facilities")


def ingest(site: SiteOption = None, log_level: str = "INFO") -> None:
    """Run the MQTT collector and the spool writer until interrupted (Ctrl-C or SIGTERM)."""
    from facilities.bootstrap import SetupError, build_ingest
    from facilities.supervisor import Supervisor

    settings = settings_from_env()
    configure_logging(log_level, settings.log_format)
    supervisor = Supervisor(SystemClock())
    try:
        service = build_ingest(settings, site=site_from(settings, site), spawn=supervisor.spawn)
    except SetupError as exc:
        raise fail(str(exc)) from None
    if settings.metrics_port:
        serve_metrics(service, settings.metrics_port)
    freeze_startup_heap()  # no live reload here: the site model lives as long as the process
    service.start()
    log.info("ingesting site %s from %s; spool %s", service.site.id, settings.mqtt_url, service.spool.location)
    _until_signalled(supervisor, service.stop)


def collect(site: SiteOption = None, log_level: str = "INFO") -> None:
    """Run one more MQTT collector of a share group into the hub's spool (docs/scaling.md) until interrupted."""
    from facilities.bootstrap import SetupError
    from facilities.replica import build_collector_replica
    from facilities.supervisor import Supervisor

    settings = settings_from_env()
    configure_logging(log_level, settings.log_format)
    supervisor = Supervisor(SystemClock())
    try:
        replica = build_collector_replica(settings, site=site_from(settings, site), spawn=supervisor.spawn)
    except SetupError as exc:
        raise fail(str(exc)) from None
    freeze_startup_heap()
    replica.start()
    log.info(
        "collecting site %s as %s into %s", replica.site.id, replica.collector.options.client_id, replica.spool.location
    )
    _until_signalled(supervisor, replica.stop)


def _until_signalled(supervisor: Supervisor, stop_service: Callable[[], None]) -> None:
    """Wait for SIGTERM, Ctrl-C or a thread the supervisor gave up on; stop; exit non-zero with the reason if any."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    supervisor.on_fatal(lambda _reason: stop.set())
    stop.wait()
    supervisor.stop()
    stop_service()
    exit_if_fatal(supervisor.fatal)


def run(site: SiteOption = None, log_level: str = "INFO") -> None:
    """Run the whole hub: collectors, spool, store, rules, work orders, SLA checks and the API."""
    import asyncio

    from sqlalchemy.exc import OperationalError

    from collectors.dlt645.devices import Dlt645ConfigError
    from collectors.modbus.devices import ModbusConfigError
    from facilities.bootstrap import SetupError, bootstrap
    from facilities.hub import run_until_stopped
    from facilities.hub_pidfile import HubPidFile
    from facilities.metrics import serve_registry
    from facilities.portfolio_run import after_uvicorn_signals
    from storage.schema_version import SchemaTooNew

    settings = settings_from_env()
    configure_logging(log_level, settings.log_format)
    if settings.portfolio_file is not None and site is None:
        _run_replica(settings)
        return
    try:
        hub = bootstrap(settings, site=site_from(settings, site))
    except (SetupError, ModbusConfigError, Dlt645ConfigError, SchemaTooNew) as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise database_unreachable(settings, exc) from None
    if settings.metrics_port:
        serve_registry(hub.metrics, settings.metrics_port, address=settings.api_host)
    log.info("hub for site %s: API on http://%s:%d", hub.site.id, settings.api_host, settings.api_port)
    after_uvicorn_signals()  # so the hub's own graceful stop runs after uvicorn's
    pid_file = HubPidFile(settings.data_dir)  # so `facilities devices adopt` can reload this hub
    pid_file.hold(site or settings.site_file)
    try:
        asyncio.run(run_until_stopped(hub, host=settings.api_host, port=settings.api_port))
    finally:
        pid_file.release()
    exit_if_fatal(hub.supervisor.fatal)


def _run_replica(settings: Settings) -> None:
    """A replica of the company's hub: the sites it holds leases for (facilities.portfolio_run)."""
    from sqlalchemy.exc import OperationalError

    from core.config_files import ConfigError
    from facilities.portfolio_run import build_replica, serve

    try:
        running = build_replica(settings)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise database_unreachable(settings, exc) from None
    serve(running, host=settings.api_host, port=settings.api_port)
    exit_if_fatal(running.fatal)


def demo(
    site: SiteOption = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds and print a JSON summary.")
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 60.0,
    seed: Annotated[int, typer.Option(help="Same seed, same community.")] = 1,
) -> None:
    """Run the hub on a simulated community with faults on a schedule, in accelerated time."""
    from facilities.demo import run_demo, summary_json

    settings = settings_from_env()
    configure_logging("WARNING", settings.log_format)
    loaded = site_from(settings, site)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        summary = run_demo(loaded, settings, duration_s=duration, speed=speed, seed=seed, stop=stop, echo=typer.echo)
    except MissingBinary as exc:
        raise fail(str(exc)) from None
    typer.echo(summary_json(summary))
