"""The meters page's words (换表 and 抄表) in zh-CN and en, kept beside the page rather than in the shared table."""

from __future__ import annotations

METER_WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "换表与抄表", "swap": "登记换表", "read": "人工抄表", "meter": "表号", "when": "时间",
        "old_final": "旧表止码", "new_initial": "新表起码", "value": "读数", "note": "备注（工单号、原因）",
        "save_swap": "保存换表", "save_read": "保存读数", "done_swap": "换表已登记，重新出账后生效",
        "done_read": "读数已保存", "recent": "最近记录", "invalid": "无法保存",
        "swap_row": "换表", "read_row": "抄表", "by": "登记人",
    },
    "en": {
        "title": "Meter swaps and readings", "swap": "Record a meter swap", "read": "Manual reading",
        "meter": "Meter", "when": "Time", "old_final": "Old meter's final", "new_initial": "New meter's initial",
        "value": "Register", "note": "Note (work order, reason)", "save_swap": "Save swap",
        "save_read": "Save reading", "done_swap": "Swap recorded; bill the period again to use it",
        "done_read": "Reading saved", "recent": "Recent", "invalid": "Not saved",
        "swap_row": "swap", "read_row": "reading", "by": "by",
    },
}  # fmt: skip
