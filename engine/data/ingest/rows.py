"""Each file's rows table: values trimmed, times parsed, each row's problem named.

One statement per file materializes the records in the reader's order, blank ones
flagged (a record's position is then the table's rowid, with no numbering window), and
judges each row: a blank case, type or time, a time not understood, a problem the reader
found. With one event per row the table's columns come in the order of ``events``, so
that ``events.adopt_rows`` can turn it into the events table by renaming.
"""
from __future__ import annotations

from collections.abc import Sequence

from ...i18n import translate as _
from ...model.rule import CANONICAL_COLUMNS
from ..mapping import INTERNAL_PREFIX, RESERVED_COLUMNS
from ..sqltext import message_sql, quote_ident, quote_string
from .plan import Plan, row_outputs
from .projection import FullLoadNeeded
from .skipped import account_for_skipped
from .sources import Source, Workspace
from .timestamps import fast_timestamp, timestamp_steps
from .values import canonical, shown, trimmed

#: Names a column that holds the place of a column of ``events`` the file does not give
#: (see ``_kept_columns``); ``events.adopt_rows`` renames it to that column.
PLACEHOLDER = f"{INTERNAL_PREFIX}p_"


def build_rows(con, ws: Workspace, source: Source, plan: Plan, formats: Sequence[str]) -> str:
    """One row per source record: cleaned values, parsed times, its problem.

    The records are materialized once, in the reader's order, blank ones included (flagged),
    so that a record's position is the table's rowid; a view numbers them and leaves the
    blank ones out. Returns the view's name (or, after ``skipped.account_for_skipped``, a
    table's).
    """
    base, rows = ws.table(f"base{source.index}"), ws.view(f"rows{source.index}")
    n = len(source.columns)
    raw_cols = ", ".join(f"{expr} AS __gc_r{j}" for j, expr in enumerate(source.exprs))
    clean_cols = ", ".join(f"{trimmed(f'__gc_r{j}')} AS __gc_s{j}" for j in range(n))
    # a projected load sees only the values it keeps: a row blank in all of them may hold
    # something elsewhere (a bad row, not a blank one), and is settled by a full load
    looked_at = plan.used_sources() if source.projected else range(n)
    any_value = (f"coalesce({', '.join(f'__gc_s{j}' for j in looked_at)}) IS NOT NULL"
                 if n else "false")
    steps = timestamp_steps(formats)
    fast = not formats      # a mapping's own formats come first, so no shortcut before them
    layers = []
    if fast:
        layers.append("fast AS (SELECT *, " + ", ".join(
            f"{fast_timestamp(f'__gc_s{e.time_source}')} AS __gc_f{i}"
            for i, e in enumerate(plan.events)) + " FROM kept)")
    for k, step in enumerate(steps):
        cols = []
        for i, e in enumerate(plan.events):
            x = f"__gc_s{e.time_source}" if k == 0 else f"__gc_n{i}_{k - 1}"
            if k == 0 and fast:
                x = f"(CASE WHEN __gc_f{i} IS NULL THEN {x} END)"
            name = f"__gc_t{i}" if k == len(steps) - 1 else f"__gc_n{i}_{k}"
            sql = step.replace("{x}", x).replace("{original}", f"__gc_s{e.time_source}")
            if k == len(steps) - 1 and fast:
                sql = f"coalesce(__gc_f{i}, {sql})"
            cols.append(f"{sql} AS {name}")
        previous = ("fast" if fast else "kept") if k == 0 else f"step{k - 1}"
        layers.append(f"step{k} AS (SELECT *, {', '.join(cols)} FROM {previous})")
    checks = []
    case = next(o for o in plan.shared if o.target == "case_id")
    if case.source is not None:
        checks.append(f"CASE WHEN __gc_s{case.source} IS NULL THEN "
                      f"{_blank(_label('case_id', source, case.source))} END")
    if plan.wide:
        for i, e in enumerate(plan.events):
            label = _label("timestamp", source, e.time_source)
            checks.append(f"CASE WHEN __gc_s{e.time_source} IS NOT NULL AND __gc_t{i} IS NULL "
                          f"THEN {_not_understood(label, f'__gc_s{e.time_source}')} END")
        times = sorted({e.time_source for e in plan.events})
        listed = ", ".join(source.columns[t] for t in times)
        no_time = _("no time in any of {columns}: the row gives no event").format(columns=listed)
        checks.append(f"CASE WHEN coalesce({', '.join(f'__gc_s{t}' for t in times)}, NULL) IS NULL "
                      f"THEN {quote_string(no_time)} END")
    else:
        e = plan.events[0]
        if e.event_type.source is not None:
            checks.append(f"CASE WHEN __gc_s{e.event_type.source} IS NULL THEN "
                          f"{_blank(_label('event_type', source, e.event_type.source))} END")
        label = _label("timestamp", source, e.time_source)
        checks.append(f"CASE WHEN __gc_s{e.time_source} IS NULL THEN {_blank(label)} "
                      f"WHEN __gc_t0 IS NULL THEN {_not_understood(label, f'__gc_s{e.time_source}')} "
                      "END")
    problem = (f"CASE WHEN __gc_pre IS NOT NULL THEN __gc_pre "
               f"ELSE nullif(concat_ws('; ', {', '.join(checks)}), '') END")
    # a row's original values, for the bad-rows file: a projected load leaves them out
    # (reading every column for them cost a city-year a third of its load) and is redone
    # in full when it has bad rows to write (``projection``)
    original = ("CAST(json_object(" + ", ".join(f"{quote_string(name)}, __gc_r{j}"
                                               for j, name in enumerate(source.columns))
                + ") AS VARCHAR)" if n and not source.projected else "NULL")
    kept = ", ".join(_kept_columns(plan))
    numbered = source.ordinal is not None
    # not TEMP: on the one-file path this very table becomes the events table
    con.execute(f"""
        CREATE TABLE {quote_ident(base)} AS
        WITH source_rows AS (
            SELECT {f"{source.ordinal} AS __gc_k, " if numbered else ""}{source.pre} AS __gc_pre,
                   {source.raw} AS __gc_raw {',' if n else ''} {raw_cols}
            FROM {source.relation}),
        cleaned AS (SELECT *{',' if n else ''} {clean_cols} FROM source_rows),
        mapped AS ({_mapped(plan)}),
        kept AS (SELECT *, NOT (__gc_pre IS NOT NULL OR {any_value}) AS __gc_blank FROM mapped),
        {", ".join(layers)},
        judged AS (SELECT *, {problem} AS __gc_problem FROM step{len(steps) - 1})
        SELECT {"__gc_k, " if numbered else ""}__gc_blank, {kept}, __gc_problem,
               CASE WHEN __gc_problem IS NOT NULL THEN coalesce(CAST(__gc_raw AS VARCHAR), {original}) END
                   AS __gc_orig
        FROM judged""")
    if source.projected and con.execute(f"SELECT count(*) FROM {quote_ident(base)} "
                                        f"WHERE __gc_blank").fetchone()[0]:
        raise FullLoadNeeded()
    position = "__gc_k" if numbered else "(rowid + 1)"
    con.execute(f"""
        CREATE TEMP VIEW {quote_ident(rows)} AS
        SELECT CAST({source.index} AS INTEGER) AS _src,
               CAST({position} + {source.header_rows} AS BIGINT) AS _row,
               CAST({position} AS BIGINT) AS __gc_k,
               * EXCLUDE (__gc_blank{", __gc_k" if numbered else ""})
        FROM {quote_ident(base)} WHERE NOT __gc_blank""")
    if source.rejects is not None:
        renumbered = account_for_skipped(con, ws, source, rows)
        if renumbered != rows:
            return renumbered
    source.base = base
    return rows


