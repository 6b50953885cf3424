"""XLSX logs: the data sheet and its header row found, the cells fed to DuckDB in batches.

An export from an office's system is rarely a bare table: a title row such as
「邵阳市12345热线工单导出（2022年）」 or blank rows sit above the header, and a 说明 sheet
may come before the data. The header is the first row, among the first ``HEADER_SEARCH``
of a sheet, that holds the columns the load needs (``plan.HeaderNeeds``: the canonical
ones, or those the mapping renames to them); the data sheet is the first sheet holding
such a row, or the sheet named (``--sheet``). Without one, the first row with a value is
taken, and the missing column is refused naming the sheet, the row and the sheets seen.
Rows keep the numbers the spreadsheet shows them with.

openpyxl reads the cells, the one place Python touches every row of a log. It reads a
sheet as a stream (``read_only``), so memory does not grow with the rows; what it holds
whole (the shared strings, styles) is bounded by refusing, before it opens the file, a
workbook whose parts would unpack to more than ``limits.MAX_XLSX_MB`` or to far more than
a spreadsheet program packs (``limits.MAX_XLSX_RATIO``: a zip bomb). Its XML parsing goes
through defusedxml, which refuses entity declarations (a few bytes of them can expand to
gigabytes); that refusal, and any XML or zip damage found while reading, is said in our
words at the row reached.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...errors import DataError, SourceLocation
from ...i18n import translate as _
from ..sqltext import quote_ident
from .limits import MAX_XLSX_MB, MAX_XLSX_RATIO
from .plan import HeaderNeeds, header_needs
from .sources import Source, Unreadable, Workspace, header_names
from .values import BLANKS

#: Rows of a sheet looked at for its header.
HEADER_SEARCH = 30
#: Rows handed to DuckDB at a time.
_BATCH = 20_000
#: Parts smaller than this unpacked are not held to ``MAX_XLSX_RATIO``: a small part may
#: pack well, and costs nothing however it packs.
_RATIO_FLOOR = 1 << 20


@dataclass(frozen=True)
class SheetChoice:
    """Which sheet of a workbook to read (None: find it) and what its header must hold."""

    sheet: str | None = None
    needs: HeaderNeeds = field(default_factory=lambda: header_needs(None))


@dataclass(frozen=True)
class _Header:
    """A sheet's header: the sheet, the row and its cells' text."""

    sheet: Any
    row: int
    cells: list[str]


def read_xlsx(con, ws: Workspace, index: int, path: str, choice: SheetChoice) -> Source:
    """The data of a workbook, from the row below its header to the last row."""
    import openpyxl
    _check_packing(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors alike
        if _declares_entities(exc):
            raise _entities(path, None) from None
        raise Unreadable() from None
    try:
        sheets = tuple(s.title for s in book.worksheets)
        header = _find_header(book, path, choice)
        names, unnamed = header_names(header.cells, path, row=header.row)
        staged = _stage(con, ws, header, len(names), path)
    finally:
        book.close()
    # _row is the spreadsheet's own row number: __gc_row, one header row before the first
    return Source(index, path, names, [f"c{j}" for j in range(len(names))], quote_ident(staged),
                  "__gc_row - 1", 1, pre="__gc_pre", unnamed=unnamed, sheet=header.sheet.title,
                  sheets=sheets, header_row=header.row)


def _check_packing(path: str) -> None:
    """Refuse a workbook that would unpack to too much, from its zip directory alone.

    Python's zipfile never unpacks a part beyond the size its directory declares (it stops
    there, with a checksum error), so the declared sizes bound what reading can cost.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Unreadable() from None
    total = sum(p.file_size for p in parts)
    if total > MAX_XLSX_MB.value() << 20:
        raise DataError(MAX_XLSX_MB.exceeded(_("the workbook unpacks to {size:,.1f} MB").format(
            size=total / 2**20)), SourceLocation(path))
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size >= _RATIO_FLOOR and ratio > MAX_XLSX_RATIO.value():
            raise DataError(MAX_XLSX_RATIO.exceeded(
                _("its part {part} would unpack to {size:,.1f} MB, {ratio:,} times its packed "
                  "size (as a zip bomb does)").format(part=part.filename,
                                                      size=part.file_size / 2**20, ratio=ratio)),
                SourceLocation(path))


