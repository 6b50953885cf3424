"""``govcheck watch`` under attack: the adversarial probes that found it hanging, writing
findings twice or stopping with an internal error, kept as tests so that they stay fixed.

The small adversarial inputs are in tests/data/adversarial/ (docs/watch.md describes each
guarantee).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("durable_rules_engine")

from support import ROOT  # noqa: E402
from govcheck.engine.api import Run, check  # noqa: E402

CORPUS = Path(__file__).parent / "data" / "adversarial"
RULES = CORPUS / "watch_rules"


def watch_cmd(rules: Path, source: Path | str, state: Path | None = None,
              every: float = 0.05, *more: str) -> list[str]:
    cmd = [sys.executable, str(ROOT / "cli.py"), "watch", "--rules", str(rules),
           "--status-every", "0", "--checkpoint-every", str(every), "--shards", "3", str(source)]
    return cmd + (["--state", str(state)] if state else []) + list(more)


# -- one regex dialect: RE2, in linear time ---------------------------------------------

def test_a_backtracking_pattern_is_matched_promptly_and_as_check_matches_it():
    """``(a+)+$`` on 50 a's and a '!' kept Python's ``re`` busy for minutes, deaf to
    SIGTERM; RE2 answers at once, and finds what DuckDB finds."""
    log = CORPUS / "backtracking.jsonl"
    done = subprocess.run(watch_cmd(RULES, log), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    stream = {(x["rule_id"], x["case_id"]) for x in map(json.loads, done.stdout.splitlines())
              if x["rule_id"] == "RE"}
    report = check(Run(events=[str(log)], rules=[str(RULES)], rule_ids=["RE"]))
    assert stream == {(v.rule_id, v.case_id) for v in report.violations} == {("RE", "R2"),
                                                                            ("RE", "R3")}
