"""Deliberate bugs, one at a time: does some test notice each of them?

A green suite says little until it has been seen to go red. ``MUTANTS`` below is a
hand-chosen list of small bugs (a mutant: one file, one exact snippet of it, what the
snippet becomes, and why the change matters) in the code that decides answers: working
days, boundaries of time, thresholds, the order of steps, periods, matchers, masking,
de-duplication, the renderers' safety, the stream's cases and the oracle. For each mutant
the runner copies the repository (the files git tracks or would track) to a temporary
folder, changes that one snippet in the copy, runs the tests there and records whether
some test failed (killed) or all passed (survived). The working tree is never touched.

Not a test (pytest does not collect bench/), and not part of CI: a habit. Run it after
changing the engines or the tests, and give every surviving mutant a test that kills it
(or, if the mutant cannot change any answer, say so in its ``equivalent``).
``tests/test_mutants.py`` checks cheaply that every original snippet is still in the code,
once, so that the list cannot go stale silently when code moves.

    .venv/bin/python bench/mutants.py                  # every mutant against FAST_TESTS
    .venv/bin/python bench/mutants.py --full           # against the whole suite
    .venv/bin/python bench/mutants.py warn-at-floor-sql sequence-tie-sql   # some of them
    .venv/bin/python bench/mutants.py --test tests/test_boundaries.py span-to-exclusive
    .venv/bin/python bench/mutants.py --list           # the table, nothing run
    .venv/bin/python bench/mutants.py --record         # and append the results to docs/benchmarks.md

Each run is ``pytest -x``: the first failing test is enough, and is named in the table.
The unmutated copy is run first; if it fails, nothing is measured. Exit status: 0 when
every mutant not marked equivalent was killed, 1 otherwise, 2 when a snippet is missing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"

#: The tests run against each mutant by default: the hand-written tests of answers, in
#: both engines, quickest first (``-x`` stops at the first failure). ``--full`` runs all.
FAST_TESTS = (
    "tests/test_calendar.py", "tests/test_workdays_independent.py", "tests/test_masking.py",
    "tests/test_render.py", "tests/test_xlsx.py", "tests/test_notices.py", "tests/test_html.py",
    "tests/test_kinds.py", "tests/test_boundaries.py", "tests/test_ingest.py",
    "tests/test_case_filters.py", "tests/test_default_lead_steps.py",
    "tests/test_moving_events.py", "tests/test_period_close.py", "tests/test_settle.py",
    "tests/test_subjects_window.py", "tests/test_projection.py", "tests/test_truth.py",
    "tests/test_stream.py",
    "tests/test_stream_language.py", "tests/test_rule_examples.py", "features",
)

#: Test files left out of FAST_TESTS, and why (tests/test_mutants.py makes every test file
#: one or the other, so a new one is a choice, not an omission).
LEFT_OUT = {
    "tests/test_parity.py": "property test: a minute and more",
    "tests/test_span_property.py": "property test: a minute and more",
    "tests/test_generate.py": "the generator's own output",
    "tests/test_cli.py": "options and exit codes, over the same engines",
    "tests/test_config.py": "settings files",
    "tests/test_html_browser.py": "a browser, for the page's script",
    "tests/test_packaging.py": "building the wheel",
    "tests/test_scaffold.py": "new rule repositories",
    "tests/test_library.py": "per-file checks of the shipped rules",
    "tests/test_packs.py": "the library's packs",
    "tests/test_lints.py": "rule lints",
    "tests/test_loader.py": "reading rule files",
    "tests/test_vocabulary.py": "the vocabulary",
    "tests/test_notes.py": "where a rule's notes are shown",
    "tests/test_kind_tables.py": "every layer names every kind",
    "tests/test_layers.py": "import arrows",
    "tests/test_mapping_docs.py": "the mapping documentation",
    "tests/test_skip_guard.py": "the CI skip guard",
    "tests/test_mutants.py": "this table",
    "tests/test_limits.py": "refusals of hostile inputs: no answer to change",
    "tests/test_i18n.py": "the message catalog: wording, not answers",
    "tests/test_watch_hardening.py": "watch restarts, locks, signals and hostile lines: no answer to change",
    "tests/test_spark_parity.py": "Spark local: minutes, and Java",
    "tests/test_dialects.py": "the Spark engine's share of the plan, checked in DuckDB",
}


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: in ``path``, the text ``original`` (found exactly once) becomes
    ``mutated``. ``why``: what would go wrong for a user. ``equivalent``: set only when
    the change cannot alter any answer, saying why (it is then expected to survive)."""

    name: str
    path: str
    original: str
    mutated: str
    why: str
    equivalent: str | None = None

    def apply(self, root: Path) -> None:
        """Make the change in the copy at ``root``."""
        file = root / self.path
        text = file.read_text(encoding="utf-8")
        file.write_text(text.replace(self.original, self.mutated, 1), encoding="utf-8")


