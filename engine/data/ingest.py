"""Event logs in, one DuckDB table ``events`` out: the table every engine reads.

Real logs come as CSV (often GBK from Excel), XLSX, JSON lines or Parquet, with the
offices' own column names, Chinese date forms, ragged rows and repeated rows. Ingest
turns them into the table docs/architecture.md fixes: ``case_id``, ``event_type``,
``timestamp`` (TIMESTAMP, Asia/Shanghai local), ``unit``, ``event_id``, ``_src``,
``_row``, then every other column as a VARCHAR attribute.

The work is set-wise inside DuckDB so that a city-year (10M+ events) loads in one scan
per file: CSV and JSON lines are split by DuckDB's reader (ragged rows caught by its
reject store), times are parsed in SQL, duplicates go in one window.
Python touches rows only where it must: XLSX cells (openpyxl) are fed to DuckDB in
batches, and a CSV that is not UTF-8 is transcoded from GB18030 in chunks first.

A row that cannot be used is never dropped silently. By default the load stops with a
``DataError`` that names every such row (``file: row N: what is wrong ('value')``,
rows numbered as a spreadsheet numbers them, lines for JSON lines); given a bad-rows
file, they are written there (file, row, reason, original values) and counted instead.
Values are trimmed of surrounding blanks, and a blank value is a missing one. Rows
whose every value is blank carry nothing and are skipped.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import DataError, SourceLocation
from ..model.rule import CANONICAL_COLUMNS
from .mapping import INTERNAL_PREFIX, RESERVED_COLUMNS, Mapping, load_mapping
from .sqltext import quote_ident, quote_string

__all__ = ["IngestResult", "ingest", "ingest_records", "timestamp_steps", "TIMESTAMP_FORMATS"]


@dataclass(frozen=True)
class IngestResult:
    """What a load produced: the files read, events kept, rows refused, copies dropped."""

    files: tuple[str, ...]
    events: int
    bad_rows: int
    duplicates: int
    attributes: tuple[str, ...]


class RecordLocation(SourceLocation):
    """A bad event in an inline list (a rule example): printed as ``name: event N``."""

    def __str__(self) -> str:
        return f"{self.path}: event {self.row}" if self.row is not None else self.path


# ---------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------

#: Built-in formats, tried (after the rewriting in ``timestamp_steps``) in this order.
#: DuckDB's %m, %d, %H, %M and %S accept one or two digits, so ``2019/4/25 9:32:09``
#: needs no format of its own.
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H", "%Y-%m-%d")

#: Blanks trimmed from every value: ASCII ones, the ideographic space, NBSP, stray BOMs.
BLANKS = " \t\r\n\f\v\u3000\u00a0\ufeff"
_FULLWIDTH = "０１２３４５６７８９：／－．"
_HALFWIDTH = "0123456789:/-."
#: Chinese date/time words and what they become: 年/月 separate the date, 日 ends it,
#: 时/点 and 分 separate the time, 秒 is dropped.
_CN_WORDS = (("年", "-"), ("月", "-"), ("日", " "), ("时", ":"), ("時", ":"), ("点", ":"),
             ("點", ":"), ("分", ":"), ("秒", ""))
_DATE_PREFIX = r"^\d{4}-\d{1,2}-\d{1,2}"
_LOCAL_FORM = _DATE_PREFIX + r"(?: \d{1,2}(?::\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?)?$"
_ZONED_FORM = (_DATE_PREFIX + r" \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)? ?"
               r"(?:[Zz]|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)$")


def _trimmed(expr: str) -> str:
    """SQL: the value with surrounding blanks removed, NULL when nothing is left.

    ``trim`` with a character list is slow, so it runs only where an end is blank.
    """
    blanks = quote_string(BLANKS)
    return (f"nullif(CASE WHEN contains({blanks}, {expr}[1]) OR contains({blanks}, {expr}[-1]) "
            f"THEN trim({expr}, {blanks}) ELSE {expr} END, '')")


def timestamp_steps(extra_formats: Sequence[str] = ()) -> list[str]:
    """SQL, step by step, turning the text of a time into a TIMESTAMP (NULL if unreadable).

    Each step is an expression over ``{x}``, the previous step's result (the first step's
    ``{x}`` is the trimmed text); the last step also uses ``{original}``, the trimmed text,
    for the ``extra_formats`` of a mapping. Callers give each step its own projection so
    that no step's expression is copied into the next. The steps spell every accepted form
    as ``YYYY-M-D[ H[:M[:S[.f]]]][zone]`` and then parse it: a time with a zone (``Z``,
    ``+08:00``, ``+0800``, ``+08``) is converted to Asia/Shanghai wall-clock time, one
    without is Asia/Shanghai already. Each rewrite runs only on values that need it.
    """
    formats = "[" + ", ".join(quote_string(f) for f in TIMESTAMP_FORMATS) + "]"
    chinese = (f"CASE WHEN regexp_matches({{x}}, {quote_string('[' + _FULLWIDTH + ']')}) THEN "
               f"translate({{x}}, {quote_string(_FULLWIDTH)}, {quote_string(_HALFWIDTH)}) "
               f"ELSE {{x}} END")
    for word, replacement in _CN_WORDS:
        chinese = f"replace({chinese}, {quote_string(word)}, {quote_string(replacement)})"
    user = (f"try_strptime({{original}}, [{', '.join(quote_string(f) for f in extra_formats)}]), "
            if extra_formats else "")
    return [
        # full-width digits and punctuation, Chinese date words (2021年9月30日 10时30分 gives
        # 2021-9-30 10:30); slashes separate the date. Only non-ASCII values pay for this.
        f"replace(CASE WHEN regexp_matches({{x}}, '[^ -~]') THEN rtrim(trim(replace({chinese}, "
        f"'  ', ' ')), ':') ELSE {{x}} END, '/', '-')",
        # ISO 8601 'T' between date and time
        "CASE WHEN regexp_matches({x}, '[Tt]') THEN regexp_replace({x}, '(\\d)[Tt](\\d)', "
        "'\\1 \\2') ELSE {x} END",
        # 2021.9.30
        "CASE WHEN regexp_matches({x}, '^\\d{4}\\.') THEN regexp_replace({x}, "
        "'^(\\d{4})\\.(\\d{1,2})\\.(\\d{1,2})', '\\1-\\2-\\3') ELSE {x} END",
        # runs of blanks, tabs
        "CASE WHEN regexp_matches({x}, '\\s\\s|[^\\S ]') THEN "
        "regexp_replace({x}, '\\s+', ' ', 'g') ELSE {x} END",
        # parse: the mapping's formats, then local forms, then zoned ones
        f"coalesce({user}"
        f"CASE WHEN regexp_matches({{x}}, {quote_string(_LOCAL_FORM)}) THEN "
        f"coalesce(try_cast({{x}} AS TIMESTAMP), try_strptime({{x}}, {formats})) END, "
        f"CASE WHEN regexp_matches({{x}}, {quote_string(_ZONED_FORM)}) THEN "
        f"timezone('Asia/Shanghai', try_cast(upper(regexp_replace({{x}}, "
        f"' ([Zz]|[+-][0-9:]+)$', '\\1')) AS TIMESTAMPTZ)) END)",
    ]


def _show(expr: str) -> str:
    """SQL: a value as it appears in a message, quoted and cut short."""
    flat = f"regexp_replace({expr}, '\\s+', ' ', 'g')"
    return (f"concat('(''', left({flat}, 60), CASE WHEN length({flat}) > 60 THEN '…' ELSE '' END,"
            f" ''')')")


# ---------------------------------------------------------------------------
# Reading files: each reader yields a _Source (SQL over the file, column by column)
# ---------------------------------------------------------------------------

@dataclass
class _Source:
    """One input, as SQL: the columns it has and how to read each as text."""

    index: int
    name: str
    columns: list[str]
    exprs: list[str]
    relation: str
    ordinal: str | None     # 1-based position among the records the reader returned;
                            # None: the reader's order itself (the rows table's rowid)
    header_rows: int        # rows before the first record (1 with a header, 0 for lines)
    pre: str = "NULL"       # a problem found while splitting the record
    raw: str = "NULL"       # the record's original text, where the reader has it
    rejects: str | None = None
    unnamed: set[int] = field(default_factory=set)
    blank_lines: list[int] | None = field(default_factory=list)   # None: not looked for
    physical_lines: int = 0     # the last line with content
    text_path: str | None = None
    delimiter: str = ","
    location_cls: type[SourceLocation] = SourceLocation
    sniffed: bool = False   # only the start was checked to be UTF-8 (see _prepare_text)
    base: str | None = None  # the table of its rows, when no record was skipped or renumbered


class _Workspace:
    """Temporary tables and files of one load, all removed when it ends."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tag = uuid.uuid4().hex[:10]
        self.objects: list[tuple[str, str]] = []     # (TABLE or VIEW, name)
        self.tmpdir: str | None = None

    def table(self, role: str, kind: str = "TABLE") -> str:
        name = f"{INTERNAL_PREFIX}{role}{len(self.objects)}_{self.tag}"
        self.objects.append((kind, name))
        return name

    def view(self, role: str) -> str:
        return self.table(role, "VIEW")

    def temp_file(self, suffix: str) -> str:
        if self.tmpdir is None:
            self.tmpdir = tempfile.mkdtemp(prefix="govcheck-ingest-")
        fd, path = tempfile.mkstemp(suffix=suffix, dir=self.tmpdir)
        os.close(fd)
        return path

    def close(self) -> None:
        for kind, name in reversed(self.objects):
            try:
                self.con.execute(f"DROP {kind} IF EXISTS {quote_ident(name)}")
            except duckdb.Error:
                pass
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


