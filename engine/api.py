"""The one place that knows the order of a run: load rules → ingest → evaluate → report.

``cli.py``, the tests and the Gherkin steps call these functions; nothing here
prints or exits, every user-caused problem is raised as a ``GovcheckError``.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Callable, Sequence
import re
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import duckdb

from .batch.run import RuleOutcome, run_rules
from .data.calendar import WorkCalendar
from .errors import DataError, GovcheckError, RuleError, RuleErrors, SourceLocation, did_you_mean
from .i18n import translate as _
from .data.ingest import IngestResult, Projection, ingest, memory_estimate
from .data.mapping import Mapping as MappingFile, load_mapping, with_values
from .data.sqltext import quote_string
from .model.loader import load_rules
from .model.packs import PACK_FILE, Pack, choose, find_packs, pack_of
from .model.vocabulary import VOCABULARY_FILE, Vocabulary, find_vocabulary, load_vocabulary
from .plan import plan_rule
from .model.rule import RULE_CLASSES, LoadedRule
from .findings.report import PackUse, Report, RuleResult, Span, UnitResult
from .resources import data_dir

#: The memory DuckDB may use before it spills to a temporary folder (which it removes on
#: close). Its own default, 80 % of the machine, let a city-year (10M events) peak at 5.2 GB.
#: With a large log kept in a database file (``ON_DISK_SHARE``) the city-year peaks at
#: 1.9 GB under 1.5 GB, as fast as it was in memory under 3 GB (docs/benchmarks.md).
DEFAULT_MEMORY_LIMIT_MB = 1536

#: A log that would take more than this share of the memory limit as DuckDB holds a table
#: in memory (uncompressed) is kept in a temporary database file instead: there DuckDB
#: writes it compressed (a city-year: 390 MB on disk against some 4 GB in memory) and reads
#: back what a query needs. Measured on generated logs under 1.5 GB: 2M events 16 s in
#: memory, 19 s on disk; 5M 42 s either way, 1.9 → 1.5 GB; 10M 92 → 71 s, 2.3 → 1.9 GB.
ON_DISK_SHARE = 2 / 3

#: The name of the database a large log is kept in (``connect``).
ON_DISK = "govcheck_log"

_UNITS = {"B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40, "KB": 10, "MB": 20, "GB": 30,
          "TB": 40}


def _memory_limit_mb(con: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's memory limit, in MB (None if it cannot be read)."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, _space, unit = str(text).partition(" ")
    try:
        return int(float(number) * 2 ** _UNITS[unit] // 2**20)
    except (ValueError, KeyError):
        return None


def default_memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    """1.5 GB, or DuckDB's own default where that is less (80 % of the memory it finds for
    this process, container limits included)."""
    own_mb = _memory_limit_mb(con)
    if own_mb is None:
        return f"{DEFAULT_MEMORY_LIMIT_MB}MB"
    return f"{max(1, min(DEFAULT_MEMORY_LIMIT_MB, own_mb))}MB"


def connect(memory_limit: str | None = None, log_bytes: int = 0) -> duckdb.DuckDBPyConnection:
    """An embedded database for one run (end it with ``close``). DuckDB's progress bar is
    off: it would write into the report when stdout is the report. ``memory_limit`` is
    DuckDB's (e.g. ``8GB``); a log of about ``log_bytes`` in memory (``ingest.memory_estimate``)
    that would not fit well under it is kept in a temporary database file (``ON_DISK_SHARE``)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    limit = memory_limit or default_memory_limit(con)
    try:
        con.execute(f"SET memory_limit = {quote_string(limit)}")
    except duckdb.Error:
        con.close()
        raise GovcheckError(_("--memory-limit {value} is not an amount of memory (e.g. 3GB or "
                              "800MB)").format(value=repr(limit))) from None
    spill = Path(tempfile.gettempdir()) / f"govcheck-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    con.execute(f"SET temp_directory = {quote_string(str(spill))}")
    limit_mb = _memory_limit_mb(con)
    if limit_mb is not None and log_bytes > ON_DISK_SHARE * limit_mb * 2**20:
        # only this run reads the file and it is thrown away: no write-ahead log
        con.execute(f"ATTACH {quote_string(str(spill) + '.duckdb')} AS {ON_DISK} "
                    f"(RECOVERY_MODE no_wal_writes)")
        con.execute(f"USE {ON_DISK}")
    return con


