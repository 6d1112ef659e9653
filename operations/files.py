"""The files that rebuild a site besides the databases: site, alerts and billing files, the console secret,
device credentials and uploaded files. Each is restored to where the restoring installation's settings say.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core.settings import Settings

UPLOADS = "uploads"
# role -> the data folder's own files (the console secret when it is not set in the environment, MQTT identities)
DATA_FILES = {"console-secret": "console-secret", "mqtt-credentials": "mqtt-credentials.json"}


def file_locations(settings: Settings) -> dict[str, Path]:
    """Each backed-up file's role and where it lives under these settings."""
    places = {"site": settings.site_file, "billing": settings.billing_file}
    if settings.alerts_file is not None:
        places["alerts"] = settings.alerts_file
    places.update({role: settings.data_dir / name for role, name in DATA_FILES.items()})
    return places


def copy_files(settings: Settings, destination: Path) -> dict[str, str]:
    """Copy the files that exist into `destination`; returns role -> path inside the archive."""
    destination.mkdir(parents=True, exist_ok=True)
    copied: dict[str, str] = {}
    for role, path in file_locations(settings).items():
        if path.is_file():
            shutil.copy2(path, destination / role)
            copied[role] = f"files/{role}"
    uploads = settings.data_dir / UPLOADS
    if uploads.is_dir():
        shutil.copytree(uploads, destination / UPLOADS)
        copied[UPLOADS] = f"files/{UPLOADS}"
    return copied


def files_in_use(settings: Settings) -> list[Path]:
    """The data folder's files that a restore would overwrite (the site and tariff files are configuration)."""
    places = [settings.data_dir / name for name in DATA_FILES.values()] + [settings.data_dir / UPLOADS]
    return [path for path in places if path.exists()]


def restore_files(settings: Settings, unpacked: Path, part: dict[str, str]) -> list[Path]:
    """Put each archived file where these settings expect it; returns the paths written."""
    places = file_locations(settings)
    written: list[Path] = []
    for role, inside in part.items():
        source = unpacked / inside
        if role == UPLOADS:
            target = settings.data_dir / UPLOADS
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif role in places:
            target = places[role]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:  # an archive from a hub with alerts, restored onto one without FACILITIES_ALERTS_FILE
            target = settings.data_dir / "restored" / role
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        written.append(target)
    return written
