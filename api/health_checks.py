"""Ready-made `/health` checks for the composition root; each answers (ok, detail) and never raises."""

from __future__ import annotations

import socket

from sqlalchemy import text

from api.ports import HealthCheck, SessionFactory
from core.registry import AssetRegistry
from storage.store import ReadingStore


def database_check(session_factory: SessionFactory) -> HealthCheck:
    """`SELECT 1` through a session of the factory."""

    def check() -> tuple[bool, str]:
        try:
            with session_factory() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"database unreachable: {type(exc).__name__}: {exc}"
        return True, "database answered"

    return check


def store_check(store: ReadingStore, registry: AssetRegistry) -> HealthCheck:
    """Reads the latest values of one asset: a query that proves the store answers."""

    def check() -> tuple[bool, str]:
        assets = registry.all()
        if not assets:
            return True, "no assets configured; nothing to read"
        try:
            store.latest(assets[0])
        except Exception as exc:
            return False, f"reading store unreachable: {type(exc).__name__}: {exc}"
        return True, "reading store answered"

    return check


def tcp_check(what: str, host: str, port: int, *, timeout_s: float = 2.0) -> HealthCheck:
    """Opens a TCP connection, e.g. to the MQTT broker when the API runs apart from ingest."""

    def check() -> tuple[bool, str]:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                pass
        except OSError as exc:
            return False, f"{what} at {host}:{port} unreachable: {exc}"
        return True, f"{what} at {host}:{port} accepts connections"

    return check