def close(con: duckdb.DuckDBPyConnection) -> None:
    """End a run's database: close it and remove the file a large log was kept in."""
    stored = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = $name",
                         {"name": ON_DISK}).fetchone()
    con.close()
    if stored is not None:
        for leftover in (Path(stored[0]), Path(stored[0] + ".wal")):
            leftover.unlink(missing_ok=True)


def default_rules_dir() -> Path:
    """The shipped rule library: ``rules/`` of the checkout (or of the installed copy)."""
    return data_dir("rules")


def select_rules(rule_paths: Sequence[str | Path] | None,
                 rule_ids: Sequence[str] = ()) -> list[LoadedRule]:
    """Load the rule files (default: the shipped library), keeping only ``rule_ids`` if given."""
    return _only(load_rules(rule_places(rule_paths)), rule_ids)


def list_rules(rule_paths: Sequence[str | Path] | None, pack: str | None = None,
               kind: str | None = None, severity: str | None = None) -> list[LoadedRule]:
    """The rules ``rules list`` shows: those of ``pack``, ``kind`` and ``severity`` when given.
    A pack or kind that no rule has is an error that suggests the nearest, never an empty
    list that reads as "no such rules"."""
    rules = select_rules(rule_paths)
    packs = sorted({Path(r.path).parent.name for r in rules})
    if pack is not None and pack not in packs:
        raise RuleError(_("no pack named {name}{hint}; packs: {packs}").format(
            name=repr(pack), hint=did_you_mean(pack, packs), packs=", ".join(packs)))
    if kind is not None and kind not in RULE_CLASSES:
        raise RuleError(_("no rule kind {kind}{hint}; kinds: {kinds}").format(
            kind=repr(kind), hint=did_you_mean(kind, RULE_CLASSES), kinds=", ".join(RULE_CLASSES)))
    return [r for r in rules if (pack is None or Path(r.path).parent.name == pack)
            and (kind is None or r.rule.kind == kind)
            and (severity is None or r.rule.severity == severity)]


def rule_places(rule_paths: Sequence[str | Path] | None) -> list[Path]:
    """Where the rules are: the paths given, a shipped pack named by its folder name
    (``--rules shaoyang-2022-service`` wherever govcheck is installed), or the whole
    shipped library."""
    if not rule_paths:
        return [default_rules_dir()]
    out = []
    for given in map(Path, rule_paths):
        shipped = default_rules_dir() / given
        if not given.exists() and len(given.parts) == 1 and (shipped / PACK_FILE).is_file():
            out.append(shipped)
        else:
            out.append(given)
    return out


def _only(rules: list[LoadedRule], rule_ids: Sequence[str]) -> list[LoadedRule]:
    if not rule_ids:
        return rules
    known = {r.rule.id.upper(): r.rule.id for r in rules}
    unknown = [i for i in rule_ids if i.upper() not in known]
    if unknown:
        raise RuleError(_("no rule with id {id} in the rules loaded{hint}").format(
            id=repr(unknown[0]), hint=did_you_mean(unknown[0].upper(), known)))
    wanted = {known[i.upper()] for i in rule_ids}
    return [r for r in rules if r.rule.id in wanted]


def vocabulary_for(places: Sequence[str | Path]) -> Vocabulary:
    """The shipped vocabulary, with the one beside or above the rule files added when that is
    a rules repository's own (its names may add to the shipped ones, never contradict them)."""
    shipped_path = default_rules_dir() / VOCABULARY_FILE
    shipped = load_vocabulary(shipped_path)
    local = find_vocabulary(places)
    if local is None or local.resolve() == shipped_path.resolve():
        return shipped
    return shipped.extended(load_vocabulary(local))


