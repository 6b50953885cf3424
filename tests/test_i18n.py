"""Chinese first: the one message catalog is complete, compiled, and spoken by default.

The catalog (locale/zh_CN/LC_MESSAGES/govcheck.po, compiled to govcheck.mo beside it) is
kept with Babel as docs/translation.md says; these tests fail when a step was forgotten:
a message marked in the code that the catalog lacks (``pybabel extract`` + ``update``), a
catalog entry the code no longer has, an entry left untranslated or fuzzy, a ``.mo`` older
than its ``.po`` (``pybabel compile``). The rest of the suite runs in English
(tests/conftest.py sets GOVCHECK_LANG=en); here the default is run as a user meets it.
"""
from __future__ import annotations

import ast
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from string import Formatter

import click
import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from govcheck.engine import i18n
from support import ROOT

CATALOG = ROOT / "locale" / "zh_CN" / "LC_MESSAGES"
#: Chinese: a Han character, or Chinese punctuation (``{location}：{message}`` has no word).
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def translations(catalog) -> dict:
    """msgid → msgstr; a message with plural forms is (singular, plural) → its forms (a
    .po gives them as tuples, a .mo as lists)."""
    return {_plain(m.id): _plain(m.string) for m in catalog if m.id}


def _plain(text):
    return tuple(text) if isinstance(text, (list, tuple)) else text


def forms(text) -> tuple[str, ...]:
    """The forms of a msgid or msgstr: one, or a plural message's several."""
    return text if isinstance(text, tuple) else (text,)


@pytest.fixture(scope="module")
def po():
    with open(CATALOG / "govcheck.po", "rb") as fh:
        return read_po(fh)


#: The files of the click installed, whose own messages the catalog translates too.
CLICK_FILES = sorted(str(p) for p in Path(click.__file__).parent.glob("*.py"))


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> set[str]:
    """The msgids the code marks today, and those of click's that a user sees: ``pybabel
    extract`` as docs/translation.md runs it."""
    pot = tmp_path_factory.mktemp("pot") / "govcheck.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "--no-location", "-o", str(pot),
                                str(ROOT / "cli.py"), str(ROOT / "engine"),
                                str(ROOT / "templates"), *CLICK_FILES])
    with open(pot, "rb") as fh:
        return set(translations(read_po(fh)))


def test_the_catalog_has_every_message_the_code_marks(po, marked):
    missing = marked - set(translations(po))
    assert not missing, f"run pybabel extract and update (docs/translation.md): {sorted(missing)}"


def test_the_catalog_has_no_message_the_code_dropped(po, marked):
    dropped = set(translations(po)) - marked
    assert not dropped, f"run pybabel extract and update (docs/translation.md): {sorted(dropped)}"


def test_every_message_has_a_reviewed_chinese_translation(po):
    assert len(translations(po)) > 50
    for message in po:
        if not message.id:
            continue
        assert all(CHINESE.search(form) for form in forms(message.string)), \
            f"no Chinese for {message.id!r}"
        assert not message.fuzzy, f"fuzzy (a guess to review): {message.id!r}"


def placeholders(text: str) -> list[str]:
    """The ``{name}``s (with their format: ``{size:,}``) of a message, as .format reads it;
    not the YAML a message may quote (``{country: 中华人民共和国}``, never formatted)."""
    return sorted(f"{name}:{spec}" for _words, name, spec, _conversion in Formatter().parse(text)
                  if name is not None and not re.search(r"\s", spec))


def test_translations_keep_every_placeholder(po):
    for msgid, msgstr in translations(po).items():
        wanted = placeholders(forms(msgid)[-1])
        for form in forms(msgstr):
            assert placeholders(form) == wanted, msgid


def test_the_compiled_catalog_is_the_po_compiled(po):
    with open(CATALOG / "govcheck.mo", "rb") as fh:
        compiled = read_mo(fh)
    assert translations(compiled) == translations(po), "run pybabel compile (docs/translation.md)"


def translating_modules() -> list:
    """The modules that import ``translate as _``."""
    found = []
    for path in [ROOT / "cli.py", *sorted((ROOT / "engine").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.ImportFrom) and any(
                (a.name, a.asname) == ("translate", "_") for a in node.names)
               for node in ast.walk(tree)):
            found.append((path, tree))
    return found


