"""Names and texts spliced into SQL, quoted once, the same way everywhere.

Most values reach DuckDB as bound parameters, but some places of a statement cannot take
one: a column or table name, a struct key, a file path in ``read_csv``/``COPY``, a setting
in ``SET``. Names there come from logs, mappings and rules (a column may be called
``申请人"姓名``), so they are quoted, never pasted; one module keeps the quoting rule in
one place. A message that DuckDB builds row by row (why a row is bad) is a translated text
with named placeholders, filled by SQL expressions (``message_sql``).
"""
from __future__ import annotations

from string import Formatter

__all__ = ["message_sql", "quote_ident", "quote_string"]


def quote_ident(name: str) -> str:
    """A column or table name as a SQL identifier: in double quotes, inner ones doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    """A text as a SQL string literal: in single quotes, inner ones doubled."""
    return "'" + text.replace("'", "''") + "'"


def message_sql(message: str, **values: str) -> str:
    """SQL: ``message`` (translated: its placeholders may be in any order) with each
    ``{name}`` filled by the SQL expression ``values[name]``, its words quoted."""
    pieces = []
    for words, name, _spec, _conversion in Formatter().parse(message):
        if words:
            pieces.append(quote_string(words))
        if name is not None:
            pieces.append(values[name])
    return f"concat({', '.join(pieces)})" if len(pieces) > 1 else pieces[0]
