"""deploy/postgres/initdb on the machine's PostgreSQL: Grafana's login reads, and only reads.

The script runs as the postgres image runs it (sh, psql, POSTGRES_USER/POSTGRES_DB), on a database
of its own (the session's shared one must not see its tables or grants); the reader role gets a
unique name and is dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.integration.dashboards.workorder_data import private_database
from tests.unit.deploy.compose import ROOT

pytestmark = pytest.mark.integration
psycopg = pytest.importorskip("psycopg")

SCRIPT = ROOT / "deploy" / "postgres" / "initdb" / "10-grafana-reader.sh"


def _require_psql() -> None:
    """The init script calls psql, as the postgres image does; missing, it skips locally and fails under CI."""
    if shutil.which("psql") is None:
        message = "psql is not installed (apt-get install -y postgresql-client)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run every test")
        pytest.skip(message)


@pytest.fixture
def database() -> Iterator[str]:
    _require_psql()
    with private_database() as url:
        yield url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def reader(database: str) -> Iterator[tuple[str, str]]:
    """(admin URL of the test database, reader role) after the init script ran."""
    url = database
    parts = urlsplit(url)
    role = f"grafana_reader_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_DB": parts.path.lstrip("/"),
        "GRAFANA_DB_USER": role,
        "GRAFANA_DB_PASSWORD": uuid.uuid4().hex,
    }
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("CREATE TABLE IF NOT EXISTS before_init (id int)")
    result = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    try:
        assert result.returncode == 0, result.stderr
        yield url, role
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_reader_selects_old_and_new_tables_and_writes_nothing(reader: tuple[str, str]) -> None:
    url, role = reader
    with psycopg.connect(url, autocommit=True) as admin:
        # A table made after the script, as the hub's migrations do: default privileges cover it.
        admin.execute("CREATE TABLE work_orders_probe (id int)")
        admin.execute("INSERT INTO work_orders_probe VALUES (1)")
    as_reader = url.replace(f"//{urlsplit(url).username}@", f"//{role}@")
    with psycopg.connect(as_reader, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM work_orders_probe").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM before_init").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO work_orders_probe VALUES (2)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE sneaky (id int)")
