"""``govcheck watch``: the streaming monitor (实时在线监管, 红黄牌预警).

Reads JSON lines (the event log's canonical columns), compiles the case-level rules into
durable-rules rulesets (``watch.rulesets``), and writes one JSON line per finding as
soon as it is known:

- ``warning`` (黄牌): a ``deadline`` case is still open once ``warn_at`` of its time has passed;
- ``violation`` (红牌): a deadline passed while open, a case closed late, a step missing at
  its time (or at the end of the input without ``within``), too few counted events,
  a forbidden event, a missing field;
- ``resolved``: an earlier warning or violation no longer holds (closed in time, the clock
  stopped by a pause, an extension, a restart, the missing step or count arrived), or an
  earlier data-quality line;
- ``data_quality``: a case the rule cannot judge (it ended only before it started, its limit
  or an extension is blank or not a whole number), as ``check``'s data-quality findings.

A finding is what ``check --as-of T`` says about the case at the clock's time T; a line that
replaces an earlier finding of the same case names it in ``supersedes``. So replaying a log
and running ``check --as-of <its last time>`` agree (tests/test_parity.py).

The clock is the events' time by default: it moves with their timestamps, and a line
``{"event_type": "_clock", "timestamp": T}`` moves it with no event. ``--clock wall`` uses
the time of day (Asia/Shanghai) for live use. Deadlines are counted with
``data.calendar.WorkCalendar`` and kept in a heap; durable-rules' own timers are not used.

With ``--state FILE`` the open cases, the clock and the input position are saved (atomic
write) every few seconds; a journal next to it records what was written since, so a
monitor killed and restarted resumes where it stopped and writes nothing twice.
docs/watch.md describes the design and the engine limits it avoids.

This module wires the parts, each in its own module: ``input`` (lines → events, bad
lines), ``facts`` (events and open cases as durable-rules facts; the matches),
``lifecycle`` (cases opened, events applied in time order, judgements, the clock),
``output`` (finding lines, each written once) and ``journal`` (``--state``).
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence, TextIO

from ..data.calendar import WorkCalendar
from ..errors import CalendarError, WatchStop
from ..i18n import translate as _
from ..model.loader import load_rules
from ..resources import data_dir
from .facts import Facts
from .input import BadLines, EventParser, Line, LineSource
from .journal import Journal
from .lifecycle import Lifecycle
from .output import FindingWriter, Stats
from .rulesets import Engine, EngineLimit, Rulesets, compile_rulesets
from .times import time_text, wall_now


def durable_problem() -> str | None:
    """Why durable-rules cannot be used here, or None when it can."""
    try:
        import durable_rules_engine  # noqa: F401
    except ImportError as exc:
        return _("govcheck watch needs durable-rules, which cannot be imported here ({error}); "
                 "install govcheck[watch] on Python 3.12 or older (pip install "
                 "'govcheck[watch]'); `govcheck check` works without it").format(error=exc)
    return None


@dataclass
class WatchOptions:
    """Inputs of one ``watch`` run (see ``govcheck watch --help``)."""

    source: str = "-"
    rules: Sequence[str | Path] | None = None
    follow: bool = False
    clock: str = "event"
    state: str | Path | None = None
    bad_lines: str | Path | None = None
    calendars: Sequence[str | Path] = ()
    shards: int = 16
    session_cap: int = 40_000
    batch_lines: int = 2000
    status_every: float = 60.0
    checkpoint_every: float = 10.0
    remember_days: int = 400
    poll: float = 0.25


def watch(options: WatchOptions, out: BinaryIO | None = None, err: TextIO | None = None) -> int:
    """Run the monitor until the input ends (or, following, until SIGINT/SIGTERM).

    SIGINT or SIGTERM stops it within a batch (``Monitor.run``), the state saved: 0 when
    following (that is how a followed file ends), else 128 + the signal's number (130,
    143), the shell's code for a run a signal ended, as the input was not read to its end."""
    problem = durable_problem()
    if problem:
        raise WatchStop(problem)
    with StopSignals() as signals:
        monitor = Monitor(options, out or sys.stdout.buffer, err or sys.stderr, signals)
        try:
            monitor.start()
        except BaseException:
            monitor.close()
            raise
        try:
            return monitor.run()
        except (EngineLimit, WatchStop, CalendarError) as exc:
            try:
                monitor.status()
            except Exception:
                pass
            raise WatchStop(_("STOPPED: {problem}").format(problem=exc)) from None


