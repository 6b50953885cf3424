"""One reader per log format, each turning a file into a ``Source``.

CSV and TSV go through DuckDB's CSV reader (its reject store catches ragged rows); JSON
lines are read as lines of text and parsed by DuckDB's JSON functions, so that a bad line
is a bad row, not a failed load; Parquet is DuckDB's own; XLSX workbooks are read by
``workbooks``. ``open_source`` picks the reader by the file's extension, and a file its
reader cannot open at all is refused in our words (``unreadable``), never the library's.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ...errors import DataError, SourceLocation
from ...i18n import marked as N_, translate as _
from ...model.rule import CANONICAL_COLUMNS
from ..sqltext import message_sql, quote_ident, quote_string
from .sources import Source, Unreadable, Workspace, header_names
from .textfiles import csv_field_limit, prepare_text
from .values import BLANKS, shown, trimmed
from .workbooks import SheetChoice, read_xlsx


#: Characters of a CSV's first row read before it is refused as a header: no list of column
#: names is that long, and a file of one endless line must not be read whole to learn so.
HEADER_CHARS = 1 << 24


def open_source(con, ws: Workspace, index: int, path: str,
                choice: SheetChoice = SheetChoice()) -> Source:
    """The log at ``path``, read by the reader of its extension (a workbook's sheet as
    ``choice`` says); a file that is missing, empty, a folder or of an unknown format is
    refused by name."""
    p = Path(path)
    if not p.exists():
        raise DataError(_("file not found"), SourceLocation(path))
    if p.is_dir():
        raise DataError(_("is a directory, not an event log"), SourceLocation(path))
    if p.suffix.lower() not in _READERS:
        raise DataError(_("unknown log format {suffix}: use .csv, .xlsx, .jsonl/.ndjson or "
                          ".parquet").format(suffix=repr(p.suffix or _("(no extension)"))),
                        SourceLocation(path))
    if p.stat().st_size == 0:
        raise DataError(_("empty file"), SourceLocation(path))
    reader, _what = _READERS[p.suffix.lower()]
    try:
        if reader is read_xlsx:
            return read_xlsx(con, ws, index, path, choice)
        return reader(con, ws, index, path)
    except (duckdb.Error, Unreadable):
        raise unreadable(path) from None


def memory_estimate(paths: Sequence[str | Path]) -> int:
    """About the bytes the log at ``paths`` takes as a table in DuckDB's memory, from the
    files' sizes (``MEMORY_PER_FILE_BYTE``); a file that is not there counts nothing (the
    load refuses it by name)."""
    total = 0.0
    for path in paths:
        p = Path(path)
        try:
            size = p.stat().st_size if p.is_file() else 0
        except OSError:
            size = 0
        total += size * MEMORY_PER_FILE_BYTE.get(p.suffix.lower(), 1.0)
    return int(total)


def unreadable(path: str) -> DataError:
    """A file the reader of its format fails on as a whole, said in our words: the reader's
    own message names its internals, not what is wrong with the file."""
    _reader, what = _READERS.get(Path(path).suffix.lower(), (None, N_("an event log")))
    return DataError(_("cannot be read as {what}: the file is damaged or is not {what}")
                     .format(what=_(what)), SourceLocation(path))


def read_csv(con, ws: Workspace, index: int, path: str, whole: bool = False,
             one_line_end: bool = False) -> Source:
    """A CSV or TSV log: the delimiter guessed from the header line, the records split by
    DuckDB's reader, which sets malformed ones aside in its reject store. ``whole`` checks
    the encoding of the whole file, not only its start (the second read, after
    ``textfiles.NotUtf8``); ``one_line_end`` reads a copy whose line ends are all \\n (after
    DuckDB's reader stopped at a file with both \\r\\n and \\n)."""
    text_path, blank_lines, lines = prepare_text(path, ws, whole or one_line_end, one_line_end)
    if lines == 0:
        raise DataError(_("empty file"), SourceLocation(path))
    # (only the start was checked to be UTF-8: a bad byte further on is not the header's)
    with open(text_path, encoding="utf-8-sig", errors="replace", newline="") as f:
        header_line = f.readline(HEADER_CHARS + 1)
        if len(header_line) > HEADER_CHARS:
            raise DataError(_("the first row is longer than {count:,} characters: it cannot be "
                              "a header of column names").format(count=HEADER_CHARS),
                            SourceLocation(path, row=1))
        if not header_line.strip(BLANKS):
            if lines <= 1:
                raise DataError(_("empty file"), SourceLocation(path))
            raise DataError(_("the first row is blank: it must hold the column names"),
                            SourceLocation(path, row=1))
        delimiter = max(",\t;|", key=lambda d: (header_line.count(d), d == ","))
        f.seek(0)
        try:
            with csv_field_limit(HEADER_CHARS):
                header = next(csv.reader(f, delimiter=delimiter))
        except csv.Error:   # a quoted name running on past HEADER_CHARS
            raise DataError('the header cannot be split into columns: a quote (") in it '
                            'opens a column name that does not end', SourceLocation(path, row=1)
                            ) from None
    names, unnamed = header_names(header, path)
    rejects = ws.table("rej")
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(len(names))) + "}"
    relation = (f"read_csv({quote_string(text_path)}, "
                f"header = true, columns = {columns}, delim = {quote_string(delimiter)}, "
                f"quote = '\"', escape = '\"', auto_detect = false, null_padding = false, "
                f"store_rejects = true, rejects_table = {quote_string(rejects)}, "
                f"rejects_scan = {quote_string(ws.table('rejscan'))})")
    return Source(index, path, names, [f"c{j}" for j in range(len(names))], relation,
                  None, 1, rejects=rejects, unnamed=unnamed,
                  blank_lines=blank_lines if len(names) > 1 else [],
                  physical_lines=lines, text_path=text_path, delimiter=delimiter,
                  sniffed=blank_lines is None, one_line_end=one_line_end)


