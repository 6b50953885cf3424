"""Rows that cannot be used: refused with each one named, or set aside in a file.

Without a bad-rows file a load that meets such rows stops with a ``DataError`` listing
them by file and row; with one, they are written there (file, row, reason, original
values) and the load goes on without them. Both are for people and quote the log's own
values, so 身份证号 and mobile numbers in them are masked unless the run is told not to.
"""
from __future__ import annotations

import codecs
import shutil

from ...errors import DataError, SourceLocation, located
from ...i18n import translate as _, translate_plural as ngettext
from ...files import atomic_writer
from ...findings.masking import mask_text
from ..sqltext import quote_ident, quote_string
from .sources import Source, Workspace
from .textfiles import CHUNK


def bad_rows_query(rows_tables: list[str]) -> str:
    """SQL: the bad rows of every file, each with its file, row, reason and values."""
    return " UNION ALL ".join(
        f"SELECT _src, _row, __gc_problem AS reason, __gc_orig AS original "
        f"FROM {quote_ident(t)} WHERE __gc_problem IS NOT NULL" for t in rows_tables)


def raise_bad_rows(con, sources: list[Source], query: str, total: int, hint: bool,
                   mask: bool = True) -> None:
    """Stop the load: a ``DataError`` at the first bad row, listing the first few and
    counting the rest, the values they quote masked when ``mask``; ``hint`` adds how to go
    on without them (not for rule examples)."""
    listed = con.execute(f"SELECT _src, _row, reason FROM ({query}) ORDER BY _src, _row "
                         f"LIMIT {LISTED_BAD_ROWS}").fetchall()
    places = [(sources[src].location_cls(sources[src].name, row=row), reason)
              for src, row, reason in listed]
    raise refusal(places, total, rows=sources[listed[0][0]].location_cls is SourceLocation,
                  hint=hint, mask=mask)


def refusal(listed: list[tuple[SourceLocation, str]], total: int, rows: bool = True,
            hint: bool = True, mask: bool = True) -> DataError:
    """The error of a refused load, whichever engine read it: at the first of the ``listed``
    bad rows (place, reason; the first ``LISTED_BAD_ROWS``), naming the others and counting
    the rest of ``total``; the values the reasons quote masked when ``mask``."""
    listed = [(place, mask_text(reason) if mask else reason) for place, reason in listed]
    first, first_reason = listed[0]
    message = [first_reason] + [located(place, reason) for place, reason in listed[1:]]
    if total > len(listed):
        message.append(_("… and {count} more").format(count=total - len(listed)))
    message.append(_summary(total, rows=rows, hint=hint))
    return DataError("\n".join(message), first)


def _summary(total: int, rows: bool, hint: bool) -> str:
    """The last line of a refused load: how many rows (or inline events) could not be used;
    ``hint`` adds how to go on without them."""
    if rows:
        summary = ngettext("{count} row cannot be used; nothing was loaded",
                           "{count} rows cannot be used; nothing was loaded", total)
    else:
        summary = ngettext("{count} event cannot be used; nothing was loaded",
                           "{count} events cannot be used; nothing was loaded", total)
    summary = summary.format(count=total)
    if hint:
        summary += _(" (correct the log, or pass --bad-rows FILE to set such rows aside and go on)")
    return summary


def write_bad_rows(con, ws: Workspace, files: tuple[str, ...], query: str, target: str,
                   mask: bool = True) -> None:
    """Write the bad rows to ``target`` as CSV, staged by DuckDB and copied behind a BOM,
    line by line through ``mask_text`` when ``mask``."""
    names = "[" + ", ".join(quote_string(f) for f in files) + "]"
    staged = ws.temp_file(".csv")
    con.execute(f"COPY (SELECT {names}[_src + 1] AS \"file\", _row AS \"row\", reason AS "
                f"\"reason\", original AS \"values\" FROM ({query}) ORDER BY _src, _row) "
                f"TO {quote_string(staged)} (FORMAT csv, HEADER true)")
    with open(staged, "rb") as src, atomic_writer(target) as out:
        out.write(codecs.BOM_UTF8)  # so that Excel shows the Chinese text
        if mask:
            for line in src:
                text = line.decode("utf-8", "surrogateescape")
                out.write(mask_text(text).encode("utf-8", "surrogateescape"))
        else:
            shutil.copyfileobj(src, out, CHUNK)


#: The bad rows a refused load names; the others are counted.
LISTED_BAD_ROWS = 20
