"""Alarm messages in zh-CN and en, rendered from a message key and the alarm's evidence.

Evidence keys follow two conventions the renderer relies on: `since`, `at` and keys ending `_at`/`_since`
hold ISO times (shown as local `MM-DD HH:MM`), keys ending `_s` hold durations in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from rules.kinds.base import EvidenceValue

Lang = Literal["zh-CN", "en"]

KIND_TITLES: dict[str, tuple[str, str]] = {
    "threshold": ("超限", "Out of range"),
    "state": ("状态异常", "Abnormal state"),
    "entrapment": ("困人", "Entrapment"),
    "continuous_on": ("长明灯", "Lights left on"),
    "continuous_flow": ("长流水", "Water running"),
    "silence": ("设备失联", "Asset silent"),
    "consumption_spike": ("用量突增", "Usage spike"),
}

TEMPLATES: dict[str, tuple[str, str]] = {
    "threshold.above": (
        "{asset} 的 {field} 为 {value}，高于 {limit}（自 {since} 起）",
        "{asset}: {field} is {value}, above {limit} since {since}",
    ),
    "threshold.below": (
        "{asset} 的 {field} 为 {value}，低于 {limit}（自 {since} 起）",
        "{asset}: {field} is {value}, below {limit} since {since}",
    ),
    "state": ("{asset}：{conditions}（自 {since} 起）", "{asset}: {conditions} since {since}"),
    "entrapment": (
        "{asset} 疑似困人：轿厢内报警按钮已按下，轿厢停在 {floor} 层且门关闭（自 {since} 起）",
        "{asset}: possible entrapment — alarm button pressed, car stopped at floor {floor} with doors closed "
        "since {since}",
    ),
    "continuous_on.daylight": (
        "{asset} 白天（{window}）仍开着，自 {since} 起未关",
        "{asset} is on in daylight ({window}), on since {since}",
    ),
    "continuous_on.max_on": (
        "{asset} 已连续开启超过 {max_on_s}（自 {since} 起）",
        "{asset} has been on for more than {max_on_s} (since {since})",
    ),
    "continuous_flow.rising": (
        "{asset} 自 {since} 起每个抄表间隔都在走字，疑似长流水或漏水（当前读数 {total}）",
        "{asset} has risen in every interval since {since}: water running or a leak (register {total})",
    ),
    "continuous_flow.window": (
        "{asset} 在 {window} 用水 {used}，超过 {limit}，疑似漏水（自 {since} 起）",
        "{asset} used {used} in {window}, above {limit}: suspected leak (since {since})",
    ),
    "silence": (
        "{asset} 已超过 {limit_s} 没有数据（最后一次 {last_seen}）",
        "{asset}: no reading for {limit_s} (last {last_seen})",
    ),
    "consumption_spike": (
        "{asset} 自 {window_start} 起用量 {used}，超过自身基线 {baseline} 的 {factor} 倍",
        "{asset} used {used} since {window_start}, above {factor} × its own baseline {baseline}",
    ),
    "cleared": ("{asset} 已恢复正常", "{asset} is back to normal"),
}


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
