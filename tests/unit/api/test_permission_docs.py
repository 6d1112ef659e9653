"""docs/permissions.md lists every route of the hub's API with the permission it really requires."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.api.test_auth_matrix import ROUTES

DOCS = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| (.*) \|$")


def documented() -> dict[tuple[str, str], frozenset[str]]:
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            method, path, needed = found.groups()
            rows[(method, path)] = frozenset(re.findall(r"`([a-z_]+:[a-z_]+)`", needed))
    return rows


def test_every_route_is_documented_with_its_permission() -> None:
    served = {route: frozenset(p.value for p in needed) for route, needed in ROUTES.items()}
    assert documented() == served
