"""Mapping files: how a real export becomes canonical events.

Offices export what their systems give them: their own column names, one row per case
with a time column per step, no event type at all. A mapping file says, once per export
format, how to read such a file, so the export itself is never edited by hand.

Format (YAML; every key optional except that ``events`` entries need ``event_type`` and
``timestamp``)::

    columns:                  # source column -> name in the events table
      留言编号: case_id         #   (a canonical column or any attribute name)
      留言用户: user
    drop: [留言详情]            # source columns not loaded at all
    constants:                # a fixed value on every event
      unit: 市政务服务中心
    values:                   # column (as named after renaming) -> {value: value it stands for}
      unit: {城步县人民政府: 城步县, 城步县政府: 城步县}
      event_type: {工单完结: 工单办结}
    events:                   # wide export: one event per entry whose time is not blank
      - event_type: 留言受理
        timestamp: 留言时间     #   the source column holding this event's time
      - event_type: 留言答复
        timestamp: 答复时间
        columns: {答复意见: reply}   # source columns carried by this event only
        constants: {channel: 网站}   # fixed values on this event only
    timestamp_formats: ['%d.%m.%Y %H:%M']   # strptime formats tried before the built-in ones

Without ``events`` each row is one event: ``case_id``, ``event_type`` and ``timestamp``
must then exist after renaming (or, for ``case_id``/``event_type``, as constants).
With ``events`` each row gives one event per entry: a blank time column means the step
did not happen, a non-blank unreadable one makes the whole row a bad row, and a row with
no time at all is a bad row too. Columns not named anywhere are kept as attributes under
their own names (on every event). Because one wide row gives several events, ``event_id``
can only be mapped per entry there.

``values`` puts one value in place of others, so that a unit exported under two names
(城步县人民政府, 城步县) is one unit in every finding, ranking and notice, or a system's
own word for a step is the vocabulary's. It applies to the trimmed value of any column of
the events table but ``timestamp`` (constants and the event types of ``events`` included),
once: a value it maps to is not itself mapped further. It applies as the log is loaded,
before duplicates are looked for, and the bad-rows file keeps the original values. A
column no log gives is an error located at its key.

Every problem is reported at its ``file:line:column`` in the mapping file. docs/mapping.md
is this format for users, with worked examples (its tests load each one).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import DataError, SourceLocation
from ..i18n import translate as _
from ..model.rule import CANONICAL_COLUMNS
from ..model.yamlsource import YamlDocument, load_yaml

#: Columns ingest adds itself; no mapping or file may produce them.
RESERVED_COLUMNS = ("_src", "_row")
#: Prefix of the working columns ingest uses while loading.
INTERNAL_PREFIX = "__gc_"

_TOP_KEYS = ("columns", "drop", "constants", "values", "events", "timestamp_formats")
_EVENT_KEYS = ("event_type", "timestamp", "columns", "constants")


@dataclass(frozen=True)
class EventEntry:
    """One event a wide row gives: its type, its time column, what it alone carries."""

    event_type: str
    timestamp: str
    columns: dict[str, str]
    constants: dict[str, str]
    index: int


@dataclass(frozen=True, eq=False)
class Mapping:
    """A validated mapping file (see the module docstring for the format)."""

    path: str
    columns: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    constants: dict[str, str] = field(default_factory=dict)
    events: tuple[EventEntry, ...] = ()
    timestamp_formats: tuple[str, ...] = ()
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    document: YamlDocument | None = None

    @property
    def wide(self) -> bool:
        return bool(self.events)

    def canonical(self, column: str, value: str) -> str:
        """The value ``values`` puts in place of ``value`` in ``column`` (itself if none)."""
        return self.values.get(column, {}).get(value, value)

    def where(self, *key_path: Any) -> SourceLocation:
        """Location of a key in the mapping file, for errors found while loading logs."""
        if self.document is None:
            return SourceLocation(self.path)
        return self.document.key_location(key_path)

    def event_types(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Every event type the mapping writes into the log, with the key path that writes
        it: a wide entry's type, a constant, or a value ``values`` maps event types to."""
        named = [(entry.event_type, ("events", entry.index, "event_type")) for entry in self.events]
        if "event_type" in self.constants:
            named.append((self.constants["event_type"], ("constants", "event_type")))
        named += [(target, ("values", "event_type", source))
                  for source, target in self.values.get("event_type", {}).items()]
        return named

    def source_columns(self) -> dict[str, tuple[Any, ...]]:
        """Every source column the mapping names, with the key path that names it."""
        named: dict[str, tuple[Any, ...]] = {}
        for source in self.columns:
            named.setdefault(source, ("columns", source))
        for source in self.drop:
            named.setdefault(source, ("drop",))
        for entry in self.events:
            named.setdefault(entry.timestamp, ("events", entry.index, "timestamp"))
            for source in entry.columns:
                named.setdefault(source, ("events", entry.index, "columns", source))
        return named


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raises a located DataError on any problem."""
    doc = load_yaml(path, error_cls=DataError)
    return _MappingReader(doc).read()


def values_only(doc: YamlDocument) -> Mapping:
    """A mapping that only puts values in place of others: the ``values`` of another file
    (``govcheck.yaml``), read and located as a mapping file's are."""
    return Mapping(doc.path, values=_MappingReader(doc)._values(doc.data.get("values")),
                   document=doc)