CALENDAR = "engine/data/calendar.py"
COMMON = "engine/batch/sql/_common.sql.j2"
DIALECT = "engine/batch/sql/_dialect.sql.j2"
COMPILE = "engine/batch/compile.py"
MASKING = "engine/findings/masking.py"
CASES = "engine/watch/cases.py"

MUTANTS: tuple[Mutant, ...] = (
    # -- working days --------------------------------------------------------------------
    Mutant("makeup-day-off", CALENDAR,
           'return DayInfo(d, True, "makeup_workday", self.workdays[d])',
           'return DayInfo(d, False, "makeup_workday", self.workdays[d])',
           "a 调休 working weekend counted as a day off moves every deadline across it a day "
           "later (it once passed the generated-log truth tests)"),
    Mutant("saturday-works", CALENDAR,
           "if d.weekday() >= 5:\n            return DayInfo(d, False, \"weekend\", None)",
           "if d.weekday() > 5:\n            return DayInfo(d, False, \"weekend\", None)",
           "Saturdays counted as working days: deadlines a day early"),
    Mutant("add-workdays-short", CALENDAR,
           "target = self._wpos[i] + n",
           "target = self._wpos[i] + n - 1",
           "the Python count (watch's deadlines, calendar explain) one working day short"),
    Mutant("workdays-between-counts-start", CALENDAR,
           "return self._wpos[j] - self._wpos[i]",
           "return self._wpos[j] - self._wpos[i] + 1",
           "the start date counted as a working day when explaining a deadline"),
    Mutant("oracle-ignores-makeup-days", "engine/testing/oracle/workdays.py",
           "return d in self.days_on or d.weekday() < 5",
           "return d.weekday() < 5",
           "the oracle's own count misses 调休 working days: the truth it gives is wrong, "
           "and the truth tests must notice, not agree"),

    # -- moments: end of day, as_of, span, effective window --------------------------------
    Mutant("end-of-day-is-midnight", DIALECT,
           "INTERVAL '86399 seconds'",
           "INTERVAL '86400 seconds'",
           "a deadline ends at 23:59:59; at the next midnight an end at 00:00:00 passes"),
    Mutant("past-includes-due", COMMON,
           "({{ ts }} > {{ due }})",
           "({{ ts }} >= {{ due }})",
           "an end at the very second of the deadline counted late"),
    Mutant("as-of-exclusive", COMMON,
           "\"timestamp\" <= $as_of AND",
           "\"timestamp\" < $as_of AND",
           "an event at exactly --as-of left out of the log as it stood then"),
    Mutant("span-from-exclusive", COMMON,
           "({{ ts }} >= $span_from AND",
           "({{ ts }} > $span_from AND",
           "a case opened at the first moment the logs cover called outside the span"),
    Mutant("span-to-exclusive", COMMON,
           "{{ ts }} <= $span_to)",
           "{{ ts }} < $span_to)",
           "a case opened at the last moment the logs cover called outside the span"),
    Mutant("effective-end-inclusive", COMPILE,
           'out.append(f"{ts} < {self.bind(window.end)}")',
           'out.append(f"{ts} <= {self.bind(window.end)}")',
           "an event at midnight after effective.to still under the rule"),
    Mutant("effective-to-excluded", "engine/plan.py",
           "dt.datetime.combine(last + dt.timedelta(days=1), dt.time()) if last else None",
           "dt.datetime.combine(last, dt.time()) if last else None",
           "the last day of a rule's effective window no longer under the rule"),
    Mutant("oracle-effective-to-excluded", "engine/testing/oracle/judges.py",
           "if eff.to and ts >= dt.datetime.combine(eff.to + dt.timedelta(days=1), dt.time()):",
           "if eff.to and ts >= dt.datetime.combine(eff.to, dt.time()):",
           "the oracle drops the last effective day: the truth tests must notice"),
    Mutant("first-event-tie-last", COMMON,
           'PARTITION BY e.case_id ORDER BY e."timestamp", e._src, e._row) AS rn',
           'PARTITION BY e.case_id ORDER BY e."timestamp", e._src, e._row DESC) AS rn',
           "of two opening events at the same instant the later row opens the case (its "
           "limit, unit and evidence row)"),

    # -- deadline -----------------------------------------------------------------------
    Mutant("warn-at-floor-sql", "engine/batch/sql/deadline.sql.j2",
           "ceil(round({{ bind(rule.warn_at) }} * total, 9))",
           "floor(round({{ bind(rule.warn_at) }} * total, 9))",
           "check warns before the share of the limit has passed (0.6 × 3: after 1 day, "
           "not 2); once survived all but a random parity run"),
    Mutant("warn-at-floor-watch", "engine/model/rule.py",
           "return math.ceil(round(self.warn_at * total, 9))",
           "return math.floor(round(self.warn_at * total, 9))",
           "watch warns before the share of the limit has passed"),
    Mutant("warn-at-unrounded", "engine/model/rule.py",
           "return math.ceil(round(self.warn_at * total, 9))",
           "return math.ceil(self.warn_at * total)",
           "0.14 × 50 = 7.000000000000001 warns after 8 days in watch, 7 in check"),
    Mutant("pause-not-added", "engine/batch/sql/deadline.sql.j2",
           "SELECT *, base_pos + total + pause_added AS due_pos,",
           "SELECT *, base_pos + total AS due_pos,",
           "time between pause and resume counted against the office"),
    Mutant("late-at-due-watch", CASES,
           "late = self.end > due",
           "late = self.end >= due",
           "watch calls an end at the deadline's last second late"),

    # -- sequence -----------------------------------------------------------------------
    Mutant("sequence-tie-sql", "engine/batch/sql/sequence.sql.j2",
           "step_{{ loop.index0 }} <= step_{{ loop.index }}",
           "step_{{ loop.index0 }} < step_{{ loop.index }}",
           "ordered steps at the same instant called out of order (once caught by parity 1 "
           "run in 12)"),
    Mutant("sequence-tie-watch", CASES,
           "len(self.steps) > 1 and any(\n                    a > b for a, b in zip(",
           "len(self.steps) > 1 and any(\n                    a >= b for a, b in zip(",
           "watch calls ordered steps at the same instant out of order"),
    Mutant("sequence-step-at-trigger", "engine/batch/sql/sequence.sql.j2",
           "{% endfor %}\n    FROM opened o JOIN ev e ON e.case_id = o.case_id "
           "AND e.\"timestamp\" >= o.start_ts",
           "{% endfor %}\n    FROM opened o JOIN ev e ON e.case_id = o.case_id "
           "AND e.\"timestamp\" > o.start_ts",
           "a step logged at the trigger's own instant not counted: a false missing_step"),

    # -- ratio, periodic, min_count, due_by -----------------------------------------------
    Mutant("ratio-threshold-inclusive", "engine/batch/sql/ratio.sql.j2",
           "FROM judged WHERE share < {{ bind(rule.at_least) }}",
           "FROM judged WHERE share <= {{ bind(rule.at_least) }}",
           "a share exactly at at_least (50% of 50%) flagged below the threshold"),
    Mutant("period-end-a-day-late", DIALECT,
           "+ INTERVAL '1 {{ every }}' - INTERVAL '1 day' AS DATE)",
           "+ INTERVAL '1 {{ every }}' AS DATE)",
           "a period (ratio, periodic) ends on the first day of the next one"),
    Mutant("periodic-last-second", "engine/batch/sql/periodic.sql.j2",
           "AND m.\"timestamp\" <= p.close_ts) AS n",
           "AND m.\"timestamp\" < p.close_ts) AS n",
           "a report at the last second of a period (or its grace) not counted"),
    Mutant("periodic-after-window", "engine/batch/sql/periodic.sql.j2",
           "least(CAST({{ bind(plan.window.last_day) }} AS DATE), CAST($as_of AS DATE))",
           "greatest(CAST({{ bind(plan.window.last_day) }} AS DATE), CAST($as_of AS DATE))",
           "periods after the rule's effective window judged and found missing"),
    Mutant("min-count-copies", "engine/batch/sql/min_count.sql.j2",
           "count(DISTINCT {{ counted_item }}) AS n,",
           "count({{ counted_item }}) AS n,",
           "the same value (distinct) counted once per event: too few found too rarely"),
    Mutant("min-count-last-second", "engine/batch/sql/min_count.sql.j2",
           "      AND e.\"timestamp\" <= t.due_ts",
           "      AND e.\"timestamp\" < t.due_ts",
           "an event at the deadline's last second not counted"),
    Mutant("count-at-due-watch", CASES,
           "if self.due is not None and ts > self.due:",
           "if self.due is not None and ts >= self.due:",
           "watch does not count an event at the deadline's last second"),
    Mutant("due-by-start-of-day", "engine/batch/sql/due_by.sql.j2",
           "{% else %}{{ d.end_of_day(bind(rule.by)) }}{% endif %} AS due_ts,",
           "{% else %}CAST({{ bind(rule.by) }} AS TIMESTAMP){% endif %} AS due_ts,",
           "a due_by date ends at its midnight, not at its end: done that day counted late"),
    Mutant("required-fields-last-offence", "engine/batch/sql/required_fields.sql.j2",
           'PARTITION BY s.case_id ORDER BY s."timestamp", s._src, s._row) AS rn',
           'PARTITION BY s.case_id ORDER BY s."timestamp" DESC, s._src, s._row) AS rn',
           "a case's finding names its last incomplete event, not its first"),
    Mutant("forbidden-checks-only-hits", "engine/batch/sql/forbidden.sql.j2",
           "first_per_case(match(rule.event.scope(), 'e')",
           "first_per_case(match(rule.event, 'e')",
           "only the cases with a forbidden event counted as checked: every rate reads 0%"),

    # -- matchers -----------------------------------------------------------------------
    Mutant("ne-drops-missing", COMPILE,
           'else f"NOT coalesce({any_equal}, FALSE)"',
           'else f"NOT {any_equal}"',
           "field|ne no longer holds for an event without the field (NULL, not TRUE)"),
    Mutant("list-means-all", COMPILE,
           '" OR ".join(self._equals(column, field, v) for v in values)',
           '" AND ".join(self._equals(column, field, v) for v in values)',
           "a list of values (any of them) read as all of them"),
    Mutant("re-anchored", COMPILE,
           '"re": "regexp_matches"}[op]',
           '"re": "regexp_full_match"}[op]',
           "field|re must match the whole text, not a part of it"),
    Mutant("oracle-re-anchored", "engine/testing/oracle/matching.py",
           "any(re.search(str(v), shown) is not None for v in values)",
           "any(re.match(str(v), shown) is not None for v in values)",
           "the oracle reads |re as anchored at the start: the truth tests must notice"),
    Mutant("numbers-compared-as-text", COMPILE,
           "if isinstance(value, (int, float)):\n"
           "            return f\"TRY_CAST({column} AS DOUBLE) {sym}",
           "if isinstance(value, float):\n"
           "            return f\"TRY_CAST({column} AS DOUBLE) {sym}",
           "field|lt: 10 compares whole numbers as text: 5 is not below 10, as \"5\" > \"10\""),

    # -- masking ------------------------------------------------------------------------
    Mutant("mask-no-19x", MASKING,
           '_MOBILE = rf"1[3-9]',
           '_MOBILE = rf"1[3-8]',
           "19x mobile numbers shown in full (once survived: every test used 138)"),
    Mutant("mask-id15-length", MASKING,
           "{_DATE}{_SEP}[0-9]{{3}}\"\n",
           "{_DATE}{_SEP}[0-9]{{4}}\"\n",
           "old 15-digit ID numbers shown in full"),
    Mutant("mask-id18-lowercase-x", MASKING,
           "[0-9]{{3}}[0-9Xx]\"",
           "[0-9]{{3}}[0-9X]\"",
           "an ID number ending in a lowercase x shown in full"),
    Mutant("mask-country-code", MASKING,
           "| (?:{_COUNTRY})?(?P<mobile>",
           "| (?P<mobile>",
           "a mobile written 8613812345678 (no + or space) shown in full"),
    Mutant("mask-full-width", MASKING,
           "return text if text.isascii() else text.translate(_folding()[0])",
           "return text",
           "numbers in full-width digits (１３８…) shown in full"),
    Mutant("mask-dot-separator", MASKING,
           '_SEP = "[ .-]?"',
           '_SEP = "[ -]?"',
           "138.1234.5678 shown in full"),

    # -- what reports show --------------------------------------------------------------
    Mutant("csv-at-sign", "engine/render/csv.py",
           'FORMULA_START = ("=", "+", "-", "@", "\\t", "\\r")',
           'FORMULA_START = ("=", "+", "-", "\\t", "\\r")',
           "a cell starting with @ runs as a formula in Excel (CSV injection)"),
    Mutant("junit-warnings-fail", "engine/render/junit.py",
           "failures += len(vs)",
           "failures += len(vs) + len(ws)",
           "warnings counted as JUnit failures: CI fails on what is only at risk"),
    Mutant("html-unescaped", "engine/render/html.py",
           "autoescape=True, undefined=",
           "autoescape=False, undefined=",
           "event text from a log becomes markup in the HTML report (script injection)"),
    Mutant("text-bidi-passes", "engine/render/text.py",
           'elif unicodedata.category(ch) == "Cc" or ch in _BIDI:',
           'elif unicodedata.category(ch) == "Cc":',
           "a right-to-left override in a log reverses the text report's lines"),

    # -- ingest: copies -------------------------------------------------------------------
    Mutant("copies-ignore-event-id", "engine/data/ingest/events.py",
           'same_row = ", ".join(f"CASE WHEN event_id IS NULL THEN {quote_ident(c)} END" '
           "for c in value_cols)",
           'same_row = ", ".join(quote_ident(c) for c in value_cols)',
           "two rows with one event_id but different values both kept: one event counted twice"),
    Mutant("copies-keep-last", "engine/data/ingest/events.py",
           "ORDER BY _src, _row, __gc_e) = 1",
           "ORDER BY _src DESC, _row DESC, __gc_e) = 1",
           "of copies the last row is kept: findings point at a later row than the first"),
    Mutant("copies-pairs-adopted", "engine/data/ingest/events.py",
           "HAVING count(*) > 1)",
           "HAVING count(*) > 2)",
           "a log whose copies come in pairs is taken as it is: each pair counted twice"),
)


