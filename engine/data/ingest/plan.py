"""The column plan: which source column, or fixed value, becomes which column of ``events``.

A log's own column names, a mapping's renames, drops and constants and, for a wide
export whose rows each hold several events, the mapping's events come together here
before any row is read, so that a missing or doubly named column is refused up front,
with the columns that were found.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import DataError, SourceLocation
from ...i18n import translate as _
from ..mapping import INTERNAL_PREFIX, RESERVED_COLUMNS, Mapping
from .sources import Source, column_name


@dataclass
class Output:
    """One column of the events table: from a source column or a fixed value."""

    target: str
    source: int | None = None
    constant: str | None = None


@dataclass
class EventPlan:
    """One event a row gives: its type, the column of its time, its own columns (in a
    wide export), and its position among the mapping's events."""

    event_type: Output
    time_source: int
    outputs: list[Output]
    index: int


@dataclass
class Plan:
    """One source's plan: the columns all its events share, its events, and whether it
    is wide (several events a row, from the mapping's ``events``)."""

    shared: list[Output]
    events: list[EventPlan]
    wide: bool
    value_maps: dict[int, dict[str, str]] = field(default_factory=dict)  # by source column

    def used_sources(self) -> list[int]:
        """The source columns some output reads: the only ones a rows table keeps."""
        used = {o.source for o in self.shared if o.source is not None}
        for e in self.events:
            used.add(e.time_source)
            if e.event_type.source is not None:
                used.add(e.event_type.source)
            used.update(o.source for o in e.outputs if o.source is not None)
        return sorted(used)


@dataclass(frozen=True)
class HeaderNeeds:
    """What a row must hold to be taken for a log's header (a workbook may have titles,
    notes and blank rows above it): for each column of ``events`` that the rows must give,
    one of its names, its own or a source column the mapping renames to it."""

    choices: tuple[tuple[str, ...], ...]

    def met_by(self, cells: list[str]) -> bool:
        present = {column_name(c) for c in cells}
        return all(any(name in present for name in names) for names in self.choices)


def header_needs(mapping: Mapping | None) -> HeaderNeeds:
    """The columns a header must name for ``plan_columns`` to plan the log under ``mapping``."""
    renames = mapping.columns if mapping else {}
    constants = mapping.constants if mapping else {}
    wide = mapping is not None and mapping.wide
    required = ("case_id",) if wide else ("case_id", "event_type", "timestamp")
    choices = [(target, *(s for s, t in renames.items() if t == target))
               for target in required if target not in constants]
    choices += [(e.timestamp,) for e in (mapping.events if mapping else ())]
    return HeaderNeeds(tuple(choices))


def plan_columns(source: Source, mapping: Mapping | None) -> Plan:
    """The plan of one source under ``mapping``; refused, with the columns found, when a
    required column is missing or two columns would have one name."""
    names = source.columns
    where = SourceLocation(source.name)
    renames = mapping.columns if mapping else {}
    dropped = set(mapping.drop) if mapping else set()
    entries = mapping.events if mapping else ()
    per_event = {s for e in entries for s in e.columns} | {e.timestamp for e in entries}

    def add(outputs: list[Output], out: Output, taken: dict[str, str], origin: str) -> None:
        if out.target in RESERVED_COLUMNS or out.target.startswith(INTERNAL_PREFIX):
            raise DataError(_("{origin} would be named {name}, a name ingest keeps for itself; "
                              "rename it with a mapping file").format(origin=origin,
                                                                      name=repr(out.target)),
                            where)
        key = out.target.lower()
        if key in taken:
            message = _("two columns would be named {name}: {first} and {second}").format(
                name=repr(out.target), first=taken[key], second=origin)
            if mapping:
                message += _(" (mapping {path})").format(path=mapping.path)
            raise DataError(message, where)
        taken[key] = origin
        outputs.append(out)

    shared: list[Output] = []
    taken: dict[str, str] = {}
    for j, name in enumerate(names):
        if name in dropped or name in per_event:
            continue
        add(shared, Output(renames.get(name, name), source=j), taken, _column(name))
    for target, value in (mapping.constants.items() if mapping else ()):
        add(shared, Output(target, constant=mapping.canonical(target, value)), taken,
            _constant(target))
    have = {o.target: o for o in shared}

    def missing(column: str) -> DataError:
        if mapping:
            return DataError(_("missing column {column} after applying mapping {path} "
                               "({found})").format(column=repr(column), path=mapping.path,
                                                   found=source.columns_found()), where)
        return DataError(_("missing column {column} ({found})").format(
            column=repr(column), found=source.columns_found()), where)

    if "case_id" not in have:
        raise missing("case_id")
    if not entries:
        for column in ("event_type", "timestamp"):
            if column not in have:
                raise missing(column)
        time = have["timestamp"]
        shared = [o for o in shared if o.target not in ("event_type", "timestamp")]
        return Plan(shared, [EventPlan(have["event_type"], time.source, [], 0)], wide=False,
                    value_maps=_value_maps(source, shared + [have["event_type"]], mapping))

    for column in ("event_type", "timestamp", "event_id"):
        if column in have:
            raise DataError(_("column {column} has no place when the mapping's events make "
                              "the events; drop or rename it in mapping {path}").format(
                                  column=repr(column), path=mapping.path), where)
    events = []
    for entry in entries:
        if entry.timestamp not in names:
            raise DataError(_("missing column {column} named as the time of {event_type} in "
                              "mapping {path} ({found})").format(
                                  column=repr(entry.timestamp), event_type=entry.event_type,
                                  path=mapping.path, found=source.columns_found()), where)
        own: list[Output] = []
        own_taken = dict(taken)
        for src, target in entry.columns.items():
            if src in names:
                add(own, Output(target, source=names.index(src)), own_taken, _column(src))
        for target, value in entry.constants.items():
            add(own, Output(target, constant=mapping.canonical(target, value)), own_taken,
                _constant(target))
        events.append(EventPlan(
            Output("event_type", constant=mapping.canonical("event_type", entry.event_type)),
            names.index(entry.timestamp), own, entry.index))
    outputs = shared + [o for e in events for o in e.outputs]
    return Plan(shared, events, wide=True, value_maps=_value_maps(source, outputs, mapping))


