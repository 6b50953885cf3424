"""Rule files: every problem located at file:line:column, nothing constructed from tags."""
from __future__ import annotations

import datetime as dt
import json
import re
import textwrap

import jsonschema
import pytest
import yaml

from support import ROOT
from govcheck.engine.errors import RuleError, RuleErrors
from govcheck.engine.model.loader import load_rule_file, load_rules
from govcheck.engine.model.schema import schema_text

GOOD = """\
id: T-1
title: 5个工作日内答复
kind: deadline
severity: error
source: {document: 文件, number: 文号, clause: 一、, quote: 原文}
start: {event_type: 留言受理}
end: {event_type: 留言答复}
within: {workdays: 5}
"""


def problems(text: str) -> list[str]:
    with pytest.raises((RuleErrors, RuleError)) as info:
        load_rule_file("r.yaml", textwrap.dedent(text))
    err = info.value
    return [str(e) for e in getattr(err, "errors", [err])]


def test_good_rule_loads():
    assert load_rule_file("r.yaml", GOOD).rule.within.workdays == 5


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("within:", "withn:"), "r.yaml:8:1: unknown key 'withn' (did you mean 'within'?)"),
    (GOOD.replace("kind: deadline", "kind: deadlin"), "r.yaml:3:7: unknown kind 'deadlin' (did you mean 'deadline'?)"),
    (GOOD.replace("{workdays: 5}", "{workdays: five}"), "r.yaml:8:20: 'workdays': expected a whole number"),
    (GOOD.replace("event_type: 留言受理", "event_type|near: 留言受理"), "unknown operator 'near'"),
    (GOOD.replace("id: T-1", "id: t 1"), "r.yaml:1:5: 'id': 't 1' must match"),
    (GOOD + "within: {days: 3}\n", "r.yaml:9:1: duplicate key 'within'"),
    (GOOD.replace("severity: error", "severity: fatal"), "r.yaml:4:11: 'severity'"),
    (GOOD.replace("start: {event_type: 留言受理}", "start: {event_type: [留言受理"), "YAML syntax error"),
    (GOOD.replace("kind: deadline", "kind: deadline\n\tseverity: error"),
     "r.yaml:4:1: YAML syntax error: while scanning for the next token found character '\\t' "
     "that cannot start any token"),
    (GOOD + "x: !!python/object/apply:os.system ['echo pwned']\n", "r.yaml:9:4: YAML tag"),
    (GOOD + "pause: {event_type: 中止}\n", "pause and resume go together"),
    ("- just\n- a list\n", "r.yaml:1:1: a rule file holds one mapping"),
])
def test_problems_are_located(text, expected):
    assert any(expected in p for p in problems(text)), problems(text)


def test_every_problem_of_a_file_is_listed():
    text = GOOD.replace("within:", "withn:").replace("severity: error", "severity: fatal")
    assert len(problems(text)) >= 2


def test_duplicate_ids_across_files(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(RuleErrors, match="duplicate rule id 'T-1'"):
        load_rules([tmp_path])


def test_tags_never_construct_objects(tmp_path):
    marker = tmp_path / "ran"
    text = GOOD + f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    problems(text)
    assert not marker.exists()


def test_schema_file_is_current():
    path = ROOT / "rules" / "rule.schema.json"
    assert path.read_text(encoding="utf-8") == schema_text(), \
        "rules/rule.schema.json is stale: run python -m engine.schema > rules/rule.schema.json"


def test_schema_accepts_a_rule_and_rejects_unknown_keys():
    schema = json.loads(schema_text())
    data = yaml.safe_load(GOOD)
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "withn": 1}, schema)


@pytest.mark.parametrize("duration, where", [
    ("{hours: 99999999999999999999}", "r.yaml:8:17: 'hours': 99999999999999999999 is out of range"),
    ("{workdays: 1000000}", "r.yaml:8:20: 'workdays': 1000000 is out of range"),
    ("{days: 99999999}", "r.yaml:8:16: 'days': 99999999 is out of range"),
])
def test_durations_are_range_checked_at_load(duration, where):
    found = problems(GOOD.replace("{workdays: 5}", duration))
    assert any(p.startswith(where) for p in found), found


def test_a_link_out_of_the_rules_folder_is_not_followed(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "T-1.yaml").symlink_to(secret)
    with pytest.raises(RuleErrors) as info:
        load_rules([rules])
    assert "outside the rules folder" in str(info.value) and "hunter2" not in str(info.value)


def test_a_link_to_a_device_is_not_read(tmp_path):
    (tmp_path / "Z-1.yaml").symlink_to("/dev/zero")
    with pytest.raises(RuleErrors, match="not a regular file|outside the rules folder"):
        load_rules([tmp_path])
    with pytest.raises(RuleErrors, match="not a regular file"):
        load_rules(["/dev/zero"])


def test_a_huge_rule_file_and_too_many_examples_are_refused(tmp_path):
    from govcheck.engine.model.loader import MAX_EXAMPLES, MAX_RULE_FILE_BYTES
    big = tmp_path / "T-1.yaml"
    big.write_text(GOOD + "# " + "x" * MAX_RULE_FILE_BYTES + "\n", encoding="utf-8")
    with pytest.raises(RuleErrors, match="a rule file has at most"):
        load_rules([big])
    example = "  - {name: e, events: [], expect: []}\n"
    found = problems(GOOD + "examples:\n" + example * (MAX_EXAMPLES + 1))
    assert found == [f"r.yaml:10:3: {MAX_EXAMPLES + 1:,} examples: a rule has at most {MAX_EXAMPLES} "
                     "(each runs the engine in validate and CI)"]


