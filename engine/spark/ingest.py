"""Event logs into Spark's ``events`` view: the meaning ``data.ingest`` gives them, read
by Spark (CSV and Parquet files, folders of them, any URI the cluster reads, or a catalog
table), never through the driver.

The same column plan (``data.ingest.plan``: the mapping's renames, drops, constants and
``values``), the same trimming, times read in the same forms, the same bad rows with the
same reasons, and the same copies dropped (the same ``event_id``, or without one the same
values throughout; the first by file and row is kept). Rows are numbered as a spreadsheet
numbers them (header = row 1) without a window over the whole file: each split of a file
is counted once, and a row's number is its place in its split plus the rows of the splits
before it. A folder is read as the files in it, each a file of the report.

Not yet on Spark, refused by name rather than read differently: XLSX and JSON lines,
wide exports (a mapping's ``events``), a mapping's ``timestamp_formats``. CSV files are
read as UTF-8 with ``,`` between values (``\\t`` for .tsv), one record a line.
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter
from urllib.parse import unquote

from ..data.ingest import IngestResult
from ..data.ingest.badrows import LISTED_BAD_ROWS, refusal
from ..data.ingest.events import attribute_names
from ..data.ingest.plan import (Output, Plan, check_mapping_names, check_value_columns,
                                plan_columns, row_outputs)
from ..data.ingest.sources import Source, header_names
from ..data.ingest.timestamps import CN_WORDS, FULLWIDTH, HALFWIDTH, LOCAL_FORM, ZONED_FORM
from ..data.ingest.values import BLANKS
from ..data.mapping import Mapping
from ..errors import DataError, GovcheckError, SourceLocation
from ..i18n import marked as N_, translate as _
from ..files import atomic_writer
from ..findings.masking import mask_text
from ..model.rule import CANONICAL_COLUMNS

#: How each extension is read; a folder is read as the files in it.
FORMATS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}

#: Events a partition of the log holds at most (a few hundred MB as Spark keeps them).
EVENTS_PER_PARTITION = 1_000_000

#: Formats ``data.ingest`` reads that Spark does not yet.
NOT_YET = {".xlsx": N_("XLSX workbooks"), ".xlsm": N_("XLSX workbooks"),
           ".jsonl": N_("JSON lines"), ".ndjson": N_("JSON lines")}


@dataclass
class _Read:
    """One path given: Spark's frame of its rows (all text, numbered by split) and its plan."""

    index: int
    path: str
    frame: object
    source: Source
    plan: Plan | None = None


def ingest(spark, paths: Sequence[str], table: str | None = None,
           mapping: Mapping | None = None, bad_rows_path: str | None = None,
           mask_bad_rows: bool = True, partitions: int | None = None) -> IngestResult:
    """Register the ``events`` view (and an empty ``blank_times``) from ``paths`` or the
    catalog ``table``, as ``data.ingest.ingest`` builds its table; the view is kept by
    Spark, spread over ``partitions`` by case (default: ``_spread``)."""
    _refuse_not_yet(paths, mapping)
    reads = [_read(spark, i, p) for i, p in enumerate(paths)]
    if table is not None:
        reads.append(_read_table(spark, len(reads), table))
    if not reads:
        raise DataError(_("no event log given"))
    if mapping is not None:
        check_mapping_names(mapping, [r.source for r in reads])
    for r in reads:
        r.plan = plan_columns(r.source, mapping)
    if mapping is not None:
        check_value_columns(mapping, [r.plan for r in reads])
    attributes = attribute_names([r.plan for r in reads])
    numbered, files = _number_rows(spark, reads)
    rows = _union([_judged(r, frame, attributes) for r, frame in zip(reads, numbered)])
    rows = rows.persist()
    bad = rows.filter("__gc_problem IS NOT NULL")
    total, bad_count = rows.selectExpr("count(*)", "count(__gc_problem)").first()
    if bad_count and bad_rows_path is None:
        _raise_bad_rows(bad, bad_count, files, mask_bad_rows)
    if bad_rows_path is not None:
        _write_bad_rows(bad, files, bad_rows_path, mask_bad_rows)
    candidates = rows.filter("__gc_problem IS NULL").drop("__gc_problem", "__gc_orig")
    partitions = partitions or _spread(spark, total - bad_count)
    events = _without_copies(candidates, attributes, partitions).persist()
    kept = events.count()
    rows.unpersist()
    events.createOrReplaceTempView("events")
    events.limit(0).createOrReplaceTempView("blank_times")
    return IngestResult(tuple(files), kept, bad_count, total - bad_count - kept, tuple(attributes))


