"""The Spark engine finds what the embedded one finds (docs/scale.md).

Generated logs (holidays and 调休 included: the generator plans its cases around the
year's calendar) are checked by DuckDB and by Spark local, in one Spark session shared by
every test, and the JSON reports must be the same bytes: the same findings, evidence,
counts of what was not judged, and data-quality findings for every rule run.

Spark spends seconds to minutes planning each rule's query even on a small log, so CI
runs the rules of ``CI_RULES``; ``GOVCHECK_SPARK_RULES=all`` runs every rule of the
library on every log (docs/scale.md says which are known to differ or to be slow).
"""
from __future__ import annotations

import os
import shutil

import pytest

pytest.importorskip("pyspark", reason="pyspark or java missing: no pyspark (the spark extra)")
if shutil.which("java") is None:
    pytest.skip("pyspark or java missing: no java on the path", allow_module_level=True)

from govcheck.engine.api import Run, check  # noqa: E402
from govcheck.engine.render import render  # noqa: E402
from govcheck.engine.testing.generator import Options, generate  # noqa: E402

#: (seed, year, events) of the generated logs.
LOGS = ((5, 2022, 1500), (8, 2021, 1500))

#: The rules CI runs on each log's year: working-day deadlines across holidays and 调休,
#: one national, one of the city's packs. (GB-OGI-33-1, with pauses, restarts and
#: extensions, takes Spark local over ten minutes to plan and run: not in CI yet.)
CI_RULES = {2022: ("GB-OGI-26-1",), 2021: ("SY21-FW-28-1",)}


@pytest.fixture(scope="session")
def spark():
    """One local Spark for every test (starting one takes ~20 s); small-data settings."""
    from govcheck.engine.spark.session import start

    session = start("local[2]")
    session.conf.set("spark.sql.codegen.wholeStage", "false")   # compiling costs more
    session.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")  # than 2,000 rows
    yield session
    session.stop()


@pytest.fixture(scope="module", params=LOGS, ids=lambda p: f"seed{p[0]}-{p[1]}")
def log(request, tmp_path_factory):
    seed, year, events = request.param
    path = tmp_path_factory.mktemp(f"spark{seed}") / "log.csv"
    generate(Options(events=events, seed=seed, year=year), path)
    return path, year


def rules_of(year: int) -> tuple[str, ...]:
    """The rules to compare on a log of ``year`` (none named: every rule the log's packs hold)."""
    return () if os.environ.get("GOVCHECK_SPARK_RULES") == "all" else CI_RULES[year]


def reports(path, rule_ids, **spark_run) -> tuple[bytes, bytes]:
    """The JSON report of each engine on the same log and rules."""
    base = dict(events=[str(path)], city="邵阳市", rule_ids=rule_ids)
    embedded = render(check(Run(**base)), "json")
    on_spark = render(check(Run(**base, engine="spark", spark_master="local[2]", **spark_run)), "json")
    return embedded, on_spark


def test_same_report(spark, log):
    path, year = log
    embedded, on_spark = reports(path, rules_of(year))
    assert on_spark == embedded