def json_source(con, index: int, path: str, lines: str, rejects: str | None = None,
                location_cls: type[SourceLocation] = SourceLocation) -> Source:
    """JSON lines already in the table ``lines`` (``__gc_ord``, ``line``), for a JSON lines
    log and for the inline events of ``ingest_records``: a column per key, in the order the
    keys first appear; a line that is not a JSON object, or whose keys do not name its
    fields once each (``key_problem``), is its row's problem."""
    is_object = "CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END"
    shapes = (f"SELECT ks, min(__gc_ord) AS first, {key_problem('ks')} AS problem "
              f"FROM (SELECT __gc_ord, json_keys(line) AS ks FROM {quote_ident(lines)} "
              f"WHERE {is_object}) GROUP BY ks")
    # The lines' lists of keys, each once (a log has a few dozen): the keys in order of
    # first appearance (by the first line holding each, then within it), and that line,
    # come from the lists without a problem.
    keys, firsts, flawed = con.execute(f"""
        WITH shapes AS MATERIALIZED ({shapes}),
        placed AS (SELECT unnest(ks) AS key, generate_subscripts(ks, 1) AS pos, first
                   FROM shapes WHERE problem IS NULL),
        ordered AS (SELECT key, min(first) AS first, arg_min(pos, first) AS pos
                    FROM placed GROUP BY key)
        SELECT (SELECT coalesce(list(key ORDER BY first, pos), []) FROM ordered),
               (SELECT coalesce(list(first ORDER BY first, pos), []) FROM ordered),
               (SELECT count(problem) > 0 FROM shapes)""").fetchone()
    names, _unnamed = header_names(keys, path, location_cls, rows=firsts)
    spec = json.dumps({k: "VARCHAR" for k in keys}, ensure_ascii=False)
    transform = f"json_transform(line, {quote_string(spec)})" if keys else "NULL"
    # Only a log with a flawed list joins each line to its problem, by its list of keys:
    # checking every line's list took 10 s a million lines. (The lists are materialized:
    # a filter on the problem, pushed below the grouping, was worked out for every line.)
    flaws = (f"WITH shapes AS MATERIALIZED ({shapes}) " if flawed else "")
    joined = (f"LEFT JOIN (SELECT ks, problem FROM shapes WHERE problem IS NOT NULL) f "
              f"ON f.ks = CASE WHEN {is_object} THEN json_keys(line) END" if flawed else "")
    relation = (f"({flaws}SELECT __gc_ord, line, CASE WHEN {is_object} THEN {transform} END "
                f"AS __gc_j{', f.problem AS __gc_keys' if flawed else ''} "
                f"FROM {quote_ident(lines)} {joined})")
    not_json = message_sql(_("not valid JSON {value}"), value=shown("line"))
    not_object = message_sql(_("not a {{field: value}} object {value}"), value=shown("line"))
    pre = (f"CASE WHEN {trimmed('line')} IS NULL THEN NULL "
           f"WHEN NOT json_valid(line) THEN {not_json} "
           f"WHEN json_type(line) <> 'OBJECT' THEN {not_object} "
           f"{'ELSE __gc_keys ' if flawed else ''}END")
    exprs = [f"struct_extract(__gc_j, {quote_string(k)})" for k in keys]
    return Source(index, path, names, exprs, relation, "__gc_ord", 0, pre=pre, raw="line",
                  rejects=rejects, location_cls=location_cls)


