"""The one place kinds, violation types and severities get their Chinese names.

Every renderer, the messages and ``rules show`` read these tables, so a kind or a type is
called the same everywhere a supervisor meets it (the HTML report and ``rules show`` once
named five of the eight kinds differently).
"""
from __future__ import annotations

#: The rule kinds, as a supervisor names what a rule checks.
KIND_LABELS = {
    "deadline": "办理时限", "sequence": "办理环节", "min_count": "最低数量", "ratio": "比例达标",
    "due_by": "限期完成", "periodic": "定期开展", "required_fields": "要素齐全",
    "forbidden": "禁止事项",
}

#: The violation types (and ``at_risk``, the type of a warning).
TYPE_LABELS = {
    "late": "逾期办结", "overdue_open": "超期未办结", "missing_step": "缺少环节",
    "out_of_order": "环节顺序错误", "insufficient": "数量不足", "below_threshold": "比例未达标",
    "missing_by_date": "逾期未完成", "missing_in_period": "当期缺失", "missing_field": "字段缺失",
    "forbidden": "禁止事项", "at_risk": "临近期限",
}

#: Severities, short (reports) and with the words of the source that set them (``rules show``).
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
SEVERITY_WORDS = {"error": "确保、必须、一律、达到", "warning": "力争、原则上、探索"}


#: The canonical columns of an event, as evidence shows them (attributes are named in
#: Chinese already, by the vocabulary).
COLUMN_LABELS = {"case_id": "案件编号", "unit": "单位", "event_type": "事件", "timestamp": "时间",
                 "event_id": "事件编号"}


def column_label(name: str) -> str:
    return COLUMN_LABELS.get(name, name)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def type_label(vtype: str) -> str:
    return TYPE_LABELS.get(vtype, vtype)


def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


#: Why a case, group or period was not judged (``RuleResult.not_judged``): the log could
#: not have shown the duty done, so no finding is made either way.
NOT_JUDGED = {
    "outside_span": "不在日志覆盖期间内",
    "not_due": "未到判定时间",
    "paused": "计时中止，尚未恢复",
    "cancelled": "已撤回、视为放弃等，期限届满前结案，不作判定",
    "excluded": "经核查等排除，不作判定",
    "out_of_scope": "不满足适用条件，不作判定",
    "data_quality": "数据质量问题，无法判断",
}

#: What makes a case impossible to judge (``DataQuality.reason``).
DATA_QUALITY = {
    "bad_limit": "期限字段为空或不是整数",
    "bad_number": "数值字段不是数字",
    "end_before_start": "办结早于起算",
    "no_start": "起算时间为空",
}


def not_judged_label(reason: str) -> str:
    return NOT_JUDGED.get(reason, reason)


#: Whether a rule could speak to the log at all (``RuleResult.status``).
RULE_STATUS = {
    "judged": "已判定",
    "not_applicable": "不适用",
    "no_data": "无数据",
}


def rule_status_text(status: str, reason: str | None) -> str:
    """``不适用（日志不含 12345热线 系统的事件）``, ``无数据``, or ``已判定``."""
    if status == "not_applicable":
        return f"不适用（日志不含 {reason} 系统的事件）"
    return RULE_STATUS.get(status, status)