class StopSignals:
    """SIGINT and SIGTERM noted, not obeyed at once: the monitor stops at the end of the
    batch it is in, with its state saved. A second signal while it finishes ends it at
    once, as a crash would (the journal covers what the last save does not)."""

    def __init__(self):
        self.signum: int | None = None
        self.count = 0
        self.previous: dict[int, object] = {}

    def __enter__(self) -> "StopSignals":
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[sig] = signal.signal(sig, self._note)
            except ValueError:      # not the main thread
                pass
        return self

    def __exit__(self, *_exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _note(self, signum, _frame) -> None:
        self.count += 1
        if self.signum is None:
            self.signum = signum
        if self.count >= 2:
            os._exit(128 + signum)


class Monitor:
    """The parts of a run, wired: input → durable-rules facts → case life → output, with
    the journal saving all of it (``--state``)."""

    def __init__(self, options: WatchOptions, out: BinaryIO, err: TextIO,
                 signals: StopSignals | None = None):
        self.options = options
        self.signals = signals or StopSignals()
        self.err = err
        rules = load_rules(list(options.rules) if options.rules else [data_dir("rules")])
        self.rulesets: Rulesets = compile_rulesets(rules)
        compiled = self.rulesets.rules
        import duckdb
        self.con = duckdb.connect()
        self.stats = Stats()
        self.bad = BadLines(self.stats, options.bad_lines)
        self.parser = EventParser(self.con, _cast_fields(self.rulesets), options.clock == "event",
                                  self.stats, self.bad)
        self.writer = FindingWriter(out, [r.rule for r in compiled], options.clock == "event",
                                    self.stats)
        self.life = Lifecycle(compiled, WorkCalendar.load(options.calendars),
                              options.remember_days, self.parser.casts, self.writer)
        self.journal = (Journal(options.state, options.source, [r.rule for r in compiled])
                        if options.state else None)
        self.engine: Engine | None = None
        self.facts: Facts | None = None
        self.source: LineSource | None = None
        self.replay_lines: list[Line] = []

    def start(self) -> None:
        """Build the rulesets, take back a saved state, open the input."""
        opts = self.options
        self.engine = Engine(self.rulesets, opts.shards, opts.session_cap)
        self.facts = Facts(self.rulesets, self.engine, opts.shards, self.parser.casts)
        offset, line = 0, 0
        if self.journal is not None:
            self.journal.lock()
        resuming = self.journal is not None and self.journal.exists()
        if resuming:
            offset, line, self.replay_lines = self.journal.restore(self)
        self.source = LineSource(opts.source, opts.follow, offset, line, opts.poll)
        if self.journal is not None and not resuming:
            self.journal.open()
            self.journal.checkpoint(self)       # from now on a crash always finds a state to resume
        if self.rulesets.skipped:
            kinds = sorted({k for _rule, k in self.rulesets.skipped})
            self.err.write(_("govcheck watch: {count} rule(s) of kind {kinds} are judged over "
                             "whole periods and are left to `govcheck check`: {rules}").format(
                count=len(self.rulesets.skipped), kinds=", ".join(kinds),
                rules=", ".join(rule_id for rule_id, _kind in self.rulesets.skipped)) + "\n")
            self.err.flush()
        for message in self.rulesets.refused:
            self.err.write(message + "\n")
            self.err.flush()

    def run(self) -> int:
        """Read to the end of the input (or until asked to stop); ``start`` first."""
        # The open cases are many long-lived objects and the events many short-lived ones
        # with no reference cycles: the cyclic collector, left as it is, spends a fifth of
        # the time walking them. Set the rules, calendar and engine aside, collect less often.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        try:
            return self._run()
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()

    def status(self, final: bool = False) -> None:
        s = self.stats
        facts = self.engine.fact_count() if self.engine else 0
        status = (_("govcheck watch: done: {counts}") if final
                  else _("govcheck watch: running: {counts}"))
        counts = _("{lines} lines, {events} events, {bad} bad, {ticks} clock lines, {late} out "
                   "of order; {open} open cases ({facts} facts in durable-rules); {warnings} "
                   "warnings, {violations} violations, {resolved} resolved, {quality} not "
                   "judged (data quality); clock {clock}").format(
            lines=s.lines, events=s.events, bad=s.bad, ticks=s.ticks, late=s.late_arrivals,
            open=len(self.life.cases), facts=facts, warnings=s.warnings,
            violations=s.violations, resolved=s.resolved, quality=s.quality,
            clock=time_text(self.life.clock) or "-")
        self.err.write(status.format(counts=counts) + "\n")
        self.err.flush()

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None
        if self.journal is not None:
            self.journal.close()
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    # -- the main loop ----------------------------------------------------------------

    def _run(self) -> int:
        opts = self.options
        signals = self.signals
        last_status = last_checkpoint = time.monotonic()
        ended = False
        try:
            if not self._replay():
                return self._stopped(saved=False)   # the journal still holds the rest
            while signals.signum is None:
                lines = self.source.batch(opts.batch_lines, opts.poll)
                if lines is None:
                    ended = True
                    break
                if lines:
                    self._process(lines)
                elif self.life.dirty:
                    self.life.judge_changed()       # nothing more came: the time is complete
                    self._retract([])
                if opts.clock == "wall":
                    self.life.advance(wall_now())
                self._flush()
                now = time.monotonic()
                if self.journal is not None and now - last_checkpoint >= opts.checkpoint_every:
                    self.journal.checkpoint(self)
                    last_checkpoint = now
                if opts.status_every and now - last_status >= opts.status_every:
                    self.status()
                    last_status = now
            if ended:
                self.life.end_of_input()
                self._retract([])
                self._flush()
            if self.journal is not None:
                self.journal.checkpoint(self)
            if not ended:
                return self._stopped(saved=self.journal is not None)
            self.status(final=True)
            return 0
        finally:
            self.close()

    def _replay(self) -> bool:
        """Judge the journaled stdin lines a restart found, a batch at a time; False when
        a signal came first (the state is then saved only once they are all judged)."""
        lines, self.replay_lines = self.replay_lines, []
        size = self.options.batch_lines
        for at in range(0, len(lines), size):
            if self.signals.signum is not None:
                return False
            self._process(lines[at:at + size], journal=False)
            self._flush()
        return True

    def _stopped(self, saved: bool) -> int:
        """The last status lines and the exit code of a run a signal stopped (``watch``)."""
        signum = self.signals.signum
        stopped = (_("govcheck watch: stopped by {signal}, the state saved") if saved
                   else _("govcheck watch: stopped by {signal}"))
        self.err.write(stopped.format(signal=signal.Signals(signum).name) + "\n")
        self.status(final=True)
        return 0 if self.options.follow else 128 + signum

    def _process(self, lines: list[Line], journal: bool = True) -> None:
        """One batch: parse, match, apply in time order, retract what the clock passed."""
        if journal and self.journal is not None and self.source.file is None:
            self.journal.note_input(lines)      # stdin cannot be read again
        events, ticks = self.parser.parse(lines, self.life.clock)
        if not events and not ticks:
            return
        records = self.facts.match(events, self.life.open_case, self.life.cases)
        self.life.apply(events, ticks, records, self.facts.retained)
        self._retract(events)

    def _retract(self, events) -> None:
        self.facts.retract(events, self.parser.latest, self.life.take_closed())

    def _flush(self) -> None:
        """Write the batch's findings, then report its bad lines (each journaled)."""
        journal = self.journal
        self.writer.flush(journal.note_output if journal is not None else None)
        self.bad.flush(self.err, journal.note_bad if journal is not None else None)


def _cast_fields(rulesets: Rulesets) -> set[str]:
    """Attributes read as numbers (DuckDB's casts are fetched for them batch-wise)."""
    fields = {slot.field for slot in rulesets.slots.by_key.values() if slot.kind == "num"}
    for r in rulesets.rules:
        fields.update(limit.attribute for limit in r.plan.limits if limit.attribute)
    return fields
