"""The demo starts from nothing each run (it replays the same morning), but never touches a database of yours."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from facilities.demo import start_afresh, uses_own_database

FILES = ["facilities.db", "facilities.db-wal", "readings.db", "spool.db", "spool.db-shm", "console-secret"]


def make(folder: Path) -> None:
    (folder / "mosquitto").mkdir(parents=True)
    (folder / "mosquitto" / "mosquitto.db").write_bytes(b"x")
    for name in FILES:
        (folder / name).write_bytes(b"x")


def test_a_new_run_forgets_the_last_runs_data_but_keeps_the_console_secret(tmp_path: Path) -> None:
    make(tmp_path)
    start_afresh(tmp_path, database=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["console-secret"]


def test_a_database_named_in_the_environment_is_left_alone(tmp_path: Path) -> None:
    make(tmp_path)
    start_afresh(tmp_path, database=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["console-secret", "facilities.db", "facilities.db-wal"]


def test_the_demo_uses_its_own_database_unless_facilities_database_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FACILITIES_DATABASE_URL", raising=False)
    assert uses_own_database(Settings())
    monkeypatch.setenv("FACILITIES_DATABASE_URL", "postgresql+psycopg://demo@127.0.0.1/demo")
    assert not uses_own_database(Settings())
