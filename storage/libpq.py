"""FACILITIES_DATABASE_URL (SQLAlchemy's form) for code that talks to PostgreSQL through libpq directly."""

from __future__ import annotations

from typing import Any

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url


def libpq_dsn(database_url: str) -> str:
    """FACILITIES_DATABASE_URL (a SQLAlchemy URL, `postgresql+psycopg://…`) as a libpq connection string.

    SQLAlchemy's multi-host form (`…@/db?host=a:5432&host=b:5432&target_session_attrs=read-write`, for a primary
    and its standby) becomes libpq's `host=a,b port=5432,5432`, so the spool follows the primary as the engines do.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"the spool in PostgreSQL needs a postgresql:// database URL, not {url.drivername}://")
    params: dict[str, Any] = {key: value for key, value in url.query.items() if key != "host"}
    listed = url.query.get("host")
    if listed is None:
        params |= {"host": url.host, "port": url.port}
    else:
        pairs = [_host_and_port(host) for host in ([listed] if isinstance(listed, str) else listed)]
        params |= {"host": ",".join(host for host, _ in pairs)}
        if any(port for _, port in pairs):
            params |= {"port": ",".join(port or str(url.port or 5432) for _, port in pairs)}
    params |= {"dbname": url.database, "user": url.username, "password": url.password}
    return make_conninfo("", **{key: value for key, value in params.items() if value not in (None, "")})


def _host_and_port(host: str) -> tuple[str, str]:
    """`db1:5432` and `[::1]:5432` carry a port; `db1`, `::1` and a socket folder do not."""
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":")
    elif host.count(":") == 1:
        address, port = host.split(":")
    else:
        address, port = host, ""
    if port and not port.isdigit():
        raise ValueError(f"FACILITIES_DATABASE_URL: host {host!r} has a port that is not a number")
    return address, port
