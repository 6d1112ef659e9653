"""A company's sites in one deployment: the portfolio file (`portfolio.toml`) and each site's own files.

The file lists the sites, or names a folder whose subfolders are the sites:

    [company]
    name = "湖景物业"
    [[sites]]
    site_file = "lakeview/site.toml"          # relative to the portfolio file
    alerts_file = "lakeview/alerts.toml"      # optional, each: rosters, tariffs, plans, patrol routes
    billing_file = "lakeview/billing.toml"
    maintenance_file = "lakeview/maintenance.toml"
    patrols_file = "lakeview/patrols.toml"

or `sites_dir = "sites"`: each subfolder holds `site.toml` and, where it has them, `alerts.toml`, `billing.toml`,
`maintenance.toml` and `patrols.toml`. Every path stays inside the portfolio file's folder. Each site file is
read by the one site loader; the other files are only located here (their loaders need packages core may not
import: `facilities portfolio check` validates them). `settings_for` turns the hub's settings into one site's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import Field

from core.config_files import ConfigError, ConfigProblem, Strict, parse_config_file, read_config_text
from core.settings import Settings
from core.site import Site
from core.site_loader import load_site

MAX_SITES = 1000  # a company's communities; more is a mistake (a folder of the wrong things), not a portfolio
SITE_FILE = "site.toml"
# The other files a site may have, by their setting's name, and their name in a sites_dir subfolder.
OTHER_FILES = {
    "alerts_file": "alerts.toml",
    "billing_file": "billing.toml",
    "maintenance_file": "maintenance.toml",
    "patrols_file": "patrols.toml",
}


class Company(Strict):
    name: str = Field(min_length=1, max_length=200)


class SiteEntry(Strict):
    site_file: str = Field(min_length=1)
    alerts_file: str | None = None
    billing_file: str | None = None
    maintenance_file: str | None = None
    patrols_file: str | None = None


class PortfolioFile(Strict):
    company: Company
    sites: list[SiteEntry] | None = None
    sites_dir: str | None = None


@dataclass(frozen=True)
class SiteFiles:
    """One site of the portfolio: the loaded site and where its other files are (None: it has none)."""

    site: Site
    site_file: Path
    alerts_file: Path | None = None
    billing_file: Path | None = None
    maintenance_file: Path | None = None
    patrols_file: Path | None = None


@dataclass(frozen=True)
class Portfolio:
    """The company's name and its sites by site id, in the order the file (or the folder's names) gives."""

    company: str
    sites: dict[str, SiteFiles]
    source: str = "<memory>"


class PortfolioError(ConfigError):
    """A portfolio that cannot be used: the portfolio file's problems and every site file's, each under its file."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        super().__init__(errors[0].source, [p for error in errors for p in error.problems])
        self.errors = list(errors)
        self.args = ("\n".join(str(error) for error in errors),)

    def __str__(self) -> str:
        return str(self.args[0])


def load_portfolio(path: str | Path) -> Portfolio:
    """The portfolio file and every site file it names, or PortfolioError listing every problem by file."""
    source = str(path)
    parsed = parse_config_file(read_config_text(path, "portfolio"), PortfolioFile, source=source)
    root = Path(path).parent
    problems: list[ConfigProblem] = []
    entries = _entries(parsed, root, problems)
    if problems:
        raise PortfolioError([ConfigError(source, problems)])
    errors: list[ConfigError] = []
    sites: dict[str, SiteFiles] = {}
    seen: dict[str, tuple[str, Path]] = {}
    for key, files in entries:
        try:
            site = load_site(files["site_file"])
        except ConfigError as exc:
            errors.append(exc)
            continue
        if site.id in seen:
            earlier_key, earlier = seen[site.id]
            message = (
                f"site id {site.id!r} of {files['site_file']} is also the id of {earlier} ({earlier_key}); "
                "each site needs an id of its own"
            )
            problems.append(ConfigProblem(key, message))
            continue
        seen[site.id] = (key, files["site_file"])
        sites[site.id] = SiteFiles(site=site, **files)
    if problems:
        errors.insert(0, ConfigError(source, problems))
    if errors:
        raise PortfolioError(errors)
    return Portfolio(company=parsed.company.name, sites=sites, source=source)


