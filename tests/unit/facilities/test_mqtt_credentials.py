"""The credentials store: passwords kept across runs, rotated on request, private on disk; Mosquitto's hashes."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from facilities.mqtt_credentials import (
    CredentialStore,
    CredentialStoreError,
    mosquitto_hash,
    new_password,
    write_private,
)
from facilities.mqtt_identities import Identity, IdentityKind

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _device(site: str, asset: str) -> Identity:
    return Identity(f"{site}.{asset}", IdentityKind.DEVICE, site, asset, (f"facilities/{site}/{asset}/telemetry",))


LAKEVIEW = [_device("lakeview", "B1-0101-W"), _device("lakeview", "B1-0102-W")]


def _passwords(store: CredentialStore) -> dict[str, str]:
    return {name: credential.password for name, credential in store.credentials.items()}


def test_new_accounts_get_distinct_random_passwords() -> None:
    store = CredentialStore()
    report = store.sync("lakeview", LAKEVIEW, now=T0)
    assert report.added == ["lakeview.B1-0101-W", "lakeview.B1-0102-W"]
    first, second = _passwords(store).values()
    assert first != second and len(first) == 48 and int(first, 16) >= 0


def test_running_again_keeps_every_password() -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    before = _passwords(store)
    report = store.sync("lakeview", LAKEVIEW, now=T1)
    assert (report.added, report.rotated, report.removed, report.kept) == ([], [], [], 2)
    assert _passwords(store) == before


@pytest.mark.parametrize("name", ["B1-0101-W", "lakeview.B1-0101-W"])
def test_rotating_one_account_changes_its_password_only(name: str) -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    before = _passwords(store)
    report = store.sync("lakeview", LAKEVIEW, now=T1, rotate=[name])
    after = _passwords(store)
    assert report.rotated == ["lakeview.B1-0101-W"]
    assert after["lakeview.B1-0101-W"] != before["lakeview.B1-0101-W"]
    assert after["lakeview.B1-0102-W"] == before["lakeview.B1-0102-W"]
    rotated = store.credentials["lakeview.B1-0101-W"]
    assert (rotated.created, rotated.rotated) == (T0.isoformat(), T1.isoformat())


def test_rotating_all_of_a_site_leaves_other_sites_alone() -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    store.sync("riverside", [_device("riverside", "R-1")], now=T0)
    before = _passwords(store)
    store.sync("lakeview", LAKEVIEW, now=T1, rotate_all=True)
    after = _passwords(store)
    assert all(after[name] != before[name] for name in ("lakeview.B1-0101-W", "lakeview.B1-0102-W"))
    assert after["riverside.R-1"] == before["riverside.R-1"]


def test_an_asset_gone_from_the_site_file_loses_its_account() -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    store.sync("riverside", [_device("riverside", "B1-0102-W")], now=T0)
    report = store.sync("lakeview", LAKEVIEW[:1], now=T1)
    assert report.removed == ["lakeview.B1-0102-W"]
    assert sorted(store.credentials) == ["lakeview.B1-0101-W", "riverside.B1-0102-W"]


def test_changed_mappings_retarget_a_gateway_and_keep_its_password() -> None:
    store = CredentialStore()
    gateway = Identity("lakeview.zb", IdentityKind.GATEWAY, "lakeview", "zb", ("zigbee2mqtt/+/+",))
    store.sync("lakeview", [gateway], now=T0)
    password = store.credentials["lakeview.zb"].password
    wider = Identity("lakeview.zb", IdentityKind.GATEWAY, "lakeview", "zb", ("zigbee2mqtt/+/+", "zigbee2mqtt/bridge/+"))
    report = store.sync("lakeview", [wider], now=T1)
    assert report.retargeted == ["lakeview.zb"]
    assert store.credentials["lakeview.zb"].topics == wider.topics
    assert store.credentials["lakeview.zb"].password == password


def test_rotating_an_unknown_name_changes_nothing_and_says_which() -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    before = _passwords(store)
    with pytest.raises(CredentialStoreError, match="no such device or gateway in site 'lakeview': B9-9999-X"):
        store.sync("lakeview", LAKEVIEW, now=T1, rotate=["B9-9999-X", "B1-0101-W"])
    assert _passwords(store) == before


def test_the_store_is_written_private_and_read_back_whole(tmp_path: Path) -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    path = tmp_path / "var" / "mqtt-credentials.json"
    previous = os.umask(0)  # the most permissive umask: the file must still come out owner-only
    try:
        store.save(path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    assert CredentialStore.load(path).credentials == store.credentials
    assert CredentialStore.load(tmp_path / "missing.json").credentials == {}


def test_a_damaged_store_is_refused_without_showing_its_content(tmp_path: Path) -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    path = tmp_path / "store.json"
    store.save(path)
    password = store.credentials["lakeview.B1-0101-W"].password
    text = path.read_text()
    for damaged in (text[: len(text) // 2], text.replace('"format": 1', '"format": 9'), "[]", "\udcff"):
        path.write_text(damaged, errors="surrogateescape")
        with pytest.raises(CredentialStoreError) as refused:
            CredentialStore.load(path)
        assert password[:8] not in str(refused.value)
        assert str(path) in str(refused.value)


def test_write_private_replaces_a_world_readable_file(tmp_path: Path) -> None:
    target = tmp_path / "passwords"
    target.write_text("old\n")
    target.chmod(0o644)
    write_private(target, "new\n")
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_hash_is_pbkdf2_sha512_in_mosquittos_format() -> None:
    salt = bytes(range(12))
    line = mosquitto_hash("s3cret", salt=salt)
    _, seven, iterations, salt_text, digest = line.split("$")
    assert (seven, iterations, base64.b64decode(salt_text)) == ("7", "101", salt)
    assert base64.b64decode(digest) == hashlib.pbkdf2_hmac("sha512", b"s3cret", salt, 101)
    assert mosquitto_hash("s3cret") != mosquitto_hash("s3cret")  # a fresh salt each time


def test_the_hash_matches_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    binary = shutil.which("mosquitto_passwd")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("mosquitto_passwd is not installed; CI must run every test")
        pytest.skip("mosquitto_passwd is not installed (apt-get install -y mosquitto)")
    password = new_password()
    file = tmp_path / "passwords"
    subprocess.run([binary, "-c", "-b", str(file), "device", password], check=True, capture_output=True)
    theirs = file.read_text().strip().split(":", 1)[1]
    salt = base64.b64decode(theirs.split("$")[3])
    assert mosquitto_hash(password, salt=salt) == theirs


def test_the_password_file_has_one_hashed_line_per_account_and_the_extra_ones() -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    text = store.password_file(extra={"facilities-hub": "hub-password-1"})
    users = [line.split(":", 1)[0] for line in text.splitlines()]
    assert users == ["facilities-hub", "lakeview.B1-0101-W", "lakeview.B1-0102-W"]
    assert all(c.password not in text for c in store.credentials.values()) and "hub-password-1" not in text


def test_find_by_asset_gateway_or_username() -> None:
    store = CredentialStore()
    store.sync("lakeview", LAKEVIEW, now=T0)
    store.sync("riverside", [_device("riverside", "B1-0101-W")], now=T0)
    assert [c.username for c in store.find("lakeview.B1-0101-W")] == ["lakeview.B1-0101-W"]
    assert sorted(c.username for c in store.find("B1-0101-W")) == ["lakeview.B1-0101-W", "riverside.B1-0101-W"]
    assert store.find("nothing") == []
