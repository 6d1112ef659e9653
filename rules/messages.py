"""Alarm messages in zh-CN and en, rendered from a message key and the alarm's evidence.

Each rule kind owns its title and templates (`titles`, `templates` on its model); `rules.registry` gathers them.

Evidence keys follow two conventions the renderer relies on: `since`, `at` and keys ending `_at`/`_since`
hold ISO times (shown as local `MM-DD HH:MM`), keys ending `_s` hold durations in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from rules.evaluation import EvidenceValue
from rules.registry import TEMPLATES

Lang = Literal["zh-CN", "en"]


def render(key: str, lang: Lang, title: str, asset: str, evidence: Mapping[str, EvidenceValue]) -> str:
    """`title：message` (zh-CN) or `title: message` (en); an unknown placeholder shows as `?`."""
    zh, en = TEMPLATES.get(key, ("{asset}", "{asset}"))
    values = _Params({name: _show(name, value, lang) for name, value in evidence.items()} | {"asset": asset})
    body = (zh if lang == "zh-CN" else en).format_map(values)
    return f"{title}：{body}" if lang == "zh-CN" else f"{title}: {body}"


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _show(name: str, value: EvidenceValue, lang: Lang) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and (name in ("since", "at") or name.endswith(("_at", "_since", "_seen", "_start"))):
        try:
            return datetime.fromisoformat(value).strftime("%m-%d %H:%M")
        except ValueError:
            return value
    if name.endswith("_s") and isinstance(value, int | float) and not isinstance(value, bool):
        return duration_text(value, lang)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def duration_text(seconds: float, lang: Lang) -> str:
    """`1h30m` / `1小时30分钟`, to the second when under a minute."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    units = ("小时", "分钟", "秒") if lang == "zh-CN" else ("h", "m", "s")
    parts = [f"{n}{u}" for n, u in zip((hours, minutes, secs), units, strict=True) if n]
    return "".join(parts) or f"0{units[2]}"