def _column(name: str) -> str:
    """A column of the log, as a message names what would fill a column of ``events``."""
    return _("column {name}").format(name=repr(name))


def _constant(name: str) -> str:
    """A constant of the mapping, as a message names what would fill a column of ``events``."""
    return _("constant {name}").format(name=repr(name))


def _value_maps(source: Source, outputs: list[Output], mapping: Mapping | None,
                ) -> dict[int, dict[str, str]]:
    """The mapping's ``values`` of each source column, by the column of ``events`` it fills;
    refused when one source column fills two columns that map values differently."""
    maps: dict[int, dict[str, str]] = {}
    filled: dict[int, str] = {}
    for out in outputs:
        if out.source is None or mapping is None:
            continue
        aliases = mapping.values.get(out.target, {})
        if out.source in filled and maps.get(out.source, {}) != aliases:
            raise DataError(_("column {column} fills both {first} and {second}, whose values "
                              "are mapped differently").format(
                                  column=repr(source.columns[out.source]),
                                  first=repr(filled[out.source]), second=repr(out.target)),
                            mapping.where("values"))
        filled[out.source] = out.target
        if aliases:
            maps[out.source] = aliases
    return maps


def check_value_columns(mapping: Mapping, plans: list[Plan]) -> None:
    """A column the mapping maps the values of must be a column of ``events`` (a typo, or
    a log's own name for a column the mapping renames, is an error)."""
    have = dict.fromkeys(["event_type"])
    for plan in plans:
        have.update(dict.fromkeys(o.target for o in plan.shared))
        have.update(dict.fromkeys(o.target for e in plan.events for o in e.outputs))
    for column in mapping.values:
        if column not in have:
            raise DataError(_("values maps column {column}, which no log gives (columns after "
                              "the mapping's renames: {names})").format(
                                  column=repr(column), names=", ".join(have)),
                            mapping.where("values", column))


def check_mapping_names(mapping: Mapping, sources: list[Source]) -> None:
    """A source column the mapping names must exist in at least one log (typos are errors)."""
    everywhere = {n for s in sources for n in s.columns}
    for name, key_path in mapping.source_columns().items():
        if name not in everywhere:
            none = _("none")
            found = "; ".join(f"{s.name}: {', '.join(s.columns) or none}" for s in sources)
            raise DataError(_("column {column} is in none of the logs (columns found: {found})")
                            .format(column=repr(name), found=found), mapping.where(*key_path))


def row_outputs(plan: Plan) -> dict[str, Output]:
    """The events table's columns of a one-event-per-row plan, by name."""
    outs = {o.target: o for o in plan.shared}
    outs["event_type"] = plan.events[0].event_type
    return outs
