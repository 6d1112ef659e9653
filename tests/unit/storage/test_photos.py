"""The photo store: only real images, bounded in size, named by content hash, keys that cannot escape the folder."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path
from typing import Any

import pytest

from storage.photos import (
    FolderPhotoBackend,
    PhotoError,
    PhotoStore,
    check_key,
    sniff,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(200)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x01" * 4 + bytes(40)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(60)


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore.in_folder(tmp_path, max_bytes=4096)


@pytest.mark.parametrize(
    ("data", "kind", "ext"), [(JPEG, "image/jpeg", "jpg"), (PNG, "image/png", "png"), (WEBP, "image/webp", "webp")]
)
def test_a_real_image_is_stored_under_its_hash(
    store: PhotoStore, tmp_path: Path, data: bytes, kind: str, ext: str
) -> None:
    stored = store.put(data, declared_type=kind)
    digest = hashlib.sha256(data).hexdigest()
    assert stored.key == f"{digest}.{ext}"
    assert stored.content_type == kind
    assert stored.size == len(data)
    assert (tmp_path / "photos" / digest[:2] / stored.key).read_bytes() == data
    assert store.get(stored.key) == (data, kind)


def test_the_same_photo_twice_is_one_file(store: PhotoStore, tmp_path: Path) -> None:
    first = store.put(JPEG, declared_type="image/jpeg")
    second = store.put(JPEG, declared_type="application/octet-stream")
    assert first == second
    assert len(list((tmp_path / "photos").rglob("*.jpg"))) == 1
    assert not list((tmp_path / "photos").rglob(".upload-*"))


def test_declared_aliases_and_parameters_are_understood(store: PhotoStore) -> None:
    assert store.put(JPEG, declared_type="image/jpg").content_type == "image/jpeg"
    assert store.put(JPEG, declared_type="IMAGE/JPEG; charset=binary").content_type == "image/jpeg"
    assert store.put(PNG, declared_type=None).content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "declared", "words"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>" + b" " * 40,
            "image/svg+xml",
            "markup",
        ),
        (b"  <!DOCTYPE html><html><body>hi</body></html>" + b" " * 40, "image/jpeg", "markup"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(64), "image/heic", "HEIC"),
        (b"MZ\x90\x00" + bytes(100), "image/jpeg", "not a JPEG"),
        (b"GIF89a" + bytes(100), "image/gif", "not a JPEG"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png", "not a JPEG"),  # a PNG signature with no IHDR
        (b"", "image/jpeg", "too small"),
        (JPEG[:10], "image/jpeg", "too small"),
        (JPEG, "image/png", "sent as 'image/png' but the bytes are image/jpeg"),
        (PNG, "text/html", "sent as 'text/html'"),
    ],
)
def test_hostile_or_broken_uploads_are_refused_with_a_reason(
    store: PhotoStore, tmp_path: Path, data: bytes, declared: str, words: str
) -> None:
    with pytest.raises(PhotoError, match=words):
        store.put(data, declared_type=declared, name="checklist item 3 photo")
    assert not (tmp_path / "photos").exists() or not list((tmp_path / "photos").rglob("*.*"))


def test_an_error_names_the_upload(store: PhotoStore) -> None:
    with pytest.raises(PhotoError, match=r"^door photo: "):
        store.put(b"not an image at all, just some words here", name="door photo")


def test_too_large_is_refused_and_a_stream_is_never_read_past_the_limit(store: PhotoStore) -> None:
    huge = JPEG + bytes(5000)
    with pytest.raises(PhotoError, match="larger than"):
        store.put(huge, declared_type="image/jpeg")

    class Endless(io.RawIOBase):
        asked = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            self.asked += len(buffer)
            buffer[:] = b"\xff" * len(buffer)
            return len(buffer)

    endless = Endless()
    with pytest.raises(PhotoError, match="larger than 4 KiB"):
        store.read_limited(io.BufferedReader(endless))
    assert endless.asked < 4096 * 4
    assert store.read_limited(io.BytesIO(JPEG)) == JPEG


def test_not_bytes_is_refused(store: PhotoStore) -> None:
    with pytest.raises(PhotoError, match="expected the photo's bytes, got str"):
        store.put("\udcff not bytes", declared_type="image/jpeg")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "a" * 64 + ".jpg/../x",
        "A" * 64 + ".jpg",
        "a" * 63 + ".jpg",
        "a" * 64 + ".svg",
        "a" * 64 + ".jpg\x00",
        "",
        "a" * 64 + ".JPG",
        "\u0661" * 64 + ".jpg",
        "a" * 10_000,
    ],
)
def test_keys_that_are_not_stored_photo_names_are_refused(store: PhotoStore, key: str) -> None:
    with pytest.raises(PhotoError, match="not a stored photo's name"):
        check_key(key)
    with pytest.raises(PhotoError):
        store.get(key)


def test_an_unknown_key_is_none(store: PhotoStore) -> None:
    assert store.get("0" * 64 + ".jpg") is None


def test_concurrent_uploads_of_the_same_and_different_photos(store: PhotoStore, tmp_path: Path) -> None:
    photos = [JPEG + bytes([i]) for i in range(8)]
    errors: list[BaseException] = []

    def upload(data: bytes) -> None:
        try:
            for _ in range(10):
                store.put(data, declared_type="image/jpeg")
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(photos[i % 8],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    files = sorted(p.read_bytes() for p in (tmp_path / "photos").rglob("*.jpg"))
    assert files == sorted(photos)
    assert not list((tmp_path / "photos").rglob(".upload-*"))


def test_the_limit_must_allow_a_photo(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="smaller than any photo"):
        PhotoStore.in_folder(tmp_path, max_bytes=10)


def test_sniff_does_not_trust_names() -> None:
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


def test_folder_backend_paths_stay_inside_the_root(tmp_path: Path) -> None:
    backend = FolderPhotoBackend(tmp_path)
    key = "ab" + "c" * 62 + ".jpg"
    assert backend.path(key) == tmp_path / "ab" / key
    with pytest.raises(PhotoError):
        backend.path("../" + key)