def test_a_module_that_translates_never_binds_the_name_of_translate():
    """``for _, x in …`` or ``a, _ = …`` in a module that translates would make ``_`` a
    local of that function, and the messages in it would call a tuple's item."""
    modules = translating_modules()
    assert len(modules) > 10
    for path, tree in modules:
        bound = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Name) and node.id == "_"
                 and isinstance(node.ctx, ast.Store)]
        assert not bound, f"{path.relative_to(ROOT)} binds _ at lines {bound}"


def test_the_language_is_read_as_people_write_it():
    assert [i18n.understood(v) for v in ("en", "EN", "zh", "zh_CN", "zh-CN", "en_US.UTF-8")] \
        == ["en", "en", "zh", "zh", "zh", "en"]
    assert i18n.understood("fr") is None and i18n.understood("") is None


def govcheck(*args: str, lang: str | None = None) -> subprocess.CompletedProcess:
    """The installed command in a fresh process, with GOVCHECK_LANG as given (unset: None)."""
    env = {k: v for k, v in os.environ.items() if k != i18n.ENVIRONMENT}
    if lang is not None:
        env[i18n.ENVIRONMENT] = lang
    command = [sys.executable, "-c", "from govcheck.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def test_help_is_chinese_by_default():
    shown = govcheck("check", "--help")
    assert shown.returncode == 0
    assert "按规则检查事件日志，报告违规。" in shown.stdout
    assert "只运行此编号的规则（可重复）。" in shown.stdout
    assert "Evaluate event logs" not in shown.stdout


def test_clicks_own_words_on_a_help_page_are_chinese_too():
    shown = govcheck("rules", "--help").stdout
    assert shown.startswith("用法: ")
    assert "选项:" in shown and "命令:" in shown and "显示此帮助后退出。" in shown
    assert "Show this message" not in shown


@pytest.mark.parametrize("how", [("--lang", "en"), ("--lang=en",), ("GOVCHECK_LANG",)],
                         ids=["--lang en", "--lang=en", "GOVCHECK_LANG=en"])
def test_help_is_english_on_request(how):
    if how == ("GOVCHECK_LANG",):
        shown = govcheck("check", "--help", lang="en")
    else:
        shown = govcheck(*how, "check", "--help")
    assert shown.returncode == 0
    assert "Evaluate event logs against the rules and report the violations." in shown.stdout
    assert "按规则" not in shown.stdout


def test_the_command_line_wins_over_the_environment():
    assert "浏览规则库。" in govcheck("--lang", "zh", "--help", lang="en").stdout


def test_the_checkout_speaks_chinese_too():
    env = {k: v for k, v in os.environ.items() if k != i18n.ENVIRONMENT}
    shown = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True,
                           text=True, env=env)
    assert "浏览规则库。" in shown.stdout


def test_an_unknown_language_is_a_usage_error():
    refused = govcheck("rules", "list", lang="fr")
    assert refused.returncode == 2
    assert "GOVCHECK_LANG=fr" in refused.stderr and "zh" in refused.stderr


def test_a_usage_error_govcheck_writes_is_chinese_by_default():
    refused = govcheck("calendar", "explain", "2022-01-01", "--", "-1")
    assert refused.returncode == 2
    assert "N 不能小于 0" in refused.stderr


def test_a_bad_log_is_refused_in_chinese_by_default(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("case_id,event_type,timestamp\nC1,留言受理,2021-09-30 10:00\n"
                   "C1,留言答复,not a time\nC2,,2021-10-01\n", encoding="utf-8")
    refused = govcheck("check", str(log), "--city", "邵阳市")
    assert refused.returncode == 2
    assert f"{log} 第 3 行：timestamp 无法识别 ('not a time')" in refused.stderr
    assert f"{log} 第 4 行：event_type 为空" in refused.stderr
    assert "2 行无法使用；未导入任何数据" in refused.stderr
    missing = govcheck("check", str(tmp_path / "none.csv"), "--city", "邵阳市")
    assert missing.stderr.strip() == f"{tmp_path / 'none.csv'}：找不到文件"


@pytest.mark.parametrize("args, said", [
    (("rules", "list", "--pack", "shaoyang-2022-servce"),
     "没有名为 'shaoyang-2022-servce' 的规则包（是否指 'shaoyang-2022-service'"),
    (("rules", "list", "--kind", "deadlin"), "没有规则类型 'deadlin'（是否指 'deadline'？）"),
    (("rules", "show", "SY22-NOPE"), "已加载的规则中没有编号为 'SY22-NOPE' 的规则"),
], ids=["pack", "kind", "rule id"])
def test_a_name_that_matches_nothing_is_refused_in_chinese_by_default(args, said):
    refused = govcheck(*args)
    assert refused.returncode == 2
    assert said in refused.stderr


def test_a_rule_file_error_is_chinese_by_default(tmp_path):
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "X-1.yaml").write_text("id: X-1\ntitle: t\nkind: deadlin\n",
                                                 encoding="utf-8")
    refused = govcheck("validate", str(tmp_path))
    assert refused.returncode == 2
    assert f"{tmp_path / 'pack' / 'X-1.yaml'}:3:7：未知的规则类型 'deadlin'（是否指 'deadline'？）" \
        in refused.stderr
    assert f"{tmp_path} 中有 1 个问题" in refused.stderr


