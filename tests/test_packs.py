"""Which rules a run uses: the packs of the city whose logs they are, for the years the logs
cover, plus the national ones; named packs; packs named in place of a path."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from govcheck.cli import main
from govcheck.engine.api import parse_span
from govcheck.engine.errors import GovcheckError
from support import ROOT

SAMPLE = str(ROOT / "fixtures" / "sample" / "events.csv")


def run_json(*args: str):
    result = CliRunner().invoke(main, ["check", SAMPLE, "--format", "json", "--fail-on", "never", *args])
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def pack_names(report: dict) -> list[str]:
    return [p["name"] for p in report["packs"]]


def test_without_a_city_only_national_rules_judge_and_the_run_says_so():
    result, report = run_json()
    assert pack_names(report) == ["national"]
    assert {r["id"].split("-")[0] for r in report["rules"]} == {"GB"}
    assert "--city" in result.stderr


def test_a_city_adds_its_packs_for_the_years_the_log_covers():
    _, report = run_json("--city", "邵阳")
    assert pack_names(report) == ["national", "shaoyang-2022-disclosure", "shaoyang-2022-service"]
    assert report["span"] == {"from": "2022-01-02 00:00:00", "to": report["as_of"], "declared": False}
    assert not any(v["rule_id"].startswith(("HY", "SY20", "SY21")) for v in report["violations"])


def test_a_declared_period_chooses_the_packs_of_its_years():
    _, report = run_json("--city", "邵阳市", "--period", "2022")
    assert report["span"] == {"from": "2022-01-01 00:00:00", "to": "2022-12-31 23:59:59", "declared": True}
    assert "shaoyang-2021-service" not in pack_names(report)


def test_an_unknown_city_is_refused_with_the_nearest():
    result, _ = run_json("--city", "邵杨")
    assert result.exit_code == 2
    assert "'邵阳市'" in result.stderr and "Traceback" not in result.output


def test_named_packs_only():
    _, report = run_json("--pack", "national")
    assert pack_names(report) == ["national"]
    result, _ = run_json("--pack", "shaoyang-2022-servce")
    assert result.exit_code == 2 and "shaoyang-2022-service" in result.stderr


def test_a_pack_named_in_place_of_a_path_is_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # no such folder here: the shipped pack is meant
    result = CliRunner().invoke(main, ["check", SAMPLE, "--rules", "national", "--format", "json",
                                       "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert pack_names(json.loads(result.stdout)) == ["national"]


def test_an_unknown_rule_id_suggests_the_nearest_and_ids_ignore_case():
    result, _ = run_json("--rule", "GB-OGI-26-9")
    assert result.exit_code == 2 and "GB-OGI-26-1" in result.stderr
    _, report = run_json("--rule", "gb-ogi-26-1")
    assert [r["id"] for r in report["rules"]] == ["GB-OGI-26-1"]


@pytest.mark.parametrize("period, start, end", [
    ("2022", "2022-01-01 00:00:00", "2022-12-31 23:59:59"),
    ("2022-Q3", "2022-07-01 00:00:00", "2022-09-30 23:59:59"),
    ("2021-02", "2021-02-01 00:00:00", "2021-02-28 23:59:59"),
    ("2020-12", "2020-12-01 00:00:00", "2020-12-31 23:59:59"),
])
def test_periods(period, start, end):
    begin, finish = parse_span(period, None, None)
    assert (str(begin), str(finish)) == (start, end)


@pytest.mark.parametrize("period", ["2022-Q5", "2022-13", "22", "2022/03"])
def test_bad_periods_are_refused(period):
    with pytest.raises(GovcheckError, match="--period"):
        parse_span(period, None, None)


@pytest.mark.parametrize("start, end, named", [("2022-13-01", None, "--from '2022-13-01'"),
                                                ("2022-01-01", "soon", "--to 'soon'")])
def test_a_bad_span_end_is_refused_by_its_own_option(start, end, named):
    with pytest.raises(GovcheckError, match=re.escape(f"{named} is not a date")):
        parse_span(None, start, end)


def hotline_log(tmp_path, typo: str | None = None):
    """The 12345 tickets of the sample: a log of one system only."""
    import csv
    rows = [r for r in csv.DictReader((ROOT / "fixtures/sample/events.csv").open(encoding="utf-8"))
            if r["event_type"].startswith("工单")]
    if typo:
        rows[0]["event_type"] = typo
    path = tmp_path / "hotline.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def test_rules_that_read_systems_the_log_lacks_are_not_applied(tmp_path):
    result = CliRunner().invoke(main, ["check", hotline_log(tmp_path), "--city", "邵阳",
                                       "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["violations"] == []
    statuses = {r["id"]: (r["status"], r["status_reason"]) for r in report["rules"]}
    assert statuses["GB-OGI-26-1"] == ("not_applicable", "政务公开平台")
    assert statuses["SY22-GK-05-1"][0] == "not_applicable"      # no daily bulletins asked of it
    assert all(r["checked"] == 0 for r in report["rules"] if r["status"] == "not_applicable")


def test_an_event_type_no_vocabulary_declares_is_refused_with_the_nearest(tmp_path):
    path = hotline_log(tmp_path, typo="工单完结")
    result = CliRunner().invoke(main, ["check", path, "--city", "邵阳"])
    assert result.exit_code == 2
    assert f"{path}: row 2: event type '工单完结' is not in the vocabulary (did you mean '工单办结'" \
        in result.stderr