def _mapped(plan: Plan) -> str:
    """SQL: the cleaned rows, with the values the mapping maps (``values``) replaced, before
    anything reads them: checks, duplicates and rules see only the values they stand for."""
    if not plan.value_maps:
        return "SELECT * FROM cleaned"
    replaced = ", ".join(f"{canonical(f'__gc_s{j}', aliases)} AS __gc_s{j}"
                         for j, aliases in sorted(plan.value_maps.items()))
    return f"SELECT * REPLACE ({replaced}) FROM cleaned"


def placeholder(target: str) -> str:
    """The quoted name of the column that holds the place of ``target``."""
    return quote_ident(f"{PLACEHOLDER}{target}")


def _blank(label: str) -> str:
    """SQL: the problem of a row whose column ``label`` is blank."""
    return quote_string(_("{column} is blank").format(column=label))


def _not_understood(label: str, value: str) -> str:
    """SQL: the problem of a row whose time in column ``label`` (SQL ``value``) is not one."""
    return message_sql(_("{column} not understood {value}"), column=quote_string(label),
                       value=shown(value))


def _label(target: str, source: Source, j: int | None) -> str:
    """A column as a message names it: with the log's own name when a mapping renamed it."""
    if j is None or source.columns[j] == target:
        return target
    return f"{target} ({source.columns[j]})"


def value_names(plan: Plan) -> dict[int, str]:
    """The name, in a rows table, of the cleaned value of each source column used.

    With one event per row a value is named after the column of ``events`` it fills, so
    that ``events.adopt_rows`` renames only the few placeholders: one ``ALTER TABLE`` per
    column costs time in proportion to the columns, so renaming every column made a
    1,000-column load quadratic. In a wide export one column may fill several events'
    columns, and values keep their working names ``__gc_sN``.
    """
    named = {} if plan.wide else {o.source: quote_ident(o.target) for o in
                                  row_outputs(plan).values() if o.source is not None}
    return {j: named.get(j, f"__gc_s{j}") for j in plan.used_sources()}


def _kept_columns(plan: Plan) -> list[str]:
    """What a rows table keeps of each record: the values used (``value_names``) and the
    parsed times.

    With one event per row they come in the events table's order, with a placeholder
    wherever the events table has a column the file does not give (a missing column, a
    constant, ``_src`` and ``_row``): ``events.adopt_rows`` can then make the table the
    events table by renaming those few columns, without a copy to put them in order.
    """
    items, placed = [], set()
    names = value_names(plan)
    if not plan.wide:
        outs = row_outputs(plan)
        order = ["case_id", "event_type", "timestamp", "unit", "event_id", "_src", "_row"]
        order += [o.target for o in plan.shared if o.target not in CANONICAL_COLUMNS]
        for target in order:
            out = outs.get(target)
            if target == "timestamp":
                items.append("__gc_t0")
            elif target in RESERVED_COLUMNS:
                items.append(f"CAST(NULL AS INTEGER) AS {placeholder(target)}")
            elif out is not None and out.source is not None:
                items.append(f"__gc_s{out.source} AS {names[out.source]}")
                placed.add(out.source)
            else:
                value = quote_string(out.constant) if out is not None else "NULL"
                items.append(f"CAST({value} AS VARCHAR) AS {placeholder(target)}")
    items += [f"__gc_s{j} AS {names[j]}" for j in plan.used_sources() if j not in placed]
    items += [f"__gc_t{i}" for i in range(len(plan.events)) if plan.wide or i > 0]
    return items
