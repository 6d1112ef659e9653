"""`facilities status`: what the running hub's /health says, one line per part, for an operator's shell."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

from core.health import HealthState
from core.settings import Settings
from facilities.cli.common import hub_url

EXIT_CODES = {HealthState.OK: 0, HealthState.DEGRADED: 1, HealthState.FAILING: 2}
COLOURS = {HealthState.OK: typer.colors.GREEN, HealthState.DEGRADED: typer.colors.YELLOW}


def status(
    url: Annotated[
        str | None, typer.Option(help="The hub's base URL; default http://FACILITIES_API_HOST:FACILITIES_API_PORT.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print /health's JSON as it is.")] = False,
) -> None:
    """Each part of the running hub: its state, why, and its figures. Exit 0 ok, 1 degraded, 2 failing."""
    url = url or hub_url(Settings())
    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=15)
        body: dict[str, Any] = response.json()
        overall = HealthState(body["status"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        typer.secho(f"failing: no health report from the hub at {url} ({exc})", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        raise typer.Exit(code=EXIT_CODES[overall])
    typer.secho(f"hub at {url}: {overall.value}", fg=COLOURS.get(overall, typer.colors.RED), bold=True)
    for name, check in body["checks"].items():
        state = HealthState(check["state"])
        figures = ", ".join(f"{k}={v}" for k, v in check.get("figures", {}).items() if v is not None)
        typer.secho(f"  {state.value:<9} {name:<9} {check['detail']}", fg=COLOURS.get(state, typer.colors.RED))
        if figures:
            typer.echo(f"  {'':<9} {'':<9} {figures}")
    raise typer.Exit(code=EXIT_CODES[overall])
