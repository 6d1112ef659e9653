"""One backup archive: a gzipped tar of a staging folder, with `manifest.json` holding every file's SHA-256.

The archive is written as `NAME.partial` and renamed when complete, so a crash never leaves a torn archive
under a real name. Reading one back checks every checksum before anything is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

FORMAT = 1
MANIFEST = "manifest.json"
PREFIX = "facilities-backup-"
SUFFIX = ".tar.gz"
STAMP = "%Y%m%dT%H%M%SZ"


class ArchiveError(Exception):
    """An archive that cannot be used: the message names the archive and what is wrong with it."""


@dataclass
class Manifest:
    """What an archive holds: its parts (database, time series, files) and every file's checksum."""

    created_at: str
    hub_version: str
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, source: str) -> Manifest:
        try:
            data = json.loads(text)
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise ArchiveError(f"{source}: {MANIFEST} is not a backup manifest ({exc})") from None
        if manifest.format != FORMAT:
            raise ArchiveError(f"{source}: archive format {manifest.format}, this hub reads format {FORMAT}")
        return manifest


def archive_name(at: datetime) -> str:
    return f"{PREFIX}{at.strftime(STAMP)}{SUFFIX}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(staging: Path) -> dict[str, str]:
    """SHA-256 of every file under `staging` except the manifest, by its relative POSIX path."""
    return {
        path.relative_to(staging).as_posix(): sha256(path)
        for path in sorted(staging.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def write_archive(staging: Path, manifest: Manifest, destination: Path) -> Path:
    """Checksum `staging`, write the manifest into it and pack it into `destination` (atomically)."""
    manifest.checksums = checksums(staging)
    (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    partial = destination.with_name(destination.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for path in sorted(staging.iterdir()):
            tar.add(path, arcname=path.name)
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    partial.replace(destination)
    return destination


def unpack_archive(archive: Path, into: Path) -> Manifest:
    """Extract `archive` into `into` and check every file against the manifest; refuse a corrupted one."""
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{archive}: corrupted or truncated, cannot be read ({exc}); use another archive") from None
    manifest_path = into / MANIFEST
    if not manifest_path.is_file():
        raise ArchiveError(f"{archive}: no {MANIFEST}; not a facilities backup")
    manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"), str(archive))
    found = checksums(into)
    missing = sorted(set(manifest.checksums) - set(found))
    extra = sorted(set(found) - set(manifest.checksums))
    changed = sorted(name for name, digest in manifest.checksums.items() if name in found and found[name] != digest)
    problems = [f"{name} missing" for name in missing] + [f"{name} not in the manifest" for name in extra]
    problems += [f"{name} checksum mismatch" for name in changed]
    if problems:
        raise ArchiveError(f"{archive}: corrupted, refused: {'; '.join(problems)}; nothing was restored")
    return manifest
