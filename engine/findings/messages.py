"""One sentence per finding, in the words a supervisor uses, in the language in use.

Kept apart from the engines so that the batch and the streaming monitor say the
same thing about the same finding. The sentences are written in English and translated
by the catalog (docs/translation.md); the JSON report and ``watch`` word them in
``i18n.RECORD`` (Chinese) whatever the language in use, by calling these inside
``i18n.speaking``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from ..i18n import marked as N_, translate as _
from ..model.rule import RuleBase, alternatives_label
from .labels import DATA_QUALITY, data_quality_label, listing, resolved_label, type_label


def describe(rule: RuleBase, vtype: str, due: str | None, actual: Any, as_of: dt.datetime) -> str:
    """The message of one finding of ``rule``."""
    return describer(rule, as_of)(vtype, due, actual)


def _sentences(kind: str, timed: bool) -> dict[str, str]:
    """The sentence of each finding type of a rule of ``kind`` (``timed``: it has a
    limit), in the language in use, its values left as ``{placeholders}``."""
    late = {"due_by": _("{required} due by {due}, done at {actual}"),
            "sequence": _("every step due by {due} (limit {limit}), the last done at {actual}")}
    return {
        "late": late.get(kind) or _("due by {due} (limit {limit}), closed at {actual}"),
        "overdue_open": _("due by {due} (limit {limit}), still open at {as_of}"),
        "at_risk": _("{used} used and still open (warned at {actual}), due by {due}"),
        "missing_step": _("missing steps: {actual}"),
        "out_of_order": _("steps out of order, done as: {actual}"),
        "insufficient": (_("{count}: {actual}, at least {at_least} required (limit {limit})")
                         if timed else _("{count}: {actual}, at least {at_least} required")),
        "below_threshold": _("share {actual}, at least {at_least} required"),
        "missing_by_date": _("{required} due by {due}, not done at {as_of}"),
        "missing_in_period": _("{event}: {actual} times in the period, at least {at_least} "
                               "required"),
        "missing_field": _("field missing or not an allowed value: {actual}"),
        "forbidden": _("forbidden event: {event}"),
    }


def describer(rule: RuleBase, as_of: dt.datetime) -> Callable[[str, str | None, Any], str]:
    """A function that words the findings of ``rule`` in the language in use now (when
    ``describer`` is called); the rule's parts and the sentences are read once."""
    limit = _limit(rule)
    sentences = _sentences(rule.kind, bool(limit))
    at_least = getattr(rule, "at_least", None)
    values = {key: matcher.label() for key in ("count", "required", "event")
              if (matcher := getattr(rule, key, None)) is not None}
    values.update(as_of=as_of.strftime("%Y-%m-%d %H:%M:%S"), limit=limit, at_least=at_least,
                  used=_used_at_warning(rule) if getattr(rule, "warn_at", None) else "")
    other = _("{type}: {actual}")

    def say(vtype: str, due: str | None, actual: Any) -> str:
        sentence = sentences.get(vtype)
        if sentence is None:
            return other.format(type=type_label(vtype), actual=actual)
        if vtype == "below_threshold":
            return sentence.format(actual=_percent(actual), at_least=_percent(at_least))
        return sentence.format_map({**values, "due": due, "actual": actual})

    return say


def resolved_message(vtype: str, reason: str | None) -> str:
    """The sentence of a ``watch`` line withdrawing a finding (or a data-quality line) that
    later events answered."""
    if vtype in DATA_QUALITY:
        return _("data quality problem ({problem}) cleared, the case is judged again").format(
            problem=data_quality_label(vtype))
    return _("{finding} withdrawn ({reason})").format(
        finding=type_label(vtype), reason=resolved_label(reason))


def data_quality_message(reason: str, detail: str | None) -> str:
    """The sentence of a data-quality finding (``findings.labels.DATA_QUALITY``)."""
    if reason == "bad_limit":
        return _("{attribute} is blank or not a whole number: no deadline can be counted, the "
                 "case is not judged").format(attribute=detail)
    if reason == "bad_number":
        return _("{attribute} is not a number: this one is not counted in the share").format(
            attribute=detail)
    if reason == "end_before_start":
        return _("closed ({detail}) before the time the limit starts, with no later closing: "
                 "the case is not judged").format(detail=detail)
    if reason == "no_start":
        return _("the time of “{event}” is blank: nothing to count from, the case is not "
                 "judged").format(event=detail)
    return _("{reason}: {detail}").format(reason=data_quality_label(reason), detail=detail)


