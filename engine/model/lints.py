"""The house conventions of a rule library, each a small check that names where it breaks.

A rule that breaks a convention still runs; ``govcheck validate`` (what a rules
repository's CI runs) reports it, so an author meets the same conventions as the shipped
library's tests. Each lint is a function ``(RuleFile) → [RuleError]`` whose docstring
states the convention; ``LINTS`` lists them all, and ``validate`` runs that tuple. A
problem has a severity: a ``RuleError`` fails ``validate``, a ``RuleWarning`` (valid, but
not what its author meant) fails it only with ``--strict``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..errors import RuleError, RuleWarning
from ..i18n import translate as _
from .rule import RULE_CLASSES, RuleBase
from .yamlsource import YamlDocument

#: Words that make a duty binding (error) or hedged (warning), in the simplified and the
#: traditional characters sources are printed in (docs/coverage.md, "Severity").
BINDING = ("确保", "必须", "一律", "达到", "全部", "確保", "必須", "達到")
HEDGES = ("力争", "原则上", "探索", "力爭", "原則上")

SOURCE_KEYS = ("document", "number", "clause", "quote")
EXAMPLE_KEYS = ("name", "events", "as_of", "span", "expect")


@dataclass(frozen=True)
class RuleFile:
    """One loaded rule with its file: what every lint reads."""

    rule: RuleBase
    path: Path
    doc: YamlDocument

    @property
    def pack(self) -> str:
        """The folder the file lies in (a pack: one source document, or ``national``)."""
        return self.path.parent.name


Lint = Callable[[RuleFile], Iterable[RuleError]]


def named_after_its_id(f: RuleFile) -> list[RuleError]:
    """A rule file is named after its id: ``<ID>.yaml``, so a finding leads to its file."""
    if f.path.name != f"{f.rule.id}.yaml":
        return [RuleError(_("the file of rule {id} is named {name}: name it {id}.yaml").format(
            id=f.rule.id, name=f.path.name), f.doc.location(("id",)))]
    return []


def house_key_order(f: RuleFile) -> list[RuleError]:
    """Keys come in one order, so every rule reads top-down the same way: identity and
    provenance (id, title, kind, severity, source, effective, where), the kind's own keys in
    the order the rule model declares them, ``examples`` last; ``source`` and each example
    in their own fixed order."""
    data = f.doc.data if isinstance(f.doc.data, dict) else {}
    out = []
    order = key_order(f.rule.kind)
    keys = [k for k in data if k in order]
    if keys != sorted(keys, key=order.index):
        out.append(RuleError(_("keys in the order {order} (found {found})").format(
            order=", ".join(order_of(keys, order)), found=", ".join(map(str, keys))),
            f.doc.location()))
    source = [k for k in (data.get("source") or {}) if k in SOURCE_KEYS]
    if source != sorted(source, key=SOURCE_KEYS.index):
        out.append(RuleError(_("source keys in the order {order}").format(
            order=", ".join(SOURCE_KEYS)), f.doc.location(("source",))))
    for i, example in enumerate(data.get("examples") or []):
        keys = [k for k in (example if isinstance(example, dict) else {}) if k in EXAMPLE_KEYS]
        if keys != sorted(keys, key=EXAMPLE_KEYS.index):
            out.append(RuleError(_("example keys in the order {order}").format(
                order=", ".join(EXAMPLE_KEYS)), f.doc.location(("examples", i))))
    return out


def severity_follows_the_quote(f: RuleFile) -> list[RuleError]:
    """``error`` where the quoted sentence binds (确保、必须、一律、达到、全部), ``warning``
    where it hedges (力争、原则上、探索); a binding word qualified by a hedge (力争达到) is a
    hedge. Quotes with neither are the author's judgement (docs/coverage.md)."""
    expected = mechanical_severity(f.rule.source.quote)
    if expected is not None and f.rule.severity != expected:
        message = _("the quote binds, so severity is error") if expected == "error" else \
            _("the quote hedges, so severity is warning")
        return [RuleError(message, f.doc.location(("severity",)))]
    return []


def examples_pass_and_violate(f: RuleFile) -> list[RuleError]:
    """Every rule shows its reading with examples: at least one that passes
    (``expect: []``) and one that violates (docs/contract.md)."""
    examples = f.rule.examples
    out = []
    if not any(not e.expect for e in examples):
        out.append(RuleError(_("needs an example that passes (expect: [])"),
                             f.doc.location(("id",))))
    if not any(e.expect for e in examples):
        out.append(RuleError(_("needs an example that violates (a non-empty expect)"),
                             f.doc.location(("id",))))
    return out