@dataclass(frozen=True)
class Library:
    """The rules a run may use and the packs they lie in. ``shipped``: the default library,
    from which a run takes only the packs that fit the log (its city and years)."""

    rules: list[LoadedRule]
    packs: list[Pack]
    shipped: bool
    vocabulary: Vocabulary

    @classmethod
    def load(cls, rule_paths: Sequence[str | Path] | None) -> "Library":
        places = rule_places(rule_paths)
        return cls(load_rules(places), find_packs([p for p in places if p.is_dir()]),
                   shipped=not rule_paths, vocabulary=vocabulary_for(places))

    def choose(self, pack_names: Sequence[str], city: str | None, rule_ids: Sequence[str],
               span: Span | None) -> tuple[list[LoadedRule], tuple[PackUse, ...]]:
        """The rules of one run and the packs they come from. Named packs, or, from the
        shipped library, the packs of ``city`` and the national ones whose years meet the
        span (None: whatever their years, the rules a run may use before its log is read);
        rules given by path are used as they are."""
        if pack_names or self.shipped:
            years = range(int(span.start[:4]), int(span.end[:4]) + 1) if span else None
            packs = choose(self.packs, pack_names, city, years)
            folders = {p.folder.resolve() for p in packs}
            rules = [r for r in self.rules if Path(r.path).resolve().parent in folders]
        else:
            rules = self.rules
            packs = [p for p in self.packs if any(pack_of(r.path, [p]) for r in rules)]
        return _only(rules, rule_ids), tuple(PackUse(p.name, p.title) for p in packs)


_AS_OF_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                  "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日 %H:%M")


def parse_as_of(text: str | dt.date | dt.datetime, given_as: str = "--as-of") -> dt.datetime:
    """``--as-of`` (or ``given_as``, the option or argument that gave it, named if it is not
    a time): a date means the end of that day; a time is taken as given."""
    if isinstance(text, dt.datetime):
        return text.replace(tzinfo=None)
    if isinstance(text, dt.date):
        return dt.datetime.combine(text, dt.time(23, 59, 59))
    value = str(text).strip()
    for fmt in _AS_OF_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.combine(dt.datetime.strptime(value, fmt).date(), dt.time(23, 59, 59))
        except ValueError:
            pass
    raise GovcheckError(_("{option} {value} is not a date or time (e.g. 2021-12-31 or "
                          "2021-12-31 18:00)").format(option=given_as, value=repr(value)))


_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{1,2})))?$")


