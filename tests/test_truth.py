"""``check`` finds exactly the known answers of generated logs, and of a real export.

The known answers come from ``testing.oracle``, a per-case reading of the contract. It
shares with the engines only the loaded rule objects' plain fields (ids, dates, each
matcher's raw mapping, durations' numbers) and the error classes: it parses matchers,
works out the opening, the effective window, periods and working days itself, the last
straight from chinese_calendar's tables and the YAML calendars (tests/test_layers.py
checks its imports). The logs come from ``testing.generator``, which judges matchers with
its own code, not the oracle's. Seeds and sizes are drawn by hypothesis (a few examples:
each is a whole generate-and-check run). A mismatch prints the first findings that differ.
"""
from __future__ import annotations

import csv
import datetime as dt
import tempfile
import textwrap
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from support import ROOT, rule_from
from test_kinds import OPERATOR_EVENTS, OPERATORS, operator_rule
from govcheck.engine.testing import oracle
from govcheck.engine.testing.oracle.log import make_event
from govcheck.engine.api import evaluate
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.errors import CalendarError
from govcheck.engine.testing.generator import Options, generate
from govcheck.engine.data.ingest import ingest
from govcheck.engine.model.loader import load_rules

SOURCE = "source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 测试条款}\n"
REALDATA = ROOT.parent / "shared" / "realdata"

