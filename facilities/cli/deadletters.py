"""`facilities deadletters`: input that could not be ingested, with the reason."""

from __future__ import annotations

from typing import Annotated

import typer

from core.clock import SystemClock
from core.registry import AssetRegistry
from facilities.cli.common import SiteOption, settings_from_env, site_from

deadletters_app = typer.Typer(help="Inspect input that could not be ingested.", no_args_is_help=True)


@deadletters_app.command("list")
def deadletters_list(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20, site: SiteOption = None
) -> None:
    """Show input that was rejected, with the reason."""
    from facilities.bootstrap import open_spool

    settings = settings_from_env()
    chosen = site_from(settings, site)
    spool = open_spool(settings, AssetRegistry.from_site(chosen), SystemClock(), site_id=chosen.id)
    letters = spool.dead_letters(limit)
    typer.echo(f"{spool.dead_letter_count()} dead letters in {spool.location}")
    for letter in letters:
        payload = letter.payload[:120].decode("utf-8", errors="replace")
        typer.echo(f"#{letter.id} {letter.received_at.isoformat()} {letter.source}")
        typer.echo(f"  error: {letter.error}\n  payload: {payload}")
    spool.close()
