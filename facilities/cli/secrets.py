"""`facilities secrets`: a fresh `.env` with random secrets, and the check the compose stack runs before it starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from facilities.cli.common import fail
from facilities.envfile import ALL_SECRETS, EnvFileError, generate, problems, read_env_file
from facilities.mqtt_credentials import write_private

secrets_app = typer.Typer(help="Secrets of the compose stack's .env: generate them, check them.", no_args_is_help=True)


@secrets_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="The file to write.")] = Path(".env"),
    example: Annotated[Path, typer.Option("--example", help="Keys, comments and defaults.")] = Path(".env.example"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file (its secrets are lost).")] = False,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=value of a setting that is no secret, e.g. PUBLIC_DOMAIN=wuye.example.com."),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Also MQTT_SIMULATOR_PASSWORD: the simulators' account (--profile demo).")
    ] = False,
) -> None:
    """Write a .env (0600) from .env.example with every secret random; refuses to overwrite one without --force."""

    if out.exists() and not force:
        raise fail(
            f"{out} exists; --force replaces it. InfluxDB, PostgreSQL and Grafana keep the passwords they were "
            "first started with, so new ones also need changing there (docs/deployment.md)"
        )
    given = {}
    for item in set_values or ():
        key, equals, value = item.partition("=")
        if not equals:
            raise fail(f"--set {item!r}: write KEY=value")
        given[key.strip()] = value.strip()
    try:
        made = generate(example.read_text(encoding="utf-8"), values=given, demo=demo)
    except OSError as exc:
        raise fail(f"{example}: cannot read it ({exc.strerror}); run from the repository or pass --example") from None
    except EnvFileError as exc:
        raise fail(str(exc)) from None
    write_private(out, made.text)
    typer.echo(f"wrote {out} (readable by you only) with random {', '.join(made.secrets)}")
    if made.empty:
        typer.echo(f"still to fill in before docker-compose up: {', '.join(made.empty)}")


@secrets_app.command("check")
def check_command(
    env_file: Annotated[
        Path | None, typer.Option("--env-file", help="Check this file instead of the environment.")
    ] = None,
) -> None:
    """Refuse guessable secrets when FACILITIES_ENV=production (the compose stack runs this before it starts)."""

    try:
        values = read_env_file(env_file) if env_file else dict(os.environ)
    except EnvFileError as exc:
        raise fail(str(exc)) from None
    found = problems(values)
    production = values.get("FACILITIES_ENV", "development") == "production"
    for problem in found:
        typer.secho(problem, err=True, fg=typer.colors.RED if production else typer.colors.YELLOW)
    if found and production:
        raise typer.Exit(code=2)
    if found:
        typer.echo("FACILITIES_ENV is not production: these would be refused there")
        return
    typer.echo(f"every secret looks random ({', '.join(k for k in ALL_SECRETS if values.get(k))})")
