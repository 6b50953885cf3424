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
batches, and a CSV that is not UTF-8 is transcoded from GB18030 in chunks first (as is one
whose lines end both in \\r\\n and in \\n, which DuckDB's reader refuses, into a copy with
one kind of line end).

A row that cannot be used is never dropped silently. By default the load stops with a
``DataError`` that names every such row (``file: row N: what is wrong ('value')``,
rows numbered as a spreadsheet numbers them, lines for JSON lines); given a bad-rows
file, they are written there (file, row, reason, original values) and counted instead.
Values are trimmed of surrounding blanks, and a blank value is a missing one. Rows
whose every value is blank carry nothing and are skipped.

The modules below follow a load from file to table: ``readers`` (one per format, over
``sources`` and, for text, ``textfiles``; ``workbooks`` for XLSX) turn each file into SQL;
``plan`` maps its columns onto those of ``events``; ``rows`` builds each file's rows table
(times through ``timestamps``, values through ``values``, records the reader skipped
through ``skipped``); ``badrows`` refuses or sets aside the rows that cannot be used;
``events`` builds the table. This module holds the public functions and the order of
those steps.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ...errors import DataError, SourceLocation
from ...i18n import translate as _
from ...model.rule import CANONICAL_COLUMNS
from ..mapping import Mapping, load_mapping
from ..sqltext import quote_ident
from .badrows import bad_rows_query, raise_bad_rows, write_bad_rows
from .events import (adopt_rows, attribute_names, create_blank_times, create_events,
                     drop_empty_unnamed, events_query)
from .plan import (Plan, check_mapping_names, check_value_columns, header_needs,
                   plan_columns)
from .projection import WHOLE, FullLoadNeeded, Projection, narrow_plan
from .readers import json_source, memory_estimate, open_source, read_csv, unreadable
from .rows import build_rows
from .sources import Source, Workspace
from .textfiles import NotUtf8
from .timestamps import TIMESTAMP_FORMATS, timestamp_steps
from .values import BLANKS
from .workbooks import SheetChoice

__all__ = ["IngestResult", "ingest", "ingest_records", "memory_estimate", "timestamp_steps",
           "TIMESTAMP_FORMATS", "BLANKS", "Projection", "WHOLE"]


@dataclass(frozen=True)
class IngestResult:
    """What a load produced: the files read, events kept, rows refused, copies dropped."""

    files: tuple[str, ...]
    events: int
    bad_rows: int
    duplicates: int
    attributes: tuple[str, ...]


