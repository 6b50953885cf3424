"""The Spark engine finds what the embedded one finds, and what the oracle says (docs/scale.md).

Generated logs of several seeds and years (2020 to 2022: holidays and 调休 included, the
generator plans its cases around each year's calendar) are checked, as one log of several
files, by DuckDB and by Spark local with the whole shipped library and 邵阳市's packs:
every rule of every kind runs once over all the seeds. The JSON reports must be the same
bytes (findings, evidence, counts of what was not judged, data-quality findings), and
Spark's findings must be the oracle's truth for that log. A folder of Parquet files is
read as the same log. One Spark session serves every test (starting one takes seconds).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("pyspark", reason="pyspark or java missing: no pyspark (the spark extra)")
if shutil.which("java") is None:
    pytest.skip("pyspark or java missing: no java on the path", allow_module_level=True)

from govcheck.engine.api import Run, check  # noqa: E402
from govcheck.engine.model.loader import load_rules  # noqa: E402
from govcheck.engine.render import render  # noqa: E402
from govcheck.engine.testing import oracle  # noqa: E402
from govcheck.engine.testing.generator import Options, generate  # noqa: E402
from support import ROOT  # noqa: E402

#: (seed, year, events) of the generated logs: each year's packs, two seeds of 2021 (the
#: year with the most rules), each log just large enough to cover every rule of its year.
LOGS = ((3, 2020, 900), (5, 2021, 1300), (8, 2021, 1300), (11, 2022, 1200))

#: The city whose packs apply (the national ones always do).
CITY = "邵阳市"

#: A few rules of different kinds, for the tests of how a log is read.
FEW_RULES = ("GB-OGI-26-1", "GB-OGI-49-1", "SY22-FW-01-1", "SY22-GK-09-1", "SY22-GK-10-1",
             "GB-OGI-33-2", "GB-OGI-50-1", "SY22-FW-08-1")


@pytest.fixture(scope="session")
def spark():
    """One local Spark for every test, with two threads and two shuffle partitions, and no
    code generation (compiling costs more than a few thousand rows)."""
    from govcheck.engine.spark.session import start

    session = start("local[2]", shuffle_partitions=2)
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[str]:
    """The generated logs, one file each; the case numbers of all but the first get their
    seed in front, so that no two seeds share a case."""
    folder = tmp_path_factory.mktemp("spark-logs")
    paths = []
    for at, (seed, year, events) in enumerate(LOGS):
        generated = folder / f"generated-{seed}.csv"
        generate(Options(events=events, seed=seed, year=year), generated)
        path = folder / f"log-{seed}-{year}.csv"
        _with_case_prefix(generated, path, f"S{seed}-" if at else "")
        paths.append(str(path))
    return paths


def _with_case_prefix(source: Path, target: Path, prefix: str) -> None:
    with open(source, encoding="utf-8", newline="") as src, \
            open(target, "w", encoding="utf-8", newline="") as out:
        rows, writer = csv.reader(src), csv.writer(out)
        header = next(rows)
        writer.writerow(header)
        case = header.index("case_id")
        for row in rows:
            row[case] = prefix + row[case] if row[case] else row[case]
            writer.writerow(row)


@pytest.fixture(scope="module")
def reports(spark, logs):
    """The report of each engine on the logs: (DuckDB's, Spark's)."""
    run = Run(events=logs, city=CITY)
    return check(run), check(dataclasses.replace(run, engine="spark", spark_master="local[2]"))


def test_spark_reports_what_duckdb_reports(reports):
    embedded, on_spark = reports
    assert {r.kind for r in embedded.rules} >= {"deadline", "sequence", "min_count", "due_by",
                                                "required_fields", "forbidden", "ratio", "periodic"}
    assert len(embedded.violations) > 500
    first, second = render(embedded, "json"), render(on_spark, "json")
    assert second == first, "\n".join(differences(json.loads(first), json.loads(second)))


def differences(embedded: dict, on_spark: dict) -> list[str]:
    """The rules whose findings or counts differ, with a few of the findings."""
    lines = [f"{key} differs" for key in embedded if embedded[key] != on_spark.get(key)]
    for key in ("violations", "warnings", "data_quality"):
        for rule in sorted({f["rule_id"] for f in embedded[key] + on_spark[key]}):
            mine, theirs = ({json.dumps(f, ensure_ascii=False, sort_keys=True)
                             for f in side[key] if f["rule_id"] == rule}
                            for side in (embedded, on_spark))
            if mine != theirs:
                lines.append(f"{key} of {rule}: only DuckDB's {sorted(mine - theirs)[:2]}, "
                             f"only Spark's {sorted(theirs - mine)[:2]}")
    return lines


def test_the_oracles_truth_holds_on_spark(reports, logs):
    _embedded, on_spark = reports
    ran = {r.id for r in on_spark.rules if r.status != "not_applicable"}
    rules = [r.rule for r in load_rules([ROOT / "rules"]) if r.rule.id in ran]
    events: list[oracle.Event] = []
    for path in logs:
        events += [dataclasses.replace(e, order=len(events) + e.order) for e in oracle.read_log(path)]
    truth = oracle.evaluate(rules, events, as_of=dt.datetime.fromisoformat(on_spark.as_of),
                            span=on_spark.span.bounds())
    assert truth, "the logs hold findings"
    assert oracle.findings_of(on_spark) == truth


def test_a_folder_of_parquet_files_is_one_log(spark, tmp_path):
    """Spark reads a folder of Parquet files as its files, named after the folder; DuckDB,
    given the same files by name, reports the same."""
    generated = tmp_path / "generated.parquet"
    generate(Options(events=1200, seed=13, year=2022, format="parquet"), generated)
    folder = tmp_path / "lake"
    folder.mkdir()
    con = duckdb.connect()
    for part, (first, last) in enumerate(((0, 600), (600, 1200))):
        con.execute(f"COPY (SELECT * FROM read_parquet('{generated}') LIMIT {last - first} "
                    f"OFFSET {first}) TO '{folder / f'part-{part}.parquet'}' (FORMAT parquet)")
    con.close()
    run = Run(events=[str(folder / "part-0.parquet"), str(folder / "part-1.parquet")], city=CITY,
              rule_ids=FEW_RULES)
    embedded = check(run)
    on_spark = check(dataclasses.replace(run, events=[str(folder)], engine="spark",
                                         spark_master="local[2]"))
    assert len(embedded.violations) > 10
    assert render(on_spark, "json") == render(embedded, "json")



def test_copies_bad_rows_and_a_mapping_read_as_the_embedded_engine_reads_them(spark, tmp_path):
    """A real export's names (a mapping renames them), copies with and without an event_id,
    rows that cannot be used (set aside with --bad-rows) and a time written in Chinese."""
    generated = tmp_path / "generated.csv"
    generate(Options(events=1200, seed=17, year=2022), generated)
    with open(generated, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    header = ["办件编号" if h == "case_id" else "承办单位" if h == "unit" else h for h in header]
    body = [row + [f"E{n}" if n % 7 == 0 else ""] for n, row in enumerate(body)]
    changed = [row[:] for row in body[0:30:7]]
    for row in changed:   # the same event_id, another value: a copy all the same
        row[header.index("承办单位")] = "另一个单位"
    blank_case = body[3][:]
    blank_case[0] = ""
    bad_time = body[4][:]
    bad_time[header.index("timestamp")] = "2022-13-45 10:00"
    chinese_time = body[5][:]
    chinese_time[header.index("timestamp")] = "２０２２年3月4日 9时30分"
    log = tmp_path / "export.csv"
    with open(log, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header + ["event_id"], *body, *body[10:20], *changed,
                                 blank_case, bad_time, chinese_time])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {办件编号: case_id, 承办单位: unit}\ndrop: [政策解答电话]\n",
                       encoding="utf-8")
    run = Run(events=[str(log)], city=CITY, rule_ids=FEW_RULES, mapping=str(mapping),
              bad_rows=str(tmp_path / "bad-duckdb.csv"))
    embedded = check(run)
    on_spark = check(dataclasses.replace(run, engine="spark", spark_master="local[2]",
                                         bad_rows=str(tmp_path / "bad-spark.csv")))
    assert (embedded.duplicates, embedded.bad_rows) == (10 + len(changed), 2)
    assert render(on_spark, "json") == render(embedded, "json")
    assert (tmp_path / "bad-spark.csv").read_bytes() == (tmp_path / "bad-duckdb.csv").read_bytes()
