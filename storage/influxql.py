"""Quoting for InfluxQL: every user-supplied value goes through one of these, never into a query raw."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
