"""What ``watch`` writes: one JSON line per finding (and per case it cannot judge, a
data-quality line), each written once, and the counts the status line reports.

A finding line is spelled by hand (its key order is the contract's, docs/watch.md), worded
as ``check``'s JSON report words it (``findings.messages``, in Chinese whatever language
is in use: ``i18n.RECORD``), and numbered (``seq``). After a restart
with ``--state`` the findings of the replayed stretch are found again; those already
written before the crash are recognised (by ``seq`` with the event clock, by
rule, case, finding and type with the wall clock) and not written twice.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Sequence

from ..findings.messages import data_quality_message, describer, resolved_message
from ..i18n import RECORD, speaking
from ..model.rule import RuleBase
from .cases import Quality
from .times import time_text

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_AS_OF_MARK = dt.datetime(1, 1, 1)
_AS_OF_TEXT = _AS_OF_MARK.strftime("%Y-%m-%d %H:%M:%S")

@dataclass
class Stats:
    """What the status line counts (saved with ``--state``)."""

    lines: int = 0
    events: int = 0
    bad: int = 0
    blank: int = 0
    ticks: int = 0
    late_arrivals: int = 0
    warnings: int = 0
    violations: int = 0
    resolved: int = 0
    quality: int = 0


class FindingWriter:
    """Finding lines: worded when found, written (and journaled) once per batch."""

    def __init__(self, out: BinaryIO, rules: Sequence[RuleBase], event_clock: bool,
                 stats: Stats):
        self.out = out
        self.event_clock = event_clock
        self.stats = stats
        self.seq = 0                            # findings numbered so far
        self.pending: list[str] = []            # finding lines of the batch
        self.pending_keys: list[list] = []
        self.suppress: Counter = Counter()      # findings written before a crash (wall clock)
        self.written: dict[int, tuple] = {}     # seq → finding written before a crash
        #: the parts of a line fixed by the rule
        self.static = {r.id: _ENCODE({"title": r.title, "source": r.source.model_dump()})[1:-1]
                       for r in rules}
        self._describers: dict[str, Any] = {}
        self._clock_shown: tuple[int | None, str | None] = (None, None)

    def emit(self, finding: str, rule: RuleBase, case_id: str, unit: str | None, vtype: str,
             due: int | None, actual: Any, at: int | None, supersedes: str | None = None,
             reason: str | None = None) -> None:
        """Number a finding and keep its line for the next ``flush`` (unless it was written
        before a crash)."""
        self.seq += 1
        due_text = time_text(due)
        at_text = self._clock_text(at)
        if finding == "resolved":
            with speaking(RECORD):
                message = resolved_message(vtype, reason)
        else:
            say = self._describers.get(rule.id)
            if say is None:     # worded once per rule; the time "as of" is put in afterwards
                with speaking(RECORD):
                    say = self._describers[rule.id] = describer(rule, _AS_OF_MARK)
            message = say(vtype, due_text, actual).replace(_AS_OF_TEXT, at_text or "")
        enc = _ENCODE
        extra = (f',"supersedes":"{supersedes}"' if supersedes else "") + (
            f',"reason":{enc(reason)}' if reason and finding == "resolved" else "")
        text = (f'{{"finding":"{finding}","rule_id":{enc(rule.id)},"severity":"{rule.severity}",'
                f'"case_id":{enc(case_id)},"unit":{enc(unit)},"type":"{vtype}","due":{enc(due_text)},'
                f'"actual":{enc(actual)},"at":{enc(at_text)},"message":{enc(message)},'
                f'{self.static[rule.id]},"seq":{self.seq}{extra}}}\n')
        if finding == "warning":
            self.stats.warnings += 1
        elif finding == "violation":
            self.stats.violations += 1
        else:
            self.stats.resolved += 1
        self._keep(text, [rule.id, case_id, finding, vtype])

    def emit_quality(self, rule: RuleBase, case_id: str, unit: str | None, quality: Quality,
                     at: int | None) -> None:
        """A case the rule cannot judge, as ``check`` words its data-quality finding: the
        reason as ``type``, its ``detail``, and the input ``line`` of the event at fault."""
        self.seq += 1
        reason, detail, line = quality
        enc = _ENCODE
        text = (f'{{"finding":"data_quality","rule_id":{enc(rule.id)},"case_id":{enc(case_id)},'
                f'"unit":{enc(unit)},"type":"{reason}","detail":{enc(detail)},"line":{line},'
                f'"at":{enc(self._clock_text(at))},'
                f'"message":{enc(self._quality_message(reason, detail))},'
                f'{self.static[rule.id]},"seq":{self.seq}}}\n')
        self.stats.quality += 1
        self._keep(text, [rule.id, case_id, "data_quality", reason])

    @staticmethod
    def _quality_message(reason: str, detail: str | None) -> str:
        """A data-quality line's message, in Chinese as ``check``'s JSON report has it."""
        with speaking(RECORD):
            return data_quality_message(reason, detail)

    def _keep(self, text: str, key: list) -> None:
        """Keep a numbered line for the next ``flush``, unless it was written before a crash."""
        if self._written_before(tuple(key)):
            return
        self.pending.append(text)
        self.pending_keys.append(key + [self.seq])

    def flush(self, journal_output: Callable[[list], None] | None) -> None:
        """Write the batch's lines; with a journal, one line per write, each followed by its
        journal entry: a crash leaves no half line, and at most the one line written just
        before it is unknown to the journal (``journal.unjournaled_tail``)."""
        if self.pending and journal_output is None:
            self.out.write("".join(self.pending).encode("utf-8"))
            self.out.flush()
        elif self.pending:
            # one line per write: a pipe takes up to 4 KB whole
            for text, key in zip(self.pending, self.pending_keys):
                self.out.write(text.encode("utf-8"))
                self.out.flush()
                journal_output(key)
        self.pending, self.pending_keys = [], []

    def written_before_crash(self, seq: int, key: tuple) -> None:
        """A finding the journal (or the output file) says was written after the state was
        saved: it will be found again, and not written again."""
        self.suppress[key] += 1
        self.written[seq] = key

    def awaited(self) -> list[list]:
        """The findings written before a crash that this run has not found again yet, as
        journal entries (rule, case, finding, type, seq), the others forgotten. A checkpoint
        saves them with the state: it starts a fresh journal while a restarted run may not
        have caught up with what the run before it wrote, and a restart after that
        checkpoint must still know those lines were written."""
        if self.event_clock:        # found again by seq, in order: those behind are done
            self.written = {seq: key for seq, key in self.written.items() if seq > self.seq}
        else:                       # found again by key: keep as many of each as are left
            left = Counter({key: n for key, n in self.suppress.items() if n > 0})
            kept = {}
            for seq in sorted(self.written, reverse=True):
                key = self.written[seq]
                if left[key] > 0:
                    left[key] -= 1
                    kept[seq] = key
            self.written, self.suppress = kept, Counter(kept.values())
        return [[*key, seq] for seq, key in sorted(self.written.items())]

    def _written_before(self, key: tuple) -> bool:
        """Whether this finding was written before a crash (replaying from a checkpoint).

        With the event clock a replay finds the same findings in the same order, so the
        journal's sequence numbers name them; with the wall clock they are matched by
        (rule, case, finding, type)."""
        if self.event_clock:
            return self.written.pop(self.seq, None) == key
        if self.suppress[key] > 0:
            self.suppress[key] -= 1
            return True
        return False

    def _clock_text(self, clock: int | None) -> str | None:
        if self._clock_shown[0] != clock:
            self._clock_shown = (clock, time_text(clock))
        return self._clock_shown[1]

