"""The one photo store the settings choose: the folder or a bucket, FACILITIES_PHOTOS_MAX_MB applied either way,
a bucket that is missing or refuses us stopping the start, one that does not answer only degrading /health."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from core.health import HealthState
from core.settings import Settings
from core.site_loader import load_site
from facilities.errors import SetupError
from facilities.health import photos_check
from facilities.maintenance_wiring import build_maintenance
from facilities.photo_wiring import photos_from_settings
from storage.photos import FolderPhotoBackend, PhotoStore, S3PhotoBackend
from storage.photos_s3 import DATA_TIMEOUTS, PROBE_TIMEOUTS
from tests.unit.storage.test_photos_s3 import PNG, ClientError, FakeS3

ROOT = Path(__file__).resolve().parents[3]
BUCKET = {"photos_store": "s3://wuye-photos/lakeview", "photos_max_mb": 2}


class Clients:
    """Our own stand-in for the boto3 client factory: records what it was asked, hands out one fake."""

    def __init__(self, s3: FakeS3 | None = None) -> None:
        self.s3 = s3 or FakeS3()
        self.asked: list[dict[str, Any]] = []

    def __call__(self, *, endpoint: str | None, region: str | None, timeouts: tuple[float, float, int]) -> Any:
        self.asked.append({"endpoint": endpoint, "region": region, "timeouts": timeouts})
        return self.s3


def test_the_folder_store_is_under_the_data_folder_with_the_configured_limit(tmp_path: Path) -> None:
    photos = photos_from_settings(Settings(data_dir=tmp_path, photos_max_mb=2))
    assert photos.probe is None
    assert photos.store.max_bytes == 2 * 1024 * 1024
    assert isinstance(photos.store.backend, FolderPhotoBackend) and photos.store.backend.root == tmp_path / "photos"


def test_a_bucket_store_with_its_prefix_limit_and_probe() -> None:
    clients = Clients()
    settings = Settings(**BUCKET, photos_s3_endpoint="http://minio:9000", photos_s3_region="us-east-1")  # type: ignore[arg-type]
    photos = photos_from_settings(settings, clients=clients)
    backend = photos.store.backend
    assert isinstance(backend, S3PhotoBackend) and (backend.bucket, backend.prefix) == ("wuye-photos", "lakeview/")
    assert photos.store.max_bytes == 2 * 1024 * 1024
    assert [asked["timeouts"] for asked in clients.asked] == [DATA_TIMEOUTS, PROBE_TIMEOUTS]
    assert {(a["endpoint"], a["region"]) for a in clients.asked} == {("http://minio:9000", "us-east-1")}
    assert clients.s3.calls == ["head wuye-photos"]  # asked once at start
    key = photos.store.put(PNG).key
    assert ("wuye-photos", f"lakeview/{key}") in clients.s3.objects


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (ClientError("404", "HeadBucket"), "s3://wuye-photos/lakeview/: bucket wuye-photos does not exist"),
        (ClientError("403", "HeadBucket"), "bucket wuye-photos refused us (403)"),
    ],
)
def test_a_missing_bucket_or_refused_credentials_stop_the_start(error: Exception, words: str) -> None:
    clients = Clients()
    clients.s3.fail = error
    with pytest.raises(SetupError, match="FACILITIES_PHOTOS_STORE=") as caught:
        photos_from_settings(Settings(**BUCKET), clients=clients)  # type: ignore[arg-type]
    assert words in str(caught.value)


def test_a_bucket_that_does_not_answer_starts_degraded(caplog: pytest.LogCaptureFixture) -> None:
    clients = Clients()
    clients.s3.fail = ConnectionError("timed out")
    photos = photos_from_settings(Settings(**BUCKET), clients=clients)  # type: ignore[arg-type]
    assert "did not answer (ConnectionError: timed out); starting anyway" in caplog.text
    assert photos.probe is not None
    health = photos_check(photos.probe)()
    assert health.state is HealthState.DEGRADED and health.detail.startswith("photo uploads fail: bucket wuye-photos")
    assert health.figures["reachable"] is False
    clients.s3.fail = None
    assert photos_check(photos.probe)().state is HealthState.DEGRADED  # the answer is kept for 30 s
    assert photos.probe.check(fresh=True) and photos_check(photos.probe)().state is HealthState.OK


def test_without_boto3_the_start_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed
    with pytest.raises(SetupError, match=r"needs boto3: boto3 is not installed: pip install 'facilities\[s3\]'"):
        photos_from_settings(Settings(**BUCKET))  # type: ignore[arg-type]


def test_a_client_botocore_refuses_stops_the_start() -> None:
    def refusing(**_: Any) -> Any:
        raise ValueError("Invalid endpoint")

    with pytest.raises(SetupError, match="cannot make an S3 client: ValueError: Invalid endpoint"):
        photos_from_settings(Settings(**BUCKET), clients=refusing)  # type: ignore[arg-type]


def test_maintenance_uses_the_hubs_store_or_the_settings_one(tmp_path: Path) -> None:
    site = load_site(ROOT / "examples/site.toml")
    settings = Settings(maintenance_file=ROOT / "examples/maintenance.toml", data_dir=tmp_path, photos_max_mb=3)
    shared = PhotoStore(S3PhotoBackend(FakeS3(), "wuye-photos"))
    runtime = build_maintenance(settings, site, None, shared)
    assert runtime is not None and runtime.photos is shared
    own = build_maintenance(settings, site, None)
    assert own is not None and own.photos.max_bytes == 3 * 1024 * 1024
