"""The `facilities` command line."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from core.clock import SystemClock
from core.config import ConfigError, Site, load_site
from core.registry import AssetRegistry, UnknownAsset
from core.settings import Settings
from facilities import cli_status
from facilities.bootstrap import SetupError, build_ingest, build_store, open_spool
from facilities.cli_devices import devices_app
from facilities.cli_secrets import secrets_app
from facilities.localservers import MissingBinary
from facilities.logs import configure_logging
from facilities.metrics import serve_metrics
from operations import cli as operations_cli
from storage.schema_version import SchemaTooNew
from storage.store import Aggregate

log = logging.getLogger("facilities")

app = typer.Typer(help="Facilities monitoring for residential property management.", no_args_is_help=True)
config_app = typer.Typer(help="Check site configuration.", no_args_is_help=True)
readings_app = typer.Typer(help="Read stored meter, elevator and circuit readings.", no_args_is_help=True)
deadletters_app = typer.Typer(help="Inspect input that could not be ingested.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(readings_app, name="readings")
app.add_typer(deadletters_app, name="deadletters")
keys_app = typer.Typer(help="API keys: create and revoke.", no_args_is_help=True)
alarms_app = typer.Typer(help="Alarms raised by the rules engine.", no_args_is_help=True)
dashboards_app = typer.Typer(help="Grafana dashboards as code.", no_args_is_help=True)
billing_app = typer.Typer(help="Metered billing for the fee module.", no_args_is_help=True)
db_app = typer.Typer(help="The relational database (work orders, alarm state, keys).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(alarms_app, name="alarms")
app.add_typer(dashboards_app, name="dashboards")
app.add_typer(db_app, name="db")
app.add_typer(billing_app, name="billing")
users_app = typer.Typer(
    help="Web console accounts (/console): staff and crews sign in with these.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.command("status")(cli_status.status)
app.add_typer(devices_app, name="devices")
app.add_typer(secrets_app, name="secrets")
app.command("backup")(operations_cli.backup)
app.command("restore")(operations_cli.restore)

SiteOption = Annotated[
    Path | None,
    typer.Option("--site", help="Site file (TOML); default $FACILITIES_SITE_FILE or examples/site.toml."),
]


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise _fail(f"bad FACILITIES_* environment setting:\n{exc}") from None


def _site(settings: Settings, path: Path | None) -> Site:
    try:
        return load_site(path or settings.site_file)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@config_app.command("check")
def config_check(site: SiteOption = None) -> None:
    """Validate a site file, resolve its Modbus and DL/T 645 devices as `run` would, and summarise it."""
    from collectors.dlt645_devices import devices_from_site as dlt645_devices
    from collectors.modbus_devices import devices_from_site as modbus_devices

    loaded = _site(_settings(), site)
    try:  # profile names, overrides and shared lines: the errors `run` would stop on, before a site visit
        polled = len(modbus_devices(loaded)) + len(dlt645_devices(loaded))
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"{loaded.source}: site {loaded.id} ({loaded.info.name}): {len(loaded.buildings)} buildings, "
        f"{len(loaded.units)} units, {len(loaded.areas)} public areas, {len(loaded.meters)} meters, "
        f"{len(loaded.elevators)} elevators, {len(loaded.circuits)} lighting circuits; {polled} polled devices"
    )


@app.command()
def ingest(site: SiteOption = None, log_level: str = "INFO") -> None:
    """Run the MQTT collector and the spool writer until interrupted (Ctrl-C or SIGTERM)."""
    from facilities.supervisor import Supervisor

    settings = _settings()
    configure_logging(log_level, settings.log_format)
    supervisor = Supervisor(SystemClock())
    try:
        service = build_ingest(settings, site=_site(settings, site), spawn=supervisor.spawn)
    except SetupError as exc:
        raise _fail(str(exc)) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    supervisor.on_fatal(lambda _reason: stop.set())
    if settings.metrics_port:
        serve_metrics(service, settings.metrics_port)
    service.start()
    log.info("ingesting site %s from %s; spool %s", service.site.id, settings.mqtt_url, service.spool.path)
    stop.wait()
    supervisor.stop()
    service.stop()
    _exit_if_fatal(supervisor.fatal)


def _exit_if_fatal(reason: str | None) -> None:
    """Exit non-zero with the reason, so that a service manager restarts the process."""
    if reason is not None:
        typer.secho(f"stopped: {reason}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)


def _database_unreachable(settings: Settings, exc: Exception) -> typer.Exit:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url).render_as_string(hide_password=True)
    first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _fail(
        f"database {url} unreachable: {first}; start it or correct FACILITIES_DATABASE_URL "
        "(the hub does not start without it; its service manager starts it again)"
    )


@app.command()
def run(site: SiteOption = None, log_level: str = "INFO") -> None:
    """Run the whole hub: collectors, spool, store, rules, work orders, SLA checks and the API."""
    import asyncio

    from sqlalchemy.exc import OperationalError

    from collectors.dlt645_devices import Dlt645ConfigError
    from collectors.modbus_devices import ModbusConfigError
    from facilities.hub import build_hub, run_until_stopped
    from facilities.metrics import serve_registry

    settings = _settings()
    configure_logging(log_level, settings.log_format)
    try:
        hub = build_hub(settings, site=_site(settings, site))
    except (SetupError, ModbusConfigError, Dlt645ConfigError, SchemaTooNew) as exc:
        raise _fail(str(exc)) from None
    except OperationalError as exc:
        raise _database_unreachable(settings, exc) from None
    if settings.metrics_port:
        serve_registry(hub.metrics, settings.metrics_port, address=settings.api_host)
    log.info("hub for site %s: API on http://%s:%d", hub.site.id, settings.api_host, settings.api_port)
    asyncio.run(run_until_stopped(hub, host=settings.api_host, port=settings.api_port))
    _exit_if_fatal(hub.supervisor.fatal)


@app.command()
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

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    loaded = _site(settings, site)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        summary = run_demo(loaded, settings, duration_s=duration, speed=speed, seed=seed, stop=stop, echo=typer.echo)
    except MissingBinary as exc:
        raise _fail(str(exc)) from None
    typer.echo(summary_json(summary))


@app.command()
def simulate(
    site: SiteOption = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second (60: an hour a minute).")] = 1.0,
    start: Annotated[str | None, typer.Option("--from", help="Backfill from this ISO time (with --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Backfill up to this ISO time.")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same community.")] = 1,
    scenario: Annotated[Path | None, typer.Option(help="Fault scenario file (TOML).")] = None,
    fault: Annotated[
        list[str] | None, typer.Option(help="KIND:ASSET or KIND:ASSET@START, repeatable, e.g. leak:B1-0502-W@+1h.")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after this many real seconds.")] = None,
) -> None:
    """Publish a simulated community over MQTT: live, accelerated, or a fast backfill of a past period."""
    from simulators.community import CommunitySimulator
    from simulators.publisher import DevicePublisher
    from simulators.runner import backfill, run_live
    from simulators.scenarios import Scenario, ScenarioError, load_scenario, parse_fault_option

    settings = _settings()
    loaded = _site(settings, site)
    try:
        faults = [*(load_scenario(scenario).faults if scenario else ()), *(parse_fault_option(f) for f in fault or ())]
        begin = _aware(start) if start else datetime.now(UTC)
        finish = _aware(end) if end else None
        simulator = CommunitySimulator(loaded, seed=seed, start=begin, scenario=Scenario(faults=tuple(faults)))
    except (ScenarioError, ValueError) as exc:
        raise _fail(str(exc)) from None
    password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
    publisher = DevicePublisher(
        settings.mqtt_host, settings.mqtt_port, loaded.id, username=settings.mqtt_username, password=password
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        if finish is not None:
            summary = backfill(simulator, publisher.publish, finish)
        else:
            summary = run_live(simulator, publisher.publish, speed=speed, duration_s=duration, stop=stop)
    finally:
        publisher.close()
    typer.echo(
        json.dumps(
            {
                "simulated_from": summary.simulated_from.isoformat(),
                "simulated_to": summary.simulated_to.isoformat(),
                "messages": summary.messages,
                "faults": len(faults),
            }
        )
    )


def _aware(text: str) -> datetime:
    """An ISO date or time; without a zone it is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or time, e.g. 2026-09-01 or 2026-09-01T08:00+08:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@readings_app.command("latest")
