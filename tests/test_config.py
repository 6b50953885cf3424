"""govcheck.yaml: an office's settings, found from the working folder up, giving the
defaults of the command line's options (flags win), every problem located."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from govcheck.cli import main
from govcheck.engine.config import KEYS, load_config
from test_cli import LOG, RULE, VOCABULARY


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def office(tmp_path, monkeypatch):
    """An office folder: its rules, a log, and a subfolder to work in."""
    (tmp_path / "rules" / "pack").mkdir(parents=True)
    (tmp_path / "rules" / "pack" / "T-CLI-1.yaml").write_text(RULE, encoding="utf-8")
    (tmp_path / "rules" / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "events.csv").write_text(LOG, encoding="utf-8")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path


def settings(office, text: str):
    (office / "govcheck.yaml").write_text(text, encoding="utf-8")


def test_init_writes_a_commented_file_that_reads_as_no_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0 and result.stdout == "govcheck.yaml\n"
    text = (tmp_path / "govcheck.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) is None and "# city: 邵阳市" in text
    for key in [*KEYS, "values"]:
        assert f"# {key}:" in text, key
    assert load_config(tmp_path / "govcheck.yaml").settings == {}
    uncommented = "\n".join(line[2:] if line.startswith("# ") and ":" in line else line
                            for line in text.splitlines())
    (tmp_path / "all.yaml").write_text(uncommented, encoding="utf-8")
    assert set(load_config(tmp_path / "all.yaml").settings) == set(KEYS)
    again = invoke("init")
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_settings_above_the_working_folder_are_defaults_and_flags_win(office):
    settings(office, "rules: [rules]\nformat: json\nfail_on: never\n")
    result = invoke("check", "../events.csv")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["violations"][0]["case_id"] == "C2"
    flagged = invoke("check", "../events.csv", "--format", "csv", "--fail-on", "error")
    assert flagged.exit_code == 1 and flagged.stdout.startswith("\ufeffkind,rule_id,")


def test_values_apply_to_every_log(office):
    settings(office, "rules: [rules]\nformat: json\nfail_on: never\n"
                     "values:\n  unit: {双清区: 双清区人民政府}\n")
    data = json.loads(invoke("check", "../events.csv").stdout)
    assert data["violations"][0]["unit"] == "双清区人民政府"


def test_a_flag_turns_masking_back_on(office):
    (office / "events.csv").write_text(LOG.replace("双清区\n", "双清区 13812345678\n"), encoding="utf-8")
    settings(office, "rules: [rules]\nformat: csv\nfail_on: never\nmask: false\n")
    assert "13812345678" in invoke("check", "../events.csv").stdout
    assert "138****5678" in invoke("check", "../events.csv", "--mask").stdout


def test_a_named_file_wins_over_the_one_found(office):
    settings(office, "fail_on: warning\n")
    (office / "other.yaml").write_text("rules: [rules]\nfail_on: never\nmask: false\n",
                                       encoding="utf-8")
    result = invoke("check", "../events.csv", "--config", "../other.yaml")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text, where, message", [
    ("citty: 邵阳市\n", "1:1", "unknown setting 'citty' (did you mean 'city'?)"),
    ("fail_on: nevr\n", "1:10", "fail_on is one of error, warning, never"),
    ("packs: [national, {a: 1}]\n", "1:19", "packs is text"),
    ("mask: no-thanks\n", "1:7", "mask is true or false"),
    ("values:\n  unit: [城步县]\n", "2:9", "the values of 'unit' map a value"),
    ("[1, 2]\n", "1:1", "govcheck.yaml is a mapping of settings"),
])
def test_a_bad_setting_is_located(office, text, where, message):
    settings(office, text)
    result = invoke("check", "../events.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"../govcheck.yaml:{where}: ") and message in result.stderr


@pytest.mark.parametrize("command", [
    ("check",), ("notices",), ("validate",), ("rules", "list"), ("rules", "show"),
    ("calendar", "explain"), ("watch",), ("fixtures", "generate")])
def test_every_command_takes_config(command):
    assert "--config FILE" in invoke(*command, "--help").stdout.replace("PATH", "FILE")


def test_validate_and_rules_list_read_the_rules_of_the_settings(office):
    settings(office, "rules: [rules]\n")
    assert "1 rules valid" in invoke("validate").stdout
    assert "T-CLI-1\tpack" in invoke("rules", "list").stdout
