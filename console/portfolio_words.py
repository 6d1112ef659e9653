"""The words of the company-wide page, in the console's two languages."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "公司总览",
        "site": "小区",
        "open_orders": "在办工单",
        "sla": "时效达标率",
        "breaches": "超时",
        "alarms": "当前报警",
        "maintenance": "保养完成率",
        "water": "户均用水",
        "electricity": "户均用电",
        "gas": "户均用气",
        "previous": "上月",
        "month": "月份",
        "show": "查看",
        "none": "没有可查看的小区。",
        "open_site": "进入小区控制台",
        "note": "各小区按当地日历统计当月；在办工单与当前报警为此刻数字。点击表头或用上方的排序选择排列。",
        "orders_of": "{n} 单",
        "unavailable": "读数暂不可用",
        "sort": "排序",
        "file_order": "默认顺序",
        "ascending": "从小到大",
        "descending": "从大到小",
    },
    "en": {
        "title": "Company overview",
        "site": "Site",
        "open_orders": "Open orders",
        "sla": "SLA met",
        "breaches": "SLA breaches",
        "alarms": "Open alarms",
        "maintenance": "Maintenance done",
        "water": "Water per unit",
        "electricity": "Electricity per unit",
        "gas": "Gas per unit",
        "previous": "last month",
        "month": "Month",
        "show": "Show",
        "none": "No site to show.",
        "open_site": "Open a site's console",
        "note": (
            "Each site's own calendar month; open orders and alarms are as of now. "
            "Sort by a heading or with the form above."
        ),
        "orders_of": "{n} orders",
        "unavailable": "readings unavailable",
        "sort": "Sort by",
        "file_order": "As listed",
        "ascending": "Smallest first",
        "descending": "Largest first",
    },
}
