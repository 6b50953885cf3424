"""The SQL that reads the time of an event, in every form the offices write it.

Times come as ``2021-09-30 10:30:00``, ``2021/9/30 10:30``, ``2021年9月30日 10时30分``,
with full-width digits, an ISO ``T`` or a zone. DuckDB reads them set-wise: each form is
rewritten in steps into one spelling and then parsed, a projection per step over the
whole file rather than a Python call per row. The streaming monitor runs the same steps,
so that both engines read a time alike.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..sqltext import quote_string

#: Built-in formats, tried (after the rewriting in ``timestamp_steps``) in this order.
#: DuckDB's %m, %d, %H, %M and %S accept one or two digits, so ``2019/4/25 9:32:09``
#: needs no format of its own.
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H", "%Y-%m-%d")


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
    chinese = (f"CASE WHEN regexp_matches({{x}}, {quote_string('[' + FULLWIDTH + ']')}) THEN "
               f"translate({{x}}, {quote_string(FULLWIDTH)}, {quote_string(HALFWIDTH)}) "
               f"ELSE {{x}} END")
    for word, replacement in CN_WORDS:
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
        f"CASE WHEN regexp_matches({{x}}, {quote_string(LOCAL_FORM)}) THEN "
        f"coalesce(try_cast({{x}} AS TIMESTAMP), try_strptime({{x}}, {formats})) END, "
        f"CASE WHEN regexp_matches({{x}}, {quote_string(ZONED_FORM)}) THEN "
        f"timezone('Asia/Shanghai', try_cast(upper(regexp_replace({{x}}, "
        f"' ([Zz]|[+-][0-9:]+)$', '\\1')) AS TIMESTAMPTZ)) END)",
    ]


def fast_timestamp(x: str) -> str:
    """SQL: the common ``YYYY-MM-DD HH:MM:SS`` read directly (NULL for any other form), so
    that only the other forms go through ``timestamp_steps``' rewrites. The fifth character
    must be the dash: DuckDB's ``%Y`` would also take a two-digit year."""
    return f"CASE WHEN {x}[5] = '-' THEN try_strptime({x}, '%Y-%m-%d %H:%M:%S') END"


#: Full-width digits and punctuation, and the ASCII they stand for.
FULLWIDTH = "０１２３４５６７８９：／－．"
HALFWIDTH = "0123456789:/-."
#: Chinese date/time words and what they become: 年/月 separate the date, 日 ends it,
#: 时/点 and 分 separate the time, 秒 is dropped.
CN_WORDS = (("年", "-"), ("月", "-"), ("日", " "), ("时", ":"), ("時", ":"), ("点", ":"),
             ("點", ":"), ("分", ":"), ("秒", ""))
DATE_PREFIX = r"^\d{4}-\d{1,2}-\d{1,2}"
LOCAL_FORM = DATE_PREFIX + r"(?: \d{1,2}(?::\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?)?$"
ZONED_FORM = (DATE_PREFIX + r" \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)? ?"
               r"(?:[Zz]|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)$")