#: The watch tests need durable-rules, which does not import on Python 3.13+ (tests/skip_guard.py).
needs_durable_rules = pytest.mark.skipif(importlib.util.find_spec("durable_rules_engine") is None,
                                         reason="durable_rules_engine cannot be imported")


def watched(tmp_path, *lang: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """``govcheck watch`` over a log with two bad lines (one holding a 身份证号), and what
    ``--bad-lines`` recorded."""
    log, bad = tmp_path / "w.jsonl", tmp_path / "bad.jsonl"
    log.write_text('{"case_id":"C1","event_type":"留言受理","timestamp":"2021-09-30 10:00"}\n'
                   "not json 430502199001011234\n"
                   '{"case_id":"C2","event_type":"留言受理","timestamp":"2021-02-30 10:00"}\n',
                   encoding="utf-8")
    run = govcheck(*lang, "watch", str(log), "--bad-lines", str(bad), "--status-every", "0")
    assert run.returncode == 0, run.stderr
    return run, [json.loads(line) for line in bad.read_text(encoding="utf-8").splitlines()]


#: What ``--bad-lines`` records, the same in every language: a program reads that file.
BAD_LINES = [{"line": 2, "reason": "not valid JSON ('not json 430502199001011234')",
              "text": "not json 430502199001011234"},
             {"line": 3, "reason": "timestamp not understood ('2021-02-30 10:00')",
              "text": '{"case_id":"C2","event_type":"留言受理","timestamp":"2021-02-30 10:00"}'}]


@needs_durable_rules
def test_watch_speaks_chinese_by_default_and_keeps_its_files_for_machines(tmp_path):
    run, bad = watched(tmp_path)
    said = run.stderr.splitlines()
    assert "govcheck watch：第 2 行：不是有效的 JSON ('not json 430502********1234')" in said
    assert "govcheck watch：第 3 行：timestamp 无法识别 ('2021-02-30 10:00')" in said
    assert said[-1].startswith("govcheck watch：已完成：3 行，1 个事件，2 行无法使用")
    assert "交由 `govcheck check` 检查" in run.stderr and "不支持 `only_if`" in run.stderr
    assert bad == BAD_LINES


@needs_durable_rules
def test_watch_speaks_english_on_request(tmp_path):
    run, bad = watched(tmp_path, "--lang", "en")
    said = run.stderr.splitlines()
    assert "govcheck watch: line 2: not valid JSON ('not json 430502********1234')" in said
    assert said[-1].startswith("govcheck watch: done: 3 lines, 1 events, 2 bad")
    assert not CHINESE.search(run.stderr.replace("留言受理", ""))
    assert bad == BAD_LINES


@needs_durable_rules
def test_watch_refuses_a_state_in_chinese_by_default(tmp_path):
    log, state = tmp_path / "w.jsonl", tmp_path / "state.json"
    log.write_text("", encoding="utf-8")
    state.write_text("[]", encoding="utf-8")
    refused = govcheck("watch", str(log), "--state", str(state))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"{state}：这不是 govcheck watch 写入的状态（不是对象）：删除它和")
    english = govcheck("--lang", "en", "watch", str(log), "--state", str(state))
    assert english.stderr.startswith(f"{state}: it is not a state govcheck watch wrote")