# ---------------------------------------------------------------------------
# Checking the table
# ---------------------------------------------------------------------------

def problems(root: Path = ROOT) -> list[str]:
    """Why some mutant cannot be applied to the code at ``root`` (empty: all can)."""
    out = []
    names = [m.name for m in MUTANTS]
    out += [f"{n}: the name is used twice"
            for n in sorted({n for n in names if names.count(n) > 1})]
    for m in MUTANTS:
        file = root / m.path
        if not file.is_file():
            out.append(f"{m.name}: {m.path} does not exist")
            continue
        found = file.read_text(encoding="utf-8").count(m.original)
        if found != 1:
            out.append(f"{m.name}: the original snippet is in {m.path} {found} times, not once "
                       f"(the code moved: update the mutant): {m.original!r}")
        if m.original == m.mutated:
            out.append(f"{m.name}: the mutant changes nothing")
    return out


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

@dataclass
class Outcome:
    """How one run of the tests ended."""

    mutant: Mutant | None      # None: the unmutated copy
    status: str    # killed, survived, equivalent (passed, as expected), timeout; passed: unmutated
    seconds: float
    by: str = ""               # the first failing test, or why the run ended


@dataclass
class Run:
    """What one run of the table measured."""

    outcomes: list[Outcome]
    clean_seconds: float           # the tests on the unmutated copy
    wall: float                    # seconds in all
    loads: tuple[str, str]         # /proc/loadavg before and after


