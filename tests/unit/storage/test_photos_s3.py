"""The S3 photo backend and its probe on our own stand-in client: a missing key is known by its error code, not
by words in a message; a bucket that fails an upload gives the uploader a sentence; the probe's answer is cached."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from storage.photos import PhotoError, PhotoStore, PhotoStoreUnavailable, S3PhotoBackend, s3_error_code
from storage.photos_s3 import DATA_TIMEOUTS, INSTALL_HINT, Boto3Missing, BucketProbe, BucketState, s3_client

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x01" * 4 + bytes(40)
UNKNOWN = "f" * 64 + ".png"


class ClientError(Exception):
    """Shaped like botocore's: the server's answer in `response`."""

    def __init__(self, code: str, operation: str = "GetObject") -> None:
        super().__init__(f"An error occurred ({code}) when calling the {operation} operation")
        self.response = {"Error": {"Code": code, "Message": "..."}, "ResponseMetadata": {"HTTPStatusCode": 404}}


class NoCredentialsError(Exception):
    """botocore's own class of that name carries no response."""


class FakeS3:
    """Our own stand-in for a boto3 client: the calls the backend and the probe make; `fail` is raised by all."""

    def __init__(self, *, missing: Exception | None = None) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.missing = missing or ClientError("NoSuchKey")
        self.fail: Exception | None = None
        self.calls: list[str] = []

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        self.calls.append(f"put {Key}")
        if self.fail is not None:
            raise self.fail
        self.objects[(Bucket, Key)] = (Body, ContentType)

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.calls.append(f"get {Key}")
        if self.fail is not None:
            raise self.fail
        if (Bucket, Key) not in self.objects:
            raise self.missing
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)][0])}

    def head_bucket(self, *, Bucket: str) -> dict[str, Any]:
        self.calls.append(f"head {Bucket}")
        if self.fail is not None:
            raise self.fail
        return {}


def test_an_s3_compatible_bucket_holds_the_same_keys_under_its_prefix() -> None:
    s3 = FakeS3()
    store = PhotoStore(S3PhotoBackend(s3, "wuye-photos", "lakeview/"), max_bytes=4096)
    stored = store.put(PNG, declared_type="image/png")
    assert s3.objects[("wuye-photos", f"lakeview/{stored.key}")] == (PNG, "image/png")
    assert store.get(stored.key) == (PNG, "image/png")
    assert store.get(UNKNOWN) is None


class NoSuchKey(Exception):
    """A boto3-style client's own missing-key class, without a response."""


@pytest.mark.parametrize("missing", [ClientError("NoSuchKey"), ClientError("404", "HeadObject"), NoSuchKey("gone")])
def test_a_missing_key_is_none_by_its_code_or_class(missing: Exception) -> None:
    store = PhotoStore(S3PhotoBackend(FakeS3(missing=missing), "wuye-photos"))
    assert store.get(UNKNOWN) is None