#: Every kind with every option the rule language has: pause, resume, restart, extension,
#: warnings, hours, calendar days, limits read from the log, ordered steps, distinct
#: counts, listed subjects, ratios by quarter and by month and without a period,
#: periods of a week with a grace and a period attribute, allowed values, each operator;
#: and the keys issue 13 added: pause pairs with caps (fixed and read from the pause
#: event), extend_max, limits with a default, cancel, exclude, only_if, settle, step
#: alternatives, subjects_window, ratio grace and lead_unit, months grace.
FEATURES = {
    "T-DL-1": """\
        kind: deadline
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        start: {event_type: 申请收到}
        end: {event_type: 申请答复}
        within: {workdays: 5}
        warn_at: 0.6
        pause: {event_type: 征求意见发出}
        resume: {event_type: 征求意见收回}
        restart: {event_type: 补正收到}
        extend: {event_type: 延期告知, workdays_from: 延长工作日}
        """,
    "T-DL-2": """\
        kind: deadline
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        where: {问题类别: 简单常见}
        start: {event_type: 申请收到}
        end: {event_type: 申请答复}
        within: {workdays: 1}
        """,
    "T-DL-3": """\
        kind: deadline
        severity: error
        effective: {from: 2021-03-01, to: 2021-11-30}
        start: {event_type: 求助登记}
        end: {event_type: 求助响应}
        within: {hours: 24}
        warn_at: 0.5
        """,
    "T-DL-4": """\
        kind: deadline
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        where: {unit: [大祥区, 新宁县]}
        start: {event_type: 办件受理, 承诺时限|exists: true}
        end: {event_type: 办件办结}
        within: {workdays_from: 承诺时限}
        """,
    "T-DL-5": """\
        kind: deadline
        severity: error
        start: {event_type: 投诉登记, 渠道|ne: 电话}
        end: {event_type: 投诉办结}
        within: {days: 7}
        warn_at: 0.5
        pause: {event_type: 投诉中止}
        resume: {event_type: 投诉恢复}
        """,
    "T-DL-6": """\
        kind: deadline
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        start: {event_type: 依申请收到}
        end: {event_type: 依申请答复}
        within: {workdays: 10}
        pauses:
          - {pause: {event_type: 意见征求发出}, resume: {event_type: 意见征求收回}, max: {workdays: 3}}
          - {pause: {event_type: 补正通知}, resume: {event_type: 补正材料收到}}
        restart: {event_type: 补正材料收到}
        extend: {event_type: 答复延期, workdays_from: 延期天数}
        extend_max: {workdays: 5}
        warn_at: 0.5
        cancel: [{event_type: 申请撤回}, {event_type: 视为放弃申请}]
        """,
    "T-DL-7": """\
        kind: deadline
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        start: {event_type: 许可受理}
        end: {event_type: 许可决定}
        within: {workdays_from: 法定时限, default: 20}
        pause: {event_type: 特别程序开始}
        resume: {event_type: 特别程序结束}
        pause_max: {workdays_from: 所需工作日, default: 5}
        exclude: {event_type: 许可受理, 受理方式: 容缺}
        """,
    "T-SEQ-1": """\
        kind: sequence
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        trigger: {event_type: 差评}
        steps: [{event_type: 差评核实}, {event_type: 差评整改}, {event_type: 差评反馈}]
        ordered: true
        within: {workdays: 10}
        """,
    "T-SEQ-2": """\
        kind: sequence
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        trigger: {event_type: 信息形成, 信息类别|contains: 规划}
        steps: [{event_type: 信息发布, 栏目|startswith: 规划}, {event_type: 解读发布}]
        """,
    "T-SEQ-3": """\
        kind: sequence
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        trigger: {event_type: 红牌发出}
        steps: [{event_type: 红牌核查}, [{event_type: 红牌追责}, {event_type: 红牌核查, 核查结论: 误报}]]
        ordered: true
        settle: {workdays: 10, reason: 测试用的判定前等待时间}
        exclude: {event_type: 红牌撤销}
        cancel: {event_type: 红牌作废}
        """,
    "T-MIN-1": """\
        kind: min_count
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        subject: {event_type: 信息形成, 信息类别: 规范性文件}
        count: {event_type: 解读发布}
        at_least: 2
        distinct: 解读形式
        within: {workdays: 5}
        """,
    "T-MIN-2": """\
        kind: min_count
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        subject: {event_type: 专题开设}
        count: {event_type: 专题更新}
        at_least: 3
        """,
    "T-MIN-3": """\
        kind: min_count
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        subject: {event_type: 文件印发}
        count: {event_type: 文件解读}
        at_least: 2
        distinct: 解读方式
        settle: {days: 15, reason: 测试用的判定前等待时间}
        only_if: {event_type: 文件登记}
        cancel: {event_type: 文件废止}
        """,
    "T-DUE-1": """\
        kind: due_by
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        subjects: {event_type: 任务下达}
        required: {event_type: 任务完成}
        by: 2021-06-30
        """,
    "T-DUE-2": """\
        kind: due_by
        severity: error
        subjects_list: [{case_id: 城乡规划, unit: 绥宁县}, {case_id: 户籍管理, unit: 邵阳经开区},
                        {case_id: 养老服务, unit: 邵阳县}]
        required: {event_type: 目录报审}
        by: 2021-09-30
        """,
    "T-DUE-3": """\
        kind: due_by
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        subjects: {event_type: 通办事项纳入}
        required: {event_type: 通办事项上线}
        by: 2021-12-31
        subjects_window: {from: any}
        settle: {workdays: 10, reason: 测试用的判定前等待时间}
        cancel: {event_type: 通办事项取消}
        """,
    "T-RATIO-1": """\
        kind: ratio
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        population: {event_type: 事项发布}
        condition: {event_type: 网办开通}
        at_least: 0.8
        group_by: [unit]
        period: quarter
        exclude: {event_type: 事项发布, 法定不可网办: 是}
        """,
    "T-RATIO-2": """\
        kind: ratio
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        population: {event_type: 月度统计}
        value: {numerator: 电子发证数, denominator: 发证总数}
        at_least: 0.5
        group_by: [unit]
        period: month
        """,
    "T-RATIO-3": """\
        kind: ratio
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        population: {event_type: 监管认领}
        condition: {event_type: 清单填报}
        at_least: 0.95          # missed, so the truth holds a period that is the window's label
        """,
    "T-RATIO-4": """\
        kind: ratio
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        population: {event_type: 依申请事项发布}
        condition: {event_type: 结果电子化}
        at_least: 0.9
        lead_unit: 市行政审批服务局
        grace: {days: 10}
        """,
    "T-PER-1": """\
        kind: periodic
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 周报发布}
        every: week
        at_least: 1
        units: [市行政审批服务局, 市卫健委]
        """,
    "T-PER-2": """\
        kind: periodic
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 月报发布}
        every: month
        at_least: 1
        period_of: 报告期
        grace: {workdays: 5}
        """,
    "T-PER-3": """\
        kind: periodic
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 季度通报}
        every: quarter
        at_least: 2
        group_by: [unit, 平台]
        """,
    "T-PER-4": """\
        kind: periodic
        severity: warning
        event: {event_type: 年报发布}
        every: year
        at_least: 1
        period_of: 报告年度
        grace: {days: 31}
        """,
    "T-PER-5": """\
        kind: periodic
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 督查通报}
        every: quarter
        at_least: 2
        lead_unit: 市政务服务中心
        grace: {months: 1}
        """,
    "T-FLD-1": """\
        kind: required_fields
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 事项发布, 告知承诺: 是}
        fields: [适用对象, 监管措施, 是否网办]
        allowed: {是否网办: [是, 否]}
        """,
    "T-FLD-2": """\
        kind: required_fields
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 信息发布}
        fields: [审核人]
        """,
    "T-FLD-3": """\
        kind: required_fields
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 年报公开}
        fields: [评估结果]
        only_if: {event_type: 年报公开, 报告类型: 本级政府}
        """,
    "T-FORB-1": """\
        kind: forbidden
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 延期告知, 延长工作日|gt: 15}
        """,
    "T-FORB-2": """\
        kind: forbidden
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 事项发布, 办理渠道: 仅线上, 必须网办|ne: 是}
        """,
    "T-FORB-3": """\
        kind: forbidden
        severity: warning
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 采购, 采购渠道|re: '^直接', timestamp|gte: 2021-07-01}
        """,
    "T-FORB-4": """\
        kind: forbidden
        severity: error
        effective: {from: 2021-01-01, to: 2021-12-31}
        event: {event_type: 二次补正告知}
        exclude: {event_type: 补正期限变更}
        """,
}

