"""Dashboard text in both languages: every title is written once as a (zh-CN, en) pair.

Grafana does not translate dashboard content, so each dashboard is generated once per language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Lang(StrEnum):
    ZH = "zh-CN"
    EN = "en"


class Text(NamedTuple):
    """One piece of text in Simplified Chinese and English."""

    zh: str
    en: str

    def __call__(self, lang: Lang) -> str:
        return self.zh if lang is Lang.ZH else self.en
