"""What an installed govcheck puts in site-packages: the one package ``govcheck``, with the
rule library, the templates, the calendars and the SQL templates inside it."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from support import ROOT


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)], check=True,
                   capture_output=True)
    (wheel,) = out.glob("govcheck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_claims_only_the_import_name_govcheck(wheel_names):
    tops = {name.split("/")[0] for name in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"govcheck"}


def test_the_wheel_carries_the_data_the_code_reads(wheel_names):
    shipped = [p.relative_to(ROOT).as_posix() for folder in ("rules", "templates",
               "fixtures/calendars", "engine/batch/sql", "locale") for p in (ROOT / folder).rglob("*")
               if p.is_file() and p.suffix in (".yaml", ".json", ".j2", ".md", ".mo")]
    assert len(shipped) > 100
    missing = [name for name in shipped if f"govcheck/{name}" not in wheel_names]
    assert not missing
    assert "govcheck/cli.py" in wheel_names and "govcheck/engine/api.py" in wheel_names
    assert not any(name.startswith(("govcheck/tests/", "govcheck/bench/", "govcheck/features/"))
                   for name in wheel_names)


def test_the_wheel_carries_every_module_of_the_engine(wheel_names):
    """pyproject.toml lists the packages by name: a new folder under engine/ must be added."""
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "engine").rglob("*.py")]
    missing = [name for name in modules if f"govcheck/{name}" not in wheel_names]
    assert not missing