MISMATCH_SHOWN = 12


def write_rules(folder: Path, rules: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rule_id, body in rules.items():
        text = f"id: {rule_id}\ntitle: 测试规则\n" + textwrap.dedent(body)
        (folder / f"{rule_id}.yaml").write_text(text.replace("severity:", SOURCE + "severity:", 1),
                                                encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture(scope="module")
def library():
    return load_rules([ROOT / "rules"])


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    folder = write_rules(tmp_path_factory.mktemp("features"), FEATURES)
    return folder, load_rules([folder])


def engine_findings(log: Path, loaded, calendar: WorkCalendar, mapping: Path | None = None):
    """What the SQL engine reports (violations and warnings) for a log."""
    con = duckdb.connect()
    try:
        result = ingest(con, [str(log)], mapping=mapping)
        return oracle.findings_of(evaluate(con, loaded, calendar, result))
    finally:
        con.close()


def assert_same(found: list, expected: list, what: str) -> None:
    found, expected = set(found), set(expected)
    if found == expected:
        return
    missing = sorted(expected - found)[:MISMATCH_SHOWN]
    extra = sorted(found - expected)[:MISMATCH_SHOWN]
    lines = [f"{what}: the engine found {len(found)} findings, the truth has {len(expected)}"]
    lines += [f"  expected, not found: {f.row()}" for f in missing]
    lines += [f"  found, not expected: {f.row()}" for f in extra]
    pytest.fail("\n".join(lines))


def generated_truth(options: Options, loaded, calendar):
    with tempfile.TemporaryDirectory() as tmp:
        log, truth = Path(tmp) / "log.csv", Path(tmp) / "truth.csv"
        summary = generate(options, log, truth, loaded)
        expected = oracle.read_truth(truth)
        found = engine_findings(log, loaded, calendar)
    return summary, expected, found


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(1, 10 ** 6), year=st.sampled_from([2021, 2022]),
       events=st.sampled_from([2500, 6000, 15000]))
def test_check_finds_the_truth_of_a_library_year(seed, year, events, library, calendar):
    summary, expected, found = generated_truth(Options(events=events, seed=seed, year=year),
                                               library, calendar)
    assert expected, "a generated year has findings"
    assert_same(found, expected, f"library, year {year}, seed {seed}, {events} events")


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(1, 10 ** 6), events=st.sampled_from([3000, 8000]))
def test_check_finds_the_truth_with_every_option(seed, events, features, calendar):
    folder, loaded = features
    summary, expected, found = generated_truth(
        Options(events=events, seed=seed, year=2021, rules=[folder]), loaded, calendar)
    kinds = {f.type for f in expected}
    assert {"late", "overdue_open", "missing_step", "insufficient", "missing_by_date",
            "missing_field", "forbidden", "below_threshold"} <= kinds
    assert_same(found, expected, f"every option, seed {seed}, {events} events")


