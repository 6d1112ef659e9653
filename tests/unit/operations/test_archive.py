"""Archives: every file checksummed; a changed, missing, added or truncated file refuses the whole archive."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from operations.archive import ArchiveError, Manifest, unpack_archive, write_archive


def make_archive(tmp_path: Path) -> Path:
    staging = tmp_path / "staging"
    (staging / "database").mkdir(parents=True)
    (staging / "database" / "facilities.dump").write_bytes(b"rows" * 1000)
    (staging / "files").mkdir()
    (staging / "files" / "site").write_text('[site]\nid = "lakeside"\n')
    manifest = Manifest(created_at="2026-12-05T03:00:00+00:00", hub_version="0.2.0", parts={"x": {"file": "f"}})
    return write_archive(staging, manifest, tmp_path / "a.tar.gz")


def rewrite(archive: Path, tmp_path: Path, change: str) -> None:
    """Repack the archive with one member changed, as bit rot or a careless edit would."""
    work = tmp_path / "repack"
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    if change == "edit":
        (work / "files" / "site").write_text('[site]\nid = "other"\n')
    elif change == "remove":
        (work / "database" / "facilities.dump").unlink()
    elif change == "add":
        (work / "files" / "extra").write_text("planted")
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(work.iterdir()):
            tar.add(path, arcname=path.name)


def test_round_trip(tmp_path: Path) -> None:
    archive = make_archive(tmp_path)
    assert not list(tmp_path.glob("*.partial"))
    manifest = unpack_archive(archive, tmp_path / "out")
    assert manifest.hub_version == "0.2.0" and set(manifest.checksums) == {"database/facilities.dump", "files/site"}
    assert (tmp_path / "out" / "files" / "site").read_text().endswith('"lakeside"\n')


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("edit", "files/site checksum mismatch"),
        ("remove", "database/facilities.dump missing"),
        ("add", "files/extra not in the manifest"),
    ],
)
def test_a_changed_archive_is_refused_naming_the_file(tmp_path: Path, change: str, message: str) -> None:
    archive = make_archive(tmp_path)
    rewrite(archive, tmp_path, change)
    with pytest.raises(ArchiveError, match=message) as refused:
        unpack_archive(archive, tmp_path / "out")
    assert "nothing was restored" in str(refused.value)


def test_truncated_and_foreign_files_are_refused(tmp_path: Path) -> None:
    archive = make_archive(tmp_path)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="corrupted or truncated"):
        unpack_archive(archive, tmp_path / "out1")
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.add(tmp_path / "staging" / "files", arcname="files")
    with pytest.raises(ArchiveError, match=r"no manifest\.json"):
        unpack_archive(other, tmp_path / "out2")
    with pytest.raises(ArchiveError, match="no such archive"):
        unpack_archive(tmp_path / "missing.tar.gz", tmp_path / "out3")
