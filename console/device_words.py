"""The devices page's words in zh-CN and en, kept beside the page rather than in the shared table."""

from __future__ import annotations

DEVICE_WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "设备", "building": "楼栋", "kind": "类型", "state": "状态", "any": "全部", "filter": "筛选",
        "online": "在线", "offline": "离线", "unknown": "未知", "last_seen": "最后上报", "battery": "电量",
        "signal": "信号", "alarms": "告警", "place": "位置", "protocol": "协议", "never": "从未",
        "discovered": "发现的设备", "unknown_devices": "未登记设备", "messages": "条消息", "adopt": "纳入",
        "asset_id": "设备编号", "area": "公共区域", "unit": "房号", "name": "名称", "adopted": "已纳入并重新加载",
        "invalid": "未纳入", "not_supported": "不支持", "total": "共 {n} 台", "field": "字段", "value": "最新值",
        "at": "上报时间", "no_readings": "尚无读数", "store_unavailable": "读数库暂不可用，请稍后再看（见 /health）",
    },
    "en": {
        "title": "Devices", "building": "Building", "kind": "Kind", "state": "State", "any": "any", "filter": "Filter",
        "online": "online", "offline": "offline", "unknown": "unknown", "last_seen": "Last seen", "battery": "Battery",
        "signal": "Signal", "alarms": "Alarms", "place": "Place", "protocol": "Protocol", "never": "never",
        "discovered": "Discovered devices", "unknown_devices": "Unregistered devices", "messages": "messages",
        "adopt": "Adopt", "asset_id": "Asset id", "area": "Area", "unit": "Unit", "name": "Name",
        "adopted": "Adopted and reloaded", "invalid": "Not adopted", "not_supported": "not supported",
        "total": "{n} devices", "field": "Field", "value": "Last value", "at": "Reported at",
        "no_readings": "No readings yet",
        "store_unavailable": "The readings store is unavailable; try again later (see /health)",
    },
}  # fmt: skip
