"""What of a log a run reads: the attributes its rules read, besides the canonical columns.

A user who checks one rule, or one pack, should not pay for every column of every row.
The canonical columns are always kept (every check, count and location reads them); an
attribute no rule reads is neither trimmed nor kept. A projected load that meets what only
the whole row can settle (possible copies, whose sameness is judged on every value; a row
blank in every column kept, which may hold something elsewhere; bad rows to write out with
their original values) is redone in full (``FullLoadNeeded``), so that what it reports
never depends on what was left out.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...model.rule import CANONICAL_COLUMNS
from .plan import Plan


@dataclass(frozen=True)
class Projection:
    """The attributes (besides the canonical columns) the rules of a run read; None: every
    one. Rows of every event type are kept: the log's counts, span, event types and units
    are read over all of them (docs/benchmarks.md says what dropping them would cost)."""

    attributes: frozenset[str] | None = None


#: Every column: the load as it was before projection.
WHOLE = Projection()


class FullLoadNeeded(Exception):
    """A projected load found what only a load of every column can settle."""


def narrow_plan(plan: Plan, projection: Projection) -> bool:
    """Leave out of ``plan`` the attributes ``projection`` does not read (a wide export is
    planned whole: its events share columns across the row); whether any was left out."""
    if projection.attributes is None or plan.wide:
        return False
    keep = [o for o in plan.shared
            if o.target in CANONICAL_COLUMNS or o.target in projection.attributes]
    dropped = len(keep) < len(plan.shared)
    plan.shared[:] = keep
    return dropped