_CHUNK = 8 << 20


class _LineStats:
    """Counts lines and finds empty ones while bytes stream past (DuckDB skips them)."""

    def __init__(self) -> None:
        self.newlines = 0
        self.empty_lines: list[int] = []
        self.last_content_line = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        before = self.newlines - self._tail.count(b"\n")
        hits = []
        for pattern in (b"\n\n", b"\n\r\n"):
            pos = buf.find(pattern)
            while pos != -1:
                if pos + len(pattern) > len(self._tail):
                    hits.append(pos)
                pos = buf.find(pattern, pos + 1)
        counted, upto = before, 0
        for pos in sorted(hits):
            counted += buf.count(b"\n", upto, pos + 1)
            upto = pos + 1
            self.empty_lines.append(counted + 1)
        content = chunk.rstrip()
        if content:
            self.last_content_line = self.newlines + chunk.count(b"\n", 0, len(content)) + 1
        self.newlines += chunk.count(b"\n")
        self._tail = buf[-2:]

    def finish(self) -> tuple[list[int], int]:
        """Empty lines before the last line with content, and that line's number."""
        return [n for n in self.empty_lines if n < self.last_content_line], self.last_content_line


#: Bytes read to tell UTF-8 from GB18030 before DuckDB reads the whole file.
_SNIFF = 1 << 20


