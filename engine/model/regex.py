"""One regular-expression dialect for every engine: RE2.

The batch engine matches ``field|re`` in DuckDB, whose ``regexp_matches`` is RE2. Python's
``re`` backtracks: ``(a+)+$`` on a 51-character value froze ``watch`` at 100 % CPU for
minutes, and a backreference that Python accepts DuckDB refuses mid-run. Patterns are
therefore compiled with RE2 (the google-re2 binding) wherever Python matches them, and a
pattern RE2 refuses is refused when the rule is loaded, with its file and line, so
``validate``, ``check`` and ``watch`` accept exactly the same patterns and match in linear
time.
"""
from __future__ import annotations

from functools import lru_cache

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False          # the message goes into our own located error


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why."""


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str):
    """``pattern`` compiled with RE2 (match anywhere in the text, like DuckDB's
    ``regexp_matches``: use ``^``/``$`` to anchor)."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"{reason} (patterns are RE2: no backreferences or lookaround)") from None


def search(pattern: str, text: str) -> bool:
    """Does ``pattern`` match somewhere in ``text``?"""
    return compile_pattern(pattern).search(text) is not None