#: click's own words, as a Chinese run and an English one show them: (arguments, Chinese,
#: English). click looks them up through the standard library's global gettext, which the
#: command line points at govcheck's catalog in the language in use.
CLICK_WORDS = [
    (("check", "--fromm", "x.csv"),
     ["错误：没有选项 '--fromm'。 是否指 '--format', '--from'？",
      "运行 'govcheck check --help' 查看帮助。", "用法: govcheck check [OPTIONS] [EVENTS]..."],
     ["Error: No such option '--fromm'. (Did you mean one of: '--format', '--from'?)",
      "Try 'govcheck check --help' for help.", "Usage: govcheck check [OPTIONS] [EVENTS]..."]),
    (("rules", "show"), ["错误：缺少参数 'RULE_ID'"], ["Error: Missing argument 'RULE_ID'"]),
    (("check",), ["错误：没有给出事件日志", "用法: govcheck check [OPTIONS] [EVENTS]..."],
     ["Error: no event log given", "Usage: govcheck check [OPTIONS] [EVENTS]..."]),
    (("check", "x.csv", "--format", "pdf"),
     ["错误：'--format' 的值无效：'pdf' 不是可选值 'text', 'json', 'csv', 'junit', 'html', "
      "'xlsx' 之一。"],
     ["Error: Invalid value for '--format': 'pdf' is not one of 'text', 'json', 'csv', "
      "'junit', 'html', 'xlsx'."]),
    (("nosuch",), ["错误：没有命令 'nosuch'。"], ["Error: No such command 'nosuch'."]),
    (("watch", "--shards", "0"), ["错误：'--shards' 的值无效：0 不在范围 1<=x<=4096 内。"],
     ["Error: Invalid value for '--shards': 0 is not in the range 1<=x<=4096."]),
    (("notices", "x.csv"), ["错误：缺少选项 '-o' / '--output'"],
     ["Error: Missing option '-o' / '--output'"]),
    (("check", "--config", "nope.yaml", "x.csv"),
     ["错误：'--config' 的值无效：文件 'nope.yaml' 不存在。"],
     ["Error: Invalid value for '--config': File 'nope.yaml' does not exist."]),
]


@pytest.mark.parametrize("args, chinese, english", CLICK_WORDS,
                         ids=[" ".join(c[0]) for c in CLICK_WORDS])
def test_clicks_own_usage_errors_speak_the_language_in_use(tmp_path, args, chinese, english):
    for lang, said in (("zh", chinese), ("en", english)):
        command = "from govcheck.cli import main; main(prog_name='govcheck')"
        refused = subprocess.run([sys.executable, "-c", command, *args],
                                 capture_output=True, text=True, cwd=tmp_path,
                                 env={**os.environ, i18n.ENVIRONMENT: lang})
        assert refused.returncode == 2
        for words in said:
            assert words in refused.stderr, refused.stderr


def test_clicks_own_words_on_help_pages_speak_the_language_in_use():
    chinese = govcheck("fixtures", "generate", "--help").stdout
    assert "[默认：" in chinese and "[必填]" in chinese
    assert "default:" not in chinese and "required" not in chinese
    english = govcheck("--lang", "en", "fixtures", "generate", "--help").stdout
    assert "[default: 1]" in english and "[required]" in english


def test_aborted_speaks_the_language_in_use():
    """What click writes when a person presses Ctrl-C: looked up as click looks it up."""
    ask = ("import gettext, govcheck.cli; print(gettext.gettext('Aborted!'))")
    for lang, said in (("zh", "已中止！"), ("en", "Aborted!")):
        shown = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True,
                               env={**os.environ, i18n.ENVIRONMENT: lang})
        assert shown.stdout.strip() == said


# -- no English left in what a Chinese run writes ------------------------------------------

#: Three or more English words in a row: a sentence left untranslated (once quoted values,
#: paths, options, code and the words below are taken out).
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")
#: Words a Chinese line holds as they are: the program's and the rule language's own names,
#: the formats, and click's metavars.
NAMES = re.compile(r"\b(?:govcheck(?: watch| check| validate)?|durable-rules|deadline|ratio|"
                   r"periodic|due_by|sequence|min_count|required_fields|forbidden|error|"
                   r"warning|csv|json|jsonl|parquet|xlsx|html|junit|text|only_if|exclude|"
                   r"OPTIONS|COMMAND|ARGS|EVENTS|INTEGER|RANGE|FLOAT|TEXT|DATE|YEAR|NAME|"
                   r"SIZE|FILE|DIR|PATH|N)\b")