def readings_latest(
    asset: Annotated[str, typer.Option("--asset", help="Asset id, e.g. B1-0101-W.")],
    site: SiteOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the latest stored values of one asset."""
    settings = _settings()
    registry = AssetRegistry.from_site(_site(settings, site))
    try:
        info = registry.get(asset)
        store = build_store(settings)
    except (UnknownAsset, SetupError) as exc:
        raise _fail(str(exc)) from None
    value = store.latest(info)
    if value is None:
        raise _fail(f"no readings stored for {asset}")
    if as_json:
        typer.echo(json.dumps({"asset_id": asset, "ts": value.ts.isoformat(), "tags": info.tags, **value.fields}))
        return
    typer.echo(f"{asset} at {value.ts.isoformat()}")
    for name, field in sorted(value.fields.items()):
        typer.echo(f"  {name} = {field}")


@readings_app.command("history")
def readings_history(
    asset: Annotated[str, typer.Option("--asset", help="Asset id, e.g. B1-0101-W.")],
    field: Annotated[str, typer.Option(help="Field, e.g. total, vibration, on.")] = "total",
    since: Annotated[str, typer.Option(help="How far back: 90m, 24h, 7d.")] = "24h",
    every: Annotated[str | None, typer.Option(help="Bucket length (15m, 1h); raw samples if omitted.")] = None,
    aggregate: Annotated[Aggregate, typer.Option(help="Aggregate per bucket.")] = Aggregate.LAST,
    site: SiteOption = None,
) -> None:
    """Print one field of one asset over a time window."""
    settings = _settings()
    registry = AssetRegistry.from_site(_site(settings, site))
    try:
        info = registry.get(asset)
        window = parse_duration(since)
        bucket = parse_duration(every) if every else None
        store = build_store(settings)
    except (UnknownAsset, SetupError, ValueError) as exc:
        raise _fail(str(exc)) from None
    end = datetime.now(UTC)
    for sample in store.history(info, field, end - window, end, every=bucket, aggregate=aggregate):
        typer.echo(f"{sample.ts.isoformat(timespec='seconds')}  {sample.value}")


def parse_duration(text: str) -> timedelta:
    """'90m', '24h', '7d', '30s' → timedelta; anything else is a ValueError naming the text."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise ValueError(f"duration {text!r}: write a positive whole number and s, m, h or d, e.g. 24h")
    return timedelta(seconds=int(number) * units[unit])


@deadletters_app.command("list")
def deadletters_list(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20, site: SiteOption = None
) -> None:
    """Show input that was rejected, with the reason."""
    settings = _settings()
    registry = AssetRegistry.from_site(_site(settings, site))
    spool = open_spool(settings, registry, SystemClock())
    letters = spool.dead_letters(limit)
    typer.echo(f"{spool.dead_letter_count()} dead letters in {spool.path}")
    for letter in letters:
        payload = letter.payload[:120].decode("utf-8", errors="replace")
        typer.echo(f"#{letter.id} {letter.received_at.isoformat()} {letter.source}")
        typer.echo(f"  error: {letter.error}\n  payload: {payload}")
    spool.close()


def _sessions(settings: Settings) -> Any:
    from storage.database import make_engine, session_factory, upgrade

    upgrade(settings.database_url)
    return session_factory(make_engine(settings.database_url))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database named by FACILITIES_DATABASE_URL to the newest schema (the hub does it at start too)."""
    from storage.database import upgrade

    settings = _settings()
    try:
        upgrade(settings.database_url)
    except SchemaTooNew as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"database schema is up to date: {settings.database_url.split('@')[-1]}")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, staff, crew or fee_module.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key, e.g. 'crew-phone-zhang'.")],
    team: Annotated[
        str | None, typer.Option(help="The alerts team whose work orders a crew key works, e.g. 'elevator-crew'.")
    ] = None,
) -> None:
    """Create an API key; it is printed once and stored only as a hash.

    A crew key works (acknowledge, arrive, resolve, comment) its team's orders, those assigned to its name and
    those nobody has taken; without --team only the last two.
    """
    from api.keys_cli import create_key

    try:
        key = create_key(_sessions(_settings()), role, name, team)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(key)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Option("--id", help="The key's id (GET /keys lists them).")]) -> None:
    """Revoke an API key at once."""
    from api.keys_cli import revoke_key

    try:
        revoke_key(_sessions(_settings()), key_id)
    except (ValueError, LookupError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"key {key_id} revoked")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")]


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Sign-in name, e.g. 'wang.wei'.")],
    name: Annotated[str, typer.Option(help="Name shown on pages and in the audit log, e.g. '王伟'.")],
    role: Annotated[str, typer.Option(help="admin, staff (service centre) or crew.")],
    team: Annotated[str | None, typer.Option(help="Their team in the alerts file, e.g. 'elevator-crew'.")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a console account (the password is asked for, or read from stdin)."""
    from console.users import UserError, create_user

    password = _password(password_stdin)
    sessions = _sessions(_settings())
    try:
        with sessions() as session:
            member = create_user(
                session, username=username, display_name=name, role=role, password=password, team=team,
                now=datetime.now(UTC),
            )  # fmt: skip
            session.commit()
    except UserError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"console user {member.username} ({member.role}) created")