def parse_span(period: str | None, start: str | None, end: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``--period 2022`` (or ``2022-Q3``, ``2022-07``) or ``--from``/``--to`` dates: the span
    the logs are declared to cover, each end None when not declared."""
    if period is not None:
        if start or end:
            raise GovcheckError(_("give --period or --from/--to, not both"))
        m = _PERIOD.match(period.strip())
        if not m or (m[3] and not 1 <= int(m[3]) <= 12):
            raise GovcheckError(_("--period {value} is not a year, quarter or month (e.g. 2022, "
                                  "2022-Q3, 2022-07)").format(value=repr(period)))
        year = int(m[1])
        first, last = (1, 12) if not (m[2] or m[3]) else \
            ((int(m[2]) - 1) * 3 + 1, int(m[2]) * 3) if m[2] else (int(m[3]), int(m[3]))
        next_month = dt.date(year + (last == 12), last % 12 + 1, 1)
        return (dt.datetime(year, first, 1),
                dt.datetime.combine(next_month - dt.timedelta(days=1), dt.time(23, 59, 59)))
    begin = dt.datetime.combine(parse_as_of(start, "--from").date(), dt.time()) if start else None
    finish = parse_as_of(end, "--to") if end else None
    if begin and finish and begin > finish:
        raise GovcheckError(_("--from {start} is after --to {end}").format(start=start, end=end))
    return begin, finish


@dataclass(frozen=True)
class Run:
    """Inputs of one ``check``."""

    events: Sequence[str | Path]
    rules: Sequence[str | Path] | None = None
    mapping: str | Path | None = None
    as_of: str | dt.datetime | None = None
    calendars: Sequence[str | Path] = ()
    rule_ids: Sequence[str] = ()
    units: Sequence[str] = ()
    bad_rows: str | Path | None = None
    memory_limit: str | None = None
    city: str | None = None
    packs: Sequence[str] = ()
    period: str | None = None
    span_from: str | None = None
    span_to: str | None = None
    mask: bool = True           # personal numbers of bad rows, written or refused (the report: at rendering)
    sheet: str | None = None
    values: MappingFile | None = None   # govcheck.yaml's values, applied to every log
    evidence: str = "rule"      # EVIDENCE_MODES: what of each event a finding's evidence shows
    evidence_columns: Sequence[str] = ()    # shown in every finding's evidence too
    engine: str = "duckdb"      # or "spark" (engine/spark; the `spark` extra)
    spark_master: str = "local[*]"
    table: str | None = None    # a Spark catalog table read as a log (--table db.events)


#: ``--evidence``: ``rule`` shows each event's canonical columns, the attributes its rule
#: reads and ``--evidence-columns``, from the columns loaded for the rules; ``full`` shows
#: every column of the log, which must then all be loaded (slower, more memory).
EVIDENCE_MODES = ("rule", "full")

#: The engines ``check`` runs on.
ENGINES = ("duckdb", "spark")


def check(run: Run, progress: Callable[[int, int], None] | None = None) -> Report:
    """Evaluate event logs against rules and return the report; ``progress(done, total)``
    is told of each rule run (the command line's progress bar)."""
    if run.engine not in ENGINES:
        raise GovcheckError(_("no engine {engine}; engines: {engines}").format(
            engine=repr(run.engine), engines=", ".join(ENGINES)))
    if run.table is not None and run.engine != "spark":
        raise GovcheckError(_("--table reads a table of Spark's catalog: it needs --engine spark"))
    library = Library.load(run.rules)
    mapping = with_values(load_mapping(run.mapping) if run.mapping is not None else None,
                          run.values)
    check_mapping(mapping, library.vocabulary)
    declared = parse_span(run.period, run.span_from, run.span_to)
    calendar = WorkCalendar.load(run.calendars)
    shown = evidence_shown(run.evidence, run.evidence_columns)
    candidates, _packs = library.choose(run.packs, run.city, run.rule_ids, None)
    if run.engine == "spark":
        return _check_on_spark(run, library, mapping, declared, calendar, shown, progress)
    con = connect(run.memory_limit, memory_estimate(run.events))
    try:
        loaded = ingest(con, run.events, mapping=mapping, bad_rows_path=run.bad_rows,
                        mask_bad_rows=run.mask, sheet=run.sheet,
                        projection=projection(candidates, shown))
        return _judge_log(con, loaded, run, library, declared, calendar, shown, progress)
    finally:
        close(con)


def evidence_shown(mode: str, columns: Sequence[str]) -> frozenset[str] | None:
    """The attributes every finding's evidence shows besides its rule's own (``--evidence``,
    ``--evidence-columns``); None: every column of the log."""
    if mode not in EVIDENCE_MODES:
        raise GovcheckError(_("--evidence {value}: use one of {modes}").format(
            value=repr(mode), modes=", ".join(EVIDENCE_MODES)))
    return None if mode == "full" else frozenset(columns)


def projection(rules: Sequence[LoadedRule], shown: frozenset[str] | None) -> Projection:
    """What of the log ``rules`` may read, and the evidence shows (``shown``; None: every
    column): the load leaves the rest out."""
    if shown is None:
        return Projection()
    read = {name for r in rules for name in r.rule.attributes()}
    return Projection(attributes=frozenset(read | shown))


def _check_on_spark(run: Run, library: Library, mapping: MappingFile | None,
                    declared: tuple[dt.datetime | None, dt.datetime | None],
                    calendar: WorkCalendar, shown: frozenset[str] | None,
                    progress: Callable[[int, int], None] | None) -> Report:
    """``check`` on Spark (engine/spark): the logs read by Spark, the same rules and report."""
    if run.sheet is not None:
        raise GovcheckError(_("--engine spark does not read XLSX workbooks (--sheet) yet: convert "
                              "the log to CSV or Parquet"))
    from .spark.database import SparkDatabase
    from .spark.ingest import ingest as spark_ingest
    from .spark.session import start

    db = SparkDatabase(start(run.spark_master))
    try:
        loaded = spark_ingest(db.spark, [str(e) for e in run.events], table=run.table,
                              mapping=mapping, bad_rows_path=run.bad_rows, mask_bad_rows=run.mask)
        return _judge_log(db, loaded, run, library, declared, calendar, shown, progress,
                          runner=db.run_rules)
    finally:
        db.close()


def _judge_log(con, loaded: IngestResult, run: Run, library: Library,
               declared: tuple[dt.datetime | None, dt.datetime | None], calendar: WorkCalendar,
               shown: frozenset[str] | None, progress: Callable[[int, int], None] | None,
               runner: "Runner | None" = None) -> Report:
    """What ``check`` does once the log is loaded, in either engine (``con`` answers the
    same SQL): as-of, units, event types, span, the rules of the packs that fit, the report."""
    moment = _as_of(con, loaded, run.as_of)
    check_units(con, run.units, loaded)
    present = event_types_of(con, library.vocabulary, loaded, moment)
    span = log_span(con, moment, *declared)
    rules, packs = library.choose(run.packs, run.city, run.rule_ids, span)
    return evaluate(con, rules, calendar, loaded, moment, run.units, span=span, packs=packs,
                    fit=RuleFit(library.vocabulary, present), progress=progress,
                    evidence=shown, runner=runner)


def check_mapping(mapping: MappingFile | None, vocabulary: Vocabulary) -> None:
    """Every event type a mapping writes must be one the vocabulary knows, refused at its
    place in the mapping file before any log is read."""
    if mapping is None:
        return
    for event_type, key in mapping.event_types():
        if event_type not in vocabulary.event_types:
            raise DataError(_("event type {name} is not in the vocabulary{hint}").format(
                                name=repr(event_type),
                                hint=did_you_mean(event_type, vocabulary.event_types)),
                            mapping.document.location(key) if mapping.document else
                            SourceLocation(mapping.path))


def event_types_of(con, vocabulary: Vocabulary, loaded: IngestResult,
                   as_of: dt.datetime) -> frozenset[str]:
    """The event types of the log (up to ``as_of``), each declared in the vocabulary: a type
    no vocabulary knows is a typo in a mapping or an export until a vocabulary says what it
    means (``工单完结`` for ``工单办结`` once made every case overdue)."""
    rows = con.execute('SELECT event_type, min(_src), min_by(_row, _src * 4294967296 + _row) '
                       'FROM events GROUP BY event_type ORDER BY event_type').fetchall()
    for event_type, src, row in rows:
        if event_type not in vocabulary.event_types:
            where = SourceLocation(loaded.files[src] if src is not None and src < len(loaded.files)
                                   else ", ".join(loaded.files), row=row)
            raise DataError(_("event type {name} is not in the vocabulary{hint}; declare it in a "
                              "vocabulary.yaml beside your rules, or map it to a known type")
                            .format(name=repr(event_type),
                                    hint=did_you_mean(event_type, vocabulary.event_types)),
                            where)
    at = con.execute('SELECT DISTINCT event_type FROM events WHERE "timestamp" <= $as_of',
                     {"as_of": as_of}).fetchall()
    return frozenset(t for (t,) in at)


@dataclass(frozen=True)
class RuleFit:
    """What decides whether a rule can speak to a log: the systems its event types come from
    must all be in the log; and whether the log holds any event the rule reads."""

    vocabulary: Vocabulary
    present: frozenset[str]

    def status(self, rule) -> tuple[str, str | None]:
        """``judged``, ``not_applicable`` (with the systems missing) or ``no_data``."""
        types = plan_rule(rule).event_types
        if types is None:
            return ("judged", None) if self.present else ("no_data", None)
        have = {self.vocabulary.system(t) for t in self.present}
        missing = sorted({s for t in types if (s := self.vocabulary.system(t)) and s not in have})
        if missing:
            return "not_applicable", "、".join(missing)
        return ("judged", None) if set(types) & self.present else ("no_data", None)


def check_units(con, units: Sequence[str], loaded: IngestResult) -> None:
    """``--unit`` values must name units of the log: a typo would otherwise report that the
    unit has no violation."""
    if not units:
        return
    known = [u for (u,) in con.execute("SELECT DISTINCT unit FROM events WHERE unit IS NOT NULL "
                                        "ORDER BY unit").fetchall()]
    for unit in units:
        if unit not in known:
            raise GovcheckError(_("--unit {unit}: no such unit in the log{hint}").format(
                unit=repr(unit), hint=did_you_mean(unit, known)), SourceLocation(", ".join(loaded.files)))


def _as_of(con, loaded: IngestResult, as_of: str | dt.datetime | None) -> dt.datetime:
    """``as_of`` as given, else the latest event of the log."""
    if as_of is not None:
        return parse_as_of(as_of)
    latest = con.execute('SELECT max("timestamp") FROM events').fetchone()[0]
    if latest is None:
        raise DataError(_("the log holds no events"), SourceLocation(", ".join(loaded.files)))
    return latest


def log_span(con, as_of: dt.datetime, start: dt.datetime | None = None,
             end: dt.datetime | None = None) -> Span:
    """The span the logs cover: as declared, else from the first event's date to ``as_of``
    (never past ``as_of``: what happened later is not in the judgement)."""
    declared = start is not None or end is not None
    if start is None:
        first = con.execute('SELECT min("timestamp") FROM events WHERE "timestamp" <= $as_of',
                            {"as_of": as_of}).fetchone()[0]
        start = dt.datetime.combine((first or as_of).date(), dt.time())
    end = min(end, as_of) if end is not None else as_of
    return Span.of(start, end, declared)


def evaluate(con, rules: Sequence[LoadedRule], calendar: WorkCalendar, loaded: IngestResult,
             as_of: str | dt.datetime | None = None, units: Sequence[str] = (),
             span: Span | None = None, packs: tuple[PackUse, ...] = (),
             fit: RuleFit | None = None,
             progress: Callable[[int, int], None] | None = None,
             evidence: frozenset[str] | None = None,
             runner: "Runner | None" = None) -> Report:
    """Run ``rules`` over the ``events`` table already in ``con``. With ``fit``, a rule whose
    systems the log lacks is not run (``not_applicable``), and one that read no event is
    marked ``no_data``. ``evidence``: the attributes each finding's evidence shows besides
    its rule's own (None: every column of ``events``). ``runner`` runs the rules (default:
    DuckDB's, on ``con``)."""
    moment = _as_of(con, loaded, as_of)
    span = span or log_span(con, moment)
    statuses = {r.rule.id: fit.status(r.rule) for r in rules} if fit else {}
    runnable = [r for r in rules if statuses.get(r.rule.id, ("judged",))[0] != "not_applicable"]
    run_them = runner or partial(_run_in_duckdb, con)
    outcomes = run_them(runnable, moment, calendar, span.bounds(), loaded.files, progress,
                        evidence)
    outcomes += [RuleOutcome(r, 0, {}, (), ()) for r in rules if r not in runnable]
    events, cases, first, last = con.execute(
        'SELECT count(*), count(DISTINCT case_id), min("timestamp"), max("timestamp") '
        'FROM events WHERE "timestamp" <= $as_of', {"as_of": moment}).fetchone()
    years = tuple(y for y in range(first.year, moment.year + 1) if calendar.covers(y)) if first else ()
    report = _report(outcomes, moment, events, cases, loaded, years, set(units))
    rules_out = tuple(replace(r, status=statuses[r.id][0], status_reason=statuses[r.id][1])
                      if r.id in statuses else r for r in report.rules)
    return replace(report, rules=rules_out, span=span, packs=packs)


#: What runs a check's rules: (rules, as_of, calendar, span, files, progress, evidence) →
#: outcomes.
Runner = Callable[..., list[RuleOutcome]]


def _run_in_duckdb(con, rules: Sequence[LoadedRule], as_of: dt.datetime, calendar: WorkCalendar,
                   span: tuple[dt.datetime, dt.datetime], files: tuple[str, ...],
                   progress: Callable[[int, int], None] | None,
                   evidence: frozenset[str] | None) -> list[RuleOutcome]:
    """The embedded engine: the calendar as the ``cal`` table, then ``batch.run``."""
    calendar.load_into(con)
    return run_rules(con, rules, as_of, calendar, span, files, progress, evidence)


def _report(outcomes: list[RuleOutcome], as_of: dt.datetime, events: int, cases: int,
            loaded: IngestResult, years: tuple[int, ...], units: set[str]) -> Report:
    def keep(unit: str | None) -> bool:
        return not units or unit in units

    results, violations, warnings, quality = [], [], [], []
    per_unit: dict[str | None, list[int]] = {}   # unit → [checked, violations, warnings]
    for o in outcomes:
        rule = o.loaded.rule
        found = [v for v in o.violations if keep(v.unit)]
        warned = [v for v in o.warnings if keep(v.unit)]
        violations.extend(found)
        warnings.extend(warned)
        quality.extend(q for q in o.data_quality if keep(q.unit))
        not_judged: dict[str, int] = {}
        for (reason, unit), n in sorted(o.not_judged.items(), key=lambda x: (x[0][0], x[0][1] or "")):
            if keep(unit) and n:
                not_judged[reason] = not_judged.get(reason, 0) + n
        checked = sum(n for unit, n in o.checked_by_unit.items() if keep(unit))
        results.append(RuleResult(
            id=rule.id, title=rule.title, kind=rule.kind, severity=rule.severity,
            source=rule.source.model_dump(), checked=checked, violations=len(found),
            warnings=len(warned), path=shown_path(o.loaded.path), not_judged=not_judged,
            notes=rule.notes))
        for unit, n in o.checked_by_unit.items():
            if keep(unit):
                per_unit.setdefault(unit, [0, 0, 0])[0] += n
    for index, findings in ((1, violations), (2, warnings)):
        for v in findings:
            per_unit.setdefault(v.unit, [0, 0, 0])[index] += 1
    key = lambda v: v.sort_key()  # noqa: E731
    return Report(
        as_of=as_of.strftime("%Y-%m-%d %H:%M:%S"), events=events, cases=cases,
        rules=tuple(sorted(results, key=lambda r: r.id)),
        violations=tuple(sorted(violations, key=key)), warnings=tuple(sorted(warnings, key=key)),
        bad_rows=loaded.bad_rows, duplicates=loaded.duplicates, files=tuple(loaded.files),
        calendar_years=years,
        units=tuple(UnitResult(u, *counts) for u, counts in
                    sorted(per_unit.items(), key=lambda item: (item[0] is None, item[0] or ""))),
        data_quality=tuple(sorted(quality, key=lambda q: q.sort_key())))


def shown_path(path: str) -> str:
    """A rule file's path as a reader knows it: ``rules/…`` for the shipped library, where
    ever it is installed (a virtual environment in the working folder included), else
    relative to the working folder, never a machine-specific absolute path."""
    full = Path(path).resolve()
    try:
        return (Path("rules") / full.relative_to(default_rules_dir().resolve())).as_posix()
    except ValueError:
        pass
    try:
        return full.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


def exit_code(report: Report, fail_on: str) -> int:
    """1 when a violation at or above ``fail_on`` was found, else 0."""
    if fail_on == "never":
        return 0
    levels = {"error": {"error"}, "warning": {"error", "warning"}}[fail_on]
    return 1 if any(v.severity in levels for v in report.violations) else 0


__all__ = ["Run", "check", "evaluate", "select_rules", "default_rules_dir", "parse_as_of",
           "exit_code", "GovcheckError", "RuleErrors"]
