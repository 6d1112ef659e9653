"""What every `facilities` sub-command shares: the --site option, settings and site loading, failing with a message."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from core.config_files import ConfigError
from core.settings import Settings
from core.site import Site
from core.site_loader import load_site

SiteOption = Annotated[
    Path | None,
    typer.Option("--site", help="Site file (TOML); default $FACILITIES_SITE_FILE or examples/site.toml."),
]


def fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def settings_from_env() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"bad FACILITIES_* environment setting:\n{exc}") from None


def hub_url(settings: Settings) -> str:
    """The running hub's base URL on this machine, from FACILITIES_API_HOST and FACILITIES_API_PORT."""
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host  # noqa: S104
    return f"http://{host}:{settings.api_port}"


def site_from(settings: Settings, path: Path | None) -> Site:
    if path is None and settings.portfolio_file is not None:  # not the example site in its place, silently
        raise fail(
            f"FACILITIES_PORTFOLIO_FILE={settings.portfolio_file} names a company's sites; this command works on one: "
            "pass --site with one of their site files (`facilities portfolio check` lists them)"
        )
    try:
        return load_site(path or settings.site_file)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def exit_if_fatal(reason: str | None) -> None:
    """Exit non-zero with the reason, so that a service manager restarts the process."""
    if reason is not None:
        typer.secho(f"stopped: {reason}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)


def database_unreachable(settings: Settings, exc: Exception) -> typer.Exit:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url).render_as_string(hide_password=True)
    first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return fail(
        f"database {url} unreachable: {first}; start it or correct FACILITIES_DATABASE_URL "
        "(the hub does not start without it; its service manager starts it again)"
    )


def database_sessions(settings: Settings) -> Any:
    from storage.database import make_engine, session_factory, upgrade

    upgrade(settings.database_url)
    return session_factory(make_engine(settings.database_url))
