"""The two engines check each other: a log replayed through ``watch`` and ``check --as-of``
its last time give the same (rule, case, type) for the kinds ``watch`` judges.

Logs are random (hypothesis draws the seeds): a handful of cases, each a short random run
of the event types the rules name, with the attribute values the rules test, times that
often coincide (same-time ordering is where the engines could differ), copies of lines
(both engines count a copy once), and times on both sides of the rules' effective
windows, ends before starts, limits and extensions that are not whole numbers. The
stream's answer is, for each (rule, case), the finding of its last line that is still
standing (a ``resolved`` line withdraws it); warnings (``at_risk``) are compared with the
report's warnings, and the data-quality lines still standing with the report's
``data_quality`` (rule, case, reason, detail and line).
"""
from __future__ import annotations

import datetime as dt
import json
import random
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("durable_rules_engine")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from support import ROOT  # noqa: E402
from govcheck.engine.api import Run, check  # noqa: E402
from govcheck.engine.findings.labels import DATA_QUALITY  # noqa: E402
from govcheck.engine.model.loader import load_rules  # noqa: E402
from govcheck.engine.watch.monitor import WatchOptions, watch  # noqa: E402
from govcheck.engine.watch.cases import STREAM_KINDS, unsupported_key  # noqa: E402

SOURCE = "source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 测试条款}"

#: Rules that between them use every part of the five kinds.
RULES = {
    "DL-1": """
        kind: deadline
        effective: {from: 2021-01-01, to: 2021-12-31}
        where: {渠道|ne: 电话}
        start: {event_type: 受理}
        end: {event_type: 办结}
        within: {workdays: 3}
        pause: {event_type: 中止}
        resume: {event_type: 恢复}
        restart: {event_type: 补正}
        extend: {event_type: 延期, workdays_from: 延长工作日}
        warn_at: 0.6
    """,
    "DL-2": """
        kind: deadline
        start: {event_type: 受理, 承诺时限|exists: true}
        end: {event_type: [办结, 答复]}
        within: {workdays_from: 承诺时限}
        warn_at: 0.5
    """,
    "DL-3": """
        kind: deadline
        start: {event_type: 受理}
        end: {event_type: 答复}
        within: {days: 2}
        pause: {event_type: 中止}
        resume: {event_type: 恢复}
    """,
    "DL-4": """
        kind: deadline
        where: {等级|gt: 2}
        start: {event_type: 受理}
        end: {event_type: 答复}
        within: {hours: 30}
        warn_at: 0.5
    """,
    "SQ-1": """
        kind: sequence
        trigger: {event_type: 受理}
        steps: [{event_type: 交办}, {event_type: 办结}, {event_type: 反馈}]
        ordered: true
        within: {workdays: 4}
    """,
    "SQ-2": """
        kind: sequence
        effective: {from: 2021-01-01, to: 2021-12-31}
        trigger: {event_type: 受理, 类型: 投诉}
        steps: [{event_type: 回访}, {event_type: 反馈, 方式|contains: 电}]
    """,
    "MC-1": """
        kind: min_count
        subject: {event_type: 受理}
        count: {event_type: 更新}
        at_least: 2
        within: {days: 5}
    """,
    "MC-2": """
        kind: min_count
        subject: {event_type: 发布}
        count: {event_type: 解读}
        at_least: 2
        distinct: 形式
    """,
    "RF-1": """
        kind: required_fields
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 办结}
        fields: [结果, 经办人]
        allowed: {结果: [满意, 基本满意]}
    """,
    "FB-1": """
        kind: forbidden
        event: {event_type: 退件, 原因|exists: false}
    """,
    "FB-2": """
        kind: forbidden
        event: {event_type: 撤回, timestamp|gte: 2021-10-01, 份数|lt: 3}
    """,
}

TYPES = ["受理", "办结", "中止", "恢复", "补正", "延期", "答复", "交办", "反馈", "回访",
         "更新", "发布", "解读", "退件", "撤回", "其他"]
VALUES = {
    "渠道": ["电话", "网站", "窗口"], "承诺时限": ["0", "1", "2", "5", "x"], "延长工作日": ["1", "3", "两"],
    "等级": ["1", "3", "5", "x"], "类型": ["投诉", "咨询"], "方式": ["电话", "短信", "邮件"],
    "形式": ["图文", "视频", "H5"], "结果": ["满意", "基本满意", "不满意"], "经办人": ["张三"],
    "原因": ["材料不全"], "份数": ["1", "2", "5", "2.5"],
}


#: Attributes always given (here: so that most extensions are counted, a few unreadable).
REQUIRED = {"延期": {"延长工作日"}}


