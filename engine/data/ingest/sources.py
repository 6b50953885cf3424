"""What every reader hands on, and where the temporary tables of a load live.

A reader turns one file into a ``Source``: SQL over the file with, for each column, an
expression that reads it as text, and what the later steps need to number its rows and
name their problems. The tables and files a load creates belong to its ``Workspace``,
which removes them all when the load ends, whether it succeeded or not.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field

import duckdb

from ...errors import DataError, SourceLocation
from ...i18n import translate as _
from ...model.rule import CANONICAL_COLUMNS
from ..mapping import INTERNAL_PREFIX
from ..sqltext import quote_ident, quote_string
from .limits import MAX_COLUMNS
from .values import BLANKS


@dataclass
class Source:
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
    sniffed: bool = False   # only the start was checked to be UTF-8 (textfiles.prepare_text)
    one_line_end: bool = False  # read from a copy whose line ends are all \n
    base: str | None = None  # the table of its rows, when no record was skipped or renumbered
    sheet: str | None = None    # the sheet read, of a workbook
    sheets: tuple[str, ...] = ()  # every sheet of that workbook
    header_row: int = 1     # the row of the column names
    projected: bool = False  # attributes no rule reads were left out (``projection``)

    def columns_found(self) -> str:
        """The columns the file has, for a message: with the sheet and row of a workbook's."""
        found = ", ".join(self.columns) or _("none")
        if self.sheet is None:
            return _("columns found: {names}").format(names=found)
        return _("columns found in sheet {sheet}, row {row}: {names}; sheets: {sheets}").format(
            sheet=repr(self.sheet), row=self.header_row, names=found,
            sheets=", ".join(self.sheets))


class Unreadable(Exception):
    """A file its format's library cannot open (the library's words stay inside)."""


class Workspace:
    """Temporary tables and files of one load, all removed when it ends, and the settings
    the load runs with, restored when it ends.

    DuckDB's common-subexpression pass compares the expressions of a projection pairwise
    when they are alike (every value of a log is cleaned by the same ``CASE``): a log's
    rows statement, one such expression per column, then took time in the square of the
    columns (4,000 columns: 10.5 s of processor time to load with the pass, 5.6 s
    without). A load's statements repeat no costly expression (``values.trimmed`` is
    written not to), so the pass is off while it runs, and back on for the rules.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tag = uuid.uuid4().hex[:10]
        self.objects: list[tuple[str, str]] = []     # (TABLE or VIEW, name)
        self.tmpdir: str | None = None
        (self._optimizers,) = con.execute(
            "SELECT current_setting('disabled_optimizers')").fetchone()
        off = [o for o in self._optimizers.split(",") if o.strip()] + ["common_subexpressions"]
        con.execute(f"SET disabled_optimizers = {quote_string(','.join(off))}")

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
        self.con.execute(f"SET disabled_optimizers = {quote_string(self._optimizers)}")


def header_names(raw: list[str], path: str, location_cls=SourceLocation,
                 row: int = 1, rows: list[int] | None = None) -> tuple[list[str], set[int]]:
    """Header names (``column_name``); blank ones become ``columnN``. Refused at the
    header's ``row`` (or, for keys of JSON lines, at ``rows[i]``, the line where name i
    first appears): more columns than ``limits.MAX_COLUMNS``, a repeated name."""
    def where(i: int) -> SourceLocation:
        return location_cls(path, row=rows[i] if rows else row)

    limit = MAX_COLUMNS.value()
    if len(raw) > limit:
        what = (_("the header names {count:,} columns") if rows is None else
                _("the lines hold {count:,} different keys (columns)")).format(count=len(raw))
        raise DataError(MAX_COLUMNS.exceeded(what), where(limit))
    names, unnamed, seen = [], set(), {}
    for i, value in enumerate(raw):
        name = column_name(value)
        if not name:
            name = f"column{i + 1}"
            unnamed.add(i)
        lowered = name.lower()
        if lowered in seen:
            raise DataError(_("column {name} appears twice (columns {first} and {second})")
                            .format(name=repr(name), first=seen[lowered] + 1, second=i + 1),
                            where(i))
        seen[lowered] = i
        names.append(name)
    return names, unnamed


def column_name(value: str | None) -> str:
    """A header cell as a column name: trimmed, canonical names in lower case (``Case_ID``
    is ``case_id``)."""
    name = (value or "").strip(BLANKS)
    return name.lower() if name.lower() in CANONICAL_COLUMNS else name
