"""Starting Spark (or reaching a Spark Connect server) for one check.

Spark's types and settings are chosen so that its answers are DuckDB's: timestamps
without a zone (``TIMESTAMP_NTZ``: the log's wall-clock time, Asia/Shanghai), the session
in UTC so that no zone rule moves a time, non-ANSI casts (a bad number is NULL, as with
DuckDB's ``TRY_CAST``).
"""
from __future__ import annotations

import os
import shutil

from ..errors import GovcheckError
from ..i18n import translate as _

#: Settings every session gets; ``shuffle_partitions`` and the master's own are added.
SETTINGS = {
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
}

#: Settings for a local master: no web UI, and the small-data path (a local run is a
#: test or a machine-sized log: no adaptive re-planning between the many small stages).
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.adaptive.enabled": "false",
}


def start(master: str = "local[*]", shuffle_partitions: int | None = None):
    """A Spark session for ``master`` (``local[N]``, ``spark://…``, ``yarn``…, or a Spark
    Connect URL ``sc://…``). Errors a user can mend (pyspark or Java missing) say what to
    install."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise GovcheckError(_("--engine spark needs pyspark: install govcheck[spark] "
                              "(pip install 'govcheck[spark]')")) from None
    builder = SparkSession.builder.appName("govcheck")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        if master.startswith("local") and not _java_found():
            raise GovcheckError(_("--engine spark needs Java 17 or later (such as Debian's "
                                  "openjdk-17-jre-headless): no java command or JAVA_HOME found"))
        builder = builder.master(master)
        settings = {}
        if master.startswith("local"):
            settings = {**LOCAL_SETTINGS, "spark.sql.shuffle.partitions": str(_local_cores(master)),
                        "spark.driver.memory": _local_memory()}
        for key, value in settings.items():
            builder = builder.config(key, value)
    for key, value in SETTINGS.items():
        builder = builder.config(key, value)
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    try:
        spark = builder.getOrCreate()
    except Exception as exc:   # Spark reports a bad master or no Java as a plain exception
        raise GovcheckError(_("Spark did not start (--spark-master {master}): {error}").format(
            master=master, error=_first_line(exc))) from None
    if not master.startswith("sc://"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def _local_cores(master: str) -> int:
    """The threads of ``local[N]`` (``local[*]``: the machine's): as many shuffle partitions,
    not Spark's 200 (each an empty task on a small log)."""
    inside = master.partition("[")[2].partition("]")[0].split(",")[0]
    return int(inside) if inside.isdigit() else (os.cpu_count() or 1)


def _local_memory() -> str:
    """The memory of a local run, whose one JVM is driver and executor: a quarter of the
    machine's, at least 2 GB (the log is kept in it, and spills to disk beyond)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):   # not a POSIX system
        return "2g"
    return f"{max(2, total // 4 // 2 ** 30)}g"


def _java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and os.path.exists(os.path.join(home, "bin", "java"))))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