def english_left(text: str) -> list[str]:
    """The untranslated sentences of a Chinese run's output, one per line at most."""
    found = []
    for line in text.splitlines():
        if line.startswith("用法: "):        # click's usage line: the command and its metavars
            continue
        plain = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\('[^)]*'\)", " ", line)
        plain = re.sub(r"\S*[/\\]\S*|\S+\.(?:csv|yaml|yml|json|jsonl|html|xlsx)\b|"
                       r"[\w.]*[-_][\w.-]*", " ", plain)   # paths, files, options, ids, packs
        hit = ENGLISH_RUN.search(NAMES.sub(" ", plain))
        if hit:
            found.append(line)
    return found


def test_english_left_finds_a_sentence_and_spares_names():
    assert english_left("govcheck: 3 rows written to bad.csv") == \
        ["govcheck: 3 rows written to bad.csv"]
    assert english_left("用法: govcheck check [OPTIONS] EVENTS...\n"
                        "rules/x/A-1.yaml:3:1：未知的键 'open'（是否指 'end'？）\n"
                        "govcheck watch：61 条 due_by, periodic, ratio 类型的规则交由 "
                        "`govcheck check` 检查：SY22-FW-01-1, HY21-GK-16-1") == []


@pytest.fixture
def in_chinese(monkeypatch):
    """Runs of govcheck in this process in Chinese (``--lang zh``), English again after:
    the language is the process's, and click's is in ``LANGUAGE``."""
    monkeypatch.setenv("LANGUAGE", os.environ.get("LANGUAGE", "en"))
    yield
    i18n.use("en")


def test_what_a_chinese_run_writes_has_no_english_left(tmp_path, in_chinese, monkeypatch):
    from click.testing import CliRunner

    from govcheck import cli

    monkeypatch.chdir(tmp_path)
    with open(ROOT / "fixtures" / "sample" / "events.csv", encoding="utf-8") as whole:
        Path("sample.csv").write_text("".join(whole.readlines()[:400]), encoding="utf-8")
    sample = "sample.csv"
    Path("bad.csv").write_text("case_id,event_type,timestamp\nC1,留言受理,not a time\n"
                               "C2,,2021-10-01\n", encoding="utf-8")
    Path("w.jsonl").write_text('{"case_id":"C1","event_type":"留言受理","timestamp":'
                               '"2021-09-30 10:00"}\nnot json\n{"case_id":"C2"}\n',
                               encoding="utf-8")
    runs = [
        ["check", sample], ["check", sample, "--city", "邵阳市", "--unit", "不存在"],
        ["check", "bad.csv", "--city", "邵阳市"],
        ["check", "bad.csv", "--city", "邵阳市", "--bad-rows", "rows.csv", "--fail-on", "never"],
        ["check", sample, "--city", "邵阳市", "--from", "2022-13-01"],
        ["check", "none.csv"], ["check", sample, "--fromm", "x"],
        ["notices", sample, "--city", "邵阳市", "-o", "通知"], ["notices", sample],
        ["init"], ["init"], ["init", "--rules", "myrules"], ["validate", "myrules"],
        ["validate", "nope"], ["rules", "list", "--pack", "nope"], ["rules", "show", "nope"],
        ["rules", "list", "--kind", "deadline"],
        ["calendar", "template", "2027"], ["calendar", "explain", "2022-09-30", "5"],
        ["calendar", "explain", "x", "5"], ["calendar", "explain", "2030-01-01", "5"],
        ["fixtures", "generate", "--events", "800", "-o", "g.csv", "--truth", "t.csv"],
        ["watch", "w.jsonl", "--status-every", "0"], ["watch", "none.jsonl"],
    ]
    left = {}
    for args in runs:
        result = CliRunner().invoke(cli.main, ["--lang", "zh", *args])
        assert "Traceback" not in result.output, (args, result.output)
        said = english_left(result.stdout + result.stderr)
        if said:
            left[" ".join(args)] = said
    assert not left, left


