"""Each site of a portfolio checked as its hub would read it: the site's own alerts, billing, maintenance and
patrols files against its site, and its polled devices (`facilities portfolio check`; a start-up can call it too).
"""

from __future__ import annotations

from core.config_files import ConfigError
from core.portfolio import SiteFiles


def site_file_problems(files: SiteFiles) -> list[str]:
    """Every problem of one site's files as `file: key: what to change` lines; empty when its hub would start."""
    from alerts.loading import load_alerts
    from billing.config import check_against_site, load_billing_config
    from collectors.dlt645.devices import devices_from_site as dlt645_devices
    from collectors.modbus.devices import devices_from_site as modbus_devices
    from maintenance.loading import load_maintenance
    from patrols.config import load_patrols

    site, problems = files.site, []
    teams: frozenset[str] | None = None
    try:  # profile names, overrides and shared lines: what `run` stops on (as `facilities config check`)
        modbus_devices(site), dlt645_devices(site)
    except ValueError as exc:
        problems.append(f"{files.site_file}: {exc}")
    if files.alerts_file is not None:
        try:
            teams = frozenset(load_alerts(files.alerts_file).teams)
        except ConfigError as exc:
            problems.append(str(exc))
    if files.billing_file is not None:
        try:
            check_against_site(load_billing_config(files.billing_file), site, source=str(files.billing_file))
        except ConfigError as exc:
            problems.append(str(exc))
    if files.maintenance_file is not None:
        try:
            load_maintenance(files.maintenance_file, site, teams=teams)
        except ConfigError as exc:
            problems.append(str(exc))
    if files.patrols_file is not None:
        try:
            load_patrols(files.patrols_file, site)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def site_line(files: SiteFiles) -> str:
    """One site as `portfolio check` lists it: id, name, time zone, size, and which of its files it has."""
    site = files.site
    has = [
        name for name, path in (("alerts", files.alerts_file), ("billing", files.billing_file),
                                ("maintenance", files.maintenance_file), ("patrols", files.patrols_file))
        if path is not None
    ]  # fmt: skip
    return (
        f"{site.id}: {site.info.name} ({site.info.timezone}): {len(site.buildings)} buildings, "
        f"{len(site.units)} units, {len(site.meters)} meters; files: site{''.join(', ' + name for name in has)}"
    )
