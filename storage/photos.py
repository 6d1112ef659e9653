"""Photos uploaded from a phone (maintenance checklists, patrol findings), stored by content hash.

Shared infrastructure owned by storage/: maintenance and patrols both import it, neither imports the other.
A photo is refused unless its bytes are a JPEG, PNG or WebP image (checked by their magic numbers, not the
name or the browser's word for it), no bigger than the store's limit. It is named by the SHA-256 of its bytes,
so an upload repeated after a lost reply stores nothing twice, and a key read back from a form or a URL is
checked against that pattern before it becomes a path: no `..`, no slash, no other file of the data folder.

Photos live under `<data_dir>/photos/<first two hex digits>/<hash>.<ext>` by default, or in an S3-compatible
bucket (MinIO, Ceph, AWS) through `S3PhotoBackend(client, bucket, prefix)` with any boto3-style client; the hub
picks one from FACILITIES_PHOTOS_STORE (facilities/photo_wiring.py, docs/maintenance.md). Folder writes are
atomic: a temporary file in the same folder, fsync, rename.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # a phone's JPEG is 2-5 MB; 8 MB leaves room without inviting abuse
MIN_BYTES = 32  # smaller than any real image header plus data

KEY_PATTERN = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
CONTENT_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}
# What a browser may say for a photo whose real type we sniff anyway.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
DECLARED_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


class PhotoError(ValueError):
    """An upload or a key that cannot be accepted; the message says what was wrong and what to do."""


@dataclass(frozen=True)
class StoredPhoto:
    key: str  # "<sha256>.<ext>", what a record keeps
    content_type: str
    size: int


class PhotoBackend(Protocol):
    """Where the bytes go: a folder (default) or an S3-compatible bucket."""

    def write(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes | None: ...


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG, WebP), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _refusal_for_unknown(data: bytes) -> str:
    head = data[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html")):
        return "is markup (SVG/HTML), not a photo; only JPEG, PNG or WebP images are accepted"
    if data[4:8] == b"ftyp":
        return "is HEIC/HEIF or video; set the phone camera to 'Most compatible' (JPEG) and upload again"
    return "is not a JPEG, PNG or WebP image; take the photo again or convert it"


def check_key(key: str) -> str:
    """`key` if it names a stored photo's file (hash and extension), else PhotoError."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise PhotoError(f"photo key {key!r:.80} is not a stored photo's name (<sha256>.jpg|png|webp)")
    return key


class FolderPhotoBackend:
    """Photos as files under one folder, fanned out by the hash's first two hex digits."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key

    def write(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        if target.exists() and target.stat().st_size == len(data):
            return  # same content, same name: already stored
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None


class PhotoStoreUnavailable(PhotoError):
    """The store did not take an upload (a bucket unreachable or refusing); nothing is wrong with the photo."""


# What an S3-compatible server answers for a key it does not hold: NoSuchKey to a GET, a bare 404 to a HEAD.
# NoSuchBucket is not among them: a missing bucket is a fault to report, not a missing photo.
MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def s3_error_code(exc: BaseException) -> str | None:
    """The code of a botocore ClientError (`exc.response['Error']['Code']`), or None for any other error.

    Read from the attribute, so botocore need not be importable here and any boto3-style client's error works.
    """
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    code = error.get("Code") if isinstance(error, dict) else None
    return None if code is None else str(code)


class S3PhotoBackend:
    """Photos in an S3-compatible bucket through a boto3-style client (`put_object`, `get_object`)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "photos/") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def write(self, key: str, data: bytes, content_type: str) -> None:
        name = self.prefix + check_key(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=content_type)
        except Exception as exc:
            # The person uploading gets a sentence, the log the whole error.
            log.warning("photo %s not stored in bucket %s", name, self.bucket, exc_info=True)
            reason = s3_error_code(exc) or type(exc).__name__
            raise PhotoStoreUnavailable(
                f"the photo could not be stored (the photo bucket answered {reason}); try again in a while"
            ) from exc

    def read(self, key: str) -> bytes | None:
        name = self.prefix + check_key(key)  # a bad key is refused as such, not as the bucket's fault
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=name)
            body: bytes = reply["Body"].read()
        except Exception as exc:
            if s3_error_code(exc) in MISSING_KEY_CODES or type(exc).__name__ == "NoSuchKey":
                return None
            log.warning("photo %s not read from bucket %s", key, self.bucket, exc_info=True)
            reason = s3_error_code(exc) or type(exc).__name__
            raise PhotoStoreUnavailable(f"the photo bucket answered {reason}; try again in a while") from exc
        return body


class PhotoStore:
    """Checks uploads and stores them by content hash; `max_bytes` bounds every upload."""

    def __init__(self, backend: PhotoBackend, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < MIN_BYTES:
            raise ValueError(f"max_bytes {max_bytes} is smaller than any photo ({MIN_BYTES} bytes)")
        self.backend = backend
        self.max_bytes = max_bytes

    @classmethod
    def in_folder(cls, data_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> PhotoStore:
        """The default store: `<data_dir>/photos`."""
        return cls(FolderPhotoBackend(Path(data_dir) / "photos"), max_bytes=max_bytes)

    def read_limited(self, stream: BinaryIO) -> bytes:
        """At most `max_bytes` from an upload stream; PhotoError if there is more (never reads it all)."""
        data = stream.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise PhotoError(f"photo is larger than {self.max_bytes // 1024} KiB; take it at a lower resolution")
        return data

    def put(self, data: bytes, *, declared_type: str | None = None, name: str = "photo") -> StoredPhoto:
        """Checks `data` (size, real type, agreement with the declared type) and stores it; returns its key."""
        if not isinstance(data, bytes | bytearray):
            raise PhotoError(f"{name}: expected the photo's bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) > self.max_bytes:
            raise PhotoError(
                f"{name}: {len(data) // 1024} KiB is larger than the {self.max_bytes // 1024} KiB limit;"
                " take it at a lower resolution"
            )
        if len(data) < MIN_BYTES:
            raise PhotoError(f"{name}: {len(data)} bytes is too small to be a photo (empty or cut-off upload)")
        actual = sniff(data)
        if actual is None:
            raise PhotoError(f"{name}: {_refusal_for_unknown(data)}")
        declared = (declared_type or "").split(";")[0].strip().lower()
        declared = DECLARED_ALIASES.get(declared, declared)
        if declared not in GENERIC_TYPES and declared != actual:
            raise PhotoError(f"{name}: sent as {declared[:60]!r} but the bytes are {actual}; upload the file unchanged")
        key = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[actual]}"
        self.backend.write(key, data, actual)
        return StoredPhoto(key=key, content_type=actual, size=len(data))

    def get(self, key: str) -> tuple[bytes, str] | None:
        """A stored photo's bytes and content type, or None if there is none by that key."""
        check_key(key)
        data = self.backend.read(key)
        if data is None:
            return None
        return data, CONTENT_TYPES[key.rsplit(".", 1)[1]]
