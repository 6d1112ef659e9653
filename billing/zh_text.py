"""The statement's English free text (how a register was read, how use was estimated, why a line waits for
review) in zh-CN, for the CSV a Chinese fee module and accountant read.

The texts are built by billing from a few fixed phrases around numbers, times and ids; each phrase has its
Chinese here, and numbers, times and ids pass through unchanged. A phrase with no entry stays in English, so
nothing is ever lost (tests/unit/billing/test_zh_text.py checks every phrase billing writes).
"""

from __future__ import annotations

import re

# How a boundary register was obtained (billing.registers.ValueMethod values).
METHODS = {
    "reading": "实抄读数",
    "interpolated": "插值",
    "replacement": "换表记录",
    "last_reading": "边界前读数",
    "first_reading": "边界后读数",
    "interpolated_across_gap": "跨缺数插值（估算）",
    "extrapolated": "按日均用量外推（估算）",
    "last_reading_held": "沿用末次读数（估算）",
    "first_reading_after_gap": "缺数后首个读数（估算）",
    "manual": "人工抄表",
}

_N = r"(-?[\d.]+)"
_TS = r"(\d{4}-\d{2}-\d{2}T[\d:.]+(?:[+-]\d{2}:\d{2}|Z)?)"
_SIDE = {"start": "起码", "end": "止码"}
# (English pattern, Chinese replacement), tried in order on the whole text; longer phrases first.
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"no readings: nothing to measure or estimate from", "无读数：无法计量或估算"),
    (r"no readings to find the start and end register", "无读数，起码和止码均无法确定"),
    (r"no readings to find the start register", "无读数，起码无法确定"),
    (r"no readings to find the end register", "无读数，止码无法确定"),
    (r"usage since the tariff year began on (\S+) is unknown: ", r"自\1起本计价年度的用量不明："),
    (r"tariff-year usage before the period: ", "本期前的年度累计用量："),
    (r"tariff-year usage before this period: " + _N + r" (\S+) since (\S+)", r"本期前年度累计用量：\3起 \1 \2"),
    (
        r"register rolled over its maximum " + _N + r" (\S+): counted as end − start \+ " + _N,
        r"表码超过最大值 \1 \2 后归零：用量按 止码 − 起码 + \3 计",
    ),
    (r"register went down by " + _N + ": ", r"表码下降 \1："),
    (r"; record the meter replacement or check the meter, then bill again", "；请登记换表或检查表计后重新出账"),
    (r"start register " + _N + " at " + _TS, r"起码 \1（\2）"),
    (r"end register " + _N + " at " + _TS, r"止码 \1（\2）"),
    (r"the old meter's final " + _N + " at " + _TS, r"旧表止码 \1（\2）"),
    (r"the new meter's initial " + _N + " at " + _TS, r"新表起码 \1（\2）"),
    (r"） to ", "）至"),
    (
        r"linear between " + _TS + " and " + _TS + r" \(" + _N + r" h apart\)",
        r"在 \1 与 \2 之间线性插值（相隔 \3 小时）",
    ),
    (r"no reading before; first reading " + _N + " h after the boundary", r"边界前无读数；首个读数在边界后 \1 小时"),
    (r"no reading since " + _TS + " and no earlier use to go by", r"自 \1 起无读数，且无更早用量可参考"),
    (
        r"no reading since " + _TS + "; the register went down before it, so no rate",
        r"自 \1 起无读数；此前表码下降，无法计算日均用量",
    ),
    (
        r"last reading " + _TS + r" \+ " + _N + "/day, the average from " + _TS,
        r"末次读数 \1 + 每日 \2（自 \3 起的日均用量）",
    ),
    (
        r"time-of-use split by the hours of each period: no interval readings in the period",
        "峰谷用量按各时段小时数分摊：本期无区间读数",
    ),
    (
        r"time-of-use split estimated: (\d+) interval\(s\) between readings longer than "
        + _N
        + r" h were spread evenly over the day \(the longest "
        + _N
        + r" h, (\S+ \S+) to (\S+ \S+)\)",
        r"峰谷用量为估算：\1 个读数间隔超过 \2 小时，按全天均匀分摊（最长 \3 小时，\4 至 \5）",
    ),
    (
        r"corrects statement (\S+): billed (\S+) (\S+) for " + _N + r", recomputed (\S+) (\S+) for " + _N,
        r"更正账单 \1：原计 \2 \3、金额 \4，重算 \5 \6、金额 \7",
    ),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in _PHRASES)
_SIDE_METHOD = re.compile(
    r"\b(start|end): (" + "|".join(sorted(METHODS, key=len, reverse=True)) + r") \((.*?)\)(?=;|$)"
)


def to_zh(text: str) -> str:
    """`text` with every known phrase in Chinese; numbers, times and ids unchanged."""
    text = _SIDE_METHOD.sub(lambda m: f"{_SIDE[m[1]]}：{METHODS[m[2]]}（{m[3]}）", text)
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text.replace("; ", "；")
