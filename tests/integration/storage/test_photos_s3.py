"""Photos in an S3-compatible bucket over real HTTP (moto's server), through the store the hub builds from
FACILITIES_PHOTOS_*: stored under the prefix with its type, read back, a missing key None, a bad key refused,
a missing bucket or missing credentials stopping the start, a server gone showing in /health."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from core.health import HealthState
from core.settings import Settings
from core.site_loader import load_site
from facilities.bootstrap import bootstrap
from facilities.errors import SetupError
from facilities.photo_wiring import photos_from_settings
from storage.photos import PhotoError, PhotoStoreUnavailable, S3PhotoBackend
from storage.photos_s3 import BucketState
from tests.support.servers import MotoS3

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parents[3] / "examples"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(200)) + b"\xff\xd9"


def _admin(endpoint: str) -> Any:
    """A client of the test's own, independent of ours, to make buckets and look into them."""
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3_server: MotoS3) -> str:
    name = f"wuye-photos-{uuid.uuid4().hex[:8]}"
    _admin(s3_server.url).create_bucket(Bucket=name)
    return name


def _settings(s3_server: MotoS3, store: str, tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {"photos_store": store, "photos_s3_endpoint": s3_server.url, "data_dir": tmp_path}
    return Settings(**{**values, **kw})  # type: ignore[arg-type]


def test_a_photo_is_stored_under_the_prefix_and_read_back(s3_server: MotoS3, bucket: str, tmp_path: Path) -> None:
    photos = photos_from_settings(_settings(s3_server, f"s3://{bucket}/lakeview", tmp_path, photos_max_mb=1))
    store = photos.store
    assert store.max_bytes == 1024 * 1024 and isinstance(store.backend, S3PhotoBackend)
    stored = store.put(JPEG, declared_type="image/jpeg")
    stored_again = store.put(JPEG, declared_type="image/jpeg")  # a repeated upload after a lost reply
    assert stored_again == stored
    head = _admin(s3_server.url).head_object(Bucket=bucket, Key=f"lakeview/{stored.key}")
    assert (head["ContentType"], head["ContentLength"]) == ("image/jpeg", len(JPEG))
    listed = _admin(s3_server.url).list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [f"lakeview/{stored.key}"]
    assert store.get(stored.key) == (JPEG, "image/jpeg")
    assert store.get("0" * 64 + ".jpg") is None  # botocore's NoSuchKey, known by its code
    for key in ["../" + stored.key, f"lakeview/{stored.key}", stored.key.upper(), stored.key + "?x=1"]:
        with pytest.raises(PhotoError, match=r"is not a stored photo's name"):
            store.get(key)
    with pytest.raises(PhotoError, match="larger than the 1024 KiB limit"):
        store.put(JPEG + bytes(1024 * 1024))
    assert photos.probe is not None and photos.probe.check().state is BucketState.OK


def test_the_default_prefix_is_photos(s3_server: MotoS3, bucket: str, tmp_path: Path) -> None:
    store = photos_from_settings(_settings(s3_server, f"s3://{bucket}", tmp_path)).store
    key = store.put(JPEG).key
    assert _admin(s3_server.url).get_object(Bucket=bucket, Key=f"photos/{key}")["Body"].read() == JPEG


def test_a_bucket_that_does_not_exist_stops_the_start(s3_server: MotoS3, tmp_path: Path) -> None:
    with pytest.raises(
        SetupError, match=r"s3://no-such-bucket-here/photos/: bucket no-such-bucket-here does not exist"
    ):
        photos_from_settings(_settings(s3_server, "s3://no-such-bucket-here", tmp_path))


def test_no_credentials_stop_the_start(
    s3_server: MotoS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(
        SetupError, match=r"no credentials for bucket .*set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    ):
        photos_from_settings(_settings(s3_server, f"s3://{bucket}", tmp_path))


def test_the_hub_uses_one_bucket_store_for_checklists_and_patrols_and_reports_it(
    s3_server: MotoS3, bucket: str, tmp_path: Path
) -> None:
    settings = _settings(
        s3_server, f"s3://{bucket}/lakeview", tmp_path / "data", photos_max_mb=3,
        database_url=f"sqlite:///{tmp_path}/facilities.db", maintenance_file=EXAMPLES / "maintenance.toml",
        patrols_file=EXAMPLES / "patrols.toml",
    )  # fmt: skip
    hub = bootstrap(settings, site=load_site(EXAMPLES / "site.toml"))
    try:
        assert hub.console is not None and hub.console.maintenance is not None
        store = hub.console.photos
        assert store is hub.console.maintenance.photos and isinstance(store.backend, S3PhotoBackend)
        assert store.max_bytes == 3 * 1024 * 1024  # the console's store had the 8 MB default before
        checks = hub.health_checks()
        assert checks["photos"]().state is HealthState.OK  # type: ignore[union-attr]
    finally:
        hub.stop()


def test_the_folder_store_of_the_hub_applies_the_limit_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/f.db", photos_max_mb=3)
    hub = bootstrap(settings, site=load_site(EXAMPLES / "site.toml"))
    try:
        assert hub.console is not None and hub.console.photos is not None
        assert hub.console.photos.max_bytes == 3 * 1024 * 1024
        assert "photos" not in hub.health_checks()
    finally:
        hub.stop()


def test_a_server_gone_shows_in_health_and_an_upload_is_refused_with_a_sentence(
    s3_server: MotoS3, bucket: str, tmp_path: Path
) -> None:
    photos = photos_from_settings(_settings(s3_server, f"s3://{bucket}", tmp_path))
    assert photos.probe is not None
    kept = photos.store.put(JPEG).key
    s3_server.stop()
    with pytest.raises(PhotoStoreUnavailable, match=r"the photo bucket answered .*try again in a while"):
        photos.store.get(kept)  # not "no such photo": the console answers 503, the record still names it
    with pytest.raises(PhotoError, match=r"is not a stored photo's name") as refused:
        photos.store.get("../../etc/passwd")
    assert not isinstance(refused.value, PhotoStoreUnavailable)
    answer = photos.probe.check(fresh=True)
    assert answer.state is BucketState.UNREACHABLE and f"bucket {bucket} did not answer" in answer.detail
    with pytest.raises(PhotoStoreUnavailable, match=r"could not be stored .*try again in a while"):
        photos.store.put(JPEG)
