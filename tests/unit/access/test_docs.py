"""docs/permissions.md shows the tables the code enforces (regenerate with `python -m access.table`)."""

from __future__ import annotations

from pathlib import Path

from access.table import order_table, role_table

DOCS = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"


def test_the_work_order_table_in_the_docs_is_the_codes() -> None:
    assert order_table() in DOCS.read_text(encoding="utf-8")


def test_the_permission_table_in_the_docs_is_the_codes() -> None:
    assert role_table() in DOCS.read_text(encoding="utf-8")


def test_the_tables_say_crew_work_only_their_own_orders_and_never_close_or_cancel() -> None:
    rows = {line.split(" | ")[0].lstrip("| "): line for line in order_table().splitlines()[2:]}
    assert rows["acknowledge (接單)"].endswith("| ✓ | ✓ | ✓ | — | — | ✓ |")  # admin staff crew-own crew-other fee link
    assert rows["close (歸檔)"].endswith("| ✓ | ✓ | — | — | — | — |")
    assert rows["cancel"].endswith("| ✓ | ✓ | — | — | — | — |")
