"""Where uploaded photos go, from FACILITIES_PHOTOS_STORE: `folder` (the data folder) or `s3://bucket/prefix`.

Checked when the settings load, so a typo stops the hub naming the variable instead of failing at the first
upload. Bucket names follow S3's rules for general purpose buckets, which MinIO and Ceph apply too. Credentials
never go in these settings: boto3 finds them itself (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile,
an instance role). A refusal quotes no more than the scheme or the bucket name: a pasted URL may hold a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

STORE = "FACILITIES_PHOTOS_STORE"
ENDPOINT = "FACILITIES_PHOTOS_S3_ENDPOINT"
REGION = "FACILITIES_PHOTOS_S3_REGION"
FOLDER = "folder"
DEFAULT_PREFIX = "photos/"  # the same name as the folder store's sub-folder
MAX_PREFIX = 200  # S3 keys end at 1,024 bytes; a photo's name takes 68

_BUCKET_CHARS = re.compile(r"[a-z0-9.-]+")
_IP_ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")
_REGION = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Reserved by AWS for access points, aliases and other bucket types; a bucket cannot be created with them.
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
CREDENTIALS = "boto3 reads them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile, an instance role)"
_USAGE = f"{STORE} must be `{FOLDER}` (the default: photos under the data folder) or s3://bucket/prefix"


@dataclass(frozen=True)
class S3Location:
    """A bucket and the prefix every photo's key starts with ("" or ending in "/")."""

    bucket: str
    prefix: str = DEFAULT_PREFIX

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def bucket_problem(name: str) -> str | None:
    """Why `name` cannot be an S3 bucket's name, or None when it can."""
    if not name:
        return "names no bucket"
    if not _BUCKET_CHARS.fullmatch(name):
        return "has a bucket name with characters other than lowercase letters, digits, '.' and '-'"
    if not 3 <= len(name) <= 63:
        return f"has a bucket name of {len(name)} characters; S3 allows 3 to 63"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "has a bucket name that does not begin and end with a letter or digit"
    if ".." in name:
        return "has a bucket name with two dots in a row"
    if _IP_ADDRESS.fullmatch(name):
        return "has a bucket name formatted as an IP address; the server's address goes in " + ENDPOINT
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "has a bucket name with a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, …)"
    return None


def _prefix(path: str) -> str:
    if path in {"", "/"}:
        return DEFAULT_PREFIX
    segments = path.strip("/").split("/")
    if len(path) > MAX_PREFIX or not all(_SEGMENT.fullmatch(s) and s not in {".", ".."} for s in segments):
        raise ValueError(
            f"{STORE}: the prefix after the bucket must be up to {MAX_PREFIX} characters of ASCII letters, digits, "
            "'_', '.' and '-', in parts separated by single '/' (no '.' or '..' part), e.g. s3://wuye-photos/lakeview"
        )
    return "/".join(segments) + "/"


def parse_photos_store(value: str) -> S3Location | None:
    """None for `folder`, the bucket and prefix of an s3:// URL; a ValueError naming the variable otherwise.

    `s3://bucket` keeps photos under `photos/`, `s3://bucket/a/b` under `a/b/`.
    """
    text = value.strip()
    if not text:
        raise ValueError(f"{STORE} is empty; unset it (photos under the data folder) or set s3://bucket/prefix")
    if text.lower() == FOLDER:
        return None
    scheme, separator, rest = text.partition("://")
    if not separator:
        raise ValueError(f"{_USAGE}; a folder path is not accepted: photos go under FACILITIES_DATA_DIR/photos")
    if scheme.lower() != "s3":
        hint = f"; the server's address goes in {ENDPOINT}" if scheme.lower() in {"http", "https"} else ""
        raise ValueError(f"{_USAGE}, not a {scheme[:16]!r} URL{hint}")
    if any(mark in rest for mark in "?#\\"):
        raise ValueError(f"{STORE}: an s3:// URL takes a bucket and a prefix only (no '?', '#' or '\\')")
    bucket, _, path = rest.partition("/")
    if "@" in bucket:
        raise ValueError(f"{STORE} must not hold credentials; {CREDENTIALS}")
    if ":" in bucket:
        raise ValueError(f"{STORE}: no port after the bucket; the server's address (MinIO, Ceph) goes in {ENDPOINT}")
    problem = bucket_problem(bucket)
    if problem is not None:
        quoted = f" ({bucket[:63]!r})" if bucket else ""
        raise ValueError(f"{STORE} {problem}{quoted}")
    return S3Location(bucket, _prefix(path))


def check_endpoint(value: str) -> str:
    """An S3-compatible server's base URL (http:// or https://, a host, no credentials), without a trailing slash."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValueError(f"{ENDPOINT} is not a URL; set the server's address, e.g. http://minio:9000") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{ENDPOINT} must be an http:// or https:// address with a host, e.g. http://minio:9000")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{ENDPOINT} must not hold credentials; {CREDENTIALS}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ValueError(f"{ENDPOINT} is the server's address only (no path or query), e.g. http://minio:9000")
    return f"{parts.scheme}://{parts.netloc}"


def check_region(value: str) -> str:
    """A region name (us-east-1, cn-north-1; a MinIO or Ceph server's own), letters, digits, '-' and '_'."""
    if not _REGION.fullmatch(value):
        raise ValueError(f"{REGION} must be 1-64 letters, digits, '-' or '_', e.g. us-east-1")
    return value
