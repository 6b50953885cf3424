"""What a value of a log is: blank or not, trimmed, and how a message quotes it.

Every reader and every check treats values alike: the blanks around a value (among them
the ideographic space and the stray BOMs of Chinese exports) are not part of it, a value
of nothing but blanks is a missing one, and a message shows a value quoted, on one line,
cut short; a mapping may put one value in place of others (``values``). The streaming
monitor trims the events it reads with the same ``BLANKS``.
"""
from __future__ import annotations

from ..sqltext import quote_string

#: Blanks trimmed from every value: ASCII ones, the ideographic space, NBSP, stray BOMs.
BLANKS = " \t\r\n\f\v\u3000\u00a0\ufeff"


def trimmed(expr: str) -> str:
    """SQL: the value with surrounding blanks removed, NULL when nothing is left.

    ``trim`` with a character list is slow, so it runs only where an end is blank. No
    part of the expression is written twice: ``nullif`` around it all would copy it, and
    a load runs without DuckDB's pass that finds such copies (``sources.Workspace``).
    """
    blanks = quote_string(BLANKS)
    return (f"CASE WHEN {expr} = '' THEN NULL "
            f"WHEN contains({blanks}, {expr}[1]) OR contains({blanks}, {expr}[-1]) "
            f"THEN nullif(trim({expr}, {blanks}), '') ELSE {expr} END")


def shown(expr: str) -> str:
    """SQL: a value as it appears in a message, quoted and cut short."""
    flat = f"regexp_replace({expr}, '\\s+', ' ', 'g')"
    return (f"concat('(''', left({flat}, 60), CASE WHEN length({flat}) > 60 THEN '…' ELSE '' END,"
            f" ''')')")


def canonical(expr: str, aliases: dict[str, str]) -> str:
    """SQL: the value a mapping's ``values`` puts in place of the value of ``expr`` (the
    value itself when it has none): one map lookup a row, however many values are mapped."""
    entries = ", ".join(f"{quote_string(k)}: {quote_string(v)}" for k, v in aliases.items())
    return f"coalesce(MAP {{{entries}}}[{expr}], {expr})"