def _spread(spark, events: int) -> int:
    """How many partitions the log is spread over by case: Spark's shuffle partitions, or
    one for every ``EVENTS_PER_PARTITION`` events if that is more (a local run's two would
    each be too large to keep in memory at 10M). The rules' own shuffles then use as many,
    so that what is joined by case stays where it is."""
    configured = int(spark.conf.get("spark.sql.shuffle.partitions"))
    wanted = max(configured, math.ceil(events / EVENTS_PER_PARTITION))
    if wanted != configured:
        spark.conf.set("spark.sql.shuffle.partitions", str(wanted))
    return wanted


def _refuse_not_yet(paths: Sequence[str], mapping: Mapping | None) -> None:
    """What the embedded engine reads and Spark does not yet: said, never read otherwise."""
    for path in paths:
        kind = NOT_YET.get(os.path.splitext(str(path).lower())[1])
        if kind:
            raise GovcheckError(_("--engine spark does not read {kind} yet: convert the log to "
                                  "CSV or Parquet, or check it with the embedded engine")
                                .format(kind=_(kind)), SourceLocation(str(path)))
    if mapping is not None and mapping.wide:
        raise GovcheckError(_("--engine spark does not read a mapping's events (wide exports) "
                              "yet: check the log with the embedded engine"), mapping.where("events"))
    if mapping is not None and mapping.timestamp_formats:
        raise GovcheckError(_("--engine spark does not read a mapping's timestamp_formats yet: "
                              "check the log with the embedded engine"),
                            mapping.where("timestamp_formats"))


def _format(spark, path: str) -> str:
    """``csv`` or ``parquet``: by the extension, or a local folder's files; a folder
    elsewhere (``hdfs://``, ``s3a://``) without one is taken for Parquet, a data lake's
    format."""
    ext = os.path.splitext(path.rstrip("/").lower())[1]
    if ext in FORMATS:
        return FORMATS[ext]
    if os.path.isdir(path):
        found = {FORMATS.get(os.path.splitext(n.lower())[1]) for n in os.listdir(path)} - {None}
        if len(found) == 1:
            return found.pop()
        raise DataError(_("a folder holds CSV files or Parquet files, not both (told by their "
                          "extensions)") if found else _("the folder holds no .csv or .parquet file"),
                        SourceLocation(path))
    if "://" not in path:
        if not os.path.exists(path):
            raise DataError(_("file not found"), SourceLocation(path))
        raise DataError(_("unknown log format {suffix}: --engine spark reads .csv, .tsv, .parquet "
                          "and folders of them").format(suffix=repr(ext or _("(no extension)"))),
                        SourceLocation(path))
    return "parquet"


def _read(spark, index: int, path: str) -> _Read:
    """A path as Spark reads it: every column as text, each row with its file, split and
    place in the split (for ``_number_rows``)."""
    fmt = _format(spark, path)
    reader = spark.read.format(fmt)
    if fmt == "csv":
        reader = (reader.option("header", True).option("inferSchema", False)
                  .option("encoding", "UTF-8").option("mode", "PERMISSIVE")
                  .option("sep", "\t" if path.lower().endswith(".tsv") else ","))
    try:
        frame = reader.load(path)
    except Exception as exc:   # Spark's AnalysisException: a path it cannot find or read
        raise DataError(_("Spark cannot read it: {error}").format(
            error=str(exc).strip().splitlines()[0]), SourceLocation(path)) from None
    return _described(index, path, frame, header_rows=1)


