"""`facilities portfolio`: check a company's portfolio file and every site's files as the hubs would read them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.config_files import ConfigError
from facilities.cli.common import fail, settings_from_env

portfolio_app = typer.Typer(help="A company's sites in one deployment (docs/portfolio.md).", no_args_is_help=True)
FileOption = Annotated[Path | None, typer.Option("--file", help="Portfolio file; default $FACILITIES_PORTFOLIO_FILE.")]


@portfolio_app.command("check")
def check(file: FileOption = None) -> None:
    """Validate the portfolio file, each site file and each site's other files; list the sites and the problems."""
    from core.portfolio import load_portfolio
    from facilities.portfolio_check import site_file_problems, site_line

    path = file or settings_from_env().portfolio_file
    if path is None:
        raise fail(
            "no portfolio file: pass --file or set FACILITIES_PORTFOLIO_FILE "
            "(example: examples/portfolio/portfolio.toml)"
        )
    try:
        portfolio = load_portfolio(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    problems: list[str] = []
    for files in portfolio.sites.values():
        typer.echo(site_line(files))
        problems += site_file_problems(files)
    if problems:
        raise fail("\n".join(problems))
    typer.echo(f"{path}: {portfolio.company}: {len(portfolio.sites)} sites, every file valid")