def test_the_sample_log(library, calendar):
    """README's first command runs on the sample: the engine, the oracle and the truth file
    agree. (A rule added to the library later may find more in the sample; rules with
    findings in truth.csv must still find exactly those.)"""
    sample = ROOT / "fixtures" / "sample"
    events = oracle.read_log(sample / "events.csv")
    expected = oracle.evaluate([item.rule for item in library], events, oracle.Workdays.load())
    assert_same(engine_findings(sample / "events.csv", library, calendar), expected,
                "fixtures/sample/events.csv")
    truth = oracle.read_truth(sample / "truth.csv")
    listed = {f.rule_id for f in truth}
    assert_same([f for f in expected if f.rule_id in listed], truth,
                "fixtures/sample/truth.csv is out of date: regenerate it with the command in "
                "fixtures/sample/README.md")


# ---------------------------------------------------------------------------
# Working days counted straight from chinese_calendar: a generated log, and a real export
# (the 2020 泰迪杯 message board, through its mapping file) when ../shared has it
# ---------------------------------------------------------------------------

TEDDYCUP = REALDATA / "teddycup2020c" / "messages_with_replies.csv"
REPLY_RULES = {
    "T-REPLY-5": "within: {workdays: 5}",
    "T-REPLY-1": "within: {workdays: 1}",
}


def _working_days_deadline(posted: dt.datetime, n: int) -> dt.datetime:
    """End of the n-th working day after the post's date, by chinesecalendar directly."""
    import chinese_calendar

    day, counted = posted.date(), 0
    while counted < n:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def _runs_over_a_makeup_day(posted: dt.datetime, due: dt.datetime) -> bool:
    """Whether a deadline's count passes a 调休 working weekend day."""
    import chinese_calendar

    span = (due.date() - posted.date()).days
    days = (posted.date() + dt.timedelta(days=i) for i in range(1, span + 1))
    return any(d.weekday() >= 5 and chinese_calendar.is_workday(d) for d in days)


def _parse(text: str) -> dt.datetime:
    text = text.strip().replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError(text)