def ingest(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path],
           mapping: str | Path | Mapping | None = None, bad_rows_path: str | Path | None = None,
           table: str = "events", mask_bad_rows: bool = True,
           sheet: str | None = None, projection: Projection = WHOLE) -> IngestResult:
    """Load event logs into ``table`` (replacing it), as docs/architecture.md describes.

    ``paths`` are read in order (``_src`` is the position), their columns united by name.
    ``mapping`` is a mapping file (see ``data.mapping``), or one already read. Without ``bad_rows_path`` any
    unusable row raises ``DataError`` listing them; with it they are written there and
    counted in ``IngestResult.bad_rows`` (personal numbers masked in either unless not
    ``mask_bad_rows``). ``sheet`` names the sheet to read of every XLSX log (default: the
    first holding the header, see ``workbooks``). ``projection`` leaves out the attributes
    no rule of the run reads (``projection``). Raises ``DataError`` for a missing or
    empty file, a missing required column, or an unreadable file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = tuple(str(p) for p in paths)
    if not files:
        raise DataError(_("no event log given"))
    loaded_mapping = load_mapping(mapping) if isinstance(mapping, (str, Path)) else mapping
    choice = SheetChoice(sheet, header_needs(loaded_mapping))
    try:
        return _ingest_files(con, files, choice, loaded_mapping, bad_rows_path, table,
                             mask_bad_rows, projection)
    except FullLoadNeeded:
        return _ingest_files(con, files, choice, loaded_mapping, bad_rows_path, table,
                             mask_bad_rows, WHOLE)


def _ingest_files(con, files: tuple[str, ...], choice: SheetChoice, mapping: Mapping | None,
                  bad_rows_path: str | Path | None, table: str, mask_bad_rows: bool,
                  projection: Projection) -> IngestResult:
    ws = Workspace(con)
    try:
        sources = [open_source(con, ws, i, f, choice) for i, f in enumerate(files)]
        if choice.sheet is not None and not any(s.sheet is not None for s in sources):
            raise DataError(_("sheet {sheet} is named, but no log is an XLSX workbook").format(
                sheet=repr(choice.sheet)), SourceLocation(", ".join(files)))
        return _load(con, sources, ws, files, mapping, bad_rows_path, table, hint=True,
                     mask_bad_rows=mask_bad_rows, projection=projection)
    finally:
        ws.close()


def ingest_records(con: duckdb.DuckDBPyConnection, records: list[dict], name: str = "<example>",
                   table: str = "events") -> IngestResult:
    """Load a list of events given inline (a rule example's ``events``) into ``table``.

    The same parsing and checks as ``ingest``; a bad event raises ``DataError`` naming it
    as ``name: event N`` (N counts from 1).
    """
    ws = Workspace(con)
    try:
        lines = ws.table("records")
        con.execute(f"CREATE TEMP TABLE {quote_ident(lines)} (__gc_ord BIGINT, line VARCHAR)")
        texts = [json.dumps(r, ensure_ascii=False, default=_record_json) for r in records]
        if texts:
            con.execute(f"INSERT INTO {quote_ident(lines)} SELECT generate_subscripts($1, 1), "
                        f"unnest($1)", [texts])
        source = json_source(con, 0, name, lines, location_cls=RecordLocation)
        if not source.columns:
            # No events at all (or none with fields): an empty table is the right answer.
            source.columns, source.exprs = list(CANONICAL_COLUMNS[:3]), ["NULL"] * 3
        return _load(con, [source], ws, (name,), None, None, table, hint=False)
    finally:
        ws.close()


class RecordLocation(SourceLocation):
    """A bad event in an inline list (a rule example): printed as ``name: event N``."""

    def __str__(self) -> str:
        if self.row is None:
            return self.path
        return _("{name}: event {number}").format(name=self.path, number=self.row)


def _load(con, sources: list[Source], ws: Workspace, files: tuple[str, ...],
          mapping: Mapping | None, bad_rows_path: str | Path | None, table: str,
          hint: bool, mask_bad_rows: bool = True, projection: Projection = WHOLE) -> IngestResult:
    if mapping is not None:
        check_mapping_names(mapping, sources)
    plans = [plan_columns(s, mapping) for s in sources]
    if mapping is not None:
        check_value_columns(mapping, plans)
    for source, plan in zip(sources, plans):
        source.projected = narrow_plan(plan, projection)
    formats = mapping.timestamp_formats if mapping else ()
    if formats:
        _check_formats(con, mapping)
    rows_tables = []
    for i in range(len(sources)):
        rows_tables.append(_rows_table(con, ws, sources, plans, i, mapping, formats, projection))
        drop_empty_unnamed(con, sources[i], plans[i], rows_tables[-1])
    bad_query = bad_rows_query(rows_tables)
    (bad,) = con.execute(f"SELECT count(*) FROM ({bad_query})").fetchone()
    if bad and bad_rows_path is None:
        raise_bad_rows(con, sources, bad_query, bad, hint, mask_bad_rows)
    if bad and any(s.projected for s in sources):
        raise FullLoadNeeded()     # the bad-rows file holds every original value
    if bad_rows_path is not None:
        write_bad_rows(con, ws, files, bad_query, str(bad_rows_path), mask_bad_rows)
    attributes = attribute_names(plans)
    adopted = None
    if len(sources) == 1 and not plans[0].wide and sources[0].base is not None:
        adopted = adopt_rows(con, sources[0], plans[0], table)
    if adopted is not None:
        kept, duplicates = adopted, 0
    else:
        kept, duplicates = create_events(con, table, events_query(sources, plans, rows_tables,
                                                                  attributes), attributes,
                                         projected=any(s.projected for s in sources))
    create_blank_times(con, sources, plans, rows_tables, attributes)
    return IngestResult(files, kept, bad, duplicates, tuple(attributes))


def _rows_table(con, ws: Workspace, sources: list[Source], plans: list[Plan], i: int,
                mapping: Mapping | None, formats: Sequence[str], projection: Projection) -> str:
    """The rows table of ``sources[i]``, the CSV read again where DuckDB's reader could not
    read it as it was: bytes further on that are not UTF-8 (``textfiles.NotUtf8``), or
    lines that end both in \\r\\n and in \\n (DuckDB's reader then stops)."""
    while True:
        source = sources[i]
        try:
            return build_rows(con, ws, source, plans[i], formats)
        except NotUtf8:
            again = read_csv(con, ws, source.index, source.name, whole=True,
                             one_line_end=source.one_line_end)
        except duckdb.InvalidInputException:
            if source.text_path is None or source.one_line_end:
                raise unreadable(source.name) from None
            again = read_csv(con, ws, source.index, source.name, whole=True, one_line_end=True)
        except duckdb.Error:
            raise unreadable(source.name) from None
        sources[i] = again
        if mapping is not None:
            check_mapping_names(mapping, sources)
        plans[i] = plan_columns(again, mapping)
        again.projected = narrow_plan(plans[i], projection)


def _check_formats(con, mapping: Mapping) -> None:
    """A mapping's timestamp formats must be ones DuckDB's strptime knows."""
    for i, fmt in enumerate(mapping.timestamp_formats):
        try:
            con.execute("SELECT try_strptime('2000-01-01', ?)", [fmt]).fetchall()
        except duckdb.Error:
            raise DataError(_("{format} is not a timestamp format: use strptime's %Y, %m, %d, "
                              "%H, %M, %S and the text between them").format(format=repr(fmt)),
                            mapping.document.location(("timestamp_formats", i))
                            if mapping.document else SourceLocation(mapping.path)) from None


def _record_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
