"""Synthetic event logs of a city (邵阳) with violations injected at known rates.

``govcheck fixtures generate`` writes a log that exercises every rule of the library that
applies in a year: for each rule it builds cases whose events meet or break the rule's
matchers and limits, counted on the working-day calendar. Nothing here knows a particular
rule: the cases are built from the rule model (``model.rule``), kind by kind, so a new
YAML rule is covered without new Python.

How a log is built
------------------
1. **Families.** Case rules (deadline, sequence, min_count, due_by, required_fields,
   forbidden) and ratio rules with a ``condition`` are grouped by the event type that opens
   their cases (``留言受理``, ``工单受理``…). For each rule of a family a *profile* is
   made: an opening event whose attributes meet that rule's opening matchers. A profile is
   judged by every rule of the family it happens to meet (a 简单常见 question by both the
   5-day and the 1-day rule), as in a real log.
2. **Scenarios.** For each profile: one compliant case (every applicable rule kept, its
   follow-up events placed within the tightest limit, on working days, in the order the
   steps are listed), and one case per (rule, violation type) that breaks that rule as its
   kind allows: a reply one to five working days late or missing, a step dropped or two
   ordered steps swapped, one interpretation form too few (or two of the same form), the
   required event after the date, a field left blank, a forbidden attribute value.
   Deadline rules with a pause, restart or extension get cases that use them. Events that
   several rules ask for are shared (one reply serves the 5-day and the 1-day rule), and a
   violation is made on the events themselves: the shared reply is moved or removed, so a
   rule's twin (the same requirement in another city's document) is broken with it, and
   the 1-day rule with the 5-day one. A follow-up event that opens a case of another rule
   (办件办结 opening 办结→评价邀请) brings that rule's events too. Every event is completed
   so that it meets the ``required_fields`` rules and avoids the ``forbidden`` ones that
   apply to it, unless breaking that rule is the point of the case, and carries the
   numbers any rule of the library reads from it (承诺时限, 延长工作日, a ratio's values).
   Event types no rule of the year uses come from compliant cases of other years' rules
   (受理→答复 pairs), or alone.
3. **Ratios** with a ``condition``: each member's condition event is dropped with a
   probability that depends on its unit; about a third of the units are *weak* for each
   rule and fall below its threshold. **Periodic** rules, ratio rules with a ``value`` and
   ``due_by`` rules with ``subjects_list`` get an explicit grid (unit × period), with
   periods missed at known rates; a period that closed before the year is left missing (a
   log of the year cannot hold it).
4. **Volume.** Cases are drawn by weight (comply mostly, each violation at a few per
   cent), after a first pass that runs every scenario once so a small log still covers
   everything. Start dates fall in the year (national rules, with no end date, keep opening
   cases into January; timed rules start more often just before a holiday or on a 调休
   working day), times of day in office hours (any hour for citizens' messages), units among
   邵阳's counties, districts and 市直 departments. The draws are hashes of (seed, case)
   evaluated by DuckDB, which also expands cases into events, sorts them by time and
   writes the file, so millions of events are written per second. The log runs to
   ``horizon`` (20 January of the next year) and holds exactly ``events`` rows: the
   latest ones are left out.

The known answers (``--truth``) are not taken from the scenarios: several rules judge the
same events, so the expected findings are computed by ``testing.oracle`` (an independent,
per-case reading of the contract) over the file actually written. The generator judges
matchers with its own code (``matching``) and counts working days with ``data.calendar``;
the oracle shares neither, so the truth is not computed by code that made the log. ``Summary.intended``
counts the cases each scenario broke on purpose, per (rule, type); twins and interactions
make the truth larger. A seed gives the same bytes with the same library and DuckDB version
(the draws use DuckDB's ``hash``).

The modules, in the order a log is made: ``run`` (``generate``, ``Options``), ``year`` (the
rules of the year by role, ``complete``), ``scenarios`` (families, profiles, variants),
``cases`` (one case and its violation), ``timing`` (shared events and their counts),
``grid``, ``writing`` and ``expansion`` (DuckDB); ``city``, ``rates``, ``values`` and
``matching`` hold what they draw from.
"""
from .city import UNITS
from .run import GeneratorError, Options, Summary, covered_rules, generate

__all__ = ["Options", "generate", "Summary", "covered_rules", "UNITS", "GeneratorError"]