def write_rules(folder: Path, rules: dict[str, str] = RULES) -> Path:
    """The rules, with a vocabulary that declares the random logs' event types."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocabulary.yaml").write_text(
        "event_types:\n" + "".join(f"  {t}: {{description: 测试事件{t}, system: 测试系统}}\n"
                                    for t in TYPES), encoding="utf-8")
    for rid, body in rules.items():
        text = textwrap.dedent(body).strip()
        (folder / f"{rid}.yaml").write_text(
            f"id: {rid}\ntitle: 测试规则{rid}\nseverity: error\n{SOURCE}\n{text}\n", encoding="utf-8")
    return folder


def random_log(seed: int, types=TYPES, values=VALUES, cases: int | None = None,
               required: dict[str, set[str]] | None = None) -> list[dict]:
    """Events of a few random cases, in time order (ties in random order). ``required``:
    attributes an event type always carries (a blank one makes the case a data-quality
    finding, so without them few cases of such a rule would be judged)."""
    rng = random.Random(seed)
    required = REQUIRED if required is None else required
    era = rng.choice([dt.datetime(2021, 9, 24, 8), dt.datetime(2021, 12, 27, 8),
                      dt.datetime(2020, 12, 29, 8)])
    step = rng.choice([60, 240, 720, 1440])           # minutes between possible times
    events = []
    for c in range(cases or rng.randint(1, 14)):
        case_id = f"C{c:02d}"
        t = era + dt.timedelta(minutes=step * rng.randint(0, 4))
        weights = [rng.random() for _ in types]
        for _ in range(rng.randint(1, 9)):
            t += dt.timedelta(minutes=step * rng.choice([0, 0, 1, 1, 2, 3, 5, 8]))
            event = {"case_id": case_id, "event_type": rng.choices(types, weights)[0],
                     "timestamp": t.strftime("%Y-%m-%d %H:%M"), "unit": rng.choice(["甲局", "乙局"])}
            for name, options in values.items():
                if rng.random() < 0.45 or name in required.get(event["event_type"], ()):
                    event[name] = rng.choice(options)
            events.append(event)
            if rng.random() < 0.06:
                events.append(dict(event))            # an exact copy: counted once
    rng.shuffle(events)
    events.sort(key=lambda e: e["timestamp"])
    return events


def batch_findings(log: Path, rules: Path, as_of: str) -> tuple[set, set]:
    """``check``'s findings (rule, case, type) and data-quality findings (rule, case,
    reason, detail, row)."""
    ids = [r.rule.id for r in load_rules([rules])
           if r.rule.kind in STREAM_KINDS and unsupported_key(r.rule) is None]
    report = check(Run(events=[str(log)], rules=[str(rules)], as_of=as_of, rule_ids=ids))
    return ({(v.rule_id, v.case_id, v.type) for v in report.violations + report.warnings},
            {(q.rule_id, q.case_id, q.reason, q.detail, q.row) for q in report.data_quality})


def stream_findings(lines: list[dict]) -> tuple[set, set]:
    """The findings and data-quality lines still standing at the end, as ``batch_findings``
    gives them: a ``resolved`` line withdraws the line of its type (a data-quality line is
    withdrawn by a ``resolved`` line of its reason)."""
    last: dict[tuple[str, str], dict] = {}
    quality: dict[tuple[str, str, str], dict] = {}
    for line in lines:
        key = (line["rule_id"], line["case_id"])
        if line["type"] in DATA_QUALITY:
            quality[key + (line["type"],)] = line
        else:
            last[key] = line
    return ({(rid, case, line["type"]) for (rid, case), line in last.items()
             if line["finding"] != "resolved"},
            {(rid, case, reason, line["detail"], line["line"])
             for (rid, case, reason), line in quality.items() if line["finding"] == "data_quality"})


def replay(log: Path, rules: Path, tmp: Path, **options) -> list[dict]:
    out = tmp / "watch.jsonl"
    err = tmp / "watch.err"
    with open(out, "wb") as o, open(err, "w", encoding="utf-8") as e:
        code = watch(WatchOptions(source=str(log), rules=[str(rules)], status_every=0, **options),
                     out=o, err=e)
    assert code == 0, err.read_text(encoding="utf-8")
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


def compare(seed: int, tmp: Path, rules: Path, **gen) -> tuple[tuple, tuple, list[dict]]:
    events = random_log(seed, **gen)
    log = tmp / f"log{seed}.jsonl"
    log.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
    as_of = events[-1]["timestamp"]
    lines = replay(log, rules, tmp, shards=3)
    return batch_findings(log, rules, as_of), stream_findings(lines), events


def assert_agree(batch: tuple[set, set], stream: tuple[set, set], label: str) -> None:
    """The same findings, and the same data-quality findings, from both engines."""
    for what, b, s in zip(("findings", "data quality"), batch, stream):
        assert s == b, (f"{label}, {what}: only check {sorted(b - s)}, "
                        f"only watch {sorted(s - b)}")


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory) -> Path:
    return write_rules(tmp_path_factory.mktemp("parity") / "rules")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_watch_agrees_with_check(seed, rules_dir, tmp_path):
    batch, stream, events = compare(seed, tmp_path, rules_dir)
    assert_agree(batch, stream, f"seed {seed}")


def library_vocabulary(rules) -> tuple[list[str], dict[str, list[str]], dict[str, set[str]]]:
    """Event types and attribute values that the shipped rules' matchers name, and the
    attributes some event types must carry (a limit or an extension read from the log)."""
    types: set[str] = set()
    values: dict[str, set[str]] = {}
    required: dict[str, set[str]] = {}
    for item in rules:
        rule = item.rule
        for _, matcher in rule.matchers():
            for c in matcher.conditions:
                if c.field == "event_type":
                    types.update(str(v) for v in c.values)
                elif c.field in ("timestamp", "case_id", "unit"):
                    continue
                elif c.op == "exists":
                    values.setdefault(c.field, set()).add("有")
                else:
                    for v in c.values:
                        values.setdefault(c.field, set()).add(
                            str(float(v) + 1) if c.op in ("gt", "gte", "lt", "lte") else str(v))
        within = getattr(rule, "within", None)
        if within is not None and within.workdays_from:
            values.setdefault(within.workdays_from, set()).update({"3", "10"})
            for m in rule.opening():
                for t in m.event_types():
                    required.setdefault(t, set()).add(within.workdays_from)
        extend = getattr(rule, "extend", None)
        if extend is not None:
            values.setdefault(extend.attribute, set()).update({"2", "5"})
            for t in extend.matcher.event_types():
                required.setdefault(t, set()).add(extend.attribute)
        for name in getattr(rule, "fields", None) or ():
            values.setdefault(name, set()).add("有")
    return sorted(types), {k: sorted(v) for k, v in values.items()}, required


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_watch_agrees_with_check_on_the_rule_library(seed, tmp_path):
    rules = ROOT / "rules"
    types, values, required = library_vocabulary(load_rules([rules]))
    batch, stream, _ = compare(seed, tmp_path, rules, types=types, values=values, cases=30,
                               required=required)
    assert_agree(batch, stream, f"seed {seed}")


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=1, max_value=100_000), year=st.sampled_from([2021, 2022]))
def test_watch_agrees_with_check_on_generated_logs(seed, year, tmp_path):
    """Logs from ``govcheck fixtures generate``: every rule of a year, with violations."""
    generate = pytest.importorskip("govcheck.engine.testing.generator")
    rules = ROOT / "rules"
    folder = tmp_path / f"{seed}-{year}"
    folder.mkdir()
    log = folder / "log.jsonl"
    generate.generate(generate.Options(events=3000, seed=seed, year=year, format="jsonl"), log)
    last = max(json.loads(x)["timestamp"] for x in log.read_text(encoding="utf-8").splitlines())
    batch = batch_findings(log, rules, last)
    stream = stream_findings(replay(log, rules, folder, shards=4))
    assert batch[0]
    assert_agree(batch, stream, f"seed {seed}, {year}")


#: Rules that use the keys added for issue 13 that ``watch`` runs: cancel, pause pairs
#: with caps (also read from the pause event), extensions with a total cap, restarts,
#: settle, limits with a default, step alternatives.
AMENDED = {
    "CX-1": """
        kind: deadline
        start: {event_type: 受理}
        end: {event_type: 办结}
        within: {workdays: 3}
        pause: {event_type: 中止}
        resume: {event_type: 恢复}
        warn_at: 0.5
        cancel: [{event_type: 撤回}, {event_type: 退件}]
    """,
    "CX-2": """
        kind: sequence
        trigger: {event_type: 受理}
        steps: [{event_type: 交办}, {event_type: 办结}]
        within: {days: 4}
        cancel: {event_type: 撤回}
    """,
    "CX-3": """
        kind: sequence
        trigger: {event_type: 受理}
        steps: [{event_type: 回访}, {event_type: 反馈}]
        ordered: true
        cancel: {event_type: 撤回}
    """,
    "CX-4": """
        kind: min_count
        subject: {event_type: 发布}
        count: {event_type: 解读}
        at_least: 2
        within: {days: 5}
        cancel: {event_type: 撤回}
    """,
    "CX-5": """
        kind: min_count
        subject: {event_type: 发布}
        count: {event_type: 解读}
        at_least: 2
        distinct: 形式
        cancel: {event_type: 撤回}
    """,
    "MV-1": """
        kind: deadline
        start: {event_type: 受理}
        end: {event_type: 办结}
        within: {workdays: 3}
        pauses:
          - {pause: {event_type: 中止}, resume: {event_type: 恢复}, max: {workdays: 2}}
          - {pause: {event_type: 交办}, resume: {event_type: 反馈}}
        restart: {event_type: 补正}
        extend: {event_type: 延期, workdays_from: 延长工作日}
        extend_max: {workdays: 2}
        warn_at: 0.6
        cancel: {event_type: 撤回}
    """,
    "MV-2": """
        kind: deadline
        start: {event_type: 受理}
        end: {event_type: 答复}
        within: {days: 2}
        pause: {event_type: 中止}
        resume: {event_type: 恢复}
        pause_max: {days: 1}
        restart: {event_type: 补正}
    """,
    "MV-3": """
        kind: deadline
        start: {event_type: 受理}
        end: {event_type: 答复}
        within: {workdays: 2}
        pause: {event_type: 中止}
        resume: {event_type: 恢复}
        pause_max: {workdays_from: 延长工作日}
        restart: {event_type: 补正}
    """,
    "ST-1": """
        kind: sequence
        trigger: {event_type: 受理}
        steps: [{event_type: 交办}, {event_type: 反馈}]
        ordered: true
        settle: {workdays: 2, reason: 测试用的判定前等待时间}
        cancel: {event_type: 撤回}
    """,
    "ST-2": """
        kind: min_count
        subject: {event_type: 发布}
        count: {event_type: 解读}
        at_least: 2
        distinct: 形式
        settle: {days: 3, reason: 测试用的判定前等待时间}
        cancel: {event_type: 撤回}
    """,
    "ST-3": """
        kind: sequence
        trigger: {event_type: 受理}
        steps: [{event_type: 办结}]
        settle: {workdays_from: 承诺时限, reason: 测试用的判定前等待时间}
    """,
    "DF-1": """
        kind: deadline
        start: {event_type: 受理}
        end: {event_type: [办结, 答复]}
        within: {workdays_from: 承诺时限, default: 3}
        pause: {event_type: 中止}
        resume: {event_type: 恢复}
        pause_max: {workdays_from: 延长工作日, default: 1}
        warn_at: 0.5
    """,
    "SA-1": """
        kind: sequence
        trigger: {event_type: 受理}
        steps: [{event_type: 交办}, [{event_type: 办结}, {event_type: 答复, 结果: 满意}]]
        ordered: true
        within: {days: 3}
    """,
}



@pytest.fixture(scope="module")
def amended_dir(tmp_path_factory) -> Path:
    return write_rules(tmp_path_factory.mktemp("amended") / "rules", AMENDED)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_watch_agrees_with_check_on_the_amended_language(seed, amended_dir, tmp_path):
    batch, stream, _ = compare(seed, tmp_path, amended_dir)
    assert_agree(batch, stream, f"seed {seed}")


#: ``re`` rules: RE2 in both engines (DuckDB's regexp_matches, the google-re2 binding).
REGEX_RULES = {
    "RE-1": """
        kind: forbidden
        event: {event_type: 退件, 原因|re: '^(a+)+$'}
    """,
    "RE-2": """
        kind: forbidden
        event: {event_type: 撤回, 原因|re: ['\\d{2}', '(?i)^abc', '材料.不全', '\\bok\\b']}
    """,
    "RE-3": """
        kind: required_fields
        event: {event_type: 办结, 原因|re: '[[:alpha:]]+\\s'}
        fields: [经办人]
    """,
}

#: Values on which dialects differ: backtracking, Unicode digits, letters and spaces, case.
REGEX_VALUES = {"原因": ["a" * 12 + "!", "a" * 12, "１２", "12", "AbC", "材料不全", "材料都不全",
                       "ok", "OK!", "é ", "x\u3000", "ab c"], "经办人": ["张三"]}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_watch_matches_regular_expressions_as_check_does(seed, tmp_path):
    rules = write_rules(tmp_path / "rules", REGEX_RULES)
    batch, stream, _ = compare(seed, tmp_path, rules, types=["退件", "撤回", "办结"],
                               values=REGEX_VALUES, cases=20, required={})
    assert_agree(batch, stream, f"seed {seed}")
