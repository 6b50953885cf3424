"""Rule model → SQL text plus bound parameters, one jinja template per kind.

Pure: no connection, no data. Every value that comes from a rule is bound as a
named parameter (``$p0``, ``$p1``…), never spliced into the SQL text; only column
names (quoted) and the shape of the query come from the rule. Each kind's template
returns rows of one fixed shape (see ``OUTPUT_COLUMNS``) that ``batch`` turns into
violations, warnings and the per-rule count of what was checked.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Sequence

import jinja2

from ..data.sqltext import quote_ident, quote_string
from ..findings.report import EVIDENCE_FIRST
from ..model.rule import (CANONICAL_COLUMNS, Matcher, RuleBase, alternatives_label, value_date,
                          value_text, value_timestamp)
from ..plan import Limit, plan_rule

TEMPLATES = Path(__file__).resolve().parent / "sql"

#: Evidence kept per finding: enough to see the case, bounded for huge cases.
MAX_EVIDENCE = 50

#: The table evidence is read from: the events of the cases some rule found (``batch``
#: fills it once per run, so no rule's evidence reads the whole log again).
CASE_EVENTS = "case_events"

#: The column of ``case_events`` that holds each event's evidence text (``evidence_event_sql``).
EVIDENCE_TEXT = "__gc_evidence"

#: Evidence keys the template writes itself (the case is the finding's own, not repeated).
EVIDENCE_OWN = ("case_id", "event_type", "timestamp")

#: What every kind's query returns, one row each.
#: ``row_kind`` is ``checked`` (per unit: how many cases/groups were judged, in
#: ``actual``), ``violation``, ``warning``, ``not_judged`` (per unit and reason, in
#: ``type``: how many were not judged, in ``actual``), ``data_quality`` (a case the log
#: cannot support: ``type`` the reason, ``src``/``row`` locate the event) or ``gap`` (a
#: working-day count needed a date no calendar covers: ``actual`` is that date).
OUTPUT_COLUMNS = ("row_kind", "case_id", "unit", "period", "type", "due", "actual", "src", "row")

#: The SQL dialects a plan is written in: DuckDB's (the embedded engine), or Spark SQL's
#: (``engine/spark``), whose own ``_dialect.sql.j2`` in ``sql/spark/`` comes before the
#: shared one. Spark's text is DuckDB's spelling but for those macros, and
#: ``spark.sql.to_spark`` translates it (sqlglot).
DIALECTS = ("duckdb", "spark")


def _environment(dialect: str) -> jinja2.Environment:
    folders = [TEMPLATES / dialect] if dialect != "duckdb" else []
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders + [TEMPLATES]]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_ENVIRONMENTS = {dialect: _environment(dialect) for dialect in DIALECTS}


@dataclass(frozen=True)
class KindQuery:
    """How a kind is judged in SQL: its template, and what its ``actual`` column holds."""

    template: str
    #: ``actual`` is a count or a share (reported as a number), not a time or a list of names
    numeric_actual: bool = False


#: kind → its query. A new kind adds a row here and a template in ``sql/``.
KIND_QUERIES: dict[str, KindQuery] = {
    "deadline": KindQuery("deadline.sql.j2"),
    "sequence": KindQuery("sequence.sql.j2"),
    "min_count": KindQuery("min_count.sql.j2", numeric_actual=True),
    "ratio": KindQuery("ratio.sql.j2", numeric_actual=True),
    "due_by": KindQuery("due_by.sql.j2"),
    "periodic": KindQuery("periodic.sql.j2", numeric_actual=True),
    "required_fields": KindQuery("required_fields.sql.j2"),
    "forbidden": KindQuery("forbidden.sql.j2"),
}


@dataclass(frozen=True)
class CompiledRule:
    """A rule's query and the parameters it binds (``as_of`` is bound at run time)."""

    rule: RuleBase
    sql: str
    params: dict[str, Any]
    evidence_sql: str
    numeric_actual: bool = False
    #: the condition on event ``e`` that makes it evidence (any of the rule's matchers)
    relevant: str = "TRUE"
    #: event ``e``'s text in the evidence (a JSON object of the columns the rule shows)
    evidence_text: str = f"e.{EVIDENCE_TEXT}"