def _read_table(spark, index: int, table: str) -> _Read:
    """A catalog table (``--table db.events``): read like a Parquet file."""
    try:
        frame = spark.table(table)
    except Exception:
        raise DataError(_("Spark's catalog has no table {table}").format(table=repr(table)),
                        SourceLocation(table)) from None
    return _described(index, table, frame, header_rows=1)


def _described(index: int, path: str, frame, header_rows: int) -> _Read:
    from pyspark.sql import functions as F

    raw = list(frame.columns)
    spark_blank = {i for i, n in enumerate(raw) if n == f"_c{i}"}
    names, unnamed = header_names(["" if i in spark_blank else n for i, n in enumerate(raw)], path)
    text = [F.col(f"`{n}`").cast("string").alias(f"__gc_r{j}") for j, n in enumerate(raw)]
    frame = frame.select(*text, F.input_file_name().alias("__gc_file"),
                         F.spark_partition_id().alias("__gc_part"),
                         F.monotonically_increasing_id().alias("__gc_mono"))
    source = Source(index, path, names, [], "", None, header_rows, unnamed=unnamed)
    return _Read(index, path, frame, source)


def _number_rows(spark, reads: list[_Read]):
    """Each read's frame with ``_src`` (the file's place in the report's list) and ``_row``
    (its row in the file): one small count per split, brought back and summed."""
    from pyspark.sql import functions as F

    files: list[str] = []
    numbered = []
    for r in reads:
        splits = (r.frame.groupBy("__gc_file", "__gc_part")
                  .agg(F.min("__gc_mono").alias("first"), F.count("*").alias("n"))
                  .orderBy("__gc_file", "__gc_part").collect())
        table, before, names = [], {}, sorted({s["__gc_file"] for s in splits})
        for s in splits:
            src = len(files) + names.index(s["__gc_file"])
            offset = before.get(s["__gc_file"], 0)
            table.append((s["__gc_file"], s["__gc_part"], s["first"], offset, src))
            before[s["__gc_file"]] = offset + s["n"]
        files += [r.path if len(names) == 1 and not os.path.isdir(r.path) else _shown(r.path, n)
                  for n in names] or [r.path]
        lookup = spark.createDataFrame(
            table, "__gc_file STRING, __gc_part INT, first BIGINT, offset BIGINT, _src INT")
        numbered.append(
            r.frame.join(F.broadcast(lookup), ["__gc_file", "__gc_part"])
            .withColumn("_row", (F.col("__gc_mono") - F.col("first") + F.col("offset")
                                 + 1 + r.source.header_rows).cast("int"))
            .drop("__gc_file", "__gc_part", "__gc_mono", "first", "offset"))
    return numbered, files


def _shown(given: str, uri: str) -> str:
    """A file of a folder as the report names it: the folder as given, then its name."""
    return given.rstrip("/") + "/" + unquote(uri.rstrip("/").rsplit("/", 1)[-1])


def _trimmed(column):
    """A value without the blanks around it (``data.ingest.values.BLANKS``); NULL if blank."""
    from pyspark.sql import functions as F

    cut = F.call_function("btrim", column, F.lit(BLANKS))
    return F.when(cut != "", cut)


def _value(r: _Read, out: Output):
    """An output of the plan: its trimmed column with the mapping's ``values``, or its
    constant."""
    from pyspark.sql import functions as F

    if out.source is None:
        return F.lit(out.constant).cast("string")
    column = F.col(f"__gc_s{out.source}")
    aliases = r.plan.value_maps.get(out.source)
    if not aliases:
        return column
    table = F.create_map(*[F.lit(x) for pair in aliases.items() for x in pair])
    return F.coalesce(F.element_at(table, column), column)


