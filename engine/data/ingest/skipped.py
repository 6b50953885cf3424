"""Records the reader did not return: rows renumbered past them, rejected ones listed.

DuckDB's CSV reader (which also splits JSON lines) sets malformed records aside in its
reject store and skips empty lines, and the records it returns are numbered by position.
For ``_row`` and the messages to give the row a spreadsheet shows, each row moves down by
the records set aside before it, and the rejected records become bad rows, DuckDB's
reason put in plain words.
"""
from __future__ import annotations

import csv
import os

from ...i18n import translate as _
from ..sqltext import message_sql, quote_ident, quote_string
from .sources import Source, Workspace
from .textfiles import NotUtf8, csv_field_limit, scan_lines
from .values import BLANKS, shown, trimmed


def account_for_skipped(con, ws: Workspace, source: Source, rows: str) -> str:
    """Number rows past the records DuckDB did not return, and list rejected ones as bad.

    DuckDB's CSV reader sets aside malformed records (in its reject store, with their
    line) and skips empty lines; the rows it returns are numbered by position, so each
    must be moved down by the records set aside before it. Returns the rows to use:
    ``rows`` itself, or a renumbered copy with the rejected records added.
    """
    rej = quote_ident(source.rejects)
    header = source.header_rows
    if source.sniffed and con.execute(f"SELECT count(*) FROM {rej} "
                                      "WHERE error_type = 'INVALID ENCODING'").fetchone()[0]:
        raise NotUtf8()
    found = ("regexp_extract(error_message, 'Found: (\\d+)', 1)")
    expected = quote_string(str(len(source.columns)))
    one_field = message_sql(_("has {found} field, the header has {expected}"), found=found,
                            expected=expected)
    fields = message_sql(_("has {found} fields, the header has {expected}"), found=found,
                         expected=expected)
    too_many = message_sql(_("has more fields than the header's {expected}"), expected=expected)
    stray_quote = quote_string(_('has a stray quote (") in a field'))
    too_long = quote_string(_("is longer than the longest row allowed"))
    not_utf8 = quote_string(_("is not valid UTF-8 text"))
    reason = (
        "CASE error_type "
        f"WHEN 'MISSING COLUMNS' THEN CASE WHEN {found} = '1' THEN {one_field} ELSE {fields} END "
        f"WHEN 'TOO MANY COLUMNS' THEN {too_many} "
        f"WHEN 'UNQUOTED VALUE' THEN {stray_quote} "
        f"WHEN 'LINE SIZE OVER MAXIMUM' THEN {too_long} "
        f"WHEN 'INVALID ENCODING' THEN {not_utf8} "
        "ELSE lower(error_message) END")
    if header == 0:
        line_too_long = quote_string(_("is longer than the longest line allowed"))
        not_json = quote_string(_("not valid JSON"))
        reason = (f"CASE error_type WHEN 'LINE SIZE OVER MAXIMUM' THEN {line_too_long} "
                  f"ELSE {not_json} END")
    skipped = ws.table("skipped")
    con.execute(f"""
        CREATE TEMP TABLE {quote_ident(skipped)} AS
        SELECT CAST(line AS BIGINT) - {header} AS record,
               {trimmed('min(csv_line)')} IS NULL AS blank,
               min({reason}) AS reason, min(csv_line) AS text
        FROM {rej} GROUP BY line""")
    blank_records = _blank_records(con, source, rows, skipped)
    if blank_records:
        con.execute(f"INSERT INTO {quote_ident(skipped)} (record, blank) "
                    f"SELECT unnest($1::BIGINT[]), true", [blank_records])
    (count,) = con.execute(f"SELECT count(*) FROM {quote_ident(skipped)}").fetchone()
    if not count:
        return rows
    fixed = ws.table(f"renumbered{source.index}")
    con.execute(f"""
        CREATE TEMP TABLE {quote_ident(fixed)} AS
        WITH ranked AS (SELECT record - row_number() OVER (ORDER BY record) AS before,
                               row_number() OVER (ORDER BY record) AS n
                        FROM {quote_ident(skipped)}),
             steps AS (SELECT before, max(n) AS n FROM ranked GROUP BY before)
        SELECT r.* REPLACE (r.__gc_k + coalesce(steps.n, 0) + {header} AS _row)
        FROM {quote_ident(rows)} r ASOF LEFT JOIN steps ON r.__gc_k > steps.before
        ORDER BY r.__gc_k""")
    con.execute(f"""
        INSERT INTO {quote_ident(fixed)} (_src, _row, __gc_problem, __gc_orig)
        SELECT {source.index}, record + {header},
               concat(reason, ' ', {shown(f'trim(text, {quote_string(BLANKS)})')}), text
        FROM {quote_ident(skipped)} WHERE NOT blank""")
    return fixed


def _blank_records(con, source: Source, rows: str, skipped: str) -> list[int]:
    """Record numbers of the empty lines DuckDB skipped (CSV with two or more columns)."""
    if source.blank_lines == []:
        return []
    (set_aside,) = con.execute(f"SELECT count(*) FROM {quote_ident(skipped)}").fetchone()
    (returned,) = con.execute(f"SELECT coalesce(max(__gc_k), 0) "
                              f"FROM {quote_ident(rows)}").fetchone()
    if source.blank_lines is None:
        # not looked for yet: when every line after the header is a record, there are none
        every_line_a_record = source.physical_lines - source.header_rows == returned + set_aside
        source.blank_lines = [] if every_line_a_record else scan_lines(source.text_path)[0]
    if not source.blank_lines:
        return []
    if source.physical_lines - source.header_rows == returned + set_aside + len(source.blank_lines):
        # No record spans lines, so a line number is a record number.
        return [line - source.header_rows for line in source.blank_lines]
    # Some quoted values hold line breaks: find the empty records with a real CSV parser.
    blanks, last_content = [], 0
    with (open(source.text_path, encoding="utf-8-sig", newline="") as f,
          csv_field_limit(os.path.getsize(source.text_path))):   # no value is longer
        for number, record in enumerate(csv.reader(f, delimiter=source.delimiter)):
            if record:
                last_content = number
            else:
                blanks.append(number)
    return [b for b in blanks if b < last_content]
