"""Errors that carry where the problem is.

Every failure a user can cause (a bad rule file, a bad row in a log, a year the
calendar does not cover) is raised as a ``GovcheckError`` with a location, so the
command line can print ``file:line:col: message`` or ``file: row N: message`` and
exit with code 2 instead of showing a traceback.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from .i18n import translate as _


@dataclass(frozen=True)
class SourceLocation:
    """Where a problem is: a file, plus a line/column (YAML) or a row (logs)."""

    path: str
    line: int | None = None
    column: int | None = None
    row: int | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return _("{path}: row {row}").format(path=self.path, row=self.row)
        if self.line is not None and self.column is not None:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line is not None:
            return f"{self.path}:{self.line}"
        return self.path


class GovcheckError(Exception):
    """Base class: bad input or a bad rule. The CLI maps it to exit code 2."""

    #: ``error`` fails the command; ``warning`` (``RuleWarning``) only with ``--strict``.
    severity = "error"

    def __init__(self, message: str, location: SourceLocation | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return located(self.location, self.message)


class RuleError(GovcheckError):
    """A rule file breaks the rule language (syntax, schema, unknown key)."""


class RuleWarning(RuleError):
    """A rule that is valid but will not do what its author most likely meant (a ``warn_at``
    that can never fire): ``validate`` reports it and fails on it only with ``--strict``."""

    severity = "warning"

    def __str__(self) -> str:
        return located(self.location, _("warning: {message}").format(message=self.message))


class RuleErrors(GovcheckError):
    """Several rule problems found at once (collect-all mode)."""

    def __init__(self, errors: list[GovcheckError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class DataError(GovcheckError):
    """An event log cannot be used as it stands (missing file, column, bad rows)."""


class CalendarError(GovcheckError):
    """The working-day calendar cannot answer (a year it does not cover, a partial year)."""


class WatchStop(GovcheckError):
    """``watch`` cannot go on without losing or misjudging events (exit 2)."""


def located(location: SourceLocation | None, message: str) -> str:
    """``file: row N: message`` (in the language in use), or the message alone."""
    if location is None:
        return message
    return _("{location}: {message}").format(location=location, message=message)


def nearest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to a name that matched nothing (a typo, another spelling):
    the best match and any as close, or names that contain it (隆回 → 隆回县)."""
    scored = sorted(((difflib.SequenceMatcher(None, word, c).ratio(), c)
                     for c in dict.fromkeys(choices)), key=lambda x: (-x[0], x[1]))
    if scored and scored[0][0] >= 0.4:
        best = scored[0][0]
        return [c for r, c in scored if r >= max(0.4, best - 0.05)][:n]
    return [c for _ratio, c in scored if word and word in c][:n]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a name that matched nothing, or "" when none is close."""
    close = nearest(word, choices)
    return _(" (did you mean {names}?)").format(names=", ".join(map(repr, close))) if close else ""