def test_a_chinese_help_page_fits_its_terminal_and_keeps_its_columns():
    """A Chinese character takes two columns of a terminal: the page is laid out so."""
    from govcheck.engine.render.text import display_width

    env = {k: v for k, v in os.environ.items() if k != i18n.ENVIRONMENT}
    shown = subprocess.run([sys.executable, "-c", "from govcheck.cli import main; main()",
                            "check", "--help"], capture_output=True, text=True,
                           env={**env, "COLUMNS": "80"}).stdout
    lines = shown.splitlines()
    assert "--city TEXT" in shown and max(map(display_width, lines)) <= 78
    options = lines[lines.index("选项:") + 1:]
    # every option's text starts in one column, and so does every line that continues one
    starts = {display_width(m[1]) for m in map(re.compile(r"^(\s*\S.*?\s{2,}|\s{3,})\S").match,
                                               options) if m}
    assert len(starts) == 1, shown


# ---------------------------------------------------------------------------
# Reports in the language in use; the JSON report and the notices in Chinese in every one
# ---------------------------------------------------------------------------

REPORTED = """
id: T-LANG
title: 限时答复
kind: deadline
severity: error
start: {event_type: 留言受理}
end: {event_type: 留言答复}
within: {workdays: 5}
warn_at: 0.6
"""


@pytest.fixture(scope="module")
def findings_report(calendar):
    """A run in English (as the suite runs: tests/conftest.py) with a late case, an overdue
    one and one at risk."""
    return checked(calendar, "en")


@pytest.fixture(scope="module")
def chinese_report(calendar):
    """The same run in Chinese, as a user meets it."""
    return checked(calendar, "zh")


def checked(calendar, language: str):
    """The findings of ``REPORTED`` over a small log, worded in ``language``."""
    from govcheck.engine.api import evaluate
    from govcheck.engine.data.ingest import ingest_records
    from govcheck.engine.findings.report import Span
    import datetime as dt
    import duckdb
    from support import ev, rule_from

    events = [ev("C1", "留言受理", "2021-03-01 10:00:00"), ev("C1", "留言答复", "2021-03-12 10:00:00"),
              ev("C2", "留言受理", "2021-03-02 10:00:00"),
              ev("C3", "留言受理", "2021-03-15 10:00:00")]
    con = duckdb.connect()
    try:
        loaded = ingest_records(con, events, name="inline events")
        as_of = dt.datetime(2021, 3, 19, 12)
        with i18n.speaking(language):
            return evaluate(con, [rule_from(REPORTED)], calendar, loaded, as_of,
                            span=Span.of(dt.datetime(2021, 3, 1), as_of))
    finally:
        con.close()


#: What the rule and the log say, shown as written in every language.
DATA = ("限时答复", "测试文件", "测试〔2021〕1号", "一、", "测试条款", "甲局", "留言受理", "留言答复")


def words_of_govcheck(text: str) -> str:
    """``text`` without the rule's and the log's own words: what govcheck itself wrote."""
    for data in DATA:
        text = text.replace(data, "")
    return text


def rendered(report, fmt: str, language: str) -> bytes:
    from govcheck.engine.render import render
    with i18n.speaking(language):
        return render(report, fmt)


def test_the_run_words_each_finding_in_chinese_and_in_the_language_in_use(findings_report,
                                                                        chinese_report):
    late = next(v for v in findings_report.violations if v.type == "late")
    assert late.message == "应于2021-03-08 23:59:59前办结（时限5个工作日），实际于2021-03-12 10:00:00办结"
    assert [v.message for v in chinese_report.violations] \
        == [v.message for v in findings_report.violations]
    assert all(v.translation is None for v in chinese_report.violations + chinese_report.warnings)
    assert late.shown_message == ("due by 2021-03-08 23:59:59 (limit 5 working days), closed at "
                                  "2021-03-12 10:00:00")
    risk = findings_report.warnings[0]
    assert risk.message.startswith("已用去 3/5 个工作日仍未办结（预警时点")
    assert risk.shown_message.startswith("3/5 working days used and still open (warned at")


def test_an_english_text_report_has_no_chinese_of_its_own(findings_report):
    text = rendered(findings_report, "text", "en").decode("utf-8")
    assert "Summary by rule" in text and "Violations (2 in all)" in text
    assert "closed late" in text and "overdue, still open" in text and "deadline near" in text
    leftover = CHINESE.findall(words_of_govcheck(text))
    assert not leftover, leftover


