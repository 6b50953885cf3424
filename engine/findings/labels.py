"""The one place kinds, violation types, severities and reasons get their names.

Every renderer, the messages and ``rules show`` read these tables, so a kind or a type is
called the same everywhere a supervisor meets it (the HTML report and ``rules show`` once
named five of the eight kinds differently). The names are written in English and marked
for the catalog (``N_``); the functions below give them in the language in use, Chinese
unless English is asked for (docs/translation.md).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

from ..i18n import marked as N_, translate as _

#: The rule kinds, as a supervisor names what a rule checks.
KIND_LABELS = {
    "deadline": N_("time limit"), "sequence": N_("required steps"),
    "min_count": N_("minimum count"), "ratio": N_("share met"), "due_by": N_("due by a date"),
    "periodic": N_("regular duty"), "required_fields": N_("required fields"),
    "forbidden": N_("forbidden"),
}

#: The violation types (and ``at_risk``, the type of a warning).
TYPE_LABELS = {
    "late": N_("closed late"), "overdue_open": N_("overdue, still open"),
    "missing_step": N_("missing step"), "out_of_order": N_("steps out of order"),
    "insufficient": N_("too few"), "below_threshold": N_("share below the minimum"),
    "missing_by_date": N_("not done by the date"), "missing_in_period": N_("missing in the period"),
    "missing_field": N_("missing field"), "forbidden": N_("forbidden"),
    "at_risk": N_("deadline near"),
}

#: Severities, short (reports) and with the words of the source that set them (``rules show``).
SEVERITY_LABELS = {"error": N_("error"), "warning": N_("warning")}
SEVERITY_WORDS = {"error": N_("ensure, must, without exception, reach"),
                  "warning": N_("strive to, in principle, explore")}


#: The canonical columns of an event, as evidence shows them (attributes are named in
#: Chinese already, by the vocabulary).
COLUMN_LABELS = {"case_id": N_("case number"), "unit": N_("unit"), "event_type": N_("event"),
                 "timestamp": N_("time"), "event_id": N_("event number")}


def _named(table: dict[str, str], code: str) -> str:
    """The name of ``code`` in ``table``, in the language in use; a code the table lacks
    as it is."""
    name = table.get(code)
    return code if name is None else _(name)


def column_label(name: str) -> str:
    return _named(COLUMN_LABELS, name)


def kind_label(kind: str) -> str:
    return _named(KIND_LABELS, kind)


def type_label(vtype: str) -> str:
    return _named(TYPE_LABELS, vtype)


def severity_label(severity: str) -> str:
    return _named(SEVERITY_LABELS, severity)


def severity_words(severity: str) -> str:
    """The words of a source that give a duty this severity (``确保、必须…``)."""
    return _named(SEVERITY_WORDS, severity)


#: Why a case, group or period was not judged (``RuleResult.not_judged``): the log could
#: not have shown the duty done, so no finding is made either way.
NOT_JUDGED = {
    "outside_span": N_("outside the span the logs cover"),
    "not_due": N_("not yet due"),
    "paused": N_("clock stopped, not resumed"),
    "cancelled": N_("withdrawn, abandoned or the like before the deadline"),
    "excluded": N_("excluded after checking or the like"),
    "out_of_scope": N_("conditions of the rule not met"),
    "data_quality": N_("data quality problem, cannot be judged"),
}

#: What makes a case impossible to judge (``DataQuality.reason``).
DATA_QUALITY = {
    "bad_limit": N_("limit attribute blank or not a whole number"),
    "bad_number": N_("number attribute not a number"),
    "end_before_start": N_("closed before it started"),
    "no_start": N_("no start time"),
}


def not_judged_label(reason: str) -> str:
    return _named(NOT_JUDGED, reason)


def data_quality_label(reason: str) -> str:
    return _named(DATA_QUALITY, reason)


#: Why ``watch`` withdrew a warning or violation (the ``reason`` of a ``resolved`` line).
RESOLVED_REASONS = {
    "closed": N_("closed in time"), "paused": N_("the clock stopped"),
    "resumed": N_("judged again after the clock resumed"), "restarted": N_("the limit restarted"),
    "extended": N_("the limit was extended"), "step": N_("the missing step was done"),
    "counted": N_("the count was reached"), "clock": N_("judged again"),
    "opened": N_("judged again"), "end of input": N_("judged again"),
}


def resolved_label(reason: str) -> str:
    return _named(RESOLVED_REASONS, reason)


#: Whether a rule could speak to the log at all (``RuleResult.status``).
RULE_STATUS = {
    "judged": N_("judged"),
    "not_applicable": N_("not applicable"),
    "no_data": N_("no data"),
}


def rule_status_text(status: str, reason: str | None) -> str:
    """``不适用（日志不含 12345热线 系统的事件）``, ``无数据``, or ``已判定``."""
    if status == "not_applicable":
        return _("not applicable (the logs hold no events of the {systems} system)").format(
            systems=reason)
    return _named(RULE_STATUS, status)


def listing(items: Iterable[str]) -> str:
    """Items of a list, as a sentence names them: ``2021、2022`` (``2021, 2022``)."""
    return _(", ").join(items)


def clauses(items: Iterable[str]) -> str:
    """Parts of a sentence, one after another: ``未到判定时间 3，不在日志覆盖期间内 2``."""
    joined = _("{clauses}; {clause}")
    parts = list(items)
    return reduce(lambda text, clause: joined.format(clauses=text, clause=clause), parts) \
        if parts else ""
