"""What the Spark engine takes from the shared plan, checked without Spark.

The evidence of many rules at once (``found_evidence_sql``, the one query the Spark engine
asks for every finding's evidence) must list what each rule's own evidence query lists;
DuckDB runs both here. And a rule's query split into steps for Spark (``spark.stages``)
keeps the steps read more than once that do work, reads them by their views, and leaves
the others where they are read.
"""
from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from support import ROOT
from govcheck.engine.api import evaluate
from govcheck.engine.batch.compile import compile_rule, found_evidence_sql
from govcheck.engine.batch.run import execute, gather_case_events, table_columns
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.data.ingest import ingest
from govcheck.engine.model.loader import load_rules
from govcheck.engine.spark.stages import staged

SAMPLE = ROOT / "fixtures" / "sample" / "events.csv"


@pytest.fixture(scope="module")
def sample():
    """The sample log in DuckDB, the library's findings on it, and ``case_events``."""
    con = duckdb.connect()
    loaded = ingest(con, [str(SAMPLE)])
    rules = load_rules([ROOT / "rules"])
    report = evaluate(con, rules, WorkCalendar.load(), loaded)
    found = sorted({(v.rule_id, v.case_id) for v in (*report.violations, *report.warnings)
                    if v.case_id is not None})
    gather_case_events(con, report.as_of, {case for _rule, case in found}, table_columns(con))
    yield con, {r.rule.id: r.rule for r in rules}, found, report.as_of
    con.close()


@pytest.mark.parametrize("shown", [None, frozenset()], ids=["every-column", "the-rules-own"])
def test_the_evidence_of_many_rules_at_once_is_each_rules_own(sample, shown):
    con, rules, found, as_of = sample
    ids = sorted({rule for rule, _case in found})
    assert len(ids) > 20, "the sample has findings of many rules"
    columns = table_columns(con)
    compiled = {n: compile_rule(rules[rule], columns, shown, prefix=f"r{n}_")
                for n, rule in enumerate(ids)}
    number = {rule: n for n, rule in enumerate(ids)}
    con.execute("CREATE OR REPLACE TEMP TABLE found (rule INTEGER, case_id VARCHAR)")
    con.executemany("INSERT INTO found VALUES (?, ?)", [(number[r], case) for r, case in found])
    params = {"as_of": as_of}
    for c in compiled.values():
        params.update(c.params)
    together = execute(con, found_evidence_sql(compiled, "found"), params)
    one_by_one = []
    for n, c in compiled.items():
        cases = [case for rule, case in found if rule == c.rule.id]
        rows = execute(con, c.evidence_sql, {**c.params, "as_of": as_of, "cases": cases})
        one_by_one += [(n, case, text) for case, text in rows]
    assert sorted(together) == sorted(one_by_one)


def read_tables(spark_sql: str) -> set[str]:
    """The tables a Spark SQL query reads that it does not define itself (its CTEs)."""
    tree = sqlglot.parse_one(spark_sql, read="spark")
    defined = {cte.alias for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table)} - defined


def test_a_rule_is_run_on_spark_as_kept_steps_read_by_their_views():
    rule = next(r.rule for r in load_rules([ROOT / "rules"]) if r.rule.id == "GB-OGI-33-1")
    assert rule.pause_specs, "a deadline with pauses: the steps most read"
    stages, final = staged(compile_rule(rule, ["case_id", "event_type", "timestamp", "unit"],
                                        dialect="spark").sql, "v_")
    views = [s.view for s in stages]
    assert {"v_opening", "v_cased", "v_positioned"} <= set(views)
    assert "v_ev" not in views, "the log's filter is read again, not copied"
    for at, query in enumerate([s.sql for s in stages] + [final]):
        assert read_tables(query) <= set(views[:at]) | {"events", "blank_times"}