@pytest.mark.parametrize("pattern, reason", [
    (r"(\w)\1", "invalid escape sequence"),            # a backreference: DuckDB's RE2 refuses it
    ("(?=a)b", "invalid perl operator"),               # lookahead
    ("[", "missing ]"),
])
def test_patterns_re2_refuses_are_refused_at_load_with_their_line(pattern, reason):
    text = GOOD.replace("start: {event_type: 留言受理}", f"start: {{event_type: 留言受理, 标题|re: '{pattern}'}}")
    found = problems(text)
    assert any(p.startswith("r.yaml:6:") and reason in p and "RE2" in p for p in found), found


def test_a_pattern_that_backtracks_in_python_is_answered():
    """With Python's re this search would not end (catastrophic backtracking)."""
    from govcheck.engine.model.regex import search
    assert not search("(a+)+$", "a" * 50_000 + "!")
    assert search("^邵阳", "邵阳市") and not search("^阳", "邵阳市")


# ---------------------------------------------------------------------------
# Dates written as text
# ---------------------------------------------------------------------------

DUE_BY = """\
id: T-2
title: 年底前公布
kind: due_by
severity: error
source: {document: 文件, number: 文号, clause: 一、, quote: 原文}
effective: {from: FROM, to: "2022-12-31"}
subjects: {event_type: 事项登记, timestamp|gte: "2022-01-01"}
required: {event_type: 事项公布}
by: BY
examples:
  - name: 未公布
    events:
      - {case_id: C1, event_type: 事项登记, timestamp: "2022-03-01 09:00"}
    as_of: AS_OF
    expect: [{case_id: C1, type: missing_by_date}]
"""


def due_by(start: str = '"2022-01-01"', by: str = '"2022-12-31"', as_of: str = '"2023-01-02"') -> str:
    return DUE_BY.replace("FROM", start).replace("BY", by).replace("AS_OF", as_of)


@pytest.mark.parametrize("as_of, expected", [
    ('"2023-01-02"', dt.date(2023, 1, 2)),
    ('"2023-01-02 09:30"', dt.datetime(2023, 1, 2, 9, 30)),
    ('"2023-01-02T09:30:15"', dt.datetime(2023, 1, 2, 9, 30, 15)),
    ("2023-01-02", dt.date(2023, 1, 2)),
])
def test_dates_may_be_written_as_text(as_of, expected):
    """JSON, and so rules/rule.schema.json, writes every date as text."""
    rule = load_rule_file("r.yaml", due_by(as_of=as_of)).rule
    assert rule.effective.from_ == dt.date(2022, 1, 1) and rule.effective.to == dt.date(2022, 12, 31)
    assert rule.by == dt.date(2022, 12, 31)
    assert rule.examples[0].as_of == expected
    assert rule.subjects.root["timestamp|gte"] == dt.date(2022, 1, 1)


def test_a_rule_with_text_dates_is_the_rule_with_yaml_dates():
    unquoted = re.sub(r'"(\d{4}-\d{2}-\d{2})"', r"\1", due_by())
    assert '"' not in unquoted.split("examples:")[0]
    assert load_rule_file("r.yaml", due_by()).rule == load_rule_file("r.yaml", unquoted).rule


@pytest.mark.parametrize("text, expected", [
    (due_by(start='"2022-13-01"'), "r.yaml:6:19: 'from': '2022-13-01' is not a day of the calendar"),
    (due_by(start='"明年"'), "r.yaml:6:19: 'from': expected a date (YYYY-MM-DD), got '明年'"),
    (due_by(start='"2022/01/01"'), "r.yaml:6:19: 'from': expected a date (YYYY-MM-DD), got '2022/01/01'"),
    (due_by(by='"2022-02-30"'), "r.yaml:9:5: 'by': '2022-02-30' is not a day of the calendar"),
    (due_by(as_of='"明年"'), "r.yaml:14:12: 'as_of': expected a date (YYYY-MM-DD) or a date and time "
                            "(YYYY-MM-DD HH:MM[:SS]), got '明年'"),
    (due_by(as_of='"2023-01-02 25:00"'), "r.yaml:14:12: 'as_of': expected a date (YYYY-MM-DD) or a "
                                        "date and time (YYYY-MM-DD HH:MM[:SS]), got '2023-01-02 25:00'"),
    (due_by().replace('timestamp|gte: "2022-01-01"', 'timestamp|gte: "2022-00-01"'),
     "r.yaml:7:30: 'timestamp|gte' compares times: give a date such as 2021-01-01"),
])
def test_a_bad_date_written_as_text_is_located_at_its_key(text, expected):
    assert problems(text) == [expected]


def test_schema_says_dates_are_text():
    schema = json.loads(schema_text())
    data = yaml.safe_load(due_by())
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "examples": [{**data["examples"][0], "as_of": "明年"}]}, schema)