@users_app.command("list")
def users_list() -> None:
    """Every console account with its role, team and whether it is active."""
    from console.users import list_users

    with _sessions(_settings())() as session:
        for row in list_users(session):
            state = "active" if row.active else "disabled"
            typer.echo(f"{row.username}\t{row.display_name}\t{row.role}\t{row.team or '-'}\t{state}")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Option(help="The account.")], password_stdin: PasswordStdin = False
) -> None:
    """Set a new password; the account's open sessions end."""
    from console.users import UserError, set_password

    password = _password(password_stdin)
    try:
        with _sessions(_settings())() as session:
            set_password(session, username, password)
            session.commit()
    except UserError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"password of {username} changed")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Option(help="The account.")]) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    from console.users import UserError, set_active

    try:
        with _sessions(_settings())() as session:
            set_active(session, username, False)
            session.commit()
    except UserError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{username} disabled")


@users_app.command("audit")
def users_audit(
    username: Annotated[str | None, typer.Option(help="Only this username's entries.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 50,
) -> None:
    """The sign-in audit log: sign-ins, failures, refusals, sign-outs and ended sessions, newest first."""
    from access.audit import entries

    with _sessions(_settings())() as session:
        rows, total = entries(session, limit=limit, username=username)
        for row in rows:
            who = row.username + (f" (#{row.user_id})" if row.user_id is not None else "")
            typer.echo(f"{row.at.isoformat()}\t{row.event}\t{who}\t{row.client}\t{row.detail}")
    typer.echo(f"{len(rows)} of {total} entries", err=True)


@alarms_app.command("list")
def alarms_list(site: SiteOption = None) -> None:
    """Alarms firing now, oldest first, from the stored rule state."""
    from rules.state_store import SqlRuleStateStore
    from storage.database import make_engine, upgrade

    settings = _settings()
    loaded = _site(settings, site)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    alarms = SqlRuleStateStore(engine, loaded.id).open_alarms()
    engine.dispose()
    typer.echo(f"{len(alarms)} alarms firing at site {loaded.id}")
    for alarm in alarms:
        when = alarm.raised_at.isoformat(timespec="seconds") if alarm.raised_at else "?"
        evidence = ", ".join(f"{k}={v}" for k, v in alarm.evidence.items())
        typer.echo(f"{when}  {alarm.severity:8}  {alarm.rule_id}  {alarm.asset_id}  {evidence}")


@dashboards_app.command("generate")
def dashboards_generate(
    check: Annotated[bool, typer.Option(help="Only report whether the committed JSON is current.")] = False,
) -> None:
    """Write the dashboards' JSON (zh-CN and en) next to their generator."""
    from dashboards.generate import differences, write_all

    if check:
        stale = differences()
        if stale:
            raise _fail("out of date: " + ", ".join(stale) + " (run: facilities dashboards generate)")
        typer.echo("dashboards are up to date")
        return
    for path in write_all():
        typer.echo(str(path))


@dashboards_app.command("push")
def dashboards_push(
    url: Annotated[str, typer.Option(envvar="FACILITIES_GRAFANA_URL", help="Grafana base URL.")],
    token: Annotated[str, typer.Option(envvar="FACILITIES_GRAFANA_TOKEN", help="Service-account token.")],
    folder: Annotated[str, typer.Option(help="Grafana folder.")] = "Facilities",
) -> None:
    """Upload the dashboards to a running Grafana (token from FACILITIES_GRAFANA_TOKEN)."""
    from core.secret_policy import WeakSecret, require_strong
    from dashboards.push import PushError, push_dashboards

    if os.environ.get("FACILITIES_ENV", "").strip().lower() == "production":
        try:
            require_strong("FACILITIES_GRAFANA_TOKEN", token)  # the full Settings need the hub's secrets too
        except WeakSecret as exc:
            raise _fail(str(exc)) from None

    try:
        pushed = push_dashboards(url, token, folder)
    except PushError as exc:
        raise _fail(str(exc)) from None
    for board in pushed:
        typer.echo(f"{board.title}: {url.rstrip('/')}{board.url}")


PeriodOption = Annotated[str, typer.Option("--period", help="The month, e.g. 2026-10.")]


def _billing(settings: Settings, site: Site) -> Any:
    from billing.config import check_against_site, load_billing_config

    try:
        config = load_billing_config(settings.billing_file)
        check_against_site(config, site, source=str(settings.billing_file))
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    return config


@billing_app.command("run")
def billing_run(
    period: PeriodOption,
    site: SiteOption = None,
    adjust: Annotated[bool, typer.Option(help="Issue adjusting statements where finals differ.")] = False,
) -> None:
    """Bill every unit for a month from its boundary readings; drafts are stored (re-running is safe)."""
    from billing.calculate import BillingError
    from billing.periods import BillingPeriod
    from billing.run import run_billing
    from facilities.bootstrap import billing_reader

    settings = _settings()
    loaded = _site(settings, site)
    config = _billing(settings, loaded)
    try:
        store = build_store(settings)
        with typer.progressbar(length=len(loaded.meters), label="billing meters", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            result = run_billing(
                loaded, store, _sessions(settings), BillingPeriod.parse(period), config,
                clock=SystemClock(), reader=billing_reader(store, config), adjust=adjust, progress=progress,
            )  # fmt: skip
    except (SetupError, BillingError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, default=str))


@billing_app.command("finalize")
def billing_finalize(period: PeriodOption, site: SiteOption = None) -> None:
    """Make a month's drafts final (immutable); drafts with lines to review are held back and listed."""
    from billing.periods import BillingPeriod
    from billing.service import finalize_period

    settings = _settings()
    loaded = _site(settings, site)
    try:
        result = finalize_period(_sessions(settings), loaded.id, BillingPeriod.parse(period), clock=SystemClock())
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{len(result.finalized)} statements final, {len(result.blocked)} held for review")
    for statement, reason in result.blocked:
        typer.echo(f"  {statement.unit_id}: {reason}")


@billing_app.command("export")
def billing_export(
    period: PeriodOption,
    out: Annotated[Path, typer.Option(help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    english: Annotated[bool, typer.Option(help="English CSV headers (default Chinese).")] = False,
    site: SiteOption = None,
) -> None:
    """Write a month's statements for the fee module: CSV (UTF-8 with BOM, for Excel) or JSON."""
    from billing.config import CsvHeaders
    from billing.exports import export_csv, export_json
    from billing.periods import BillingPeriod
    from billing.service import list_statements

    settings = _settings()
    loaded = _site(settings, site)
    try:
        statements = list_statements(_sessions(settings), loaded.id, BillingPeriod.parse(period))
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        export_json(statements, out)
    elif fmt == "csv":
        headers = CsvHeaders.EN if english else CsvHeaders.ZH
        export_csv(statements, out, timezone=loaded.info.timezone, headers=headers)
    else:
        raise _fail(f"--format {fmt!r}: use csv or json")
    typer.echo(f"{len(statements)} statements written to {out}")


@billing_app.command("push")
def billing_push(period: PeriodOption, site: SiteOption = None) -> None:
    """Send a month's final statements to the fee module's webhook (FACILITIES_BILLING_WEBHOOK_URL), with retries;
    each carries an idempotency key and a confirmed one is never sent again."""
    from billing.periods import BillingPeriod
    from billing.service import list_statements
    from billing.webhook import WebhookPusher, push_statements

    settings = _settings()
    loaded = _site(settings, site)
    config = _billing(settings, loaded)
    if not settings.billing_webhook_url:
        raise _fail("set FACILITIES_BILLING_WEBHOOK_URL (and _TOKEN) to the fee module's endpoint")
    token = settings.billing_webhook_token.get_secret_value() if settings.billing_webhook_token else None
    pusher = WebhookPusher(settings.billing_webhook_url, token=token, settings=config.export.webhook)
    try:
        sessions = _sessions(settings)
        statements = list_statements(sessions, loaded.id, BillingPeriod.parse(period))
    except ValueError as exc:
        raise _fail(str(exc)) from None
    results = push_statements(sessions, pusher, statements, clock=SystemClock())
    failed = [r for r in results if not r.delivered]
    typer.echo(f"{len(results) - len(failed)} final statements confirmed by {settings.billing_webhook_url}")
    for result in failed:
        typer.echo(f"  {result.statement_id}: not delivered after {result.attempts} attempts ({result.error})")
    if failed:
        raise typer.Exit(code=1)


@billing_app.command("report")
def billing_report(period: PeriodOption, site: SiteOption = None) -> None:
    """The month in numbers: consumption and amounts per building and utility, top consumers, lines to review."""
    from billing.periods import BillingPeriod
    from billing.report import monthly_report, render_text
    from billing.service import list_statements

    settings = _settings()
    loaded = _site(settings, site)
    try:
        month = BillingPeriod.parse(period)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    statements = list_statements(_sessions(settings), loaded.id, month)
    typer.echo(render_text(monthly_report(loaded.id, month, statements)))


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
