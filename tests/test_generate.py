"""The generator: exactly the events asked for, in time order, the same bytes for the same
seed, the same log in every format, every rule and event type of a year covered, and
errors that say what to do."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from support import ROOT
from govcheck.engine.testing import oracle
from govcheck.engine.testing.generator import GeneratorError, Options, UNITS, covered_rules, generate
from govcheck.engine.model.loader import load_rules

SOURCE = "source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 测试条款}\n"

#: A small library: one rule of each timing kind, so a log takes a second to make.
SMALL = {
    "T-DL": """\
        kind: deadline
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        start: {event_type: 留言受理}
        end: {event_type: 留言答复}
        within: {workdays: 5}
        """,
    "T-SEQ": """\
        kind: sequence
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        trigger: {event_type: 差评}
        steps: [{event_type: 差评核实}, {event_type: 差评整改}, {event_type: 差评反馈}]
        ordered: true
        """,
    "T-PER": """\
        kind: periodic
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 信息公开发布, 信息类别: 疫情通报}
        every: week
        units: [邵阳市卫生健康委]
        """,
    "T-FLD": """\
        kind: required_fields
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 信息公开发布}
        fields: [审核人]
        """,
}


def write_rules(folder: Path, rules: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rule_id, body in rules.items():
        text = f"id: {rule_id}\ntitle: 测试规则\n" + textwrap.dedent(body)
        (folder / f"{rule_id}.yaml").write_text(text.replace("severity:", SOURCE + "severity:", 1),
                                                encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_rules(tmp_path_factory.mktemp("rules"), SMALL)


def make(tmp: Path, rules: Path, events: int = 3000, seed: int = 1, fmt: str = "csv",
         name: str = "log", truth: bool = True):
    out = tmp / f"{name}.{fmt}"
    summary = generate(Options(events=events, seed=seed, year=2021, format=fmt, rules=[rules]),
                       out, tmp / f"{name}.truth.csv" if truth else None)
    return out, summary


def test_same_seed_same_bytes(tmp_path, small):
    a, _ = make(tmp_path, small, name="a")
    b, _ = make(tmp_path, small, name="b")
    c, _ = make(tmp_path, small, seed=2, name="c")
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.truth.csv").read_bytes() == (tmp_path / "b.truth.csv").read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_exactly_the_events_asked_for_in_time_order(tmp_path, small):
    out, summary = make(tmp_path, small, events=250_000, truth=False)
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == summary.events == 250_000
    times = [r["timestamp"] for r in rows]
    assert times == sorted(times)
    assert times[-1] == summary.as_of
    assert list(rows[0])[:4] == ["case_id", "event_type", "timestamp", "unit"]
    assert {r["unit"] for r in rows} <= set(UNITS)
    per_case = Counter((r["case_id"], r["event_type"], r["timestamp"]) for r in rows)
    assert max(per_case.values()) == 1          # no copies: ingest would count them once


def test_every_format_holds_the_same_log(tmp_path, small):
    logs = {}
    for fmt in ("csv", "jsonl", "parquet"):
        out, _ = make(tmp_path, small, fmt=fmt, truth=False)
        logs[fmt] = [(e.case_id, e.event_type, e.timestamp, e.unit, e.attrs)
                     for e in oracle.read_log(out)]
    assert logs["csv"] == logs["jsonl"] == logs["parquet"]
    first = json.loads((tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert set(first) >= {"case_id", "event_type", "timestamp", "unit"}


def test_a_year_of_the_library_is_covered(tmp_path):
    loaded = load_rules([ROOT / "rules"])
    out = tmp_path / "y.csv"
    summary = generate(Options(events=4000, seed=3, year=2022), out, tmp_path / "t.csv", loaded)
    covered = covered_rules(loaded, 2022)
    assert set(summary.rules_covered) == {r.id for r in covered}
    # every rule of the year is broken on purpose somewhere (or, for a ratio, in weak units)
    assert {r.id for r in covered} <= {rule_id for rule_id, _ in summary.intended}
    # ... and every rule that can be found breaking is found (the truth is the oracle's)
    found = {f.rule_id for f in oracle.read_truth(tmp_path / "t.csv")}
    assert {r.id for r in covered} - found <= {
        r.id for r in covered if r.kind in ("ratio", "periodic")}
    # every event type of the vocabulary appears
    import yaml
    vocabulary = yaml.safe_load((ROOT / "rules" / "vocabulary.yaml").read_text(encoding="utf-8"))
    with open(out, encoding="utf-8", newline="") as f:
        seen = {r["event_type"] for r in csv.DictReader(f)}
    assert set(vocabulary["event_types"]) <= seen


def test_too_few_events_says_how_many(tmp_path, small):
    with pytest.raises(GeneratorError, match="at least"):
        make(tmp_path, small, events=20)


def test_a_year_without_a_calendar_is_refused(tmp_path, small):
    with pytest.raises(GeneratorError, match="2031"):
        generate(Options(events=3000, year=2030, rules=[small]), tmp_path / "x.csv")


def test_command_line(tmp_path, small):
    base = [sys.executable, str(ROOT / "cli.py"), "fixtures", "generate", "--rules", str(small),
            "--year", "2021"]
    done = subprocess.run(base + ["--events", "2000", "--seed", "4", "-o", str(tmp_path / "g.jsonl"),
                                  "--truth", str(tmp_path / "g.truth.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2000 events" in done.stderr and "expected findings" in done.stderr
    assert (tmp_path / "g.jsonl").read_text(encoding="utf-8").startswith('{"case_id":')
    header = (tmp_path / "g.truth.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "rule_id,case_id,unit,period,type"
    bad = subprocess.run(base + ["--events", "5", "-o", str(tmp_path / "x.csv")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "at least" in bad.stderr