def _rows(sheet, path: str, first: int, last: int | None = None) -> Iterator[tuple[int, tuple]]:
    """The sheet's rows from ``first`` (to ``last``), with their numbers. openpyxl parses
    the sheet as it goes: XML or zip damage it meets is refused at the row it reached."""
    rows = sheet.iter_rows(min_row=first, max_row=last, values_only=True)
    number = first
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # XML, zip, zlib and openpyxl's own errors alike
            if _declares_entities(exc):
                raise _entities(path, number) from None
            raise DataError(_("sheet {sheet} cannot be read from this row on: the file is "
                              "damaged").format(sheet=repr(sheet.title)),
                            SourceLocation(path, row=number)) from None
        yield number, cells
        number += 1


def _declares_entities(exc: BaseException) -> bool:
    """Whether defusedxml refused the XML (an entity or DTD declaration), here or as the
    cause of the error openpyxl raised in its place."""
    from defusedxml import DefusedXmlException
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _entities(path: str, row: int | None) -> DataError:
    """The refusal of a workbook whose XML declares entities, at the row reached."""
    return DataError(_("the workbook's XML declares entities (<!ENTITY>), which spreadsheet "
                       "programs never write and which can expand to gigabytes: refused"),
                     SourceLocation(path, row=row))


def _find_header(book, path: str, choice: SheetChoice) -> _Header:
    """The header of the sheet named, or of the first sheet that has one; failing that,
    the first row with a value (``plan_columns`` then names the column it lacks)."""
    sheets = book.worksheets
    if choice.sheet is not None:
        sheets = [s for s in sheets if s.title == choice.sheet]
        if not sheets:
            titles = ", ".join(s.title for s in book.worksheets)
            raise DataError(_("no sheet named {sheet} (sheets: {sheets})").format(
                sheet=repr(choice.sheet), sheets=titles), SourceLocation(path))
    first_filled = None
    for sheet in sheets:
        sheet.reset_dimensions()   # exports often state wrong dimensions
        for number, cells in _rows(sheet, path, 1, HEADER_SEARCH):
            texts = _header_cells(cells)
            if not texts:
                continue
            if choice.needs.met_by(texts):
                return _Header(sheet, number, texts)
            first_filled = first_filled or _Header(sheet, number, texts)
    if first_filled is None:
        raise DataError(_("sheet {sheet} is empty").format(sheet=repr(choice.sheet))
                        if choice.sheet else _("empty file"), SourceLocation(path))
    return first_filled


def _header_cells(cells: tuple) -> list[str]:
    """A row's cells as header text, without the blank cells after the last named one
    ([] for a blank row)."""
    texts = [_cell_text(v) or "" for v in cells]
    while texts and not texts[-1].strip(BLANKS):
        texts.pop()
    return texts


def _stage(con, ws: Workspace, header: _Header, width: int, path: str) -> str:
    """The rows below the header in a table: ``c0…`` as text, ``__gc_row`` the row's number,
    ``__gc_pre`` what is wrong with it (values right of the last named column)."""
    staged = ws.table("xlsx")
    cols = ", ".join(f"c{j} VARCHAR" for j in range(width))
    con.execute(f"CREATE TEMP TABLE {quote_ident(staged)} ({cols}, __gc_row INTEGER, "
                f"__gc_pre VARCHAR)")
    appender = con.appender(staged)
    batch: list[tuple] = []
    for number, cells in _rows(header.sheet, path, header.row + 1):
        values = [_cell_text(v) for v in cells[:width]]
        values += [None] * (width - len(values))
        beyond = [t for t in (_cell_text(v) for v in cells[width:]) if t and t.strip(BLANKS)]
        problem = None
        if beyond:
            extra = ", ".join(beyond)[:60]
            problem = _("has values beyond the last named column ('{values}')").format(
                values=extra)
        batch.append((*values, number, problem))
        if len(batch) >= _BATCH:
            appender.append_rows(batch)
            appender.flush()
            batch.clear()
    if batch:
        appender.append_rows(batch)
        appender.flush()
    return staged


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
