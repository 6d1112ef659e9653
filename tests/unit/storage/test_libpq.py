"""FACILITIES_DATABASE_URL in SQLAlchemy's form turned into the libpq string the PostgreSQL spool connects with."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from storage.libpq import libpq_dsn


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://u:p@db:5433/facilities?sslmode=require",
         {"host": "db", "port": "5433", "dbname": "facilities", "user": "u", "password": "p", "sslmode": "require"}),
        ("postgresql://postgres@127.0.0.1/postgres", {"host": "127.0.0.1", "dbname": "postgres", "user": "postgres"}),
        ("postgresql+psycopg://u@/db?host=pg-a:5432&host=pg-b:6432&target_session_attrs=read-write",
         {"host": "pg-a,pg-b", "port": "5432,6432", "dbname": "db", "user": "u", "target_session_attrs": "read-write"}),
        ("postgresql+psycopg://u@/db?host=pg-a&host=pg-b", {"host": "pg-a,pg-b", "dbname": "db", "user": "u"}),
        ("postgresql+psycopg://u@/db?host=[::1]:5432&host=pg-b",
         {"host": "::1,pg-b", "port": "5432,5432", "dbname": "db", "user": "u"}),
        ("postgresql+psycopg://u@/db?host=/var/run/postgresql",
         {"host": "/var/run/postgresql", "dbname": "db", "user": "u"}),
        # a password with what a conninfo string must quote, and non-ASCII
        ("postgresql+psycopg://u:p%20a%27ss%5C%E5%AF%86@db/db",
         {"host": "db", "dbname": "db", "user": "u", "password": "p a'ss\\密"}),
    ],
)  # fmt: skip
def test_the_url_becomes_the_same_connection_for_libpq(url: str, expected: dict[str, str]) -> None:
    assert conninfo_to_dict(libpq_dsn(url)) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///var/facilities.db", "needs a postgresql:// database URL, not sqlite://"),
        ("postgresql+psycopg://u@/db?host=pg-a:54x2", "host 'pg-a:54x2' has a port that is not a number"),
    ],
)
def test_what_libpq_cannot_use_is_refused_naming_it(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        libpq_dsn(url)