def _judged(r: _Read, frame, attributes: list[str]):
    """The read's rows in the columns of ``events`` (``timestamp`` parsed), each with its
    problem (``__gc_problem``, NULL for a usable row) and its original values."""
    from pyspark.sql import functions as F

    n = len(r.source.columns)
    cleaned = frame.select(*[_trimmed(F.col(f"__gc_r{j}")).alias(f"__gc_s{j}") for j in range(n)],
                           *[F.col(f"__gc_r{j}") for j in range(n)], "_src", "_row")
    blank = F.coalesce(*[F.col(f"__gc_s{j}") for j in range(n)]).isNull() if n else F.lit(True)
    cleaned = cleaned.filter(~blank)
    outs = row_outputs(r.plan)
    event = r.plan.events[0]
    time_text = F.col(f"__gc_s{event.time_source}")
    parsed = _timestamp(time_text)
    checks = []
    for target in ("case_id", "event_type"):
        out = outs[target]
        if out.source is not None:
            checks.append(F.when(F.col(f"__gc_s{out.source}").isNull(),
                                 F.lit(_blank(_label(target, r.source, out.source)))))
    label = _label("timestamp", r.source, event.time_source)
    checks.append(F.when(time_text.isNull(), F.lit(_blank(label)))
                  .when(parsed.isNull(), _not_understood(label, time_text)))
    problem = F.concat_ws("; ", *checks)
    original = F.to_json(F.struct(*[F.col(f"__gc_r{j}").alias(name)
                                    for j, name in enumerate(r.source.columns)]),
                         {"ignoreNullFields": "false"})
    columns = [(_value(r, outs[c]) if c in outs else F.lit(None).cast("string")).alias(c)
               for c in ("case_id", "event_type")]
    columns.append(parsed.alias("timestamp"))
    columns += [(_value(r, outs[c]) if c in outs else F.lit(None).cast("string")).alias(c)
                for c in ("unit", "event_id")]
    columns += [F.col("_src"), F.col("_row")]
    columns += [(_value(r, outs[a]) if a in outs else F.lit(None).cast("string")).alias(a)
                for a in attributes]
    problem = F.when(problem != "", problem)
    return cleaned.select(*columns, problem.alias("__gc_problem"),
                          F.when(problem.isNotNull(), original).alias("__gc_orig"))


def _label(target: str, source: Source, j: int | None) -> str:
    """A column as a message names it: with the log's own name when a mapping renamed it."""
    if j is None or source.columns[j] == target:
        return target
    return f"{target} ({source.columns[j]})"


def _blank(label: str) -> str:
    """The problem of a row whose column ``label`` is blank (as ``data.ingest.rows``)."""
    return _("{column} is blank").format(column=label)


def _not_understood(label: str, value):
    """The problem of a row whose time in column ``label`` (the column ``value``) is not
    one, in the words of ``data.ingest.rows``: the translated message, its placeholders
    filled in whatever order the translation puts them."""
    from pyspark.sql import functions as F

    filled = {"column": F.lit(label), "value": _shown_value(value)}
    pieces = []
    for words, name, _spec, _conversion in Formatter().parse(_("{column} not understood {value}")):
        if words:
            pieces.append(F.lit(words))
        if name is not None:
            pieces.append(filled[name])
    return F.concat(*pieces)


def _shown_value(column):
    """A value as a message quotes it (``data.ingest.values.shown``)."""
    from pyspark.sql import functions as F

    flat = F.regexp_replace(column, "\\s+", " ")
    return F.concat(F.lit("('"), F.substring(flat, 1, 60),
                    F.when(F.length(flat) > 60, F.lit("…")).otherwise(F.lit("")), F.lit("')"))