class _Params:
    """Collects bound values and hands out their placeholder names (``prefix`` + a number)."""

    def __init__(self, prefix: str = "p") -> None:
        self.values: dict[str, Any] = {}
        self.prefix = prefix

    def bind(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return "$" + name


class _Compiler:
    def __init__(self, rule: RuleBase, columns: Collection[str], dialect: str = "duckdb",
                 prefix: str = "p"):
        self.rule = rule
        self.plan = plan_rule(rule)
        self.columns = set(columns)
        self.params = _Params(prefix)
        self.env = _ENVIRONMENTS[dialect]
        self.dialect = dialect

    # -- pieces the templates call ------------------------------------------------
    def col(self, alias: str, name: str) -> str:
        """A column of the log, or NULL when the log has no such column."""
        if name not in self.columns:
            return "CAST(NULL AS VARCHAR)"
        return f"{alias}.{quote_ident(name)}"

    def match(self, matcher: Matcher | Sequence[Matcher] | None, alias: str = "e") -> str:
        """All conditions of a matcher as one SQL boolean (TRUE for no matcher); a list of
        matchers holds when any of them does."""
        if matcher is None:
            return "TRUE"
        if isinstance(matcher, (list, tuple)):
            return "(" + " OR ".join(self.match(m, alias) for m in matcher) + ")"
        parts = [self._condition(alias, c.field, c.op, c.values) for c in matcher.conditions]
        return "(" + " AND ".join(parts) + ")"

    def opening(self, alias: str = "e") -> str:
        return " AND ".join(self.match(m, alias) for m in self.rule.opening())

    def _condition(self, alias: str, field: str, op: str, values: tuple[Any, ...]) -> str:
        column = self.col(alias, field)
        if op == "exists":
            present = f"({column} IS NOT NULL AND trim(CAST({column} AS VARCHAR)) <> '')"
            return present if values[0] else f"NOT {present}"
        if op in ("eq", "ne"):
            any_equal = "(" + " OR ".join(self._equals(column, field, v) for v in values) + ")"
            return any_equal if op == "eq" else f"NOT coalesce({any_equal}, FALSE)"
        if op in ("gt", "gte", "lt", "lte"):
            sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
            return "(" + " OR ".join(self._compare(column, field, sym, v) for v in values) + ")"
        text = f"CAST({column} AS VARCHAR)"
        fn = {"contains": "contains", "startswith": "starts_with", "re": "regexp_matches"}[op]
        return "(" + " OR ".join(f"{fn}({text}, {self.params.bind(str(v))})" for v in values) + ")"

    def _equals(self, column: str, field: str, value: Any) -> str:
        if isinstance(value, (int, float)) and field != "timestamp":
            return f"TRY_CAST({column} AS DOUBLE) = {self.params.bind(float(value))}"
        if isinstance(value, dt.date) and field == "timestamp":
            return f"CAST({column} AS DATE) = {self.params.bind(value_date(value))}"
        return f"CAST({column} AS VARCHAR) = {self.params.bind(value_text(value))}"

    def _compare(self, column: str, field: str, sym: str, value: Any) -> str:
        if field == "timestamp":
            return f"{column} {sym} {self.params.bind(value_timestamp(value))}"
        if isinstance(value, (int, float)):
            return f"TRY_CAST({column} AS DOUBLE) {sym} {self.params.bind(float(value))}"
        return f"CAST({column} AS VARCHAR) {sym} {self.params.bind(value_text(value))}"

    def bind(self, value: Any) -> str:
        return self.params.bind(value)

    def limit(self, limit: Limit, alias: str) -> str:
        """The amount of a limit: bound, or read from the attribute of event ``alias``: its
        ``default`` when blank, NULL when blank without one or not a whole number."""
        if not limit.attribute:
            return self.bind(limit.amount)
        column = self.col(alias, limit.attribute)
        read = f"TRY_CAST({column} AS INTEGER)"
        if limit.default is None:
            return read
        return f"(CASE WHEN {self._blank(column)} THEN {self.bind(limit.default)} ELSE {read} END)"

    def unreadable(self, limit: Limit, alias: str) -> str:
        """Whether event ``alias`` gives a limit read from an attribute that is not a whole
        number (blank is not unreadable: it gives none, or the default)."""
        if not limit.attribute:
            return "FALSE"
        column = self.col(alias, limit.attribute)
        return f"(NOT {self._blank(column)} AND TRY_CAST({column} AS INTEGER) IS NULL)"

    @staticmethod
    def _blank(column: str) -> str:
        return f"({column} IS NULL OR trim(CAST({column} AS VARCHAR)) = '')"

    def effective(self, ts: str) -> str:
        """``ts`` in the rule's effective window (``plan.Window``)."""
        window = self.plan.window
        out = []
        if window.start:
            out.append(f"{ts} >= {self.bind(window.start)}")
        if window.end:
            out.append(f"{ts} < {self.bind(window.end)}")
        return " AND ".join(out) or "TRUE"

    def narrow(self) -> str:
        """The event types the rule reads (``plan.RulePlan.event_types``), as one condition;
        TRUE when some role does not name its event type."""
        types = self.plan.event_types
        if types is None:
            return "TRUE"
        if self.dialect == "spark":   # a list of values, which Spark pushes into the scan
            return f"(event_type IN ({', '.join(self.bind(t) for t in types)}))"
        # one list, not IN (…): DuckDB turns an IN list into a join after a full scan of the
        # table, while = ANY filters in the scan (rule queries 12 → 10 s at 10M events)
        return f"(event_type = ANY({self.bind(list(types))}))"

    def ev_columns(self) -> str:
        """The columns of ``events`` the rule's queries read: the canonical ones, the
        place of each event, and the attributes the rule reads that the log has."""
        read = [*CANONICAL_COLUMNS, "_src", "_row"]
        read += [a for a in self.rule.attributes() if a not in read]
        return ", ".join(quote_ident(c) for c in read if c in self.columns)

    def render(self, template: str, **extra: Any) -> str:
        return self.env.get_template(template).render(
            narrow=self.narrow(), ev_columns=self.ev_columns(), rule=self.rule, plan=self.plan,
            col=self.col, match=self.match, opening=self.opening, bind=self.bind,
            limit=self.limit, unreadable=self.unreadable, effective=self.effective,
            q=quote_ident, ceil=math.ceil, label=alternatives_label, **extra)


def evidence_event_sql(columns: Collection[str], dialect: str = "duckdb") -> str:
    """SQL: event ``e`` of a log with ``columns`` as the JSON text its findings' evidence
    lists (``EVIDENCE_FIRST`` keys, then the others by name)."""
    present = set(columns)
    attributes = [c for c in EVIDENCE_FIRST if c in present and c not in EVIDENCE_OWN]
    attributes += sorted(c for c in present if c not in EVIDENCE_FIRST and c not in ("_src", "_row"))
    fields = [(quote_string(json.dumps(a, ensure_ascii=False)), f"e.{quote_ident(a)}")
              for a in attributes]
    template = _ENVIRONMENTS[dialect].get_template("evidence_event.sql.j2")
    return template.render(attribute_fields=fields).strip()


def compile_rule(rule: RuleBase, columns: Collection[str], shown: Collection[str] | None = None,
                 dialect: str = "duckdb", prefix: str = "p") -> CompiledRule:
    """Build the rule's query over a log that has ``columns`` (missing ones read as NULL),
    in ``dialect`` (``DIALECTS``). Its evidence shows each event's canonical columns, the
    attributes the rule reads and ``shown``; every column when ``shown`` is None (the text
    ``case_events`` then holds). Its parameters are named ``prefix`` + a number (rules
    compiled with different prefixes can share one query: ``found_evidence_sql``)."""
    query = KIND_QUERIES[rule.kind]
    compiler = _Compiler(rule, columns, dialect, prefix)
    sql = compiler.render(query.template)
    relevant = " OR ".join(compiler.match(m, "e") for _, m in rule.matchers()) or "TRUE"
    if shown is None:
        text = f"e.{EVIDENCE_TEXT}"
    else:
        wanted = set(CANONICAL_COLUMNS) | set(rule.attributes()) | set(shown)
        text = evidence_event_sql([c for c in columns if c in wanted], dialect)
    evidence = compiler.render("evidence.sql.j2", relevant=relevant, max_items=MAX_EVIDENCE,
                               case_events=CASE_EVENTS, evidence_text=text)
    return CompiledRule(rule, sql, compiler.params.values, evidence, query.numeric_actual,
                        relevant, text)


def found_evidence_sql(rules: dict[int, CompiledRule], found: str, dialect: str = "duckdb") -> str:
    """SQL: the evidence of many rules' findings in one pass over ``case_events``: the
    table ``found`` holds (rule, case_id), rule being a key of ``rules`` (compiled with
    different parameter prefixes); one row of (rule, case_id, evidence) per finding's case,
    as each rule's ``evidence_sql`` gives."""
    template = _ENVIRONMENTS[dialect].get_template("evidence_found.sql.j2")
    texts = {n: c.evidence_text for n, c in rules.items()}
    return template.render(relevant={n: c.relevant for n, c in rules.items()}, texts=texts,
                           shared_text=len(set(texts.values())) == 1, found=found,
                           max_items=MAX_EVIDENCE, case_events=CASE_EVENTS)
