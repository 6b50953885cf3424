"""``govcheck init``: the files a new user starts from, each valid as written.

``init`` writes ``govcheck.yaml``, every setting commented out and explained in Chinese
(``engine/config.py`` reads it). ``init --rules DIR`` lays out a rules repository: a pack with one sample rule (which
``validate`` passes, examples included), the repository's own vocabulary, the rule schema
the sample's editor modeline points at, CI for GitHub Actions and GitLab CI and a
pre-commit configuration, all running ``govcheck validate .``, and a ``govcheck.yaml`` whose
``rules: [.]`` makes the repository's rules those of every command run in it (a bare
``govcheck validate`` there checks them, not the shipped library). The texts are templates in
``templates/rules-repository/``; nothing already there is overwritten.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2

from .errors import GovcheckError, SourceLocation
from .i18n import translate as _
from .files import write_atomic
from .model.schema import schema_text
from .resources import data_dir

SAMPLE_PACK = "example-2026-hotline"
SAMPLE_RULE = "EX26-RX-01-1"

#: where each template of ``templates/rules-repository/`` goes in a new rules repository
RULES_REPOSITORY = {name: f"rules-repository/{template}" for name, template in {
    "README.md": "README.md.j2",
    "govcheck.yaml": "govcheck.yaml.j2",
    "vocabulary.yaml": "vocabulary.yaml.j2",
    f"{SAMPLE_PACK}/pack.yaml": "pack.yaml.j2",
    f"{SAMPLE_PACK}/{SAMPLE_RULE}.yaml": "rule.yaml.j2",
    ".github/workflows/govcheck.yml": "github-workflow.yml.j2",
    ".gitlab-ci.yml": "gitlab-ci.yml.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
}.items()}
SCHEMA_FILE = "rule.schema.json"


def govcheck_version() -> str:
    """The installed version, which CI installs too, so CI judges as the author's copy does."""
    try:
        return version("govcheck")
    except PackageNotFoundError:
        return "0.1.0"


def init_config(path: str | Path) -> Path:
    """Write a commented ``govcheck.yaml`` at ``path`` (never over an existing file)."""
    target = Path(path)
    refuse_existing([target])
    write_atomic(target, render_template("govcheck.yaml.j2"))
    return target


def init_rules(folder: str | Path) -> list[Path]:
    """Write a rules repository into ``folder`` (created if missing); the files written."""
    root = Path(folder)
    files = {root / name: render_template(template) for name, template in RULES_REPOSITORY.items()}
    files[root / SCHEMA_FILE] = schema_text().encode("utf-8")
    refuse_existing(files)
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    return list(files)


def render_template(name: str) -> bytes:
    """One template of ``templates/``, filled in."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template(name).render(
        version=govcheck_version(), pack=SAMPLE_PACK, rule_id=SAMPLE_RULE).encode("utf-8")


def refuse_existing(paths) -> None:
    """A file ``init`` (or ``calendar template``) would write that is already there is the
    user's, never replaced."""
    for path in paths:
        if Path(path).exists():
            raise GovcheckError(_("already exists: govcheck writes only new files here (move it "
                                  "aside, or choose another place)"), SourceLocation(str(path)))
