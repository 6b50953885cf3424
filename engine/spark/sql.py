"""The compiled plans in Spark SQL: sqlglot translates the DuckDB spelling, parameters
are bound by name.

``batch.compile`` renders every kind's template for Spark with Spark's own
``sql/spark/_dialect.sql.j2`` (calendar lookups, period labels, JSON lists); the rest of
the text is written as for DuckDB, and sqlglot writes it in Spark's spelling
(``TRY_CAST``, ``$p0`` → ``:p0``, ``QUALIFY`` as a subquery…). What sqlglot leaves for
Spark to refuse is mended here on the parsed tree.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)\b")


def _mend(node: exp.Expression) -> exp.Expression:
    """``greatest(x)`` (a sequence of one step) is ``x``: Spark wants two arguments."""
    if isinstance(node, exp.Greatest) and not node.expressions:
        return node.this
    return node


def parsed(sql: str) -> exp.Expression:
    """DuckDB-spelled SQL (as ``batch.compile`` writes it) as sqlglot's tree, mended."""
    return sqlglot.parse_one(sql, read="duckdb").transform(_mend)


@lru_cache(maxsize=512)
def to_spark(sql: str) -> str:
    """DuckDB-spelled SQL in Spark SQL's spelling."""
    return parsed(sql).sql(dialect="spark")


def run(spark, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run DuckDB-spelled ``sql`` on Spark, binding only the parameters it names (Spark
    refuses others), and bring back its rows as tuples: only findings and counts, never
    the log."""
    return [tuple(row) for row in frame(spark, sql, params).collect()]


def frame(spark, sql: str, params: dict[str, Any], translated: bool = False):
    """DuckDB-spelled ``sql`` (``translated``: already in Spark's spelling) as a Spark
    DataFrame, not yet run (parameters as ``run``)."""
    text = sql if translated else to_spark(sql)
    used = set(_PARAM.findall(text))
    return spark.sql(text, args={k: v for k, v in params.items() if k in used})