def _limit(rule: RuleBase) -> str:
    within = getattr(rule, "within", None)
    return within.describe() if within is not None else ""


def _used_at_warning(rule: Any) -> str:
    """How much of the limit has passed when a deadline rule warns, as a supervisor counts it:
    `` 2/3 个工作日`` for a fixed limit, else the share of a limit each case reads for itself."""
    within = rule.within
    if within.amount is None or rule.extend is not None:
        return _("{share} of the limit ({limit})").format(share=f"{rule.warn_at:.0%}",
                                                          limit=within.describe())
    used = {"workdays": _("{used}/{amount} working days"), "days": _("{used}/{amount} days"),
            "hours": _("{used}/{amount} hours")}[within.unit]
    return used.format(used=rule.warn_after(within.amount), amount=f"{within.amount:g}")


def _percent(value: Any) -> str:
    try:
        return f"{float(value):.1%}"
    except (TypeError, ValueError):
        return str(value)


#: How often a periodic duty or a ratio's period comes round.
_EVERY = {"day": N_("every day"), "week": N_("every week"), "month": N_("every month"),
          "quarter": N_("every quarter"), "year": N_("every year")}


def effective_text(rule: RuleBase) -> str:
    """When a rule applies, as ``rules list`` and ``rules show`` print it."""
    if rule.effective is None:
        return _("always")
    start, end = rule.effective.from_, rule.effective.to
    if start and end:
        return _("{start} to {end}").format(start=start, end=end)
    return _("from {start}").format(start=start) if start else _("until {end}").format(end=end)


def rule_lines(rule: RuleBase) -> list[str]:
    """What a rule checks, one line per part, in a supervisor's words (``rules show``)."""
    out = ([_("Applies to: {scope}").format(scope=rule.where.label())]
           if rule.where is not None else [])
    return out + RULE_LINES[rule.kind](rule) + _case_filter_lines(rule)


def _case_filter_lines(r: Any) -> list[str]:
    """The keys that take a case out of judgement (every case kind may have them)."""
    out = []
    if getattr(r, "only_if", None):
        out.append(_("Judged only: cases with {events}").format(
            events=alternatives_label(r.only_if)))
    if getattr(r, "exclude", None) and r.kind != "ratio":
        out.append(_("Not judged: cases with {events}").format(
            events=alternatives_label(r.exclude)))
    if getattr(r, "cancel", None):
        out.append(_("Closed without judgement: {events} (before the deadline and before "
                     "closing)").format(events=alternatives_label(r.cancel)))
    return out


def _within(r: Any) -> list[str]:
    """The limit, or the stated fair time (``settle``) and why."""
    if getattr(r, "within", None):
        return [_("Limit: {limit}").format(limit=r.within.describe())]
    if getattr(r, "settle", None):
        return [_("Waits before judging: {wait} ({reason}); what is done after that is not "
                  "late").format(wait=r.settle.describe(), reason=r.settle.reason)]
    return []


def _deadline_lines(r: Any) -> list[str]:
    out = [_("Starts with: {event}").format(event=r.start.label()),
           _("Closed by: {event}").format(event=r.end.label()), *_within(r)]
    for spec in r.pause_specs:
        pause, resume = spec.pause.label(), spec.resume.label()
        out.append(_("Not counted: {pause} to {resume}").format(pause=pause, resume=resume)
                   if spec.max is None else
                   _("Not counted: {pause} to {resume}, at most {most}").format(
                       pause=pause, resume=resume, most=spec.max.describe()))
    if r.restart:
        out.append(_("Counted again from: {event}").format(event=r.restart.label()))
    if r.extend:
        event, attribute = r.extend.matcher.label(), r.extend.attribute
        out.append(_("Extended by: {event} (the days in {attribute})").format(
            event=event, attribute=attribute) if r.extend_max is None else
            _("Extended by: {event} (the days in {attribute}, at most {most} in all)").format(
                event=event, attribute=attribute, most=r.extend_max.describe()))
    if r.pause_specs or r.restart or r.extend:
        out.append(_("A pause, a restart or an extension counts only before the deadline as it "
                     "then stands"))
    if r.warn_at:
        out.append(_("Warns: {used} used and still open").format(used=_used_at_warning(r)))
    return out


