"""The command line as a user meets it: exit codes 0/1/2, located messages, no traceback."""
from __future__ import annotations

import json
from pathlib import Path
import re
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from govcheck.cli import main
from support import ROOT, rule_folder

RULE = textwrap.dedent("""\
    id: T-CLI-1
    title: 网民咨询问题5个工作日内回复
    kind: deadline
    severity: error
    source: {document: 邵阳市2021年政务管理服务工作要点, number: 邵市政办函〔2021〕21号, clause: 八、（二十八）, quote: 确保网民咨询问题5个工作日回复}
    effective: {from: 2021-01-01, to: 2021-12-31}
    start: {event_type: 留言受理}
    end: {event_type: 留言答复}
    within: {workdays: 5}
    examples:
      - name: 国庆假期不计
        events:
          - {case_id: C1, event_type: 留言受理, timestamp: "2021-09-30 10:00"}
          - {case_id: C1, event_type: 留言答复, timestamp: "2021-10-13 17:00"}
        expect: []
      - name: 第6个工作日才答复
        events:
          - {case_id: C2, event_type: 留言受理, timestamp: "2021-09-30 10:00"}
          - {case_id: C2, event_type: 留言答复, timestamp: "2021-10-14 09:00"}
        expect: [{case_id: C2, type: late}]
    """)
VOCABULARY = textwrap.dedent("""\
    event_types:
      留言受理: {description: 网民咨询被受理, system: 留言板/市长信箱}
      留言答复: {description: 答复网民咨询, system: 留言板/市长信箱}
    """)
LOG = ("case_id,event_type,timestamp,unit\n"
       "C1,留言受理,2021-09-30 10:00,市政务服务中心\n"
       "C1,留言答复,2021/10/13 17:00,市政务服务中心\n"
       "C2,留言受理,2021年9月30日 10时00分,双清区\n"
       "C2,留言答复,2021-10-14T09:00:00+08:00,双清区\n")


