"""A rule's query run on Spark stage by stage, each shared step planned and computed once.

A kind's template is one ``WITH`` query whose steps (CTEs) are read several times: the
opened cases by the ends, the cancels and the pauses; the dated cases by every row of the
answer. DuckDB computes such a step once. Spark copies the step's whole plan into every
place that reads it, so a deadline with pauses became a plan of thousands of operators
that took minutes to analyse (or ran the driver out of heap), and each copy would be
computed again over the log.

So each step becomes a temporary view of its own, and a step that is read more than once
and does real work (a join, a grouping, a window, a subquery, or reads such a step that
is not kept itself) is *kept*: locally checkpointed, so that what reads it sees one leaf
instead of its plan, and its rows are computed once, when the rule's answer is asked for,
in the partitions by case the log was spread over. A step that only filters the log
(``ev``) is read again where needed: it costs a scan, not a copy of the log. The rule's
answer is the last query; then the views are dropped and the kept rows let go.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from .sql import frame, parsed


@dataclass(frozen=True)
class Stage:
    """A kept step of a rule's query: the view it is registered as, and its Spark SQL (with
    the steps it alone reads written into it)."""

    view: str
    sql: str


def staged(sql: str, prefix: str) -> tuple[list[Stage], str]:
    """DuckDB-spelled ``sql`` (as ``batch.compile`` writes it) as its kept steps, in order,
    and the final query that reads them, all in Spark's spelling. A kept step is a view
    named ``prefix`` + its name; the other steps stay steps (CTEs) of each query that
    reads them, which Spark writes into it: they filter or reshape, or are read once."""
    tree = parsed(sql)
    with_ = tree.args.get("with_")
    if with_ is None:
        return [], tree.sql(dialect="spark")
    tree.set("with_", None)
    ctes = {c.alias: c for c in with_.expressions}
    bodies = {**{name: c.this for name, c in ctes.items()}, "": tree}
    tables = {name: [t for t in body.find_all(exp.Table) if t.name in ctes and not t.db]
              for name, body in bodies.items()}
    reads = {name: [t.name for t in found] for name, found in tables.items()}
    kept = _kept(ctes, reads)
    for found in tables.values():
        for table in found:
            if table.name in kept:
                _point_at(table, prefix + table.name)
    stages = [Stage(prefix + name, _with_steps(ctes[name].this, name, ctes, reads, kept))
              for name in ctes if name in kept]
    return stages, _with_steps(tree, "", ctes, reads, kept)


def _kept(ctes: dict[str, exp.CTE], reads: dict[str, list[str]]) -> set[str]:
    """The steps to keep: read more than once, and doing work, or reading a step that does
    work and is not kept (steps come in order: one reads only those before it)."""
    readers = {name: 0 for name in ctes}
    for names in reads.values():
        for read in names:
            readers[read] += 1
    kept: set[str] = set()
    works: set[str] = set()
    for name, cte in ctes.items():
        if _does_work(cte.this) or any(r in works - kept for r in reads[name]):
            works.add(name)
            if readers[name] > 1:
                kept.add(name)
    return kept


def _with_steps(body: exp.Expression, name: str, ctes: dict[str, exp.CTE],
                reads: dict[str, list[str]], kept: set[str]) -> str:
    """``body`` (the step ``name``, or the final query) in Spark SQL, preceded by the steps
    it reads that are not kept, and those they read, in their order."""
    needed: set[str] = set()
    todo = list(reads[name])
    while todo:
        step = todo.pop()
        if step not in kept and step not in needed:
            needed.add(step)
            todo += reads[step]
    query = body.copy()
    if needed:
        query.set("with_", exp.With(expressions=[ctes[n].copy() for n in ctes if n in needed]))
    return query.sql(dialect="spark")


def _point_at(table: exp.Table, view: str) -> None:
    """Make ``table`` read ``view``, under its old name where it had no alias (columns may
    be qualified by it)."""
    old = table.name
    table.set("this", exp.to_identifier(view))
    if not table.alias:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(old)))


def _does_work(query: exp.Expression) -> bool:
    """Whether a step does more than filter or reshape the rows of one relation."""
    if not isinstance(query, exp.Select) or query.args.get("joins") or query.args.get("group") \
            or query.args.get("distinct"):
        return True
    return any(query.find_all(exp.Window, exp.AggFunc, exp.Subquery, exp.Union)) \
        or any(inner is not query for inner in query.find_all(exp.Select))


def run_staged(spark, sql: str, params: dict[str, Any], prefix: str) -> list[tuple]:
    """Run a rule's query (``staged``) and bring back its rows: only findings and counts."""
    stages, final = staged(sql, prefix)
    kept = []
    try:
        for stage in stages:
            step = frame(spark, stage.sql, params, translated=True).localCheckpoint(eager=False)
            kept.append(step)
            step.createOrReplaceTempView(stage.view)
        return [tuple(row) for row in frame(spark, final, params, translated=True).collect()]
    finally:
        for stage in stages:
            spark.catalog.dropTempView(stage.view)
        for step in kept:
            _let_go(step)


def _let_go(checkpointed) -> None:
    """Free the blocks a kept step's rows occupy now, not when the driver's garbage
    collector next finds them (a province's log leaves gigabytes per rule). Spark Connect
    frees them itself when the frame is dropped; only a classic session is told."""
    plan = getattr(checkpointed, "_jdf", None)
    if plan is not None:
        plan.queryExecution().logical().rdd().unpersist(False)