@pytest.mark.parametrize(
    "error",
    [
        ClientError("NoSuchBucket"),  # HTTP 404 too, but a fault to report, not a missing photo
        ClientError("AccessDenied"),
        RuntimeError("proxy answered 404 NoSuchKey"),  # words in a message are not a code
        KeyError("NoSuchKey: The specified key does not exist."),
    ],
)
def test_any_other_error_of_a_read_is_the_bucket_unavailable_not_a_missing_photo(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    store = PhotoStore(S3PhotoBackend(FakeS3(missing=error), "wuye-photos"))
    with pytest.raises(PhotoStoreUnavailable, match=r"the photo bucket answered \w+; try again") as caught:
        store.get(UNKNOWN)
    assert caught.value.__cause__ is error  # the log and the traceback keep the bucket's own error
    assert "not read from bucket wuye-photos" in caplog.text


def test_a_key_that_is_no_photo_name_never_reaches_the_bucket() -> None:
    s3 = FakeS3()
    store = PhotoStore(S3PhotoBackend(s3, "wuye-photos"))
    for key in ["../secret.png", "photos/" + UNKNOWN, UNKNOWN.upper(), ""]:
        with pytest.raises(PhotoError, match="is not a stored photo's name"):
            store.get(key)
    assert s3.calls == []


def test_an_upload_the_bucket_refuses_is_a_sentence_for_the_uploader(caplog: pytest.LogCaptureFixture) -> None:
    s3 = FakeS3()
    s3.fail = ClientError("AccessDenied", "PutObject")
    store = PhotoStore(S3PhotoBackend(s3, "wuye-photos"))
    with pytest.raises(PhotoStoreUnavailable, match=r"answered AccessDenied\); try again in a while") as caught:
        store.put(PNG)
    assert isinstance(caught.value, PhotoError)  # the console's forms already show a PhotoError's message
    s3.fail = ConnectionError("connection refused")
    with pytest.raises(PhotoStoreUnavailable, match="answered ConnectionError"):
        store.put(PNG)
    assert "not stored in bucket wuye-photos" in caplog.text


def test_the_error_code_is_read_from_the_response_only() -> None:
    assert s3_error_code(ClientError("NoSuchKey")) == "NoSuchKey"
    assert s3_error_code(KeyError("NoSuchKey")) is None
    odd = Exception()
    odd.response = {"Error": "not a mapping"}  # type: ignore[attr-defined]
    assert s3_error_code(odd) is None


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("error", "state", "words"),
    [
        (ClientError("404", "HeadBucket"), BucketState.MISSING, "does not exist (404); create it"),
        (ClientError("NoSuchBucket"), BucketState.MISSING, "FACILITIES_PHOTOS_STORE"),
        (ClientError("403", "HeadBucket"), BucketState.REFUSED, "refused us (403)"),
        (ClientError("InvalidAccessKeyId"), BucketState.REFUSED, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        (ClientError("301", "HeadBucket"), BucketState.REFUSED, "FACILITIES_PHOTOS_S3_REGION"),
        (NoCredentialsError("Unable to locate credentials"), BucketState.REFUSED, "no credentials for bucket"),
        (ConnectionError("timed out"), BucketState.UNREACHABLE, "did not answer (ConnectionError: timed out)"),
        (ClientError("503", "HeadBucket"), BucketState.UNREACHABLE, "did not answer (503)"),
    ],
)
def test_the_probe_says_what_a_failure_means(error: Exception, state: BucketState, words: str) -> None:
    s3 = FakeS3()
    s3.fail = error
    answer = BucketProbe(s3, "wuye-photos").check()
    assert answer.state is state
    assert words in answer.detail


def test_the_probe_asks_once_per_ttl_unless_told_to_ask_afresh() -> None:
    s3, ticks = FakeS3(), Ticks()
    probe = BucketProbe(s3, "wuye-photos", ttl_s=30, monotonic=ticks)
    assert probe.check().state is BucketState.OK
    s3.fail = ConnectionError("down")
    ticks.now += 29
    assert probe.check().state is BucketState.OK  # cached
    assert probe.check(fresh=True).state is BucketState.UNREACHABLE
    s3.fail = None
    ticks.now += 29.9
    assert probe.check().state is BucketState.UNREACHABLE  # the failure is cached too
    ticks.now += 0.1
    assert probe.check().state is BucketState.OK
    assert s3.calls == ["head wuye-photos"] * 3


def test_without_boto3_the_client_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed: importing it raises ImportError
    with pytest.raises(Boto3Missing, match=r"pip install 'facilities\[s3\]'"):
        s3_client(endpoint=None, region=None, timeouts=DATA_TIMEOUTS)
    assert INSTALL_HINT == "pip install 'facilities[s3]'"


def test_a_custom_endpoint_gets_path_style_addressing_and_the_timeouts() -> None:
    client = s3_client(endpoint="http://minio:9000", region="us-east-1", timeouts=(2.0, 5.0, 1))
    config = client.meta.config
    assert client.meta.endpoint_url == "http://minio:9000"
    assert (config.connect_timeout, config.read_timeout, config.s3) == (2.0, 5.0, {"addressing_style": "path"})
    assert config.retries["total_max_attempts"] == 1
    aws = s3_client(endpoint=None, region="cn-north-1", timeouts=DATA_TIMEOUTS)
    assert aws.meta.region_name == "cn-north-1" and not (aws.meta.config.s3 or {}).get("addressing_style")
