"""``govcheck.yaml``: an office's settings, written once instead of as flags on every run.

The file is found in the working folder or the nearest folder above it (or named with
``--config FILE``). It gives defaults for the command line's options: the city, the packs,
the rules, the mapping, the calendars, masking, ``fail_on``, the report format and output
paths, the notices' issuer. A flag given on the command line wins. Paths are relative to
the file's folder, so a settings file works from any folder below it.

``values`` is a mapping file's ``values`` (``{unit: {城步县人民政府: 城步县}}``), applied to
every log, before and beside a ``--mapping`` file's own (whose entries win for a value
both give): an office's unit aliases, written once for all its exports.

Every problem is reported at its ``file:line:column``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .data.mapping import Mapping, values_only
from .errors import GovcheckError, did_you_mean
from .i18n import translate as _
from .model.loader import SETTINGS_FILE as CONFIG_FILE
from .model.yamlsource import YamlDocument, load_yaml


class ConfigError(GovcheckError):
    """``govcheck.yaml`` cannot be used as written."""


RUN = ("check", "notices")


@dataclass(frozen=True)
class Key:
    """One setting: how its value is read, the option it gives a default for, and the
    commands that option belongs to."""

    read: Callable[["_Reader", tuple], Any]
    option: str
    commands: tuple[str, ...]


def _text(reader: "_Reader", path: tuple) -> str:
    value = reader.value(path)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise reader.fail(_("{key} is text"), path)
    return str(value).strip()


def _texts(reader: "_Reader", path: tuple) -> tuple[str, ...]:
    value = reader.value(path)
    items = value if isinstance(value, list) else [value]
    return tuple(_text(reader, path + ((i,) if isinstance(value, list) else ()))
                 for i in range(len(items)))


def _place(reader: "_Reader", path: tuple) -> str:
    return reader.relative(_text(reader, path))


def _places(reader: "_Reader", path: tuple) -> tuple[str, ...]:
    return tuple(reader.relative(p) for p in _texts(reader, path))


def _flag(reader: "_Reader", path: tuple) -> bool:
    value = reader.value(path)
    if not isinstance(value, bool):
        raise reader.fail(_("{key} is true or false"), path)
    return value


def _count(reader: "_Reader", path: tuple) -> int:
    value = reader.value(path)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise reader.fail(_("{key} is a whole number of 1 or more"), path)
    return value


def _one_of(*choices: str) -> Callable[["_Reader", tuple], str]:
    def read(reader: "_Reader", path: tuple) -> str:
        value = reader.value(path)
        if value not in choices:
            raise reader.fail(_("{key} is one of {choices}{hint}"), path,
                              choices=", ".join(choices), hint=did_you_mean(str(value), choices))
        return value
    return read


#: Every setting govcheck.yaml may hold (``values`` aside), in the order ``init`` writes them.
KEYS: dict[str, Key] = {
    "city": Key(_text, "city", RUN),
    "packs": Key(_texts, "packs", RUN),
    "rules": Key(_places, "rules", RUN + ("rules list", "rules show", "watch", "validate")),
    "mapping": Key(_place, "mapping", RUN),
    "sheet": Key(_text, "sheet", RUN),
    "calendars": Key(_places, "calendars", RUN + ("validate", "calendar explain", "watch",
                                                  "fixtures generate")),
    "period": Key(_text, "period", RUN),
    "mask": Key(_flag, "mask", RUN),
    "fail_on": Key(_one_of("error", "warning", "never"), "fail_on", ("check",)),
    "format": Key(_one_of("text", "json", "csv", "junit", "html", "xlsx"), "fmt", ("check",)),
    "output": Key(_place, "output", ("check",)),
    "html": Key(_place, "html_path", ("check",)),
    "bad_rows": Key(_place, "bad_rows", RUN),
    "notices": Key(_place, "out_dir", ("notices",)),
    "issuer": Key(_text, "issuer", ("notices",)),
    "reply_within": Key(_count, "reply_within", ("notices",)),
    "memory_limit": Key(_text, "memory_limit", RUN),
    "evidence": Key(_one_of("rule", "full"), "evidence", RUN),
    "evidence_columns": Key(_texts, "evidence_columns", RUN),
}


@dataclass(frozen=True)
class Config:
    """A read ``govcheck.yaml``: its settings by key, and its ``values`` as a mapping."""

    path: str
    settings: dict[str, Any]
    values: Mapping | None

    def defaults(self, command: str) -> dict[str, Any]:
        """The option defaults of ``command`` (``check``, ``rules list``…), by option name,
        as click's ``default_map`` takes them."""
        return {KEYS[name].option: value for name, value in self.settings.items()
                if command in KEYS[name].commands}


def find_config(start: str | Path | None = None) -> Path | None:
    """``govcheck.yaml`` in ``start`` (the working folder) or the nearest folder above, as
    the working folder reaches it (``../govcheck.yaml``: messages name it so)."""
    folder = Path(start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_FILE).is_file():
            return Path(os.path.relpath(candidate / CONFIG_FILE))
    return None


def load_config(path: str | Path) -> Config:
    """Read and check a settings file; a ``ConfigError`` names the place of any problem."""
    doc = load_yaml(path, error_cls=ConfigError)
    return _Reader(doc, Path(path)).read()


class _Reader:
    def __init__(self, doc: YamlDocument, path: Path):
        self.doc = doc
        self.folder = path.parent

    def fail(self, message: str, path: tuple, at_key: bool = False, **values: str) -> ConfigError:
        """``message`` (its ``{key}`` the setting's name) at the setting's place."""
        where = self.doc.key_location(path) if at_key else self.doc.location(path)
        return ConfigError(message.format(key=path[0], **values), where)

    def value(self, path: tuple) -> Any:
        value = self.doc.data
        for part in path:
            value = value[part]
        return value

    def relative(self, text: str) -> str:
        """A path of the file, relative to its folder, as the working folder reaches it."""
        given = Path(text)
        if given.is_absolute() or self.folder.resolve() == Path.cwd().resolve():
            return text
        return os.path.relpath(self.folder / given)

    def read(self) -> Config:
        data = self.doc.data
        if data is None:
            return Config(self.doc.path, {}, None)
        if not isinstance(data, dict):
            raise ConfigError(_("{file} is a mapping of settings: {keys}, values").format(
                file=CONFIG_FILE, keys=", ".join(KEYS)), self.doc.location())
        known = (*KEYS, "values")
        for key in data:
            if key not in known:
                raise ConfigError(_("unknown setting {key}{hint}; settings: {keys}").format(
                    key=repr(key), hint=did_you_mean(str(key), known), keys=", ".join(known)),
                    self.doc.key_location((key,)))
        settings = {key: KEYS[key].read(self, (key,)) for key in KEYS
                    if key in data and data[key] is not None}
        values = values_only(self.doc) if data.get("values") is not None else None
        return Config(self.doc.path, settings, values)