def _generated_replies(folder: Path, rules: Path) -> tuple[Path, None, list]:
    """A generated year of questions and replies: (log, mapping, (posted, replied) pairs)."""
    log = folder / "replies.csv"
    generate(Options(events=6000, seed=19, year=2021, rules=[rules]), log)
    posted: dict[str, dt.datetime] = {}
    replied: dict[str, dt.datetime] = {}
    with open(log, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            at = _parse(row["timestamp"])
            if row["event_type"] == "留言受理":
                posted.setdefault(row["case_id"], at)
            elif row["event_type"] == "留言答复" and row["case_id"] in posted:
                replied.setdefault(row["case_id"], at)
    return log, None, [(at, replied.get(case)) for case, at in posted.items()]


def _teddycup_replies(folder: Path, rules: Path) -> tuple[Path, Path, list]:
    """The real export, with its mapping: (log, mapping, (posted, replied) pairs)."""
    if not TEDDYCUP.exists():
        pytest.skip("../shared/realdata is not here")
    with open(TEDDYCUP, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = [(_parse(r["留言时间"]), _parse(r["答复时间"]) if r["答复时间"].strip() else None)
             for r in rows]
    return TEDDYCUP, ROOT / "fixtures" / "mappings" / "teddycup2020c.yaml", pairs


@pytest.mark.parametrize("replies", [_generated_replies, _teddycup_replies],
                         ids=["generated", "teddycup2020c"])
def test_working_days_against_an_independent_count(replies, tmp_path, calendar):
    rules = {}
    for rule_id, within in REPLY_RULES.items():
        rules[rule_id] = (f"kind: deadline\nseverity: error\nstart: {{event_type: 留言受理}}\n"
                          f"end: {{event_type: 留言答复}}\n{within}\n")
    folder = write_rules(tmp_path / "rules", rules)
    log, mapping, pairs = replies(tmp_path, folder)
    found = engine_findings(log, load_rules([folder]), calendar, mapping=mapping)
    as_of = max(t for pair in pairs for t in pair if t is not None)
    crossed_makeup_day = False
    for rule_id, n in (("T-REPLY-5", 5), ("T-REPLY-1", 1)):
        late = open_ = 0
        for posted, replied in pairs:
            due = _working_days_deadline(posted, n)
            crossed_makeup_day = crossed_makeup_day or _runs_over_a_makeup_day(posted, due)
            if replied is None:
                open_ += as_of > due
            elif replied > due:
                late += 1
        mine = [f for f in found if f.rule_id == rule_id]
        assert sum(f.type == "late" for f in mine) == late
        assert sum(f.type == "overdue_open" for f in mine) == open_
        assert late > 100                    # the data has plenty of late replies
    assert crossed_makeup_day                # some deadline runs over a 调休 working weekend


def test_the_oracle_reads_working_days_straight_from_the_holiday_data():
    """The oracle's own count: chinese_calendar's years as the package says, a YAML year as
    its file says, and no guess for a year neither covers."""
    import chinese_calendar
    import yaml

    fictional = ROOT / "tests" / "data" / "calendars" / "fictional-2028.yaml"
    workdays = oracle.Workdays.load([fictional])
    day = dt.date(2004, 1, 1)
    while day.year <= 2026:
        assert workdays.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    schedule = yaml.safe_load(fictional.read_text(encoding="utf-8"))
    assert not any(workdays.is_workday(d) for d in schedule["holidays"])
    assert all(workdays.is_workday(d) for d in schedule["workdays"])
    # 国庆节 2021: 1-7 October off, Saturday 9 October a 调休 working day
    assert workdays.deadline(dt.datetime(2021, 9, 30, 10), 1) == \
        dt.datetime(2021, 10, 8, 23, 59, 59)
    assert workdays.nth_after(dt.date(2021, 10, 8), 1) == dt.date(2021, 10, 9)
    with pytest.raises(CalendarError, match="2027"):
        workdays.nth_after(dt.date(2026, 12, 28), 5)


@pytest.mark.parametrize("matcher, expected", OPERATORS)
def test_the_oracle_reads_each_operator_as_worked_out_by_hand(matcher, expected):
    """The operator table of tests/test_kinds.py, which ``check`` passes: the oracle parses
    matchers itself, so it needs hand-worked answers of its own, not only agreement."""
    rule = rule_from(operator_rule(matcher)).rule
    events = [make_event(e, i) for i, e in enumerate(OPERATOR_EVENTS)]
    assert {f.case_id for f in oracle.evaluate([rule], events)} == expected
