"""A rules repository as an office's IT colleague starts one: ``govcheck init --rules DIR``
writes files that validate as they are, in CI, in pre-commit and in an editor."""
from __future__ import annotations

import json
import re
import shutil

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from govcheck.cli import main
from govcheck.engine.model.schema import rule_schema
from support import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def repository(tmp_path):
    folder = tmp_path / "myrules"
    result = invoke("init", "--rules", folder)
    assert result.exit_code == 0, result.output
    return folder


def test_init_writes_a_repository_that_validates(repository, monkeypatch):
    names = {p.relative_to(repository).as_posix() for p in repository.rglob("*") if p.is_file()}
    assert names == {"README.md", "vocabulary.yaml", "rule.schema.json", ".gitlab-ci.yml",
                     ".pre-commit-config.yaml", ".github/workflows/govcheck.yml", "govcheck.yaml",
                     "example-2026-hotline/pack.yaml", "example-2026-hotline/EX26-RX-01-1.yaml"}
    monkeypatch.chdir(repository)
    result = invoke("validate", ".")     # what CI and the pre-commit hook run
    assert result.exit_code == 0, result.output
    assert "1 rules valid, 4 examples pass" in result.stdout and not result.stderr


def test_in_the_repository_every_command_uses_its_rules(repository, monkeypatch):
    monkeypatch.chdir(repository / "example-2026-hotline")     # its settings are found above
    validated = invoke("validate")
    assert validated.exit_code == 0, validated.output
    assert "1 rules valid, 4 examples pass" in validated.stdout
    listed = invoke("rules", "list")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()[1:]] == ["EX26-RX-01-1"]


def test_the_sample_rule_points_its_editor_at_the_schema(repository):
    rule = repository / "example-2026-hotline" / "EX26-RX-01-1.yaml"
    first = rule.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../rule.schema.json"
    schema = json.loads((rule.parent / "../rule.schema.json").read_text(encoding="utf-8"))
    # an editor's YAML 1.2 reads 2026-01-01 as text, as the schema says; PyYAML makes a date
    data = json.loads(json.dumps(yaml.safe_load(rule.read_text(encoding="utf-8")), default=str))
    jsonschema.validate(data, schema)


def test_init_never_replaces_a_file(repository):
    readme = repository / "README.md"
    readme.write_text("ours", encoding="utf-8")
    result = invoke("init", "--rules", repository)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert readme.read_text(encoding="utf-8") == "ours"


def test_ci_runs_validate_with_the_installed_version(repository):
    github = yaml.safe_load((repository / ".github/workflows/govcheck.yml").read_text(encoding="utf-8"))
    steps = [s.get("run") for s in github["jobs"]["validate"]["steps"]]
    assert steps[-2:] == ['pip install "govcheck==0.1.0"', "govcheck validate ."]
    gitlab = yaml.safe_load((repository / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["validate-rules"]["script"][-1] == "govcheck validate ."
    hooks = yaml.safe_load((repository / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks["repos"][0]["hooks"]
    assert hook["entry"] == "govcheck validate ." and hook["pass_filenames"] is False


def test_the_project_is_a_pre_commit_hook_repository():
    """pre-commit reads the hooks a repository offers from its root's .pre-commit-hooks.yaml,
    and installs a ``language: python`` hook with pip from that root (pyproject.toml)."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["language"] == "python" and (ROOT / "pyproject.toml").is_file()
    assert hook["entry"] == "govcheck validate ." and hook["pass_filenames"] is False


def test_validate_uses_the_shipped_vocabulary_when_the_repository_has_none(tmp_path):
    folder = tmp_path / "myrules" / "pack"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "shaoyang-2021-service" / "SY21-FW-28-1.yaml", folder)
    result = invoke("validate", tmp_path / "myrules")
    assert result.exit_code == 0, result.output


def test_a_local_vocabulary_that_contradicts_the_shipped_one_is_an_error(repository):
    vocabulary = repository / "vocabulary.yaml"
    vocabulary.write_text("event_types:\n  工单交办: {description: 另一个意思, system: 政务公开平台}\n"
                          "  工单签收: {description: 签收, system: 12345热线}\n", encoding="utf-8")
    result = invoke("validate", repository)
    assert result.exit_code == 2
    assert "'工单交办' is already declared" in result.stderr


def test_every_field_of_the_schema_is_described_in_chinese():
    schema = rule_schema()
    assert CJK.search(schema["description"])
    for name, definition in schema["$defs"].items():
        for key, prop in definition.get("properties", {}).items():
            assert CJK.search(prop.get("description", "")), f"{name}.{key}"
            assert "title" not in prop
        assert "description" not in definition or CJK.search(definition["description"]), name