def test_a_chinese_text_report_is_as_before(chinese_report):
    text = rendered(chinese_report, "text", "zh").decode("utf-8")
    assert text.startswith("govcheck 合规检查报告\n====================\n判定时点")
    for words in ("规则汇总", "规则编号  级别  检查数  违规数  违规率  预警数  未判定  标题",
                  "违规明细（共 2 条）", "[T-LANG] 限时答复（错误，2 条）", "逾期办结", "超期未办结",
                  "预警：临近期限、尚未违规（共 1 条）", "预警时点", "按单位汇总",
                  "应于2021-03-08 23:59:59前办结（时限5个工作日），实际于2021-03-12 10:00:00办结",
                  "  依据：测试〔2021〕1号 一、：测试条款"):
        assert words in text, words
    assert "Summary" not in text


def test_an_english_html_report_has_no_chinese_of_its_own(findings_report):
    page = rendered(findings_report, "html", "en").decode("utf-8")
    assert '<html lang="en">' in page
    data = re.search(r'<script type="application/json" id="govcheck-data">(.*?)</script>',
                     page, re.S)
    payload = json.loads(data.group(1))
    outside = page.replace(data.group(0), "")
    leftover = CHINESE.findall(words_of_govcheck(outside))
    assert not leftover, leftover
    assert "Red and black lists" in page and "'page ' + (st.page + 1) + ' / ' + pages" in page
    assert [label for _code, label in payload["types"]] == ["closed late", "overdue, still open",
                                                              "deadline near"]
    assert payload["cal"] and not CHINESE.search("".join(payload["cal"]))


def test_a_chinese_html_report_is_as_before(chinese_report):
    page = rendered(chinese_report, "html", "zh").decode("utf-8")
    assert '<html lang="zh-CN">' in page
    for words in ("<h1>政务服务合规检查报告</h1>", '<a href="#ranking">红黑榜</a>',
                  "'第 ' + (st.page + 1) + ' / ' + pages + ' 页'",
                  '@bottom-center{content:"第 " counter(page) " 页 / 共 " counter(pages) " 页"',
                  "var SEV = ['错误', '警告'];", "起算日 2021-03-01 星期一，期限 5 个工作日（次日起算）"):
        assert words in page, words


def test_the_other_reports_people_read_follow_the_language(findings_report, chinese_report):
    import openpyxl
    csv_en = rendered(findings_report, "csv", "en").decode("utf-8-sig")
    assert csv_en.splitlines()[0] == rendered(findings_report, "csv", "zh").decode(
        "utf-8-sig").splitlines()[0], "the CSV's columns are the JSON's names in every language"
    assert "(limit 5 working days)" in csv_en and not CHINESE.search(words_of_govcheck(csv_en))
    junit = rendered(findings_report, "junit", "en").decode("utf-8")
    assert "Type: late (closed late)" in junit and not CHINESE.search(words_of_govcheck(junit))
    assert "类型: late（逾期办结）" in rendered(chinese_report, "junit", "zh").decode("utf-8")
    book = openpyxl.load_workbook(io.BytesIO(rendered(findings_report, "xlsx", "en")))
    assert book.sheetnames == ["Summary", "甲局"]
    cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row
                     if c.value is not None)
    assert not CHINESE.search(words_of_govcheck(cells))
    assert openpyxl.load_workbook(io.BytesIO(rendered(chinese_report, "xlsx", "zh"))).sheetnames \
        == ["汇总", "甲局"]


def test_the_json_report_is_the_same_bytes_in_every_language(findings_report, chinese_report):
    english = rendered(findings_report, "json", "en")
    assert english == rendered(chinese_report, "json", "zh")
    assert "实际于2021-03-12 10:00:00办结" in english.decode("utf-8")


def test_notices_are_chinese_in_every_language(findings_report, chinese_report, calendar):
    from govcheck.engine.render.notices import render_notices
    with i18n.speaking("en"):
        english = render_notices(findings_report, calendar)
    with i18n.speaking("zh"):
        chinese = render_notices(chinese_report, calendar)
    assert english == chinese
    assert "逾期办结" in english[0][1].decode("utf-8")


def test_a_sentence_in_the_pages_script_or_css_keeps_its_translations_order():
    from govcheck.engine.render.html import css_sentence, js_sentence
    assert js_sentence("{total} in all, {shown} shown", shown="s", total="t") \
        == "t + ' in all, ' + s + ' shown'"
    assert js_sentence("it's </script>") == "'it\\'s \\u003c/script\\u003e'"
    assert css_sentence('第 {page} 页 "x"', page="counter(page)") \
        == '"第 " counter(page) " 页 \\"x\\""'
