"""Read YAML as plain data while remembering where every key and value was.

Rule files, mapping files and calendar files are all read through here. PyYAML is
used only to *compose* the node tree (never to construct objects from tags), so a
file such as ``!!python/object/apply:os.system [...]`` is refused before anything
runs. Scalars are turned into Python values by the safe constructor; mappings and
sequences are built here so that duplicate keys, aliases and foreign tags are
errors with a ``file:line:column``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from ..errors import GovcheckError, SourceLocation
from ..i18n import translate as _

#: Tags a plain data file may use (all are what YAML resolves implicitly).
_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}

PathKey = tuple[Any, ...]


@dataclass
class YamlDocument:
    """A parsed YAML file: plain data plus the position of each key and value."""

    path: str
    data: Any
    _values: dict[PathKey, tuple[int, int]] = field(default_factory=dict, repr=False)
    _keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict, repr=False)

    def location(self, path: PathKey = ()) -> SourceLocation:
        """Position of the value at ``path``, or of the nearest enclosing value."""
        return self._find(self._values, tuple(path))

    def key_location(self, path: PathKey) -> SourceLocation:
        """Position of the key that ends ``path`` (falls back to the value)."""
        path = tuple(path)
        if path in self._keys:
            line, col = self._keys[path]
            return SourceLocation(self.path, line, col)
        return self.location(path)

    def _find(self, table: dict[PathKey, tuple[int, int]], path: PathKey) -> SourceLocation:
        while path and path not in table:
            path = path[:-1]
        line, col = table.get(path, (1, 1))
        return SourceLocation(self.path, line, col)


#: libyaml's parser where PyYAML was built with it: the same nodes and marks, and the rule
#: library read in half the time. Its error messages are terser, so a file it refuses is
#: parsed again by the pure-Python parser for the message.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path, text: str | None = None,
              error_cls: type[GovcheckError] = GovcheckError) -> YamlDocument:
    """Parse one YAML document from ``path`` (or from ``text``, named ``path``)."""
    name = str(path)
    if text is None:
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise error_cls(_("file not found"), SourceLocation(name)) from None
        except OSError as exc:
            raise error_cls(_("cannot read file: {reason}").format(reason=exc.strerror),
                            SourceLocation(name)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise error_cls(_("not UTF-8 text (byte {offset})").format(offset=exc.start),
                            SourceLocation(name)) from None
    try:
        try:
            nodes = list(yaml.compose_all(text, Loader=_COMPOSER))
        except yaml.YAMLError:
            # the pure-Python parser words errors better (it names a tab, an alias): let it
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = SourceLocation(name, mark.line + 1, mark.column + 1) if mark else SourceLocation(name)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise error_cls(_("YAML syntax error: {problem}").format(problem=problem), where) from None
    except yaml.YAMLError as exc:
        raise error_cls(_("YAML error: {problem}").format(problem=exc),
                        SourceLocation(name)) from None
    if len(nodes) > 1:
        second = nodes[1]
        raise error_cls(_("one document per file expected, found a second one (---)"),
                        _mark(name, second.start_mark))
    doc = YamlDocument(name, None)
    if nodes:
        doc.data = _Builder(doc, error_cls).build(nodes[0], ())
    return doc


def _mark(name: str, mark: yaml.Mark) -> SourceLocation:
    return SourceLocation(name, mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node tree into dicts, lists and scalars, recording positions."""

    def __init__(self, doc: YamlDocument, error_cls: type[GovcheckError]):
        self.doc = doc
        self.error_cls = error_cls
        self.constructor = SafeConstructor()
        self.seen: set[int] = set()

    def fail(self, message: str, node: yaml.Node) -> GovcheckError:
        return self.error_cls(message, _mark(self.doc.path, node.start_mark))

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        if id(node) in self.seen:
            raise self.fail(_("YAML aliases (*name) are not supported; write the value out"), node)
        self.seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(_("YAML tag {tag} is not allowed: files hold plain data only").format(
                tag=repr(node.tag)), node)
        self.doc._values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node)
        except (ValueError, yaml.constructor.ConstructorError) as exc:
            # e.g. ``2027-13-01`` looks like a date to YAML but is none
            raise self.fail(_("invalid value {value}: {problem}").format(
                value=repr(node.value), problem=exc), node) from None

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(_("YAML merge keys (<<) are not supported"), key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(_("a mapping key must be a plain value"), key_node)
            key = self.build(key_node, path + ("\0key",))
            if key in out:
                raise self.fail(_("duplicate key {key}").format(key=repr(key)), key_node)
            self.doc._keys[path + (key,)] = (key_node.start_mark.line + 1,
                                             key_node.start_mark.column + 1)
            out[key] = self.build(value_node, path + (key,))
        return out