def effective_fits_the_pack(f: RuleFile) -> list[RuleError]:
    """A pack named after a year (``shaoyang-2022-service``) holds that year's work points:
    its rules apply from a date in that year to its end at the latest. A ``national`` rule
    applies from its regulation's entry into force, with no end."""
    eff = f.rule.effective
    if f.pack == "national":
        if eff is None or eff.from_ is None or eff.to is not None:
            return [RuleError(_("a national rule applies from its regulation's entry into force "
                                "(effective.from) with no effective.to"),
                              f.doc.location(("effective",)))]
        return []
    year = re.search(r"(?<!\d)(20\d\d)(?!\d)", f.pack)
    if year is None:
        return []
    y = int(year.group(1))
    if eff is None or eff.from_ is None or eff.to is None:
        return [RuleError(_("pack {pack} is the work points of {year}: give effective.from and "
                            "effective.to in {year}").format(pack=f.pack, year=y),
                          f.doc.location(("effective",)))]
    if eff.from_.year != y or eff.to.year != y:
        return [RuleError(_("pack {pack} is the work points of {year}: effective {start}–{end} "
                            "leaves that year").format(pack=f.pack, year=y, start=eff.from_,
                                                       end=eff.to),
                          f.doc.location(("effective",)))]
    return []


def warning_can_fire(f: RuleFile) -> list[RuleError]:
    """A ``warn_at`` warns before the deadline: with a fixed limit, ``warn_at × limit``
    rounded up must fall short of the limit (0.67 × 3 working days rounds up to 3, the
    deadline itself, so it never warns). A warning, not an error: the rule still judges."""
    rule = f.rule
    if getattr(rule, "warn_at", None) is None or rule.within.amount is None:
        return []
    limit = rule.within.amount
    if rule.warn_after(limit) < limit:
        return []
    return [RuleWarning(_("warn_at {share:g} of {limit} rounds up to {after}, the deadline "
                          "itself: it never warns (largest warn_at that warns: {largest})").format(
                              share=rule.warn_at, limit=rule.within.describe(),
                              after=rule.warn_after(limit), largest=_largest_share(limit)),
                        f.doc.location(("warn_at",)))]


def _largest_share(limit: float) -> str:
    """The largest two-decimal ``warn_at`` that still warns a whole unit before ``limit``."""
    if limit <= 1:
        return _("none: a limit of one unit or less leaves no unit to warn in")
    return f"{math.floor(round((math.ceil(limit) - 1) / limit * 100, 9)) / 100:.2f}"


#: The fewest characters a stated fair time's reason may have: enough to say why.
SETTLE_REASON_MIN = 10


def case_rules_take_their_time(f: RuleFile) -> list[RuleError]:
    """A case must have had its fair time before it is judged (DESIGN, "Untimed case
    rules"): a ``sequence`` or ``min_count`` rule of severity ``error`` has a limit
    (``within``: from its source or the regulation it points to) or a stated fair time
    (``settle``, whose ``reason`` says why that time is fair)."""
    rule = f.rule
    out = []
    if (rule.kind in ("sequence", "min_count") and rule.severity == "error"
            and rule.within is None and rule.settle is None):
        out.append(RuleError(_("an untimed case rule is judged at any as_of, even a case opened "
                               "a minute before: give it a limit (within: from its source or the "
                               "regulation it points to) or a fair time (settle, with its "
                               "reason)"), f.doc.location(("kind",))))
    settle = getattr(rule, "settle", None)
    if settle is not None and len(settle.reason.strip()) < SETTLE_REASON_MIN:
        out.append(RuleError(_("settle.reason: say why this time is fair (at least {count} "
                               "characters)").format(count=SETTLE_REASON_MIN),
                             f.doc.location(("settle", "reason"))))
    return out


#: Every house convention ``validate`` checks, in the order it reports them.
LINTS: tuple[Lint, ...] = (
    named_after_its_id,
    house_key_order,
    severity_follows_the_quote,
    examples_pass_and_violate,
    effective_fits_the_pack,
    warning_can_fire,
    case_rules_take_their_time,
)


def lint(f: RuleFile) -> list[RuleError]:
    """Every convention ``f`` breaks."""
    return [problem for check in LINTS for problem in check(f)]


def key_order(kind: str) -> tuple[str, ...]:
    """The house order of a rule's top-level keys, from the rule model's field order."""
    common = [name for name in RuleBase.model_fields if name != "examples"]
    own = [name for name in RULE_CLASSES[kind].model_fields if name not in RuleBase.model_fields]
    return tuple(_yaml_name(n) for n in common + own) + ("examples",)


def order_of(keys: list, order: tuple[str, ...]) -> list[str]:
    return [k for k in order if k in keys]


def _yaml_name(field: str) -> str:
    return {"from_": "from"}.get(field, field)


def mechanical_severity(quote: str) -> str | None:
    """``error``/``warning`` where the wording decides it, else None."""
    for hedge in HEDGES:
        for word in BINDING:
            quote = quote.replace(hedge + word, hedge)
    if any(word in quote for word in BINDING):
        return "error"
    if any(word in quote for word in HEDGES):
        return "warning"
    return None
