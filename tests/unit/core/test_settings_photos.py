"""FACILITIES_PHOTOS_*: `folder` or an s3:// bucket, refused at load with the variable's name and what to do,
never quoting a credential pasted into the URL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.photo_location import S3Location, bucket_problem, parse_photos_store
from core.settings import Settings


def test_the_default_is_the_data_folder_with_an_8_mb_limit() -> None:
    settings = Settings()
    assert (settings.photos_store, settings.photos_s3, settings.photos_max_bytes) == ("folder", None, 8 * 1024 * 1024)
    assert Settings(photos_store=" Folder ").photos_s3 is None


@pytest.mark.parametrize(
    ("value", "bucket", "prefix"),
    [
        ("s3://wuye-photos", "wuye-photos", "photos/"),
        ("s3://wuye-photos/", "wuye-photos", "photos/"),
        ("S3://wuye-photos/lakeview", "wuye-photos", "lakeview/"),
        ("s3://wuye.photos-2/lakeview/B1/", "wuye.photos-2", "lakeview/B1/"),
        ("  s3://abc/x_y.z  ", "abc", "x_y.z/"),
        ("s3://" + "a" * 63, "a" * 63, "photos/"),
    ],
)
def test_an_s3_url_gives_the_bucket_and_a_prefix_ending_in_a_slash(value: str, bucket: str, prefix: str) -> None:
    settings = Settings(photos_store=value)
    assert settings.photos_s3 == S3Location(bucket, prefix)
    assert settings.photos_store == f"s3://{bucket}/{prefix}"  # normalised, so logs show what is used


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "FACILITIES_PHOTOS_STORE is empty; unset it"),
        ("   ", "FACILITIES_PHOTOS_STORE is empty"),
        ("/srv/photos", "a folder path is not accepted: photos go under FACILITIES_DATA_DIR/photos"),
        ("folders", "must be `folder`"),
        ("gs://wuye-photos", "not a 'gs' URL"),
        ("file:///srv/photos", "not a 'file' URL"),
        ("https://minio:9000/wuye", "the server's address goes in FACILITIES_PHOTOS_S3_ENDPOINT"),
        ("s3://", "names no bucket"),
        ("s3:///photos", "names no bucket"),
        ("s3://ab", "of 2 characters; S3 allows 3 to 63"),
        ("s3://" + "a" * 64, "of 64 characters"),
        ("s3://Wuye-Photos", "other than lowercase letters"),
        ("s3://wuye_photos", "other than lowercase letters"),
        ("s3://wuye photos", "other than lowercase letters"),
        ("s3://照片存储桶", "other than lowercase letters"),
        ("s3://wuye\u00adphotos", "other than lowercase letters"),  # a soft hyphen, invisible when pasted
        ("s3://ｗｕｙｅ", "other than lowercase letters"),  # full-width letters from a Chinese input method
        ("s3://-wuye", "begin and end with a letter or digit"),
        ("s3://wuye.", "begin and end with a letter or digit"),
        ("s3://wuye..photos", "two dots in a row"),
        ("s3://192.168.1.20", "formatted as an IP address"),
        ("s3://xn--wuye", "reserves"),
        ("s3://wuye-s3alias", "reserves"),
        ("s3://wuye:9000/photos", "no port after the bucket"),
        ("s3://wuye-photos?region=cn", "a bucket and a prefix only"),
        ("s3://wuye-photos#x", "a bucket and a prefix only"),
        ("s3://wuye-photos/a/../b", "no '.' or '..' part"),
        ("s3://wuye-photos/a//b", "separated by single '/'"),
        ("s3://wuye-photos/照片", "ASCII letters"),
        ("s3://wuye-photos/a b", "ASCII letters"),
        ("s3://wuye-photos/a%2Fb", "ASCII letters"),
        ("s3://wuye-photos/" + "p" * 201, "up to 200 characters"),
    ],
)
def test_a_bad_store_is_refused_naming_the_variable(value: str, words: str) -> None:
    with pytest.raises(ValidationError, match="FACILITIES_PHOTOS_STORE") as caught:
        Settings(photos_store=value)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "value",
    ["s3://AKIAEXAMPLEKEY:wJalrXUtnFEMI@wuye-photos/p", "s3://AKIAEXAMPLEKEY@wuye-photos", "https://k:wJalrXUtnFEMI@x"],
)
def test_credentials_in_the_url_are_refused_and_not_echoed(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(photos_store=value)
    message = str(caught.value)
    assert "AKIAEXAMPLEKEY" not in message and "wJalrXUtnFEMI" not in message
    assert "FACILITIES_PHOTOS_STORE" in message


def test_the_endpoint_and_region_for_minio_or_ceph() -> None:
    settings = Settings(photos_store="s3://wuye", photos_s3_endpoint="http://minio:9000/", photos_s3_region="cn-1")
    assert (settings.photos_s3_endpoint, settings.photos_s3_region) == ("http://minio:9000", "cn-1")


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"photos_s3_endpoint": "minio:9000"}, "must be an http:// or https:// address"),
        ({"photos_s3_endpoint": "ftp://minio"}, "must be an http:// or https:// address"),
        ({"photos_s3_endpoint": "http://"}, "must be an http:// or https:// address"),
        ({"photos_s3_endpoint": "http://minio:port"}, "FACILITIES_PHOTOS_S3_ENDPOINT is not a URL"),
        ({"photos_s3_endpoint": "http://[::1"}, "FACILITIES_PHOTOS_S3_ENDPOINT is not a URL"),
        ({"photos_s3_endpoint": "http://minio:9000/wuye"}, "the server's address only"),
        ({"photos_s3_endpoint": "http://key:wJalrXUtnFEMI@minio:9000"}, "must not hold credentials"),
        ({"photos_s3_region": ""}, "FACILITIES_PHOTOS_S3_REGION must be 1-64"),
        ({"photos_s3_region": "华东-1"}, "FACILITIES_PHOTOS_S3_REGION must be 1-64"),
        ({"photos_s3_region": "us east"}, "FACILITIES_PHOTOS_S3_REGION must be 1-64"),
    ],
)
def test_a_bad_endpoint_or_region_is_refused(values: dict[str, str], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(photos_store="s3://wuye-photos", **values)  # type: ignore[arg-type]
    assert words in str(caught.value)
    assert "wJalrXUtnFEMI" not in str(caught.value)


@pytest.mark.parametrize("name", ["photos_s3_endpoint", "photos_s3_region"])
def test_s3_settings_without_a_bucket_are_refused_not_ignored(name: str) -> None:
    value = "http://minio:9000" if name.endswith("endpoint") else "us-east-1"
    with pytest.raises(
        ValidationError, match=f"FACILITIES_{name.upper()} is set but FACILITIES_PHOTOS_STORE is folder"
    ):
        Settings(**{name: value})  # type: ignore[arg-type]


def test_the_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACILITIES_PHOTOS_STORE", "s3://wuye-photos/lakeview")
    monkeypatch.setenv("FACILITIES_PHOTOS_S3_ENDPOINT", "https://oss.example.com")
    settings = Settings()
    assert settings.photos_s3 == S3Location("wuye-photos", "lakeview/")
    assert settings.photos_s3_endpoint == "https://oss.example.com"


def test_bucket_rules_directly() -> None:
    assert bucket_problem("wuye-photos") is None
    assert bucket_problem("1.2.3") is None  # three numbers are no IP address
    assert parse_photos_store("folder") is None