def _prepare_text(path: str, ws: _Workspace, whole: bool = True,
                  ) -> tuple[str, list[int] | None, int]:
    """Make sure DuckDB reads UTF-8: check the file, or transcode it to a temporary file.

    Returns the path to read, the numbers of empty lines, and the number of the last line
    with content. With ``whole=False`` only the start of the file is checked and the empty
    lines are not looked for (None): DuckDB's reader flags any later bytes that are
    not UTF-8 (see ``_NotUtf8``), and ``_blank_records`` looks for empty lines only when the
    counts show there are some.
    """
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _transcode(path, "utf-16", ws)
    if head.startswith(b"\x84\x31\x95\x33"):
        return _transcode(path, "gb18030", ws)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    if not whole:
        with open(path, "rb") as f:
            start = f.read(_SNIFF)
        try:
            decoder.decode(start, final=len(start) < _SNIFF)
        except UnicodeDecodeError:
            return _transcode(path, "gb18030", ws)
        return path, None, _last_content_line(path)
    stats = _LineStats()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
                stats.feed(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _transcode(path, "gb18030", ws)
    return (path, *stats.finish())


def _last_content_line(path: str) -> int:
    """The number of the file's last line with content (0 when it has none), counting
    newlines in C rather than looking at every line."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(_CHUNK), b""))
        trailing, end = 0, size          # newlines after the last byte of content
        while end > 0:
            f.seek(max(0, end - _CHUNK))
            chunk = f.read(end - max(0, end - _CHUNK))
            content = chunk.rstrip()
            trailing += chunk.count(b"\n", len(content))
            if content:
                return newlines - trailing + 1
            end -= len(chunk)
    return 0


def _scan_lines(path: str) -> tuple[list[int], int]:
    """Empty lines before the last line with content, and that line's number."""
    stats = _LineStats()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            stats.feed(chunk)
    return stats.finish()


def _transcode(path: str, encoding: str, ws: _Workspace) -> tuple[str, list[int], int]:
    target = ws.temp_file(".csv")
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    stats = _LineStats()
    offset = 0
    first = True
    with open(path, "rb") as src, open(target, "wb") as out:
        try:
            while True:
                chunk = src.read(_CHUNK)
                text = decoder.decode(chunk, final=not chunk)
                if first and text:
                    text, first = text.lstrip("\ufeff"), False
                data = text.encode("utf-8")
                out.write(data)
                stats.feed(data)
                if not chunk:
                    break
                offset += len(chunk)
        except UnicodeDecodeError as exc:
            raise DataError(f"cannot read the text: it is neither UTF-8 nor {encoding.upper()} "
                            f"(bad bytes near byte {offset + exc.start})",
                            SourceLocation(path)) from None
    return (target, *stats.finish())


def _header_names(raw: list[str], path: str, location_cls=SourceLocation) -> tuple[list[str], set[int]]:
    """Trimmed header names; blank ones become ``columnN``; a repeated name is refused."""
    names, unnamed, seen = [], set(), {}
    for i, value in enumerate(raw):
        name = (value or "").strip(BLANKS)
        if not name:
            name, _ = f"column{i + 1}", unnamed.add(i)
        lowered = name.lower()
        if lowered in CANONICAL_COLUMNS:
            name = lowered
        if lowered in seen:
            raise DataError(f"column {name!r} appears twice (columns {seen[lowered] + 1} and {i + 1})",
                            location_cls(path, row=1))
        seen[lowered] = i
        names.append(name)
    return names, unnamed


def _read_csv(con, ws: _Workspace, index: int, path: str, whole: bool = False) -> _Source:
    text_path, blank_lines, lines = _prepare_text(path, ws, whole)
    if lines == 0:
        raise DataError("empty file", SourceLocation(path))
    # (only the start was checked to be UTF-8: a bad byte further on is not the header's)
    with open(text_path, encoding="utf-8-sig", errors="replace", newline="") as f:
        first_line = f.readline()
        if not first_line.strip(BLANKS):
            if lines <= 1:
                raise DataError("empty file", SourceLocation(path))
            raise DataError("the first row is blank: it must hold the column names",
                            SourceLocation(path, row=1))
        delimiter = max(",\t;|", key=lambda d: (first_line.count(d), d == ","))
        f.seek(0)
        header = next(csv.reader(f, delimiter=delimiter))
    names, unnamed = _header_names(header, path)
    rejects = ws.table("rej")
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(len(names))) + "}"
    relation = (f"read_csv({quote_string(text_path)}, "
                f"header = true, columns = {columns}, delim = {quote_string(delimiter)}, "
                f"quote = '\"', "
                f"escape = '\"', auto_detect = false, null_padding = false, "
                f"store_rejects = true, rejects_table = {quote_string(rejects)}, "
                f"rejects_scan = {quote_string(ws.table('rejscan'))})")
    return _Source(index, path, names, [f"c{j}" for j in range(len(names))], relation,
                   None, 1, rejects=rejects, unnamed=unnamed,
                   blank_lines=blank_lines if len(names) > 1 else [],
                   physical_lines=lines, text_path=text_path, delimiter=delimiter,
                   sniffed=blank_lines is None)


def _read_jsonl(con, ws: _Workspace, index: int, path: str) -> _Source:
    text_path, _blank, lines_count = _prepare_text(path, ws)
    if lines_count == 0:
        raise DataError("empty file", SourceLocation(path))
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
    return _json_source(con, index, path, lines, rejects=rejects)


def _json_source(con, index: int, path: str, lines: str, rejects: str | None = None,
                 location_cls: type[SourceLocation] = SourceLocation) -> _Source:
    is_object = "CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END"
    # keys in order of first appearance: by the first line holding each, then within it
    keys = [k for (k,) in con.execute(f"""
        WITH firsts AS (SELECT key, min(__gc_ord) AS __gc_ord
                        FROM (SELECT __gc_ord, unnest(json_keys(line)) AS key
                              FROM {quote_ident(lines)} WHERE {is_object})
                        GROUP BY key)
        SELECT f.key FROM firsts f JOIN {quote_ident(lines)} USING (__gc_ord)
        ORDER BY f.__gc_ord, list_position(json_keys(line), f.key)""").fetchall()]
    names, _ = _header_names(keys, path, location_cls)
    spec = json.dumps({k: "VARCHAR" for k in keys}, ensure_ascii=False)
    transform = f"json_transform(line, {quote_string(spec)})" if keys else "NULL"
    relation = (f"(SELECT __gc_ord, line, CASE WHEN {is_object} THEN {transform} END AS __gc_j "
                f"FROM {quote_ident(lines)})")
    pre = (f"CASE WHEN {_trimmed('line')} IS NULL THEN NULL "
           f"WHEN NOT json_valid(line) THEN concat('not valid JSON ', {_show('line')}) "
           f"WHEN json_type(line) <> 'OBJECT' THEN "
           f"concat('not a {{field: value}} object ', {_show('line')}) END")
    exprs = [f"struct_extract(__gc_j, {quote_string(k)})" for k in keys]
    return _Source(index, path, names, exprs, relation, "__gc_ord", 0, pre=pre, raw="line",
                   rejects=rejects, location_cls=location_cls)