@pytest.fixture
def library(tmp_path):
    return rule_folder(tmp_path, "T-CLI-1", RULE, VOCABULARY)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_violations_found_exit_1_with_json(library, log):
    result = invoke("check", log, "--rules", library, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [(v["case_id"], v["type"], v["unit"]) for v in data["violations"]] == [("C2", "late", "双清区")]
    assert data["events"] == 4 and data["cases"] == 2 and data["bad_rows"] == 0
    assert data["rules"][0]["checked"] == 2
    assert data["units"] == [
        {"unit": "双清区", "checked": 1, "violations": 1, "warnings": 0},
        {"unit": "市政务服务中心", "checked": 1, "violations": 0, "warnings": 0}]


def test_json_is_byte_identical_on_rerun(library, log, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    invoke("check", log, "--rules", library, "--format", "json", "-o", a)
    invoke("check", log, "--rules", library, "--format", "json", "-o", b)
    assert a.read_bytes() == b.read_bytes()


def test_fail_on_never_and_as_of(library, log):
    assert invoke("check", log, "--rules", library, "--fail-on", "never").exit_code == 0
    early = invoke("check", log, "--rules", library, "--as-of", "2021-10-01", "--format", "json")
    assert early.exit_code == 0
    assert json.loads(early.stdout)["violations"] == []


def test_memory_limit_is_passed_to_the_database_and_a_bad_one_refused(library, log):
    small = invoke("check", log, "--rules", library, "--memory-limit", "200MB", "--format", "json")
    assert small.exit_code == 1 and len(json.loads(small.stdout)["violations"]) == 1
    bad = invoke("check", log, "--rules", library, "--memory-limit", "lots")
    assert bad.exit_code == 2 and "--memory-limit 'lots' is not an amount of memory" in bad.output
    assert "Traceback" not in bad.output


def test_the_database_is_capped_and_spills_to_a_temporary_folder():
    import duckdb
    from govcheck.engine.api import connect, default_memory_limit
    con = connect()
    try:
        limit, spill = con.execute("SELECT current_setting('memory_limit'), "
                                   "current_setting('temp_directory')").fetchone()
    finally:
        con.close()
    assert limit.endswith(("GiB", "MiB")) and "govcheck-" in spill
    small = duckdb.connect(config={"memory_limit": "500MB"})    # as on a small machine
    assert 470 <= int(default_memory_limit(small).removesuffix("MB")) <= 500
    small.execute("SET memory_limit = '64GB'")
    assert default_memory_limit(small) == "1536MB"
    small.close()


def test_a_log_too_large_for_memory_is_kept_in_a_file_that_is_removed(library, log, monkeypatch):
    """Past ``ON_DISK_SHARE`` of the memory limit the run's tables live in a temporary
    database file: the same report, and the file gone when the check ends, even a failed
    one."""
    from govcheck.engine import api
    from govcheck.engine.data.ingest import memory_estimate
    assert memory_estimate([log]) == int(log.stat().st_size * 3.2)
    assert memory_estimate([log.parent / "none.csv"]) == 0
    in_memory = invoke("check", log, "--rules", library, "--format", "json").stdout
    files = []
    connect = api.connect

    def spying(memory_limit=None, log_bytes=0):
        con = connect("100MB", log_bytes)
        files.extend(p for (p,) in con.execute(
            "SELECT path FROM duckdb_databases() WHERE path IS NOT NULL").fetchall())
        return con
    monkeypatch.setattr(api, "connect", spying)
    monkeypatch.setattr(api, "memory_estimate", lambda paths: 70 * 2**20)   # > 2/3 of 100 MB
    on_disk = invoke("check", log, "--rules", library, "--format", "json")
    assert on_disk.exit_code == 1 and on_disk.stdout == in_memory
    assert len(files) == 1 and files[0].endswith(".duckdb") and "govcheck-" in files[0]
    assert not Path(files[0]).exists() and not Path(files[0] + ".wal").exists()
    refused = invoke("check", log, "--rules", library, "--as-of", "soon")
    assert refused.exit_code == 2 and len(files) == 2 and not Path(files[1]).exists()
    monkeypatch.setattr(api, "memory_estimate", lambda paths: 60 * 2**20)   # < 2/3 of 100 MB
    invoke("check", log, "--rules", library, "--format", "json")
    assert len(files) == 2, "a log that fits stays in memory"


@pytest.mark.parametrize("fmt", ["text", "csv", "junit"])
def test_other_formats(library, log, fmt):
    result = invoke("check", log, "--rules", library, "--format", fmt)
    assert result.exit_code == 1
    assert "C2" in result.stdout


def test_bad_rule_exit_2_located(library, log):
    path = library / "pack" / "T-CLI-1.yaml"
    path.write_text(RULE.replace("within:", "withn:"), encoding="utf-8")
    result = invoke("check", log, "--rules", library)
    assert result.exit_code == 2
    assert f"{path}:9:1: unknown key 'withn'" in result.stderr
    assert "Traceback" not in result.output


def test_bad_timestamp_exit_2_names_the_row(library, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(LOG + "C3,留言受理,not a time,双清区\n", encoding="utf-8")
    result = invoke("check", path, "--rules", library)
    assert result.exit_code == 2
    assert f"{path}: row 6" in result.stderr
    assert "Traceback" not in result.output


def test_missing_file_exit_2(library, tmp_path):
    result = invoke("check", tmp_path / "nope.csv", "--rules", library)
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr


def test_validate_runs_the_examples(library):
    ok = invoke("validate", library)
    assert ok.exit_code == 0, ok.output
    assert "1 rules valid, 2 examples pass" in ok.stdout
    path = library / "pack" / "T-CLI-1.yaml"
    path.write_text(RULE.replace("2021-10-14 09:00", "2021-10-13 09:00"), encoding="utf-8")
    bad = invoke("validate", library)
    assert bad.exit_code == 2
    assert "第6个工作日才答复" in bad.stderr and "C2 late" in bad.stderr


def test_validate_warns_of_a_warn_at_that_never_fires_and_fails_only_when_strict(library):
    path = library / "pack" / "T-CLI-1.yaml"
    path.write_text(RULE.replace("within: {workdays: 5}", "within: {workdays: 5}\nwarn_at: 0.9"),
                    encoding="utf-8")
    lenient = invoke("validate", library)
    assert lenient.exit_code == 0, lenient.output
    assert f"{path}:10:10: warning: warn_at 0.9 of 5 working days rounds up to 5" in lenient.stderr
    assert "1 rules valid, 2 examples pass, 1 warning(s)" in lenient.stdout
    strict = invoke("validate", "--strict", library)
    assert strict.exit_code == 2 and "warning: warn_at 0.9" in strict.stderr


def test_validate_lists_every_problem(library):
    (library / "pack" / "T-CLI-2.yaml").write_text(
        RULE.replace("T-CLI-1", "T-CLI-2").replace("留言答复}", "答复}"), encoding="utf-8")
    (library / "pack" / "T-CLI-3.yaml").write_text(RULE.replace("kind: deadline", "kind: nope"),
                                                 encoding="utf-8")
    result = invoke("validate", library)
    assert result.exit_code == 2
    assert "T-CLI-3.yaml:3:7: unknown kind 'nope'" in result.stderr
    assert "'答复' is not declared" in result.stderr


def test_validate_reports_in_rule_order_whatever_the_workers(library, monkeypatch):
    """Rule files are checked by several workers at once; what they find is reported in
    the order of the files, as one worker reports it."""
    from govcheck.engine import validate
    (library / "pack" / "T-CLI-1.yaml").unlink()
    for n in range(1, 8):
        late = "2021-10-13 09:00" if n % 2 else "2021-10-14 09:00"   # odd ones break an example
        (library / "pack" / f"T-CLI-{n}.yaml").write_text(
            RULE.replace("T-CLI-1", f"T-CLI-{n}").replace("2021-10-14 09:00", late),
            encoding="utf-8")
    monkeypatch.setattr(validate, "MAX_WORKERS", 1)
    alone = invoke("validate", library)
    monkeypatch.setattr(validate, "MAX_WORKERS", 3)
    monkeypatch.setattr(validate.os, "cpu_count", lambda: 3)
    together = invoke("validate", library)
    assert together.exit_code == alone.exit_code == 2
    assert together.stderr == alone.stderr
    broken = [line.split("/")[-1].split(".yaml")[0] for line in together.stderr.splitlines()
              if "第6个工作日才答复" in line]
    assert broken == ["T-CLI-1", "T-CLI-3", "T-CLI-5", "T-CLI-7"]


def test_rules_list_and_show(library):
    listing = invoke("rules", "list", "--rules", library, "--kind", "deadline")
    assert listing.stdout.splitlines() == [
        "Rule id\tPack\tKind\tSeverity\tEffective\tBasis\tTitle",
        "T-CLI-1\tpack\tdeadline\terror\t2021-01-01 to 2021-12-31\t邵市政办函〔2021〕21号 "
        "八、（二十八）\t网民咨询问题5个工作日内回复"]
    shown = invoke("rules", "show", "t-cli-1", "--rules", library)
    assert shown.exit_code == 0 and "确保网民咨询问题5个工作日回复" in shown.stdout


@pytest.mark.parametrize("args, message", [
    (("rules", "list", "--pack", "shaoyang-2022-servce"),
     "no pack named 'shaoyang-2022-servce' (did you mean 'shaoyang-2022-service'"),
    (("rules", "list", "--kind", "dedline"), "no rule kind 'dedline' (did you mean 'deadline'?)"),
    (("rules", "show", "sy22-gk-10-9"), "no rule with id 'sy22-gk-10-9'"),
])
def test_rules_list_and_show_refuse_what_no_rule_has(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.stderr and not result.stdout


def test_rules_list_of_the_shipped_packs_by_name():
    """The shipped packs are found by folder name wherever govcheck is installed."""
    listing = invoke("rules", "list", "--rules", "shaoyang-2022-service")
    lines = listing.stdout.splitlines()
    assert listing.exit_code == 0 and len(lines) > 1
    assert all(line.split("\t")[1] == "shaoyang-2022-service" for line in lines[1:])
    shown = invoke("rules", "show", "sy22-gk-10-1")
    assert shown.stdout.startswith("SY22-GK-10-1  ")
    assert "Effective: 2022-05-12 to 2022-12-31" in shown.stdout


def test_rules_list_says_when_filters_leave_nothing():
    result = invoke("rules", "list", "--pack", "national", "--kind", "due_by")
    assert result.exit_code == 0 and result.stdout.startswith("Rule id\tPack")
    assert "no rule matches" in result.stderr


def test_calendar_explain():
    result = invoke("calendar", "explain", "2021-09-30", "5")
    assert result.exit_code == 0
    assert "2021-10-09 Saturday swapped working day (国庆节) working day 2" in result.stdout
    assert "2021-10-13 23:59:59" in result.stdout


def test_calendar_explain_uncovered_year():
    result = invoke("calendar", "explain", "2031-01-05", "5")
    assert result.exit_code == 2
    assert "2031" in result.stderr and "Traceback" not in result.output


def test_runs_as_a_script_from_the_checkout(library, log):
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", str(log), "--rules",
                           str(library), "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["violations"][0]["case_id"] == "C2"


def test_a_closed_pipe_is_not_an_error():
    proc = subprocess.run(f"{sys.executable} {ROOT / 'cli.py'} rules list | head -1", shell=True,
                          capture_output=True, text=True)
    assert proc.stdout.count("\n") == 1
    assert proc.stderr == ""


def test_rule_paths_are_shown_as_rules_wherever_the_library_is_installed(tmp_path, monkeypatch):
    """A report names a shipped rule `rules/…` whether the library is the checkout's or a
    copy installed in a virtual environment under the working folder; a user's own rule
    file is named relative to the working folder."""
    import govcheck.engine.api as api
    installed = tmp_path / ".venv" / "lib" / "site-packages" / "govcheck" / "rules"
    (installed / "national").mkdir(parents=True)
    (installed / "national" / "GB-1.yaml").write_text("", encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "X-1.yaml").write_text("", encoding="utf-8")
    monkeypatch.setattr(api, "default_rules_dir", lambda: installed)
    monkeypatch.chdir(tmp_path)
    assert api.shown_path(str(installed / "national" / "GB-1.yaml")) == "rules/national/GB-1.yaml"
    assert api.shown_path(str(tmp_path / "mine" / "X-1.yaml")) == "mine/X-1.yaml"
    assert api.shown_path("/elsewhere/Y-1.yaml") == "/elsewhere/Y-1.yaml"


@pytest.mark.parametrize("option", ["-o", "--html", "--bad-rows"])
def test_an_output_that_is_an_input_is_refused_and_the_log_kept(library, log, option, tmp_path):
    before = log.read_bytes()
    for target in (log, tmp_path / "out" / ".." / log.name):
        (tmp_path / "out").mkdir(exist_ok=True)
        result = invoke("check", log, "--rules", library, option, target)
        assert result.exit_code == 2, result.output
        assert "would be overwritten" in result.stderr and "Traceback" not in result.output
        assert log.read_bytes() == before


def test_an_output_through_a_symlink_to_the_log_is_refused(library, log, tmp_path):
    link = tmp_path / "report.html"
    link.symlink_to(log)
    result = invoke("check", log, "--rules", library, "--html", link)
    assert result.exit_code == 2 and log.read_text(encoding="utf-8").startswith("case_id")


def test_an_output_into_a_missing_folder_is_located(library, log, tmp_path):
    result = invoke("check", log, "--rules", library, "-o", tmp_path / "nope" / "r.json",
                    "--format", "json")
    assert result.exit_code == 2
    assert "the folder" in result.stderr and "does not exist" in result.stderr
    assert "internal error" not in result.stderr


def test_outputs_are_written_whole_or_not_at_all(library, log, tmp_path, monkeypatch):
    """A report that fails half-way leaves the previous file as it was, and no temporary file."""
    from govcheck.engine import render
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")

    def broken(report, fmt, out, **options):
        out.write(render.render(report, fmt, **options)[:10])
        raise OSError(28, "No space left on device")

    # the report is written as it is made (render.write), into the file that replaces -o
    monkeypatch.setattr(render, "write", broken)
    result = invoke("check", log, "--rules", library, "-o", target, "--format", "json")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.json")] == []


# ---------------------------------------------------------------------------
# Exports as they come
# ---------------------------------------------------------------------------

def test_a_log_with_mixed_line_ends_is_checked_like_one_with_one_kind(library, log, tmp_path):
    mixed = tmp_path / "mixed.csv"
    lines = LOG.splitlines(keepends=True)
    mixed.write_text("".join(line.replace("\n", "\r\n") if i % 2 else line
                             for i, line in enumerate(lines)), encoding="utf-8", newline="")
    plain = invoke("check", log, "--rules", library, "--format", "json")
    both = invoke("check", mixed, "--rules", library, "--format", "json")
    assert both.exit_code == 1, both.output
    assert json.loads(both.stdout)["violations"] == json.loads(plain.stdout)["violations"]


def test_a_unit_under_two_names_is_one_unit_with_a_mapping(library, tmp_path):
    """城步县 and 城步县人民政府 were two units, each with its own notice; a mapping's
    values makes them one, in the findings, the per-unit results and the notices."""
    path = tmp_path / "events.csv"
    path.write_text(LOG + "C3,留言受理,2021-09-30 10:00,双清区人民政府\n"
                          "C3,留言答复,2021-10-15 09:00,双清区人民政府\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("values:\n  unit: {双清区人民政府: 双清区}\n", encoding="utf-8")
    two = json.loads(invoke("check", path, "--rules", library, "--format", "json").stdout)
    assert {u["unit"] for u in two["units"]} == {"双清区", "双清区人民政府", "市政务服务中心"}
    result = invoke("check", path, "--rules", library, "--mapping", mapping, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [(v["case_id"], v["unit"]) for v in data["violations"]] == [("C2", "双清区"), ("C3", "双清区")]
    assert data["units"] == [
        {"unit": "双清区", "checked": 2, "violations": 2, "warnings": 0},
        {"unit": "市政务服务中心", "checked": 1, "violations": 0, "warnings": 0}]
    out = tmp_path / "notices"
    assert invoke("notices", path, "--rules", library, "--mapping", mapping, "-o", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["整改通知-双清区.html"]


def test_a_sheet_is_found_or_named(library, tmp_path):
    import openpyxl
    path = tmp_path / "export.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表由留言板系统导出"])
    for title in ("2020", "2021"):
        sheet = book.create_sheet(title)
        sheet.append([f"{title}年网民留言办理情况"])
        sheet.append([])
        for row in csv_rows(LOG if title == "2021" else LOG.replace("C2,", "X2,")):
            sheet.append(row)
    book.save(path)
    found = invoke("check", path, "--rules", library, "--format", "json")
    assert [v["case_id"] for v in json.loads(found.stdout)["violations"]] == ["X2"]
    named = invoke("check", path, "--rules", library, "--format", "json", "--sheet", "2021")
    assert [v["case_id"] for v in json.loads(named.stdout)["violations"]] == ["C2"]
    missing = invoke("check", path, "--rules", library, "--sheet", "2022")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"{path}: no sheet named '2022' (sheets: 说明, 2020, 2021)"


def csv_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()]


def test_a_rule_file_may_write_its_dates_as_text(library, log):
    path = library / "pack" / "T-CLI-1.yaml"
    path.write_text(RULE.replace("{from: 2021-01-01, to: 2021-12-31}",
                                 '{from: "2021-01-01", to: "2021-12-31"}'), encoding="utf-8")
    assert invoke("validate", library).exit_code == 0
    result = invoke("check", log, "--rules", library, "--format", "json")
    assert [v["case_id"] for v in json.loads(result.stdout)["violations"]] == ["C2"]
    path.write_text(RULE.replace("{from: 2021-01-01,", '{from: "2021-13-01",'), encoding="utf-8")
    bad = invoke("check", log, "--rules", library)
    assert bad.exit_code == 2
    assert bad.stderr.strip() == f"{path}:6:19: 'from': '2021-13-01' is not a day of the calendar"


def test_a_unit_the_log_does_not_hold_is_refused_with_the_nearest(library, log):
    result = invoke("check", log, "--rules", library, "--unit", "双清")
    assert result.exit_code == 2
    assert "'双清区'" in result.stderr and "Traceback" not in result.output


def test_a_case_that_cannot_be_judged_is_reported_and_strict_refuses_it(library, tmp_path):
    path = tmp_path / "quality.csv"
    path.write_text(LOG + "C3,留言答复,2021-10-08 09:00,双清区\nC3,留言受理,2021-10-09 09:00,双清区\n",
                    encoding="utf-8")
    result = invoke("check", path, "--rules", library, "--format", "json")
    assert result.exit_code == 1                       # C2 is late; C3 is not judged
    report = json.loads(result.stdout)
    assert [(v["case_id"], v["type"]) for v in report["violations"]] == [("C2", "late")]
    assert [(q["case_id"], q["reason"], q["row"]) for q in report["data_quality"]] == \
        [("C3", "end_before_start", 7)]
    assert "1 case(s) could not be judged" in result.stderr
    strict = invoke("check", path, "--rules", library, "--strict")
    assert strict.exit_code == 2
    assert f"{path}: row 7: T-CLI-1:" in strict.stderr and "Traceback" not in strict.output


def test_a_typo_in_a_mapped_event_type_is_refused_at_its_place_in_the_mapping(library, tmp_path):
    mapping = tmp_path / "m.yaml"
    text = (ROOT / "tests" / "data" / "ingest" / "wide_mapping.yaml").read_text(encoding="utf-8")
    mapping.write_text(text.replace("event_type: 留言答复", "event_type: 留言答付"), encoding="utf-8")
    log = ROOT / "tests" / "data" / "ingest" / "wide_messages.csv"
    result = invoke("check", log, "--rules", library, "--mapping", mapping)
    assert result.exit_code == 2
    assert f"{mapping}:10:17: event type '留言答付' is not in the vocabulary (did you mean '留言答复'" \
        in result.stderr


def test_a_wide_row_whose_start_time_is_blank_is_a_data_quality_finding(library, tmp_path):
    """Before, such a message dropped out of what was checked without a word."""
    log = tmp_path / "wide.csv"
    log.write_text("留言编号,留言用户,留言时间,答复时间,答复意见\n"
                   "101,A001,2021/9/30 10:00,2021/10/8 9:00,已办理\n"
                   "102,A002,,2021/10/20 9:00,已办理\n", encoding="utf-8")
    mapping = ROOT / "tests" / "data" / "ingest" / "wide_mapping.yaml"
    result = invoke("check", log, "--rules", library, "--mapping", mapping, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(q["case_id"], q["reason"], q["row"], q["detail"]) for q in report["data_quality"]] == \
        [("102", "no_start", 3, "留言受理")]
    assert report["rules"][0]["checked"] == 1
    assert report["rules"][0]["not_judged"] == {"data_quality": 1}


def test_a_progress_bar_on_a_terminal_and_silence_elsewhere(tmp_path):
    """stderr a terminal: a bar as the rules run; a pipe (or a test's capture): not a byte
    of it, only the usual notes."""
    import os
    import pty

    args = [sys.executable, str(ROOT / "cli.py"), "check", str(ROOT / "fixtures/sample/events.csv"),
            "--city", "邵阳市", "--fail-on", "never", "-o", str(tmp_path / "r.txt")]
    piped = subprocess.run(args, capture_output=True, text=True)
    assert piped.returncode == 0 and "Checking rules" not in piped.stderr
    master, slave = pty.openpty()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:         # read as it writes: a full terminal buffer would stop it
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child has gone and the terminal closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert child.wait(timeout=120) == 0
    text = seen.decode("utf-8", "replace")
    assert "Checking rules" in text and re.search(r"(\d+)/\1", text)