def tracked_files(root: Path) -> list[str]:
    """The repository's files: those git tracks, and new ones it does not ignore."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"],
                            cwd=root, capture_output=True, check=True).stdout.decode()
    return [p for p in listed.split("\0") if p and (root / p).is_file()]


def make_copy(files: list[str], into: Path) -> Path:
    """A copy of the repository's ``files`` at ``into/govcheck``, nothing compiled in it."""
    copy = into / "govcheck"
    for name in files:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    return copy


def copy_env(copy: Path) -> dict[str, str]:
    """The environment in which ``import govcheck`` finds the copy, not the checkout the
    virtual environment installed (the folder holding the copy comes first on the path)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy.parent), env.get("PYTHONPATH")]))
    env.pop("GOVCHECK_CI", None)    # a skip is not what is measured here
    env["HYPOTHESIS_PROFILE"] = "mutants"   # tests/conftest.py: ci's examples, not shrunk
    return env


def check_imports_copy(copy: Path) -> None:
    """Stop unless the tests run in the copy would import the copy's code."""
    found = subprocess.run([sys.executable, "-c",
                            "import govcheck.engine; print(govcheck.engine.__file__)"],
                           cwd=copy, env=copy_env(copy), capture_output=True, text=True, check=True)
    if not Path(found.stdout.strip()).is_relative_to(copy):
        raise SystemExit(f"the copy's tests would import {found.stdout.strip()}, not the copy")