def with_values(mapping: Mapping | None, values: Mapping | None) -> Mapping | None:
    """``mapping`` with the ``values`` of ``govcheck.yaml`` added (applied to every log); for
    a value both give, the mapping file's own entry wins: it knows its export."""
    if values is None or mapping is None:
        return mapping or values
    columns = {**values.values, **mapping.values}
    merged = {c: {**values.values.get(c, {}), **mapping.values.get(c, {})} for c in columns}
    return replace(mapping, values=merged)


class _MappingReader:
    def __init__(self, doc: YamlDocument):
        self.doc = doc

    def fail(self, message: str, *key_path: Any, at_key: bool = False) -> DataError:
        where = self.doc.key_location(key_path) if at_key else self.doc.location(key_path)
        return DataError(message, where)

    def read(self) -> Mapping:
        data = self.doc.data
        if data is None:
            raise self.fail(_("the mapping file is empty"))
        if not isinstance(data, dict):
            raise self.fail(_("a mapping file is a YAML mapping with keys {keys}").format(
                keys=", ".join(_TOP_KEYS)))
        self._no_unknown_keys(data, _TOP_KEYS, ())
        columns = self._renames(data.get("columns"), ("columns",))
        drop = self._names(data.get("drop"), ("drop",))
        constants = self._constants(data.get("constants"), ("constants",))
        values = self._values(data.get("values"))
        events = self._events(data.get("events"))
        formats = self._formats(data.get("timestamp_formats"))
        self._check_targets(columns, constants, events)
        for source in drop:
            if source in columns:
                raise self.fail(_("column {name} is both renamed and dropped").format(
                    name=repr(source)), "drop")
        return Mapping(self.doc.path, columns, tuple(drop), constants, events, formats,
                       values=values, document=self.doc)

    # -- pieces -------------------------------------------------------------

    def _no_unknown_keys(self, data: dict, allowed: tuple[str, ...], path: tuple) -> None:
        for key in data:
            if key not in allowed:
                message = _("unknown key {key}: an events entry may have {keys}") if path else \
                    _("unknown key {key}: a mapping file may have {keys}")
                raise self.fail(message.format(key=repr(key), keys=", ".join(allowed)),
                                *path, key, at_key=True)

    def _renames(self, value: Any, path: tuple) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(_("columns maps source column names to new names"), *path)
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for source, target in value.items():
            if not isinstance(source, str) or not source.strip():
                raise self.fail(_("a source column name must be non-empty text"), *path, source,
                                at_key=True)
            if not isinstance(target, str) or not target.strip():
                raise self.fail(_("the new name for {name} must be non-empty text").format(
                    name=repr(source)), *path, source)
            target = _canonical_name(target.strip())
            self._check_name(target, path + (source,))
            if target.lower() in seen:
                raise self.fail(_("{first} and {second} would both become {name}").format(
                    first=repr(source), second=repr(seen[target.lower()]), name=repr(target)),
                    *path, source)
            seen[target.lower()] = source
            out[source] = target
        return out

    def _names(self, value: Any, path: tuple) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(_("drop is a list of source column names"), *path)
        return list(value)

    def _constants(self, value: Any, path: tuple) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(_("constants maps column names to fixed values"), *path)
        out: dict[str, str] = {}
        for name, fixed in value.items():
            if not isinstance(name, str) or not name.strip():
                raise self.fail(_("a column name must be non-empty text"), *path, name, at_key=True)
            target = _canonical_name(name.strip())
            self._check_name(target, path + (name,))
            if target == "timestamp":
                raise self.fail(_("timestamp cannot be a constant: every event needs its own time"),
                                *path, name, at_key=True)
            if target.lower() in {t.lower() for t in out}:
                raise self.fail(_("constant {name} is given twice").format(name=repr(target)),
                                *path, name, at_key=True)
            out[target] = self._text(fixed, path + (name,), _("a constant"))
        return out

    def _text(self, value: Any, path: tuple, what: str, at_key: bool = False) -> str:
        """A constant or a value of ``values`` as the text a log would hold."""
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            raise self.fail(_("{what} is a single text, number or date (quote true/false/null)")
                            .format(what=what), *path, at_key=at_key)
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()
        if not text:
            raise self.fail(_("{what} cannot be blank").format(what=what), *path, at_key=at_key)
        return text

    def _values(self, value: Any) -> dict[str, dict[str, str]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(_("values maps column names to {value: the value it stands for}, "
                              "such as {unit: {城步县人民政府: 城步县}}"), "values")
        out: dict[str, dict[str, str]] = {}
        for name, aliases in value.items():
            path = ("values", name)
            if not isinstance(name, str) or not name.strip():
                raise self.fail(_("a column name must be non-empty text"), *path, at_key=True)
            column = _canonical_name(name.strip())
            self._check_name(column, path)
            if column == "timestamp":
                raise self.fail(_("the values of timestamp are times: give other forms of time "
                                  "in timestamp_formats"), *path, at_key=True)
            if column.lower() in {c.lower() for c in out}:
                raise self.fail(_("the values of {column} are given twice").format(
                    column=repr(column)), *path, at_key=True)
            if not isinstance(aliases, dict) or not aliases:
                raise self.fail(_("the values of {column} map a value to the value it stands "
                                  "for, such as {{城步县人民政府: 城步县}}").format(
                                      column=repr(column)), *path)
            out[column] = self._aliases(aliases, path)
        return out

    def _aliases(self, aliases: dict, path: tuple) -> dict[str, str]:
        """One column's map: each value to the one it stands for, which is not itself mapped
        to another (the map is applied once)."""
        out: dict[str, str] = {}
        keys: dict[str, Any] = {}
        for alias, canonical in aliases.items():
            text = self._text(alias, path + (alias,), _("a value"), at_key=True)
            if text in out:
                raise self.fail(_("the value {value} is given twice").format(value=repr(text)),
                                *path, alias, at_key=True)
            out[text] = self._text(canonical, path + (alias,), _("the value it stands for"))
            keys[text] = alias
        for text, canonical in out.items():
            onward = out.get(canonical, canonical)
            if onward != canonical:
                raise self.fail(_("{value} is itself mapped, to {onward}: map {alias} to {onward} "
                                  "directly").format(value=repr(canonical), onward=repr(onward),
                                                     alias=repr(text)), *path, keys[text])
        return out

    def _events(self, value: Any) -> tuple[EventEntry, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(_("events is a non-empty list of {event_type, timestamp} entries"),
                            "events")
        entries = []
        for i, item in enumerate(value):
            path = ("events", i)
            if not isinstance(item, dict):
                raise self.fail(_("an events entry is a mapping with event_type and timestamp"),
                                *path)
            self._no_unknown_keys(item, _EVENT_KEYS, path)
            for key in ("event_type", "timestamp"):
                if key not in item:
                    raise self.fail(_("this entry needs {key}").format(key=key), *path)
                if not isinstance(item[key], str) or not item[key].strip():
                    message = _("event_type must be an event type") if key == "event_type" else \
                        _("timestamp must be a source column name")
                    raise self.fail(message, *path, key)
            columns = self._renames(item.get("columns"), path + ("columns",))
            constants = self._constants(item.get("constants"), path + ("constants",))
            for target, key in [(t, ("columns", s)) for s, t in columns.items()] + \
                               [(t, ("constants", t)) for t in constants]:
                if target in ("case_id", "event_type", "timestamp"):
                    raise self.fail(_("{column} of an entry comes from the entry itself or the "
                                      "whole row, not from its columns/constants").format(
                                          column=target), *path, *key)
            entries.append(EventEntry(item["event_type"].strip(), item["timestamp"], columns,
                                      constants, i))
        return tuple(entries)

    def _formats(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(_("timestamp_formats is a list of strptime formats such as "
                              "'%d.%m.%Y %H:%M'"), "timestamp_formats")
        for i, fmt in enumerate(value):
            if not isinstance(fmt, str) or "%" not in fmt:
                raise self.fail(_("a timestamp format is a strptime pattern such as "
                                  "'%d.%m.%Y %H:%M'"), "timestamp_formats", i)
            if "%z" in fmt or "%Z" in fmt:
                raise self.fail(_("zone directives (%z, %Z) are not supported here: ISO 8601 "
                                  "times with a zone are understood without a format"),
                                "timestamp_formats", i)
        return tuple(value)

    def _check_name(self, target: str, path: tuple) -> None:
        if target in RESERVED_COLUMNS or target.startswith(INTERNAL_PREFIX):
            raise self.fail(_("{name} is a name ingest reserves for itself").format(
                name=repr(target)), *path)

    def _check_targets(self, columns: dict[str, str], constants: dict[str, str],
                       events: tuple[EventEntry, ...]) -> None:
        renamed = {t.lower(): s for s, t in columns.items()}
        for name in constants:
            if name.lower() in renamed:
                raise self.fail(_("{name} is both a constant and the new name of {source}").format(
                    name=repr(name), source=repr(renamed[name.lower()])),
                    "constants", name, at_key=True)
        if not events:
            return
        for source, target in columns.items():
            if target in ("event_type", "timestamp", "event_id"):
                hint = (_("each entry of events sets it") if target != "event_id" else
                        _("one row gives several events; map event_id in an entry's columns"))
                raise self.fail(_("with events, {column} cannot come from {source}: {hint}")
                                .format(column=target, source=repr(source), hint=hint),
                                "columns", source)
        for name in constants:
            if name in ("event_type", "event_id"):
                raise self.fail(_("with events, {column} cannot be a constant for every event")
                                .format(column=name), "constants", name, at_key=True)


def _canonical_name(name: str) -> str:
    """Canonical column names are matched without regard to case (``Case_ID`` is ``case_id``)."""
    lowered = name.lower()
    return lowered if lowered in CANONICAL_COLUMNS else name