def _read_parquet(con, ws: _Workspace, index: int, path: str) -> _Source:
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({quote_string(path)})").fetchall()
    except duckdb.Error as exc:
        raise DataError(f"cannot read as Parquet: {_first_line(exc)}", SourceLocation(path)) from None
    raw_names = [row[0] for row in described]
    names, _ = _header_names(raw_names, path)
    relation = (f"(SELECT file_row_number AS __gc_frn, * FROM read_parquet({quote_string(path)}, "
                f"file_row_number = true))")
    return _Source(index, path, names, [f"CAST({quote_ident(n)} AS VARCHAR)" for n in raw_names],
                   relation, "__gc_frn + 1", 1)


def _cell_text(value: Any) -> str | None:
    """An XLSX cell as text; date cells in the form the timestamp parser reads."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        # Excel stores times as fractions of a day: round away float noise (…:19.999999).
        millis = round(value.microsecond / 1000)
        value = value.replace(microsecond=0) + dt.timedelta(milliseconds=millis)
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_XLSX_BATCH = 20_000


def _read_xlsx(con, ws: _Workspace, index: int, path: str) -> _Source:
    import openpyxl
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors alike
        raise DataError(f"cannot read as an XLSX workbook: {exc}", SourceLocation(path)) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(_cell_text(v) is None or not str(v).strip(BLANKS)
                                 for v in header):
            if header is None:
                raise DataError("empty file", SourceLocation(path))
            raise DataError("the first row is blank: it must hold the column names",
                            SourceLocation(path, row=1))
        header = list(header)
        while header and (header[-1] is None or not str(header[-1]).strip(BLANKS)):
            header.pop()
        names, unnamed = _header_names([_cell_text(v) or "" for v in header], path)
        width = len(names)
        staged = ws.table("xlsx")
        cols = ", ".join(f"c{j} VARCHAR" for j in range(width))
        con.execute(f"CREATE TEMP TABLE {quote_ident(staged)} ({cols}, __gc_row INTEGER, "
                    f"__gc_pre VARCHAR)")
        appender = con.appender(staged)
        batch: list[tuple] = []
        for number, cells in enumerate(rows, start=2):
            values = [_cell_text(v) for v in cells[:width]]
            values += [None] * (width - len(values))
            beyond = [t for t in (_cell_text(v) for v in cells[width:]) if t and t.strip(BLANKS)]
            problem = None
            if beyond:
                shown = ", ".join(beyond)[:60]
                problem = f"has values beyond the last named column ('{shown}')"
            batch.append((*values, number, problem))
            if len(batch) >= _XLSX_BATCH:
                appender.append_rows(batch)
                appender.flush()
                batch.clear()
        if batch:
            appender.append_rows(batch)
            appender.flush()
    finally:
        book.close()
    return _Source(index, path, names, [f"c{j}" for j in range(width)], quote_ident(staged),
                   "__gc_row - 1", 1, pre="__gc_pre", unnamed=unnamed)


_READERS = {
    ".csv": _read_csv, ".tsv": _read_csv,
    ".jsonl": _read_jsonl, ".ndjson": _read_jsonl,
    ".parquet": _read_parquet, ".pq": _read_parquet,
    ".xlsx": _read_xlsx, ".xlsm": _read_xlsx,
}


def _open_source(con, ws: _Workspace, index: int, path: str) -> _Source:
    p = Path(path)
    if not p.exists():
        raise DataError("file not found", SourceLocation(path))
    if p.is_dir():
        raise DataError("is a directory, not an event log", SourceLocation(path))
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise DataError(f"unknown log format {p.suffix or '(no extension)'!r}: use .csv, .xlsx, "
                        ".jsonl/.ndjson or .parquet", SourceLocation(path))
    if p.stat().st_size == 0:
        raise DataError("empty file", SourceLocation(path))
    try:
        return reader(con, ws, index, path)
    except duckdb.Error as exc:
        raise DataError(f"cannot read: {_first_line(exc)}", SourceLocation(path)) from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# ---------------------------------------------------------------------------
# Mapping a source onto canonical columns
# ---------------------------------------------------------------------------

@dataclass
class _Output:
    """One column of the events table: from a source column or a fixed value."""

    target: str
    source: int | None = None
    constant: str | None = None


@dataclass
class _EventPlan:
    event_type: _Output
    time_source: int
    outputs: list[_Output]
    index: int


@dataclass
class _Plan:
    shared: list[_Output]
    events: list[_EventPlan]
    wide: bool

    def used_sources(self) -> list[int]:
        used = {o.source for o in self.shared if o.source is not None}
        for e in self.events:
            used.add(e.time_source)
            if e.event_type.source is not None:
                used.add(e.event_type.source)
            used.update(o.source for o in e.outputs if o.source is not None)
        return sorted(used)


def _plan(source: _Source, mapping: Mapping | None) -> _Plan:
    names = source.columns
    where = SourceLocation(source.name)
    found = ", ".join(names) if names else "none"
    renames = mapping.columns if mapping else {}
    dropped = set(mapping.drop) if mapping else set()
    entries = mapping.events if mapping else ()
    per_event = {s for e in entries for s in e.columns} | {e.timestamp for e in entries}

    def add(outputs: list[_Output], out: _Output, taken: dict[str, str], origin: str) -> None:
        if out.target in RESERVED_COLUMNS or out.target.startswith(INTERNAL_PREFIX):
            raise DataError(f"{origin} would be named {out.target!r}, a name ingest keeps for "
                            "itself; rename it with a mapping file", where)
        key = out.target.lower()
        if key in taken:
            raise DataError(f"two columns would be named {out.target!r}: {taken[key]} and "
                            f"{origin}" + (f" (mapping {mapping.path})" if mapping else ""), where)
        taken[key] = origin
        outputs.append(out)

    shared: list[_Output] = []
    taken: dict[str, str] = {}
    for j, name in enumerate(names):
        if name in dropped or name in per_event:
            continue
        add(shared, _Output(renames.get(name, name), source=j), taken, f"column {name!r}")
    for target, value in (mapping.constants.items() if mapping else ()):
        add(shared, _Output(target, constant=value), taken, f"constant {target!r}")
    have = {o.target: o for o in shared}

    def missing(column: str) -> DataError:
        how = f" after applying mapping {mapping.path}" if mapping else ""
        return DataError(f"missing column {column!r}{how} (columns found: {found})", where)

    if "case_id" not in have:
        raise missing("case_id")
    if not entries:
        for column in ("event_type", "timestamp"):
            if column not in have:
                raise missing(column)
        time = have["timestamp"]
        shared = [o for o in shared if o.target not in ("event_type", "timestamp")]
        return _Plan(shared, [_EventPlan(have["event_type"], time.source, [], 0)], wide=False)

    for column in ("event_type", "timestamp", "event_id"):
        if column in have:
            raise DataError(f"column {column!r} has no place when the mapping's events make the "
                            f"events; drop or rename it in mapping {mapping.path}", where)
    events = []
    for entry in entries:
        if entry.timestamp not in names:
            raise DataError(f"missing column {entry.timestamp!r} named as the time of "
                            f"{entry.event_type} in mapping {mapping.path} (columns found: {found})",
                            where)
        own: list[_Output] = []
        own_taken = dict(taken)
        for src, target in entry.columns.items():
            if src in names:
                add(own, _Output(target, source=names.index(src)), own_taken, f"column {src!r}")
        for target, value in entry.constants.items():
            add(own, _Output(target, constant=value), own_taken, f"constant {target!r}")
        events.append(_EventPlan(_Output("event_type", constant=entry.event_type),
                                 names.index(entry.timestamp), own, entry.index))
    return _Plan(shared, events, wide=True)


def _check_mapping_names(mapping: Mapping, sources: list[_Source]) -> None:
    """A source column the mapping names must exist in at least one log (typos are errors)."""
    everywhere = {n for s in sources for n in s.columns}
    for name, key_path in mapping.source_columns().items():
        if name not in everywhere:
            found = "; ".join(f"{s.name}: {', '.join(s.columns) or 'none'}" for s in sources)
            raise DataError(f"column {name!r} is in none of the logs (columns found: {found})",
                            mapping.where(*key_path))


# ---------------------------------------------------------------------------
# Per-file rows: values cleaned, times parsed, problems named
# ---------------------------------------------------------------------------

def _label(target: str, source: _Source, j: int | None) -> str:
    if j is None or source.columns[j] == target:
        return target
    return f"{target} ({source.columns[j]})"


def _fast_timestamp(x: str) -> str:
    """SQL: the common ``YYYY-MM-DD HH:MM:SS`` read directly (NULL for any other form), so
    that only the other forms go through ``timestamp_steps``' rewrites. The fifth character
    must be the dash: DuckDB's ``%Y`` would also take a two-digit year."""
    return f"CASE WHEN {x}[5] = '-' THEN try_strptime({x}, '%Y-%m-%d %H:%M:%S') END"


