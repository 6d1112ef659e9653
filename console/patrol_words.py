"""The patrol pages' words (巡检) in zh-CN and en, kept beside the pages rather than in the shared table."""

from __future__ import annotations

PATROL_WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "巡检", "routes": "巡检路线", "start": "开始巡检", "every": "周期", "due": "本期应于",
        "recent": "最近巡检", "walk": "巡检中", "progress": "进度", "code": "巡检点编码", "go": "确定",
        "scan": "扫码", "checklist": "检查项", "ok": "正常", "fail": "异常", "note": "备注（处理情况）",
        "save_visit": "保存该点", "complete": "完成巡检", "completed": "巡检已完成", "sensors": "传感器已发现",
        "sensors_none": "传感器未发现问题", "confirm": "现场确认", "explain": "说明原因", "explained": "已说明",
        "confirmed": "已确认", "invalid": "无法保存", "visited": "已到", "pending": "未到",
        "done_visit": "已记录", "order_opened": "已开工单", "labels": "打印巡检点二维码（PDF）",
        "records": "导出巡检记录（CSV）", "by": "巡检人", "report": "月度小结",
        "lights_on": "长明灯", "water_running": "长流水", "alarm": "未消除告警", "offline": "设备离线",
        "manager": "经理", "repair": "维修", "security": "保安", "in_progress": "进行中",
        "photos": "照片（可选，每张不超过 {mb} MB）", "round_completed": "本期已完成", "round_late": "本期已超时未开始",
        "round_due": "本期待巡检", "scanned_unknown": "没有这个巡检点",
        "scanned_no_patrol": "您没有进行中的巡检经过此点，请先开始以下路线之一",
    },
    "en": {
        "title": "Patrols", "routes": "Patrol routes", "start": "Start patrol", "every": "every",
        "due": "this round due", "recent": "Recent patrols", "walk": "Patrol", "progress": "Progress",
        "code": "Checkpoint code", "go": "Go", "scan": "Scan", "checklist": "Checklist", "ok": "OK",
        "fail": "Problem", "note": "Note (what was done)", "save_visit": "Save checkpoint",
        "complete": "Complete patrol", "completed": "Patrol completed", "sensors": "The sensors found",
        "sensors_none": "The sensors found nothing", "confirm": "Confirm on site", "explain": "Explain",
        "explained": "explained", "confirmed": "confirmed", "invalid": "Not saved", "visited": "visited",
        "pending": "to visit", "done_visit": "Recorded", "order_opened": "work order opened",
        "labels": "Print the checkpoint QR labels (PDF)", "records": "Export patrol records (CSV)", "by": "by",
        "report": "Monthly report", "lights_on": "Lights left on", "water_running": "Water running",
        "alarm": "Open alarm", "offline": "Device offline", "manager": "manager", "repair": "repair crew",
        "security": "security", "in_progress": "in progress", "photos": "Photos (optional, {mb} MB each at most)",
        "round_completed": "this round done", "round_late": "this round late: not started", "round_due": "due",
        "scanned_unknown": "No such checkpoint",
        "scanned_no_patrol": "No patrol of yours under way passes this checkpoint; start one of these routes first",
    },
}  # fmt: skip