def _entries(parsed: PortfolioFile, root: Path, problems: list[ConfigProblem]) -> list[tuple[str, dict[str, Path]]]:
    """(key path, the site's files) for each site, every path checked to stay inside `root` and to exist."""
    if (parsed.sites is None) == (parsed.sites_dir is None):
        problems.append(ConfigProblem("", "list the sites in [[sites]] tables or name their folder in sites_dir"))
        return []
    if parsed.sites_dir is not None:
        return _folder_entries(parsed.sites_dir, root, problems)
    assert parsed.sites is not None  # noqa: S101 (one of the two, checked above)
    if not parsed.sites:
        problems.append(ConfigProblem("sites", "no site listed; add a [[sites]] table"))
    if len(parsed.sites) > MAX_SITES:
        problems.append(ConfigProblem("sites", f"{len(parsed.sites)} sites; a portfolio holds at most {MAX_SITES}"))
        return []
    entries = []
    for i, entry in enumerate(parsed.sites):
        files: dict[str, Path] = {}
        for name, text in entry.model_dump().items():
            if text is not None:
                found = _inside(root, text, f"sites[{i}].{name}", problems)
                if found is not None:
                    files[name] = found
        if len(files) == len(entry.model_dump(exclude_none=True)):
            entries.append((f"sites[{i}].site_file", files))
    return entries


def _folder_entries(sites_dir: str, root: Path, problems: list[ConfigProblem]) -> list[tuple[str, dict[str, Path]]]:
    folder = _inside(root, sites_dir, "sites_dir", problems, folder=True)
    if folder is None:
        return []
    try:
        subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as exc:
        problems.append(ConfigProblem("sites_dir", f"cannot list {folder}: {exc.strerror}"))
        return []
    if len(subfolders) > MAX_SITES:
        problems.append(ConfigProblem("sites_dir", f"{len(subfolders)} site folders in {folder}; at most {MAX_SITES}"))
        return []
    if not subfolders:
        problems.append(ConfigProblem("sites_dir", f"{folder} has no site folder; add one with a {SITE_FILE}"))
    entries = []
    for sub in subfolders:
        key = f"sites_dir ({sub.name})"
        site_file = _inside(root, str((sub / SITE_FILE).relative_to(root)), key, problems)
        if site_file is None:
            continue
        files = {"site_file": site_file}
        for name, file_name in OTHER_FILES.items():
            # A name that resolves outside the folder (a symlink out) is refused like any other path.
            if (sub / file_name).exists():
                found = _inside(root, str((sub / file_name).relative_to(root)), f"{key}.{name}", problems)
                if found is None:
                    break
                files[name] = found
        else:
            entries.append((key, files))
    return entries


def _inside(root: Path, text: str, key: str, problems: list[ConfigProblem], *, folder: bool = False) -> Path | None:
    """`text` as a path under `root`, or None with the problem noted (outside the folder, or missing)."""
    candidate = root / text
    try:
        resolved = candidate.resolve()
        inside = not Path(text).is_absolute() and resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte in the name
        inside = False
    if not inside:
        problems.append(
            ConfigProblem(key, f"{text!r} is outside the portfolio's folder {root}; keep the sites' files in it")
        )
        return None
    exists = resolved.is_dir() if folder else resolved.is_file()
    if not exists:
        what = "folder" if folder else "file"
        problems.append(ConfigProblem(key, f"no {what} {candidate}; correct the path or add the {what}"))
        return None
    return candidate


def settings_for(settings: Settings, files: SiteFiles) -> Settings:
    """The settings of one site's hub: its own files, its own data folder and broker client id.

    A site without a billing file gets one that does not exist, in its data folder: the hub then logs that monthly
    billing is off for it (the default examples/billing.toml prices another site).
    """
    site_id = files.site.id
    data_dir = settings.data_dir / site_id
    update = {
        "portfolio_file": None,
        "site_file": files.site_file,
        "alerts_file": files.alerts_file,
        "billing_file": files.billing_file or data_dir / "billing.toml",
        "maintenance_file": files.maintenance_file,
        "patrols_file": files.patrols_file,
        "data_dir": data_dir,
        # One persistent broker session per site (DESIGN.md): two hubs under one client id would evict each other.
        "mqtt_client_id": f"{settings.mqtt_client_id}-{site_id}",
        # Alert links ({base}/console/orders/…) then name the site: any replica's front sends them to its owner.
        "public_url": f"{settings.base_url}/sites/{site_id}",
    }
    bucket = settings.photos_s3
    if bucket is not None:  # a site's photos apart in a shared bucket, as in its own data folder
        update["photos_store"] = str(replace(bucket, prefix=f"{bucket.prefix}{site_id}/"))
    return settings.model_copy(update=update)