def run_tests(copy: Path, tests: list[str], timeout: float) -> tuple[int | None, str, float]:
    """``pytest -x`` over ``tests`` in the copy: (exit status or None on timeout, the first
    failing test or the last line of output, seconds)."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE", *tests]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=copy, env=copy_env(copy), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, f"no result after {timeout:.0f} s", time.perf_counter() - started
    seconds = time.perf_counter() - started
    failed = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", output, re.M)
    lines = output.strip().splitlines()
    return proc.returncode, readable(failed[1]) if failed else (lines[-1] if lines else ""), seconds


def readable(test_id: str, width: int = 100) -> str:
    """A test's id as pytest prints it (non-ASCII parameters escaped), unescaped and cut
    to ``width`` characters."""
    text = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m[1], 16)), test_id)
    return text if len(text) <= width else text[:width - 1] + "…"


def run_one(mutant: Mutant | None, base: Path, work: Path, tests: list[str],
            timeout: float) -> Outcome:
    """One mutant (None: none) applied to a fresh copy of ``base``, and the tests run there."""
    copy = work / "govcheck"
    shutil.copytree(base, copy)
    shared = ROOT.parent / "shared"     # the source texts some tests read from ../shared
    if shared.is_dir():
        (work / "shared").symlink_to(shared)
    try:
        if mutant is not None:
            mutant.apply(copy)
        rc, by, seconds = run_tests(copy, tests, timeout)
    finally:
        shutil.rmtree(work)
    if rc is None:
        return Outcome(mutant, "timeout", seconds, by)
    if rc == 0 and mutant is None:
        return Outcome(mutant, "passed", seconds)
    if rc == 0:
        return Outcome(mutant, "equivalent" if mutant.equivalent else "survived", seconds)
    return Outcome(mutant, "killed", seconds, by)


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " / ".join(f.read().split()[:3])


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------

def table(outcomes: list[Outcome]) -> str:
    lines = ["| mutant | file | result | first failing test | s |", "|---|---|---|---|---|"]
    for o in outcomes:
        m = o.mutant
        lines.append(f"| {m.name} | {m.path} | {o.status} | {o.by.replace('|', '¦')} "
                     f"| {o.seconds:.0f} |")
    return "\n".join(lines)


def listing() -> str:
    lines = []
    for m in MUTANTS:
        lines.append(f"{m.name} ({m.path}): {m.why}")
        lines.append(f"    - {m.original!r}\n    + {m.mutated!r}")
        if m.equivalent:
            lines.append(f"    equivalent: {m.equivalent}")
    return "\n".join(lines)


def record(run: Run, tests: str) -> None:
    """Append a section with this run to docs/benchmarks.md."""
    from run import commit, machine     # bench/run.py: the same machine line as its sections

    killed = sum(o.status == "killed" for o in run.outcomes)
    section = [
        "", f"## Mutants (`bench/mutants.py`, {dt.date.today()}, commit {commit()})", "",
        f"Each mutant applied alone to a copy of the repository, then `pytest -x` over {tests}. "
        f"Machine: {machine()}; load average (1/5/15 min, /proc/loadavg) {run.loads[0]} "
        f"before, {run.loads[1]} after: the machine is shared.", "",
        f"**{killed} of {len(run.outcomes)} killed** in {run.wall / 60:.1f} min, the "
        f"unmutated run ({run.clean_seconds:.0f} s) included.", "",
        table(run.outcomes), "",
    ]
    with DOCS.open("a", encoding="utf-8") as f:
        f.write("\n".join(section))


def run_all(chosen: list[Mutant], tests: list[str]) -> Run | None:
    """The tests on an unmutated copy, then on one copy per mutant (None when the unmutated
    copy fails)."""
    before, started = load_average(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="govcheck-mutants-") as tmp:
        base = make_copy(tracked_files(ROOT), Path(tmp) / "base")
        check_imports_copy(base)
        clean = run_one(None, base, Path(tmp) / "run", tests, timeout=3600)
        if clean.status != "passed":
            print(f"the tests fail without any mutant ({clean.by}): fix that first",
                  file=sys.stderr)
            return None
        print(f"unmutated: passed in {clean.seconds:.0f} s", flush=True)
        outcomes = []
        for m in chosen:     # a mutant that hangs a test gets three times the clean run
            outcome = run_one(m, base, Path(tmp) / "run", tests, timeout=3 * clean.seconds + 60)
            outcomes.append(outcome)
            print(f"{m.name}: {outcome.status} in {outcome.seconds:.0f} s {outcome.by}", flush=True)
    return Run(outcomes, clean.seconds, time.perf_counter() - started, (before, load_average()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="Only these mutants (default: all).")
    parser.add_argument("--full", action="store_true", help="Run the whole suite, not FAST_TESTS.")
    parser.add_argument("--test", action="append", metavar="PATH",
                        help="Run these tests instead (repeat it), e.g. to see a new test kill.")
    parser.add_argument("--list", action="store_true", help="Print the mutants and stop.")
    parser.add_argument("--record", action="store_true",
                        help="Append the results to docs/benchmarks.md.")
    args = parser.parse_args()

    missing = problems()
    if missing:
        print("mutants that no longer fit the code:\n" + "\n".join(missing), file=sys.stderr)
        return 2
    if args.list:
        print(listing())
        return 0
    unknown = set(args.names) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    tests = args.test or ([] if args.full else list(FAST_TESTS))
    described = "the whole suite" if not tests else ", ".join(f"`{t}`" for t in tests)
    if tests == list(FAST_TESTS):
        described = f"`FAST_TESTS` ({described})"

    run = run_all(chosen, tests)
    if run is None:
        return 1
    killed = sum(o.status == "killed" for o in run.outcomes)
    print("\n" + table(run.outcomes))
    print(f"\n{killed}/{len(run.outcomes)} killed in {run.wall / 60:.1f} min; "
          f"load {run.loads[0]} → {run.loads[1]}")
    if args.record:
        record(run, described)
    return 0 if all(o.status in ("killed", "equivalent") for o in run.outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