def _timestamp(text):
    """The time a text gives, in the forms ``data.ingest.timestamps`` reads, as
    TIMESTAMP_NTZ (Asia/Shanghai wall-clock time); NULL when it gives none."""
    from pyspark.sql import functions as F

    fast = F.when(F.substring(text, 5, 1) == "-",
                  F.to_timestamp_ntz(text, F.lit("yyyy-MM-dd HH:mm:ss")))
    x = F.when(text.rlike("[^ -~]"), _chinese(text)).otherwise(text)
    x = F.regexp_replace(x, "/", "-")
    x = F.regexp_replace(x, "(\\d)[Tt](\\d)", "$1 $2")
    x = F.regexp_replace(x, "^(\\d{4})\\.(\\d{1,2})\\.(\\d{1,2})", "$1-$2-$3")
    x = F.regexp_replace(x, "\\s+", " ")
    local = F.when(x.rlike(LOCAL_FORM), F.coalesce(
        x.cast("timestamp_ntz"),
        *[F.to_timestamp_ntz(x, F.lit(p)) for p in ("y-M-d H:m:s", "y-M-d H:m", "y-M-d H", "y-M-d")]))
    zoned_text = F.upper(F.regexp_replace(x, " ([Zz]|[+-][0-9:]+)$", "$1"))
    zoned = F.when(x.rlike(ZONED_FORM), F.from_utc_timestamp(
        zoned_text.cast("timestamp_ltz"), "Asia/Shanghai").cast("timestamp_ntz"))
    return F.coalesce(fast, local, zoned)


def _chinese(text):
    """Full-width digits and punctuation made ASCII, Chinese date words made separators."""
    from pyspark.sql import functions as F

    x = F.translate(text, FULLWIDTH, HALFWIDTH)
    for word, replacement in CN_WORDS:
        x = F.regexp_replace(x, word, replacement)
    return F.regexp_replace(F.trim(F.regexp_replace(x, "  ", " ")), ":+$", "")


def _union(frames):
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame, allowMissingColumns=True)
    return out


def _without_copies(candidates, attributes: list[str], partitions: int):
    """One copy of each duplicate (``data.ingest.events.create_events``): the same
    ``event_id``, or without one the same values throughout; the first by file and row;
    spread over ``partitions`` by case.

    Copies without an id share their case, so they are found after the log is spread by
    case, where each partition groups its own rows: the log is moved once, not sorted by
    every column. An event with an id is the least (file, row, values) of its id, found
    before (copies of an id may name different cases)."""
    from pyspark.sql import functions as F

    def by_case(frame):
        return frame.repartition(partitions, "case_id")

    values = [c for c in CANONICAL_COLUMNS if c != "event_id"] + attributes
    quoted = [f"`{c}`" for c in values]
    with_id = (candidates.where("event_id IS NOT NULL").groupBy("event_id")
               .agg(F.min(F.struct("_src", "_row", *quoted)).alias("__gc_first"))
               .select("event_id", "__gc_first.*"))
    without = (by_case(candidates.where("event_id IS NULL")).groupBy("event_id", *quoted)
               .agg(F.min(F.struct("_src", "_row")).alias("__gc_first"))
               .select("event_id", *quoted, "__gc_first.*"))
    columns = [f"`{c}`" for c in candidates.columns]
    return by_case(with_id).select(*columns).unionByName(without.select(*columns))


def _raise_bad_rows(bad, total: int, files: list[str], mask: bool) -> None:
    """Stop the load as ``data.ingest.badrows.raise_bad_rows`` does (the first rows named,
    the values they quote masked when ``mask``)."""
    listed = bad.select("_src", "_row", "__gc_problem").orderBy("_src", "_row") \
        .limit(LISTED_BAD_ROWS).collect()
    raise refusal([(SourceLocation(files[src], row=row), reason) for src, row, reason in listed],
                  total, mask=mask)


def _write_bad_rows(bad, files: list[str], target: str, mask: bool) -> None:
    """The bad rows as ``data.ingest.badrows.write_bad_rows`` writes them (file, row, reason,
    values; a BOM for Excel; personal numbers masked): only they come to the driver."""
    with atomic_writer(target) as out:
        out.write(codecs.BOM_UTF8)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["file", "row", "reason", "values"])
        out.write(text.getvalue().encode("utf-8"))
        ordered = bad.select("_src", "_row", "__gc_problem", "__gc_orig").orderBy("_src", "_row")
        for src, row, reason, original in ordered.toLocalIterator():
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerow([files[src], row, reason, original])
            line = text.getvalue()
            out.write((mask_text(line) if mask else line).encode("utf-8"))