def key_problem(keys: str) -> str:
    """SQL: what is wrong with a JSON line's list of ``keys``, or NULL: a key that is blank
    (it names no field a rule can read), or two keys that name one field (the same key
    twice, or ``Case_ID`` and ``case_id``), of which DuckDB would read the first value and
    Python the last (``watch.input`` says the same of the same lines)."""
    canonical = ", ".join(quote_string(c) for c in CANONICAL_COLUMNS)
    key = trimmed("k")
    name = f"coalesce(CASE WHEN lower({key}) IN ({canonical}) THEN lower({key}) ELSE {key} END, '')"
    names = f"list_transform({keys}, lambda k: {name})"
    # the name whose second time comes first, by sorting (a search per key was quadratic:
    # 52 s for a line of 20,000 keys)
    ranked = f"list_sort(list_transform({names}, lambda n, i: {{'n': n, 'i': i}}))"
    neighbours = (f"list_zip(list_slice({ranked}, 1, len({keys}) - 1), "
                  f"list_slice({ranked}, 2, len({keys})))")
    again = f"list_filter({neighbours}, lambda p: p[1].n = p[2].n)"
    twice = f"list_sort(list_transform({again}, lambda p: {{'i': p[2].i, 'n': p[2].n}}))[1].n"
    apostrophe = quote_string("'")
    quoted = f"concat({apostrophe}, {twice}, {apostrophe})"
    blank = quote_string(_("a key is blank"))
    repeated = message_sql(_("key {key} appears twice"), key=quoted)
    return (f"CASE WHEN list_contains({names}, '') THEN {blank} "
            f"WHEN len({names}) <> len(list_distinct({names})) THEN {repeated} END")


def _read_jsonl(con, ws: Workspace, index: int, path: str) -> Source:
    try:
        return _jsonl_source(con, ws, index, path, one_line_end=False)
    except duckdb.InvalidInputException:
        # DuckDB's reader stops at a file whose lines end both in \r\n and in \n; a line
        # of JSON holds no raw line break, so a copy with one kind of line end reads alike
        return _jsonl_source(con, ws, index, path, one_line_end=True)


def _jsonl_source(con, ws: Workspace, index: int, path: str, one_line_end: bool) -> Source:
    text_path, _blank, lines_count = prepare_text(path, ws, one_line_end=one_line_end)
    if lines_count == 0:
        raise DataError(_("empty file"), SourceLocation(path))
    read, lines = ws.table("read"), ws.view("lines")
    rejects = ws.table("rej")
    # numbered by position (rowid): a row_number() window would cost more than the read
    con.execute(
        f"CREATE TEMP TABLE {quote_ident(read)} AS SELECT line "
        f"FROM read_csv({quote_string(text_path)}, header = false, "
        f"columns = {{'line': 'VARCHAR'}}, "
        f"delim = '\x1f\x1e', quote = '', escape = '', auto_detect = false, "
        f"store_rejects = true, rejects_table = {quote_string(rejects)}, "
        f"rejects_scan = {quote_string(ws.table('rejscan'))})")
    con.execute(f"CREATE TEMP VIEW {quote_ident(lines)} AS "
                f"SELECT rowid + 1 AS __gc_ord, line FROM {quote_ident(read)}")
    return json_source(con, index, path, lines, rejects=rejects)


def _read_parquet(con, ws: Workspace, index: int, path: str) -> Source:
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote_string(path)})").fetchall()
    raw_names = [row[0] for row in described]
    names, _unnamed = header_names(raw_names, path)
    relation = (f"(SELECT file_row_number AS __gc_frn, * FROM read_parquet({quote_string(path)}, "
                f"file_row_number = true))")
    return Source(index, path, names, [f"CAST({quote_ident(n)} AS VARCHAR)" for n in raw_names],
                  relation, "__gc_frn + 1", 1)


#: About how many bytes of DuckDB's memory a byte of each format's file becomes as a table,
#: measured on a generated log of 1M events and 71 columns, most of them blank: its CSV
#: (137 MB) is a table of 433 MB; the same rows are 16 MB of Parquet and 1.57 GB of JSON
#: lines; an XLSX workbook is 1.5× their CSV.
MEMORY_PER_FILE_BYTE = {".csv": 3.2, ".tsv": 3.2, ".jsonl": 0.3, ".ndjson": 0.3,
                        ".parquet": 27.0, ".pq": 27.0, ".xlsx": 2.2, ".xlsm": 2.2}

#: The reader of each extension, and what a file of it is called in messages.
_READERS = {
    ".csv": (read_csv, N_("CSV")), ".tsv": (read_csv, N_("CSV")),
    ".jsonl": (_read_jsonl, N_("JSON lines")), ".ndjson": (_read_jsonl, N_("JSON lines")),
    ".parquet": (_read_parquet, N_("Parquet")), ".pq": (_read_parquet, N_("Parquet")),
    ".xlsx": (read_xlsx, N_("an XLSX workbook")), ".xlsm": (read_xlsx, N_("an XLSX workbook")),
}
