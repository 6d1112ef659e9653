"""The console's signing secret: production must set a real one; elsewhere one is generated once and kept."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from console.secret import MIN_SECRET, ConsoleSecretMissing, console_secret
from core.settings import Settings


def test_production_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        data_dir=tmp_path,
        mqtt_username="facilities-hub",
        mqtt_password="x8Jq-Vn2pK7wQz4Rb",
        database_url="postgresql+psycopg://facilities:Zr7kX2mQ9vN4bT6w@postgres/facilities",
        public_url="https://wuye.example.com",
    )
    with pytest.raises(ConsoleSecretMissing, match="FACILITIES_CONSOLE_SECRET"):
        console_secret(settings)
    assert not (tmp_path / "console-secret").exists()  # nothing generated behind the operator's back


@pytest.mark.parametrize("value", ["changeme", "x" * (MIN_SECRET - 1)])
def test_a_placeholder_or_short_secret_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConsoleSecretMissing, match=f"at least {MIN_SECRET}"):
        console_secret(Settings(console_secret=value, data_dir=tmp_path))


def test_a_set_secret_is_used_as_it_is(tmp_path: Path) -> None:
    value = "k" * MIN_SECRET
    assert console_secret(Settings(console_secret=value, data_dir=tmp_path)) == value


def test_outside_production_one_is_generated_once_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = console_secret(settings)
    kept = tmp_path / "var" / "console-secret"
    assert len(first) >= MIN_SECRET
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert console_secret(settings) == first  # links sent before a restart keep working
    kept.write_text("too-short\n", encoding="ascii")
    replaced = console_secret(settings)
    assert replaced != first and len(replaced) >= MIN_SECRET
