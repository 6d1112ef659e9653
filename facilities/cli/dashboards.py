"""`facilities dashboards`: Grafana dashboards as code, generated and pushed."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from facilities.cli.common import fail

dashboards_app = typer.Typer(help="Grafana dashboards as code.", no_args_is_help=True)


@dashboards_app.command("generate")
def dashboards_generate(
    check: Annotated[bool, typer.Option(help="Only report whether the committed JSON is current.")] = False,
) -> None:
    """Write the dashboards' JSON (zh-CN and en) next to their generator."""
    from dashboards.generate import differences, write_all

    if check:
        stale = differences()
        if stale:
            raise fail("out of date: " + ", ".join(stale) + " (run: facilities dashboards generate)")
        typer.echo("dashboards are up to date")
        return
    for path in write_all():
        typer.echo(str(path))


@dashboards_app.command("push")
def dashboards_push(
    url: Annotated[str, typer.Option(envvar="FACILITIES_GRAFANA_URL", help="Grafana base URL.")],
    token: Annotated[str, typer.Option(envvar="FACILITIES_GRAFANA_TOKEN", help="Service-account token.")],
    folder: Annotated[str, typer.Option(help="Grafana folder.")] = "Facilities",
    timezone: Annotated[
        str | None, typer.Option(help="Show times in this zone (the site's, e.g. Asia/Shanghai), not the default.")
    ] = None,
) -> None:
    """Upload the dashboards to a running Grafana (token from FACILITIES_GRAFANA_TOKEN)."""
    from core.secret_policy import WeakSecret, require_strong
    from dashboards.push import PushError, push_dashboards

    if os.environ.get("FACILITIES_ENV", "").strip().lower() == "production":
        try:
            require_strong("FACILITIES_GRAFANA_TOKEN", token)  # the full Settings need the hub's secrets too
        except WeakSecret as exc:
            raise fail(str(exc)) from None

    try:
        pushed = push_dashboards(url, token, folder, timezone=timezone)
    except PushError as exc:
        raise fail(str(exc)) from None
    for board in pushed:
        typer.echo(f"{board.title}: {url.rstrip('/')}{board.url}")
