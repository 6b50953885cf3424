"""Names and texts spliced into SQL, quoted once, the same way everywhere.

Most values reach DuckDB as bound parameters, but some places of a statement cannot take
one: a column or table name, a struct key, a file path in ``read_csv``/``COPY``, a setting
in ``SET``. Names there come from logs, mappings and rules (a column may be called
``申请人"姓名``), so they are quoted, never pasted; one module keeps the quoting rule in
one place.
"""
from __future__ import annotations

__all__ = ["quote_ident", "quote_string"]


def quote_ident(name: str) -> str:
    """A column or table name as a SQL identifier: in double quotes, inner ones doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    """A text as a SQL string literal: in single quotes, inner ones doubled."""
    return "'" + text.replace("'", "''") + "'"