def _build_rows(con, ws: _Workspace, source: _Source, plan: _Plan, formats: Sequence[str]) -> str:
    """One row per source record: cleaned values, parsed times, its problem.

    The records are materialized once, in the reader's order, blank ones included (flagged),
    so that a record's position is the table's rowid; a view numbers them and leaves the
    blank ones out. Returns the view's (or, after ``_account_for_skipped``, a table's) name.
    """
    base, rows = ws.table(f"base{source.index}"), ws.view(f"rows{source.index}")
    n = len(source.columns)
    raw_cols = ", ".join(f"{expr} AS __gc_r{j}" for j, expr in enumerate(source.exprs))
    clean_cols = ", ".join(f"{_trimmed(f'__gc_r{j}')} AS __gc_s{j}" for j in range(n))
    any_value = f"coalesce({', '.join(f'__gc_s{j}' for j in range(n))}) IS NOT NULL" if n else "false"
    steps = timestamp_steps(formats)
    fast = not formats      # a mapping's own formats come first, so no shortcut before them
    layers = []
    if fast:
        layers.append("fast AS (SELECT *, " + ", ".join(
            f"{_fast_timestamp(f'__gc_s{e.time_source}')} AS __gc_f{i}"
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
                      f"{quote_string(_label('case_id', source, case.source) + ' is blank')} END")
    if plan.wide:
        for i, e in enumerate(plan.events):
            label = _label("timestamp", source, e.time_source)
            checks.append(f"CASE WHEN __gc_s{e.time_source} IS NOT NULL AND __gc_t{i} IS NULL "
                          f"THEN concat({quote_string(label + ' not understood ')}, "
                          f"{_show(f'__gc_s{e.time_source}')}) END")
        times = sorted({e.time_source for e in plan.events})
        listed = ", ".join(source.columns[t] for t in times)
        no_time = f"no time in any of {listed}: the row gives no event"
        checks.append(f"CASE WHEN coalesce({', '.join(f'__gc_s{t}' for t in times)}, NULL) IS NULL "
                      f"THEN {quote_string(no_time)} END")
    else:
        e = plan.events[0]
        if e.event_type.source is not None:
            blank_type = _label("event_type", source, e.event_type.source) + " is blank"
            checks.append(f"CASE WHEN __gc_s{e.event_type.source} IS NULL THEN "
                          f"{quote_string(blank_type)} END")
        label = _label("timestamp", source, e.time_source)
        checks.append(f"CASE WHEN __gc_s{e.time_source} IS NULL THEN "
                      f"{quote_string(label + ' is blank')} "
                      f"WHEN __gc_t0 IS NULL THEN concat({quote_string(label + ' not understood ')}, "
                      f"{_show(f'__gc_s{e.time_source}')}) END")
    problem = (f"CASE WHEN __gc_pre IS NOT NULL THEN __gc_pre "
               f"ELSE nullif(concat_ws('; ', {', '.join(checks)}), '') END")
    original = ("CAST(json_object(" + ", ".join(f"{quote_string(name)}, __gc_r{j}"
                                               for j, name in enumerate(source.columns))
                + ") AS VARCHAR)" if n else "NULL")
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
        kept AS (SELECT *, NOT (__gc_pre IS NOT NULL OR {any_value}) AS __gc_blank FROM cleaned),
        {", ".join(layers)},
        judged AS (SELECT *, {problem} AS __gc_problem FROM step{len(steps) - 1})
        SELECT {"__gc_k, " if numbered else ""}__gc_blank, {kept}, __gc_problem,
               CASE WHEN __gc_problem IS NOT NULL THEN coalesce(CAST(__gc_raw AS VARCHAR), {original}) END
                   AS __gc_orig
        FROM judged""")
    position = "__gc_k" if numbered else "(rowid + 1)"
    con.execute(f"""
        CREATE TEMP VIEW {quote_ident(rows)} AS
        SELECT CAST({source.index} AS INTEGER) AS _src,
               CAST({position} + {source.header_rows} AS BIGINT) AS _row,
               CAST({position} AS BIGINT) AS __gc_k,
               * EXCLUDE (__gc_blank{", __gc_k" if numbered else ""})
        FROM {quote_ident(base)} WHERE NOT __gc_blank""")
    if source.rejects is not None:
        renumbered = _account_for_skipped(con, ws, source, rows)
        if renumbered != rows:
            return renumbered
    source.base = base
    return rows


_PLACEHOLDER = f"{INTERNAL_PREFIX}p_"


def _placeholder(target: str) -> str:
    return quote_ident(f"{_PLACEHOLDER}{target}")


def _row_outputs(plan: _Plan) -> dict[str, _Output]:
    """The events table's columns of a one-event-per-row plan, by name."""
    outs = {o.target: o for o in plan.shared}
    outs["event_type"] = plan.events[0].event_type
    return outs


def _kept_columns(plan: _Plan) -> list[str]:
    """What a rows table keeps of each record: the values used and the parsed times.

    With one event per row they come in the events table's order, with a placeholder
    wherever the events table has a column the file does not give (a missing column, a
    constant, ``_src`` and ``_row``): ``_adopt_rows`` can then make the table the events
    table by renaming columns, without a copy to put them in order.
    """
    items, placed = [], set()
    if not plan.wide:
        outs = _row_outputs(plan)
        order = ["case_id", "event_type", "timestamp", "unit", "event_id", "_src", "_row"]
        order += [o.target for o in plan.shared if o.target not in CANONICAL_COLUMNS]
        for target in order:
            out = outs.get(target)
            if target == "timestamp":
                items.append("__gc_t0")
            elif target in RESERVED_COLUMNS:
                items.append(f"CAST(NULL AS INTEGER) AS {_placeholder(target)}")
            elif out is not None and out.source is not None:
                items.append(f"__gc_s{out.source}")
                placed.add(out.source)
            else:
                value = quote_string(out.constant) if out is not None else "NULL"
                items.append(f"CAST({value} AS VARCHAR) AS {_placeholder(target)}")
    items += [f"__gc_s{j}" for j in plan.used_sources() if j not in placed]
    items += [f"__gc_t{i}" for i in range(len(plan.events)) if plan.wide or i > 0]
    return items


def _account_for_skipped(con, ws: _Workspace, source: _Source, rows: str) -> str:
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
        raise _NotUtf8()
    found = ("regexp_extract(error_message, 'Found: (\\d+)', 1)")
    expected = len(source.columns)
    reason = (
        "CASE error_type "
        f"WHEN 'MISSING COLUMNS' THEN concat('has ', {found}, CASE WHEN {found} = '1' THEN ' field' "
        f"ELSE ' fields' END, ', the header has {expected}') "
        f"WHEN 'TOO MANY COLUMNS' THEN 'has more fields than the header''s {expected}' "
        "WHEN 'UNQUOTED VALUE' THEN 'has a stray quote (\") in a field' "
        "WHEN 'LINE SIZE OVER MAXIMUM' THEN 'is longer than the longest row allowed' "
        "WHEN 'INVALID ENCODING' THEN 'is not valid UTF-8 text' "
        "ELSE lower(error_message) END")
    if header == 0:
        reason = ("CASE error_type WHEN 'LINE SIZE OVER MAXIMUM' THEN "
                  "'is longer than the longest line allowed' ELSE 'not valid JSON' END")
    skipped = ws.table("skipped")
    con.execute(f"""
        CREATE TEMP TABLE {quote_ident(skipped)} AS
        SELECT CAST(line AS BIGINT) - {header} AS record,
               {_trimmed('min(csv_line)')} IS NULL AS blank,
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
               concat(reason, ' ', {_show(f'trim(text, {quote_string(BLANKS)})')}), text
        FROM {quote_ident(skipped)} WHERE NOT blank""")
    return fixed


class _NotUtf8(Exception):
    """A file whose start is UTF-8 holds bytes further on that are not: read it again,
    checked whole (and transcoded from GB18030 if that is what it is)."""


def _blank_records(con, source: _Source, rows: str, skipped: str) -> list[int]:
    """Record numbers of the empty lines DuckDB skipped (CSV with two or more columns)."""
    if source.blank_lines == []:
        return []
    (set_aside,) = con.execute(f"SELECT count(*) FROM {quote_ident(skipped)}").fetchone()
    (returned,) = con.execute(f"SELECT coalesce(max(__gc_k), 0) "
                              f"FROM {quote_ident(rows)}").fetchone()
    if source.blank_lines is None:
        # not looked for yet: when every line after the header is a record, there are none
        every_line_a_record = source.physical_lines - source.header_rows == returned + set_aside
        source.blank_lines = [] if every_line_a_record else _scan_lines(source.text_path)[0]
    if not source.blank_lines:
        return []
    if source.physical_lines - source.header_rows == returned + set_aside + len(source.blank_lines):
        # No record spans lines, so a line number is a record number.
        return [line - source.header_rows for line in source.blank_lines]
    # Some quoted values hold line breaks: find the empty records with a real CSV parser.
    blanks, last_content = [], 0
    with open(source.text_path, encoding="utf-8-sig", newline="") as f:
        for number, record in enumerate(csv.reader(f, delimiter=source.delimiter)):
            if record:
                last_content = number
            else:
                blanks.append(number)
    return [b for b in blanks if b < last_content]


# ---------------------------------------------------------------------------
# Bad rows
# ---------------------------------------------------------------------------

_LISTED_BAD_ROWS = 20


def _bad_rows_query(rows_tables: list[str]) -> str:
    return " UNION ALL ".join(
        f"SELECT _src, _row, __gc_problem AS reason, __gc_orig AS original "
        f"FROM {quote_ident(t)} WHERE __gc_problem IS NOT NULL" for t in rows_tables)


def _raise_bad_rows(con, sources: list[_Source], query: str, total: int, hint: bool) -> None:
    listed = con.execute(f"SELECT _src, _row, reason FROM ({query}) ORDER BY _src, _row "
                         f"LIMIT {_LISTED_BAD_ROWS}").fetchall()
    lines = []
    for src, row, reason in listed:
        source = sources[src]
        lines.append(f"{source.location_cls(source.name, row=row)}: {reason}")
    first_src, first_row, first_reason = listed[0]
    first = sources[first_src]
    message = [first_reason] + lines[1:]
    if total > len(listed):
        message.append(f"… and {total - len(listed)} more")
    noun = "row" if first.location_cls is SourceLocation else "event"
    summary = f"{total} {noun}{'s' if total != 1 else ''} cannot be used; nothing was loaded"
    if hint:
        summary += " (correct the log, or pass --bad-rows FILE to set such rows aside and go on)"
    message.append(summary)
    raise DataError("\n".join(message), first.location_cls(first.name, row=first_row))


def _write_bad_rows(con, ws: _Workspace, files: tuple[str, ...], query: str, target: str) -> None:
    names = "[" + ", ".join(quote_string(f) for f in files) + "]"
    staged = ws.temp_file(".csv")
    con.execute(f"COPY (SELECT {names}[_src + 1] AS \"file\", _row AS \"row\", reason AS "
                f"\"reason\", original AS \"values\" FROM ({query}) ORDER BY _src, _row) "
                f"TO {quote_string(staged)} "
                f"(FORMAT csv, HEADER true)")
    try:
        with open(staged, "rb") as src, open(target, "wb") as out:
            out.write(codecs.BOM_UTF8)  # so that Excel shows the Chinese text
            shutil.copyfileobj(src, out, _CHUNK)
    except OSError as exc:
        raise DataError(f"cannot write the bad-rows file: {exc.strerror}",
                        SourceLocation(str(target))) from None


# ---------------------------------------------------------------------------
# The events table
# ---------------------------------------------------------------------------

def _drop_empty_unnamed(con, source: _Source, plan: _Plan, rows: str) -> None:
    """A column with no name in the header and no value anywhere is spreadsheet debris."""
    candidates = [o for o in plan.shared if o.source in source.unnamed]
    if not candidates:
        return
    counts = con.execute("SELECT " + ", ".join(f"count(__gc_s{o.source})" for o in candidates)
                         + f" FROM {quote_ident(rows)}").fetchone()
    empty = {id(o) for o, c in zip(candidates, counts) if c == 0}
    plan.shared[:] = [o for o in plan.shared if id(o) not in empty]


def _value_sql(out: _Output) -> str:
    return quote_string(out.constant) if out.source is None else f"__gc_s{out.source}"


def _events_query(sources: list[_Source], plans: list[_Plan], rows_tables: list[str],
                  attributes: list[str]) -> str:
    selects = []
    for source, plan, rows in zip(sources, plans, rows_tables):
        for i, event in enumerate(plan.events):
            outs = {o.target: _value_sql(o) for o in plan.shared}
            outs.update({o.target: _value_sql(o) for o in event.outputs})
            outs["event_type"] = _value_sql(event.event_type)
            cols = [f"{outs.get(c, 'NULL')} AS {quote_ident(c)}" for c in CANONICAL_COLUMNS
                    if c != "timestamp"]
            cols.append(f"__gc_t{i} AS \"timestamp\"")
            cols += [f"{outs[a]} AS {quote_ident(a)}" if a in outs else f"NULL AS {quote_ident(a)}"
                     for a in attributes]
            selects.append(f"SELECT {', '.join(cols)}, _src, _row, {event.index} AS __gc_e "
                           f"FROM {quote_ident(rows)} WHERE __gc_problem IS NULL "
                           f"AND __gc_t{i} IS NOT NULL")
    return " UNION ALL ".join(selects)


def _create_events(con, table: str, query: str, attributes: list[str]) -> tuple[int, int]:
    """Create the events table from the candidate events, one copy of each duplicate."""
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


def _adopt_rows(con, source: _Source, plan: _Plan, table: str) -> int | None:
    """One file, one event per row, no copies: make the file's rows table the events table
    by renaming its columns (``_kept_columns`` put them in order) instead of copying every
    row (the copy cost a city-year log 3.9 s of a 19 s load). Returns the events kept, or
    None when some events may be copies of others: ``_create_events`` then finds and drops
    them.
    """
    base = quote_ident(source.base)
    outs = _row_outputs(plan)
    value = {c: _value_sql(outs[c]) if c in outs else "NULL" for c in CANONICAL_COLUMNS}
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
    con.execute(f"UPDATE {base} SET {_placeholder('_src')} = {source.index}, "
                f"{_placeholder('_row')} = {position} + {source.header_rows}")
    con.execute(f"DELETE FROM {base} WHERE NOT ({usable})")
    renamed = {f"__gc_s{o.source}": o.target for o in outs.values() if o.source is not None}
    renamed["__gc_t0"] = "timestamp"
    for (column,) in con.execute(f"SELECT column_name FROM (DESCRIBE {base})").fetchall():
        if column in renamed:
            target = renamed[column]
        elif column.startswith(_PLACEHOLDER):
            target = column[len(_PLACEHOLDER):]
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


def _attribute_names(plans: list[_Plan]) -> list[str]:
    seen: dict[str, str] = {}
    for plan in plans:
        outs = list(plan.shared) + [o for e in plan.events for o in e.outputs]
        for out in outs:
            if out.target in CANONICAL_COLUMNS:
                continue
            key = out.target.lower()
            if key in seen and seen[key] != out.target:
                raise DataError(f"columns {seen[key]!r} and {out.target!r} differ only in case; "
                                "rename one with a mapping file")
            seen.setdefault(key, out.target)
    return list(seen.values())


def _load(con, sources: list[_Source], ws: _Workspace, files: tuple[str, ...],
          mapping: Mapping | None, bad_rows_path: str | Path | None, table: str,
          hint: bool) -> IngestResult:
    if mapping is not None:
        _check_mapping_names(mapping, sources)
    plans = [_plan(s, mapping) for s in sources]
    formats = mapping.timestamp_formats if mapping else ()
    if formats:
        _check_formats(con, mapping)
    rows_tables = []
    for i, (source, plan) in enumerate(zip(sources, plans)):
        try:
            try:
                rows_tables.append(_build_rows(con, ws, source, plan, formats))
            except _NotUtf8:
                sources[i] = source = _read_csv(con, ws, source.index, source.name, whole=True)
                if mapping is not None:
                    _check_mapping_names(mapping, sources)
                plans[i] = plan = _plan(source, mapping)
                rows_tables.append(_build_rows(con, ws, source, plan, formats))
        except duckdb.Error as exc:
            raise DataError(f"cannot read: {_first_line(exc)}", SourceLocation(source.name)) from None
        _drop_empty_unnamed(con, source, plan, rows_tables[-1])
    bad_query = _bad_rows_query(rows_tables)
    (bad,) = con.execute(f"SELECT count(*) FROM ({bad_query})").fetchone()
    if bad and bad_rows_path is None:
        _raise_bad_rows(con, sources, bad_query, bad, hint)
    if bad_rows_path is not None:
        _write_bad_rows(con, ws, files, bad_query, str(bad_rows_path))
    attributes = _attribute_names(plans)
    adopted = None
    if len(sources) == 1 and not plans[0].wide and sources[0].base is not None:
        adopted = _adopt_rows(con, sources[0], plans[0], table)
    if adopted is not None:
        kept, duplicates = adopted, 0
    else:
        kept, duplicates = _create_events(con, table, _events_query(sources, plans, rows_tables,
                                                                    attributes), attributes)
    return IngestResult(files, kept, bad, duplicates, tuple(attributes))


def _check_formats(con, mapping: Mapping) -> None:
    for i, fmt in enumerate(mapping.timestamp_formats):
        try:
            con.execute("SELECT try_strptime('2000-01-01', ?)", [fmt]).fetchall()
        except duckdb.Error as exc:
            raise DataError(f"bad timestamp format {fmt!r}: {_first_line(exc)}",
                            mapping.document.location(("timestamp_formats", i))
                            if mapping.document else SourceLocation(mapping.path)) from None


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def ingest(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path],
           mapping: str | Path | None = None, bad_rows_path: str | Path | None = None,
           table: str = "events") -> IngestResult:
    """Load event logs into ``table`` (replacing it), as docs/architecture.md describes.

    ``paths`` are read in order (``_src`` is the position), their columns united by name.
    ``mapping`` is a mapping file (see ``engine.mapping``). Without ``bad_rows_path`` any
    unusable row raises ``DataError`` listing them; with it they are written there and
    counted in ``IngestResult.bad_rows``. Raises ``DataError`` for a missing or empty file,
    a missing required column, or an unreadable file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = tuple(str(p) for p in paths)
    if not files:
        raise DataError("no event log given")
    loaded_mapping = load_mapping(mapping) if mapping is not None else None
    ws = _Workspace(con)
    try:
        sources = [_open_source(con, ws, i, f) for i, f in enumerate(files)]
        return _load(con, sources, ws, files, loaded_mapping, bad_rows_path, table, hint=True)
    finally:
        ws.close()


def _record_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def ingest_records(con: duckdb.DuckDBPyConnection, records: list[dict], name: str = "<example>",
                   table: str = "events") -> IngestResult:
    """Load a list of events given inline (a rule example's ``events``) into ``table``.

    The same parsing and checks as ``ingest``; a bad event raises ``DataError`` naming it
    as ``name: event N`` (N counts from 1).
    """
    ws = _Workspace(con)
    try:
        lines = ws.table("records")
        con.execute(f"CREATE TEMP TABLE {quote_ident(lines)} (__gc_ord BIGINT, line VARCHAR)")
        texts = [json.dumps(r, ensure_ascii=False, default=_record_json) for r in records]
        if texts:
            con.execute(f"INSERT INTO {quote_ident(lines)} SELECT generate_subscripts($1, 1), "
                        f"unnest($1)", [texts])
        source = _json_source(con, 0, name, lines, location_cls=RecordLocation)
        if not source.columns:
            # No events at all (or none with fields): an empty table is the right answer.
            source.columns, source.exprs = list(CANONICAL_COLUMNS[:3]), ["NULL"] * 3
        return _load(con, [source], ws, (name,), None, None, table, hint=False)
    finally:
        ws.close()
