"""``govcheck watch`` under attack: the adversarial probes that found it hanging, writing
findings twice or stopping with an internal error, kept as tests so that they stay fixed.

The small adversarial inputs are in tests/data/adversarial/ (docs/watch.md describes each
guarantee).
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("durable_rules_engine")

from support import ROOT  # noqa: E402
from govcheck.engine.api import Run, check  # noqa: E402
from govcheck.engine.errors import DataError  # noqa: E402
from govcheck.engine.watch.monitor import WatchOptions, watch  # noqa: E402

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


# -- duplicate and blank JSON keys: a bad line, in both engines -------------------------

BAD_KEYS = {2: "key 'event_type' appears twice", 3: "a key is blank",
            4: "key 'case_id' appears twice", 5: "a key is blank"}


def test_check_refuses_a_line_whose_keys_repeat_or_are_blank_naming_it():
    with pytest.raises(DataError) as refused:
        check(Run(events=[str(CORPUS / "duplicate_keys.jsonl")], rules=[str(RULES)]))
    text = str(refused.value)
    for line, reason in BAD_KEYS.items():
        assert f"duplicate_keys.jsonl: row {line}: {reason}" in text
    assert "Binder" not in text


def test_check_and_watch_read_repeated_and_blank_keys_alike(tmp_path):
    """``check`` read the first of two values, ``watch`` the last: one said overdue_open,
    the other late. Both now set the line aside with the same reason and agree."""
    log = CORPUS / "duplicate_keys.jsonl"
    bad = tmp_path / "bad.csv"
    report = check(Run(events=[str(log)], rules=[str(RULES)], bad_rows=str(bad)))
    with open(bad, encoding="utf-8-sig", newline="") as f:
        assert {int(r["row"]): r["reason"] for r in csv.DictReader(f)} == BAD_KEYS
    out, err = io.BytesIO(), io.StringIO()
    assert watch(WatchOptions(source=str(log), rules=[str(RULES)], status_every=0),
                 out=out, err=err) == 0
    for line, reason in BAD_KEYS.items():
        assert f"govcheck watch: line {line}: {reason}\n" in err.getvalue()
    stream = {(x["case_id"], x["type"]) for x in map(json.loads, out.getvalue().splitlines())}
    assert stream == {(v.case_id, v.type) for v in report.violations} == {
        ("D1", "overdue_open"), ("D6", "overdue_open")}


def test_a_line_of_20000_keys_one_of_them_twice_is_set_aside_at_once(tmp_path):
    """Which key comes twice is found by a sort, not a search per key, which took check
    52 s on a line of 20,000 keys."""
    wide = {"case_id": "W1", "event_type": "留言受理", "timestamp": "2021-03-01 09:00",
            **{f"k{i}": "x" for i in range(20_000)}}
    log = tmp_path / "wide.jsonl"
    plain = {"case_id": "W2", "event_type": "留言受理", "timestamp": "2021-03-01 09:00"}
    log.write_text(json.dumps(wide)[:-1] + ', "k7": "y"}\n' + json.dumps(plain) + "\n",
                   encoding="utf-8")
    checked = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", str(log),
                              "--rules", str(RULES)], capture_output=True, timeout=30)
    assert checked.returncode == 2
    assert f"{log}: row 1: key 'k7' appears twice" in checked.stderr.decode()
    watched = subprocess.run(watch_cmd(RULES, log), capture_output=True, timeout=30)
    assert b"govcheck watch: line 1: key 'k7' appears twice" in watched.stderr
