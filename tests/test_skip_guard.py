"""The CI skip guard (tests/skip_guard.py): a skip outside the allow-list fails the run."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import skip_guard

HERE = Path(__file__).resolve().parent

CONFTEST = """
import skip_guard
skip_guard.ALLOWED += (skip_guard.AllowedSkip("fine to skip", True, "for this test"),)

def pytest_configure(config):
    config.pluginmanager.register(skip_guard.SkipGuard(), "guard")
"""


def run_pytest(tmp_path: Path, **files: str) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(HERE), "PATH": "/usr/bin:/bin"})


def test_a_skip_outside_the_list_fails_the_run_and_is_named(tmp_path):
    done = run_pytest(tmp_path, test_a="""
        import pytest
        def test_passes(): pass
        def test_skips(): pytest.skip("no widget here")
        @pytest.mark.skipif(True, reason="fine to skip: allowed")
        def test_allowed(): pass
        """, test_b="""
        import pytest
        pytest.importorskip("no_such_module_anywhere")
        """)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "skips not allowed" in done.stdout
    assert "test_a.py::test_skips: no widget here" in done.stdout
    assert "test_b.py: could not import 'no_such_module_anywhere'" in done.stdout
    assert "fine to skip" not in done.stdout.split("skips not allowed")[1]


def test_allowed_skips_keep_the_run_green(tmp_path):
    done = run_pytest(tmp_path, test_a="""
        import pytest
        def test_passes(): pass
        def test_skips(): pytest.skip("fine to skip: allowed")
        """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout


def test_durable_rules_may_skip_only_where_it_cannot_import():
    reason = "could not import 'durable_rules_engine': No module named 'durable_rules_engine'"
    assert skip_guard.allowed(reason) == (sys.version_info >= (3, 13))
    assert not skip_guard.allowed("could not import 'lxml.etree': No module named 'lxml'")
