"""Helpers shared by the tests: run inline rules over inline events through the real engine."""
from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from govcheck.engine.model.loader import load_rule_file

SOURCE = "source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 测试条款}\n"


def rule_from(text: str):
    """A loaded rule from YAML text; ``source`` is filled in when the text has none."""
    body = textwrap.dedent(text)
    if "source:" not in body:
        body = body.replace("severity:", SOURCE + "severity:", 1)
    return load_rule_file("inline.yaml", body)


def rule_folder(tmp_path: Path, rule_id: str, rule: str, vocabulary: str) -> Path:
    """A rules folder as ``--rules`` takes it: one rule, in a pack, and its vocabulary."""
    rules = tmp_path / "rules"
    (rules / "pack").mkdir(parents=True)
    (rules / "pack" / f"{rule_id}.yaml").write_text(rule, encoding="utf-8")
    (rules / "vocabulary.yaml").write_text(vocabulary, encoding="utf-8")
    return rules


def found(report) -> set[tuple]:
    """(case_id, type) or (unit, period, type) of every violation in a report."""
    return {(v.case_id, v.type) if v.case_id is not None else (v.unit, v.period, v.type)
            for v in report.violations}


def warned(report) -> set[tuple]:
    return {(v.case_id, v.type) for v in report.warnings}


def ev(case, event_type, ts, unit="甲局", **attrs) -> dict:
    """One event of a hand-written log, of unit 甲局 unless told."""
    return {"case_id": case, "event_type": event_type, "timestamp": ts, "unit": unit, **attrs}


def not_judged(report) -> dict[str, int]:
    """The first rule's cases not judged, by reason."""
    return dict(report.rules[0].not_judged)