def _sequence_lines(r: Any) -> list[str]:
    steps = [alternatives_label(s) for s in r.steps]
    return [_("Triggered by: {event}").format(event=r.trigger.label()),
            _("Required steps, in order: {steps}").format(steps=" → ".join(steps)) if r.ordered
            else _("Required steps: {steps}").format(steps=listing(steps)),
            *_within(r)]


def _min_count_lines(r: Any) -> list[str]:
    least = (_("At least {count} {what} (distinct by {distinct})") if r.distinct
             else _("At least {count} {what}"))
    return [_("Subject: {subject}").format(subject=r.subject.label()),
            least.format(count=r.at_least, what=r.count.label(), distinct=r.distinct),
            *_within(r)]


def _ratio_lines(r: Any) -> list[str]:
    met = r.condition.label() if r.condition else f"{r.value.numerator}/{r.value.denominator}"
    out = [_("Population: {population}").format(population=r.population.label()),
           _("Met: {condition}").format(condition=met),
           _("Share at least: {share}").format(share=f"{r.at_least:.0%}")]
    if r.group_by:
        out.append(_("Grouped by: {groups}").format(groups=listing(r.group_by)))
    if r.lead_unit:
        out.append(_("One share for the whole city, reported to the lead unit: {unit}").format(
            unit=r.lead_unit))
    if r.period:
        out.append(_("Period: {period}").format(period=_(_EVERY[r.period])))
    if r.condition:
        out.append(_("The condition must be met within {grace} after the period ends").format(
            grace=r.grace.describe()) if r.grace
            else _("The condition must be met before the period ends"))
    elif r.grace:
        out.append(_("Grace: {grace} after the period ends").format(grace=r.grace.describe()))
    if r.exclude:
        out.append(_("Not counted: cases with {events}").format(
            events=alternatives_label(r.exclude)))
    return out


def _due_by_lines(r: Any) -> list[str]:
    subjects = (r.subjects.label() if r.subjects else
                listing(_("{case} ({unit})").format(case=s.case_id, unit=s.unit) if s.unit
                        else s.case_id for s in r.subjects_list))
    out = [_("Subject: {subject}").format(subject=subjects),
           _("Must be done: {event}").format(event=r.required.label()),
           _("Due: before the end of {date}").format(date=r.by)]
    if r.subjects_window:
        first, last = r.subjects_window.from_, r.subjects_window.to or r.by
        out.append(_("Subject events: any time until {to}").format(to=last) if first == "any"
                   else _("Subject events: from {start} until {to}").format(start=first, to=last))
    if r.settle:
        out.append(_("A subject event less than {wait} before the deadline moves it to {wait} "
                     "after the event ({reason})").format(wait=r.settle.describe(),
                                                           reason=r.settle.reason))
    return out


def _periodic_lines(r: Any) -> list[str]:
    out = [_("{every} at least {count} times: {event}").format(
        every=_(_EVERY[r.every]), count=r.at_least, event=r.event.label())]
    if r.lead_unit:
        out.append(_("Counted for the whole city, reported to the lead unit: {unit}").format(
            unit=r.lead_unit))
    if r.units:
        out.append(_("Units: {units}").format(units=listing(r.units)))
    if r.grace:
        out.append(_("Grace: {grace} after the period ends").format(grace=r.grace.describe()))
    return out


def _required_fields_lines(r: Any) -> list[str]:
    out = [_("Event: {event}").format(event=r.event.label()),
           _("Required: {fields}").format(fields=listing(r.fields))]
    out += [_("{name} may only be: {values}").format(name=name, values=listing(map(str, values)))
            for name, values in (r.allowed or {}).items()]
    return out


def _forbidden_lines(r: Any) -> list[str]:
    return [_("Must not happen: {event}").format(event=r.event.label())]


#: kind → the lines that say what a rule of that kind checks.
RULE_LINES: dict[str, Callable[[Any], list[str]]] = {
    "deadline": _deadline_lines, "sequence": _sequence_lines, "min_count": _min_count_lines,
    "ratio": _ratio_lines, "due_by": _due_by_lines, "periodic": _periodic_lines,
    "required_fields": _required_fields_lines, "forbidden": _forbidden_lines,
}
