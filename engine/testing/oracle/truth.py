"""Findings as the truth file and the tests compare them, and the truth file itself."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

TRUTH_COLUMNS = ("rule_id", "case_id", "unit", "period", "type")


@dataclass(frozen=True, order=True)
class Finding:
    """A violation or a warning, keyed as the truth file and the tests compare them."""

    rule_id: str
    case_id: str | None
    unit: str | None
    period: str | None
    type: str

    def row(self) -> tuple[str, str, str, str, str]:
        """The finding as a row of the truth file (blank for what it lacks)."""
        return (self.rule_id, self.case_id or "", self.unit or "", self.period or "", self.type)


def write_truth(findings: Iterable[Finding], path: str | Path) -> int:
    """The findings as CSV (``rule_id, case_id, unit, period, type``), sorted; returns the count."""
    rows = sorted(f.row() for f in findings)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def read_truth(path: str | Path) -> list[Finding]:
    """The findings of a truth file."""
    with open(path, encoding="utf-8", newline="") as f:
        return [Finding(r["rule_id"], r["case_id"] or None, r["unit"] or None,
                        r["period"] or None, r["type"]) for r in csv.DictReader(f)]


#: The type a data-quality finding carries here: ``data_quality:<reason>``.
DATA_QUALITY = "data_quality:"


def findings_of(report) -> list[Finding]:
    """The findings of an engine ``Report``, in the same shape (violations, warnings and
    data-quality findings, the last typed ``data_quality:<reason>``)."""
    return sorted({Finding(v.rule_id, v.case_id, v.unit, v.period, v.type)
                   for v in (*report.violations, *report.warnings)}
                  | {Finding(q.rule_id, q.case_id, q.unit, None, DATA_QUALITY + q.reason)
                     for q in report.data_quality})
