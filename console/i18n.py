"""The console's words in zh-CN (default) and en; the `lang` cookie or `?lang=` picks one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from console.words_duty import DUTY_WORDS

Lang = Literal["zh-CN", "en"]
LANGS: tuple[Lang, ...] = ("zh-CN", "en")
DEFAULT_LANG: Lang = "zh-CN"

WORDS: dict[Lang, dict[str, str]] = {
    "zh-CN": {
        "app": "物业运维", "my_orders": "我的班组", "all_orders": "全部工单", "new_request": "报修登记",
        "stats": "统计", "sign_in": "登录", "sign_out": "退出", "username": "用户名", "password": "密码",
        "bad_sign_in": "用户名或密码不正确", "locked_out": "尝试次数过多，请 {n} 分钟后再试",
        "wait_seconds": "尝试次数过多，请 {n} 秒后再试", "form_expired": "登录页面已过期，请重新输入",
        "no_role_here": "此账号在本小区（{site}）没有角色，不能在此登录；请联系管理员授权",
        "signed_in_as": "当前用户",
        "open": "待接单", "acknowledged": "已接单", "on_site": "已到场", "resolved": "已完工", "closed": "已归档",
        "cancelled": "已取消",
        "act_acknowledge": "接单", "act_arrive": "已到场", "act_resolve": "完工", "act_close": "归档",
        "act_cancel": "取消工单", "note": "备注", "note_resolve": "处理结果（必填）", "note_cancel": "取消原因（必填）",
        "comment": "添加备注", "send": "提交",
        "emergency": "紧急", "high": "重要", "normal": "一般", "low": "低",
        "elevator": "电梯", "plumbing": "给排水", "electrical": "电气", "lighting": "照明", "metering": "计量",
        "security": "安防", "other": "其他",
        "rule": "系统报警", "resident_request": "业主报修", "staff": "员工上报",
        "due_acknowledge": "接单时限", "due_on_site": "到场时限", "due_resolve": "完工时限",
        "left": "剩余 {time}", "overdue": "已超时 {time}", "no_deadline": "无时限",
        "where": "位置", "priority": "优先级", "category": "类别", "source": "来源", "status": "状态",
        "reported": "报告时间", "assignee": "处理人", "team": "班组", "reporter": "报告人",
        "evidence": "报警证据", "history": "处理记录", "comments": "备注", "description": "描述",
        "threshold": "阈值", "alarm": "报警", "no_readings": "暂无读数", "no_chart": "此工单没有可绘制的读数",
        "follow_up": "回访", "satisfaction": "满意度", "feedback": "业主意见",
        "very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般", "dissatisfied": "不满意",
        "follow_up_after": "完工后可回访", "breached": "已超时", "sla": "时效",
        "kind": "类型", "repair": "报修", "complaint": "投诉", "unit": "房号", "contact_name": "联系人",
        "contact_phone": "联系电话", "preferred_time": "预约时间", "register": "登记",
        "filter": "筛选", "any": "全部", "active": "处理中", "code": "工单号", "title": "标题", "deadline": "时限",
        "none": "暂无", "next_page": "下一页", "prev_page": "上一页", "total": "共 {n} 条",
        "month": "月份", "count": "工单数", "breaches": "超时", "median_ack": "接单中位", "median_arrive": "到场中位",
        "median_resolve": "完工中位", "recent_breaches": "超时记录", "minutes": "{n} 分钟",
        "done_acknowledge": "已接单", "done_arrive": "已记录到场", "done_resolve": "已完工",
        "done_close": "已归档", "done_cancel": "已取消", "done_comment": "备注已添加", "done_follow_up": "回访已记录",
        "done_register": "已登记，工单 {code}", "already": "此操作已完成，未重复执行",
        "link_refused": "链接无效", "link_tampered": "此链接无效：链接被修改或不完整。",
        "link_expired": "此链接已过期，请登录后处理，或联系调度。",
        "link_other_order": "此链接属于另一个工单，不能用于此工单。",
        "link_holder": "通过告警链接访问：{name}", "forbidden": "没有权限", "not_found": "未找到工单",
        "conflict": "无法执行", "invalid": "输入有误",
        "unavailable": "暂时无法读取，请稍后再试", "session_expired": "登录已过期，请重新登录",
        "language": "English", "back": "返回", "details": "详情", "resolution": "处理结果",
        "satisfied_share": "满意率", "dispatch": "派单", "dispatch_to": "派给", "done_assign": "已派单",
        "dispatch_failed": "派单未完成：所选班组或人员不存在，或工单已结束",
        "audit_opened": "创建", "audit_alarm_appended": "再次报警", "audit_alarm_cleared": "报警解除",
        "audit_assigned": "派单", "audit_acknowledged": "接单", "audit_arrived": "到场", "audit_resolved": "完工",
        "audit_closed": "归档", "audit_cancelled": "取消", "audit_commented": "备注", "audit_followed_up": "回访",
        "audit_sla_breached": "超时",
    },
    "en": {
        "app": "Facilities", "my_orders": "My team", "all_orders": "All orders", "new_request": "New request",
        "stats": "Statistics", "sign_in": "Sign in", "sign_out": "Sign out", "username": "Username",
        "password": "Password", "bad_sign_in": "Wrong username or password",
        "locked_out": "Too many attempts; try again in {n} min", "signed_in_as": "Signed in as",
        "wait_seconds": "Too many attempts; try again in {n} s",
        "form_expired": "The sign-in page had expired; please enter your details again",
        "no_role_here": "Your account has no role on {site}, so it cannot sign in here; ask an administrator",
        "open": "Open", "acknowledged": "Acknowledged", "on_site": "On site", "resolved": "Resolved",
        "closed": "Closed", "cancelled": "Cancelled",
        "act_acknowledge": "Acknowledge", "act_arrive": "On site", "act_resolve": "Resolve", "act_close": "Close",
        "act_cancel": "Cancel order", "note": "Note", "note_resolve": "What was found and done (required)",
        "note_cancel": "Reason (required)", "comment": "Add a note", "send": "Send",
        "emergency": "Emergency", "high": "High", "normal": "Normal", "low": "Low",
        "elevator": "Elevator", "plumbing": "Plumbing", "electrical": "Electrical", "lighting": "Lighting",
        "metering": "Metering", "security": "Security", "other": "Other",
        "rule": "Alarm", "resident_request": "Resident request", "staff": "Staff report",
        "due_acknowledge": "Acknowledge by", "due_on_site": "On site by", "due_resolve": "Resolve by",
        "left": "{time} left", "overdue": "{time} overdue", "no_deadline": "No deadline",
        "where": "Where", "priority": "Priority", "category": "Category", "source": "Source", "status": "Status",
        "reported": "Reported", "assignee": "Assignee", "team": "Team", "reporter": "Reporter",
        "evidence": "Alarm evidence", "history": "History", "comments": "Notes", "description": "Description",
        "threshold": "threshold", "alarm": "alarm", "no_readings": "no readings",
        "no_chart": "No readings to chart for this order",
        "follow_up": "Follow-up call", "satisfaction": "Satisfaction", "feedback": "Resident's words",
        "very_satisfied": "Very satisfied", "satisfied": "Satisfied", "neutral": "Neutral",
        "dissatisfied": "Dissatisfied", "follow_up_after": "Follow-up once resolved", "breached": "missed",
        "sla": "SLA",
        "kind": "Kind", "repair": "Repair", "complaint": "Complaint", "unit": "Unit", "contact_name": "Contact",
        "contact_phone": "Phone", "preferred_time": "Preferred time", "register": "Register",
        "filter": "Filter", "any": "Any", "active": "Active", "code": "Code", "title": "Title",
        "deadline": "Deadline", "none": "None", "next_page": "Next", "prev_page": "Previous", "total": "{n} in all",
        "month": "Month", "count": "Orders", "breaches": "Missed", "median_ack": "Median to acknowledge",
        "median_arrive": "Median to arrive", "median_resolve": "Median to resolve",
        "recent_breaches": "Missed deadlines", "minutes": "{n} min",
        "done_acknowledge": "Acknowledged", "done_arrive": "Arrival recorded", "done_resolve": "Resolved",
        "done_close": "Closed", "done_cancel": "Cancelled", "done_comment": "Note added",
        "done_follow_up": "Follow-up recorded", "done_register": "Registered as {code}",
        "already": "Already done; nothing was repeated",
        "link_refused": "Link not valid", "link_tampered": "This link is not valid: it was changed or is incomplete.",
        "link_expired": "This link has expired. Sign in to work on the order, or call the dispatcher.",
        "link_other_order": "This link belongs to a different work order.",
        "link_holder": "Opened from an alert: {name}", "forbidden": "Not allowed", "not_found": "Work order not found",
        "conflict": "Cannot do that", "invalid": "Please correct the input",
        "unavailable": "Not available at the moment; try again in a while",
        "session_expired": "Your sign-in expired; sign in again", "language": "中文", "back": "Back",
        "details": "Details", "resolution": "Resolution", "satisfied_share": "Satisfied",
        "dispatch": "Dispatch", "dispatch_to": "Give to", "done_assign": "Dispatched",
        "dispatch_failed": "Not dispatched: that team or person does not exist, or the order is finished",
        "audit_opened": "opened", "audit_alarm_appended": "alarm again", "audit_alarm_cleared": "alarm cleared",
        "audit_assigned": "dispatched", "audit_acknowledged": "acknowledged", "audit_arrived": "on site",
        "audit_resolved": "resolved", "audit_closed": "closed", "audit_cancelled": "cancelled",
        "audit_commented": "note", "audit_followed_up": "follow-up call", "audit_sla_breached": "deadline missed",
    },
}  # fmt: skip
WORDS["zh-CN"].update(DUTY_WORDS["zh-CN"])
WORDS["en"].update(DUTY_WORDS["en"])


@dataclass(frozen=True)
class Words:
    """The words of one language; `t("left", time="5 min")` fills placeholders, unknown keys show themselves."""

    lang: Lang

    @property
    def table(self) -> Mapping[str, str]:
        return WORDS[self.lang]

    @property
    def other(self) -> Lang:
        return "en" if self.lang == "zh-CN" else "zh-CN"

    def has(self, key: str) -> bool:
        return key in WORDS[self.lang]

    def t(self, key: str, **values: object) -> str:
        text = WORDS[self.lang].get(key, key)
        return text.format(**values) if values else text


def pick_lang(query: str | None, cookie: str | None) -> Lang:
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG
