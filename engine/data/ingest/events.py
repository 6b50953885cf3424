"""The ``events`` table: the events of every usable row, one copy of each duplicate.

The rows tables of all files are united by column name (a column one file lacks is
NULL), each row giving one event, or several for a wide export. Copies (the same
``event_id``, or without one the same values throughout) are looked for by hash first,
and dropped in one window only when there are some. With one file and one event per
row, the rows table itself is renamed into ``events`` rather than copied.
"""
from __future__ import annotations

from ...errors import DataError
from ...i18n import translate as _
from ...model.rule import CANONICAL_COLUMNS
from ..sqltext import quote_ident, quote_string
from .plan import Output, Plan, row_outputs
from .projection import FullLoadNeeded
from .rows import PLACEHOLDER, placeholder, value_names
from .sources import Source


def drop_empty_unnamed(con, source: Source, plan: Plan, rows: str) -> None:
    """A column with no name in the header and no value anywhere is spreadsheet debris."""
    candidates = [o for o in plan.shared if o.source in source.unnamed]
    if not candidates:
        return
    names = value_names(plan)
    counts = con.execute("SELECT " + ", ".join(f"count({names[o.source]})" for o in candidates)
                         + f" FROM {quote_ident(rows)}").fetchone()
    empty = {id(o) for o, c in zip(candidates, counts) if c == 0}
    plan.shared[:] = [o for o in plan.shared if id(o) not in empty]


def attribute_names(plans: list[Plan]) -> list[str]:
    """The attribute columns of ``events``, in order of first appearance across files;
    two names that differ only in case are refused (DuckDB's names ignore case)."""
    seen: dict[str, str] = {}
    for plan in plans:
        outs = list(plan.shared) + [o for e in plan.events for o in e.outputs]
        for out in outs:
            if out.target in CANONICAL_COLUMNS:
                continue
            key = out.target.lower()
            if key in seen and seen[key] != out.target:
                raise DataError(_("columns {first} and {second} differ only in case; rename one "
                                  "with a mapping file").format(first=repr(seen[key]),
                                                                second=repr(out.target)))
            seen.setdefault(key, out.target)
    return list(seen.values())


#: A wide export's steps whose time column is blank, with the row's other values: the
#: rules that open cases on such a step say so (a data-quality finding) instead of the case
#: dropping out of what was checked.
BLANK_TIMES = "blank_times"


def create_blank_times(con, sources: list[Source], plans: list[Plan], rows_tables: list[str],
                       attributes: list[str]) -> None:
    """``blank_times``: the columns of ``events`` (``timestamp`` NULL), one row per step of a
    usable wide row whose time is blank; empty for logs with one event per row."""
    query = events_query(sources, [p for p in plans], rows_tables, attributes, blank=True)
    body = query or ("SELECT " + ", ".join(f"CAST(NULL AS {'TIMESTAMP' if c == 'timestamp' else 'VARCHAR'}) "
                                           f"AS {quote_ident(c)}" for c in CANONICAL_COLUMNS)
                     + "".join(f", CAST(NULL AS VARCHAR) AS {quote_ident(a)}" for a in attributes)
                     + ", CAST(NULL AS INTEGER) AS _src, CAST(NULL AS INTEGER) AS _row, 0 AS __gc_e"
                     + " WHERE FALSE")
    con.execute(f"CREATE OR REPLACE TABLE {BLANK_TIMES} AS SELECT * EXCLUDE (__gc_e) FROM ({body})")


def events_query(sources: list[Source], plans: list[Plan], rows_tables: list[str],
                 attributes: list[str], blank: bool = False) -> str:
    """SQL: every event of every usable row of every file, in the columns of ``events``,
    with ``__gc_e`` (the event's place among the mapping's) to keep the first of copies.
    ``blank``: instead, the steps of wide rows whose time is blank (``timestamp`` NULL)."""
    selects = []
    for source, plan, rows in zip(sources, plans, rows_tables):
        if blank and not plan.wide:
            continue
        names = value_names(plan)
        for i, event in enumerate(plan.events):
            outs = {o.target: _value_sql(o, names) for o in plan.shared}
            outs.update({o.target: _value_sql(o, names) for o in event.outputs})
            outs["event_type"] = _value_sql(event.event_type, names)
            cols = [f"{outs.get(c, 'NULL')} AS {quote_ident(c)}" for c in CANONICAL_COLUMNS
                    if c != "timestamp"]
            cols.append(f"__gc_t{i} AS \"timestamp\"")
            cols += [f"{outs[a]} AS {quote_ident(a)}" if a in outs else f"NULL AS {quote_ident(a)}"
                     for a in attributes]
            selects.append(f"SELECT {', '.join(cols)}, _src, _row, {event.index} AS __gc_e "
                           f"FROM {quote_ident(rows)} WHERE __gc_problem IS NULL "
                           f"AND __gc_t{i} IS {'' if blank else 'NOT '}NULL")
    return " UNION ALL ".join(selects)


def create_events(con, table: str, query: str, attributes: list[str],
                  projected: bool = False) -> tuple[int, int]:
    """Create the events table from the candidate events, one copy of each duplicate.
    ``projected``: some attributes were left out, so that possible copies need a full load."""
    value_cols = [c for c in CANONICAL_COLUMNS if c != "event_id"] + attributes
    same_row = ", ".join(f"CASE WHEN event_id IS NULL THEN {quote_ident(c)} END" for c in value_cols)
    attr_defs = "".join(f", {quote_ident(a)} VARCHAR" for a in attributes)
    con.execute(f"""
        CREATE OR REPLACE TABLE {quote_ident(table)} (
            case_id VARCHAR NOT NULL, event_type VARCHAR NOT NULL,
            "timestamp" TIMESTAMP NOT NULL, unit VARCHAR, event_id VARCHAR,
            _src INTEGER, _row INTEGER{attr_defs})""")
    # Most logs have no copies: one hash per event finds out cheaply, and only then do the
    # events go through the exact (and costly) window over every column.
    maybe_copies, candidates = con.execute(f"""
        SELECT count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0)
        FROM (SELECT hash(event_id, {same_row}) AS h, count(*) AS n FROM ({query}) GROUP BY h)
        """).fetchone()
    if maybe_copies and projected:
        raise FullLoadNeeded()   # copies are judged on every value (``projection``)
    if maybe_copies:
        con.execute(f"""
            INSERT INTO {quote_ident(table)} BY NAME
            SELECT * EXCLUDE (__gc_e) FROM ({query})
            QUALIFY row_number() OVER (PARTITION BY event_id, {same_row}
                                       ORDER BY _src, _row, __gc_e) = 1""")
    else:
        con.execute(f"INSERT INTO {quote_ident(table)} BY NAME "
                    f"SELECT * EXCLUDE (__gc_e) FROM ({query})")
    (kept,) = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
    return kept, int(candidates) - kept


def adopt_rows(con, source: Source, plan: Plan, table: str) -> int | None:
    """One file, one event per row, no copies: make the file's rows table the events table
    by renaming a few of its columns (``rows.build_rows`` put them in order and named the
    values) instead of copying every row (the copy cost a city-year log 3.9 s of a 19 s
    load). Returns the events kept, or None when some events may be copies of others:
    ``create_events`` then finds and drops them.
    """
    base = quote_ident(source.base)
    outs = row_outputs(plan)
    names = value_names(plan)
    value = {c: _value_sql(outs[c], names) if c in outs else "NULL" for c in CANONICAL_COLUMNS}
    value["timestamp"] = "__gc_t0"
    usable = "NOT __gc_blank AND __gc_problem IS NULL AND __gc_t0 IS NOT NULL"
    # Copies share their event_id, or (without one) their case, type and time: when no two
    # events share that key there are none, found without hashing every column.
    key = ", ".join([value["event_id"]] + [f"CASE WHEN {value['event_id']} IS NULL THEN {value[c]} END"
                                           for c in ("case_id", "event_type", "timestamp")])
    (shared_keys,) = con.execute(f"SELECT count(*) FROM (SELECT hash({key}) AS h FROM {base} "
                                 f"WHERE {usable} GROUP BY h HAVING count(*) > 1)").fetchone()
    if shared_keys:
        return None
    position = "__gc_k" if source.ordinal is not None else "(rowid + 1)"
    # before any row is deleted: rowid is then the record's position
    con.execute(f"UPDATE {base} SET {placeholder('_src')} = {source.index}, "
                f"{placeholder('_row')} = {position} + {source.header_rows}")
    con.execute(f"DELETE FROM {base} WHERE NOT ({usable})")
    values = {o.target for o in outs.values() if o.source is not None}   # named already
    for (column,) in con.execute(f"SELECT column_name FROM (DESCRIBE {base})").fetchall():
        if column in values:
            continue
        if column == "__gc_t0":
            target = "timestamp"
        elif column.startswith(PLACEHOLDER):
            target = column[len(PLACEHOLDER):]
        else:   # a working column, or a value no output uses
            con.execute(f"ALTER TABLE {base} DROP COLUMN {quote_ident(column)}")
            continue
        con.execute(f"ALTER TABLE {base} RENAME COLUMN {quote_ident(column)} "
                    f"TO {quote_ident(target)}")
    for column in ("case_id", "event_type", "timestamp"):
        con.execute(f"ALTER TABLE {base} ALTER COLUMN {quote_ident(column)} SET NOT NULL")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
    con.execute(f"ALTER TABLE {base} RENAME TO {quote_ident(table)}")
    return con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]


def _value_sql(out: Output, names: dict[int, str]) -> str:
    """SQL: an output's value in a rows table: its cleaned column (``names``, from
    ``rows.value_names``), or its constant."""
    return quote_string(out.constant) if out.source is None else names[out.source]
