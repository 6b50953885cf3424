"""Rule YAML → rule model, with every problem located at ``file:line:column``.

The file is read as plain data (``yamlsource``), validated against the pydantic
model, and then checked across keys (``Rule.problems()``). In collect mode every
problem of every file is gathered, so ``govcheck validate`` lists them all at once.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import RuleError, RuleErrors, SourceLocation, did_you_mean
from ..i18n import marked as N_, translate as _
from .packs import PACK_FILE
from .rule import KINDS, RULE_CLASSES, LoadedRule, RuleDocument
from .vocabulary import VOCABULARY_FILE
from .yamlsource import YamlDocument, load_yaml

#: The settings file (``config.py``), which a rules repository holds too (``init --rules``).
SETTINGS_FILE = "govcheck.yaml"
#: Files under a rules directory that are not rules.
NOT_RULES = {VOCABULARY_FILE, PACK_FILE, SETTINGS_FILE}

_TYPE_WORDS = {
    "string_type": N_("text"), "int_type": N_("a whole number"), "float_type": N_("a number"),
    "bool_type": N_("true or false"), "date_type": N_("a date (YYYY-MM-DD)"),
    "list_type": N_("a list"), "dict_type": N_("a mapping (key: value)"),
    "model_type": N_("a mapping (key: value)"), "datetime_type": N_("a date and time"),
}

#: pydantic's range errors: the key of the bound in the error's context, and our words.
_BOUNDS = {
    "greater_than": ("gt", N_("{value} is out of range: it must be greater than {bound}")),
    "greater_than_equal": ("ge", N_("{value} is out of range: it must be {bound} or more")),
    "less_than": ("lt", N_("{value} is out of range: it must be less than {bound}")),
    "less_than_equal": ("le", N_("{value} is out of range: it must be {bound} or less")),
}


#: Largest rule file read (a rule is a page of YAML; the largest shipped one is 12 KB).
MAX_RULE_FILE_BYTES = 1 << 20
#: Most examples one rule may carry: each is a run of the engine in validate and in CI.
MAX_EXAMPLES = 200


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Rule files named by ``paths``: files as given, directories searched recursively.
    A link inside a folder is followed only to a regular file inside that folder: a rules
    repository cannot make validate read (or echo) a file elsewhere, or a device."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            root = path.resolve()
            for p in sorted(path.rglob("*.y*ml")):
                if p.suffix not in (".yaml", ".yml") or p.name in NOT_RULES or \
                        any(part.startswith((".", "_")) for part in p.relative_to(path).parts):
                    continue
                if not p.resolve().is_relative_to(root):
                    raise RuleError(_("a link to {target}, outside the rules folder {folder}: "
                                      "not read").format(target=p.resolve(), folder=path),
                                    SourceLocation(str(p)))
                found.append(_regular(p))
        elif path.exists():
            found.append(_regular(path))
        else:
            raise RuleError(_("no such rule file or directory"), SourceLocation(str(path)))
    return found


def _regular(path: Path) -> Path:
    """``path`` if it is a regular file of a sensible size (not a device, not a pipe)."""
    if not path.is_file():
        raise RuleError(_("not a regular file"), SourceLocation(str(path)))
    if path.stat().st_size > MAX_RULE_FILE_BYTES:
        raise RuleError(_("{size:,} bytes: a rule file has at most {most:,}").format(
            size=path.stat().st_size, most=MAX_RULE_FILE_BYTES), SourceLocation(str(path)))
    return path


def load_rule_file(path: str | Path, text: str | None = None) -> LoadedRule:
    """One rule file; raises ``RuleErrors`` listing every problem in it."""
    doc = load_yaml(path, text, error_cls=RuleError)
    examples = doc.data.get("examples") if isinstance(doc.data, dict) else None
    if isinstance(examples, list) and len(examples) > MAX_EXAMPLES:
        raise RuleError(_("{count:,} examples: a rule has at most {most} (each runs the engine "
                          "in validate and CI)").format(count=len(examples), most=MAX_EXAMPLES),
                        doc.location(("examples",)))
    problems = _validate(doc)
    if problems:
        raise RuleErrors(problems)
    rule = RuleDocument.model_validate(doc.data).root
    return LoadedRule(rule, str(path))


def load_rules(paths: Sequence[str | Path]) -> list[LoadedRule]:
    """Every rule under ``paths``; raises ``RuleErrors`` with all problems of all files."""
    loaded: list[LoadedRule] = []
    problems: list[RuleError] = []
    seen: dict[str, LoadedRule] = {}
    try:
        files = rule_files(paths)
    except RuleError as exc:
        raise RuleErrors([exc]) from None
    for path in files:
        try:
            item = load_rule_file(path)
        except RuleErrors as exc:
            problems.extend(exc.errors)
            continue
        except RuleError as exc:
            problems.append(exc)
            continue
        if item.rule.id in seen:
            problems.append(RuleError(
                _("duplicate rule id {id} (also in {path})").format(
                    id=repr(item.rule.id), path=seen[item.rule.id].path),
                key_location(item, ("id",))))
            continue
        seen[item.rule.id] = item
        loaded.append(item)
    if problems:
        raise RuleErrors(problems)
    if not loaded:
        raise RuleErrors([RuleError(_("no rule files found"),
                                    SourceLocation(", ".join(map(str, paths))))])
    return loaded


def key_location(item: LoadedRule, path: tuple) -> SourceLocation:
    """Where a key of a loaded rule is written (the file alone when it cannot be read again)."""
    try:
        return load_yaml(item.path, error_cls=RuleError).location(path)
    except (RuleError, OSError):
        return SourceLocation(item.path)


def _validate(doc: YamlDocument) -> list[RuleError]:
    data = doc.data
    if not isinstance(data, dict):
        return [RuleError(_("a rule file holds one mapping (id: …, title: …, kind: …)"),
                          doc.location())]
    kind = data.get("kind")
    if "kind" not in data:
        return [RuleError(_missing_key("kind"), doc.location())]
    if kind not in KINDS:
        return [RuleError(_("unknown kind {kind}{hint}: expected one of {kinds}").format(
            kind=repr(kind), hint=did_you_mean(str(kind), KINDS), kinds=", ".join(KINDS)),
            doc.location(("kind",)))]
    try:
        rule = RULE_CLASSES[kind].model_validate(data)
    except ValidationError as exc:
        return _from_pydantic(exc, doc, RULE_CLASSES[kind])
    return [RuleError(message, doc.key_location(path) if path and path[-1] in _keys_at(data, path)
                      else doc.location(path))
            for path, message in rule.problems()]


def _keys_at(data: Any, path: tuple) -> set:
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return set()
    return set(node) if isinstance(node, dict) else set()


def _from_pydantic(exc: ValidationError, doc: YamlDocument, model: type) -> list[RuleError]:
    """Turn pydantic's errors into one located, plain-worded error per key."""
    by_path: dict[tuple, list[dict]] = {}
    for err in exc.errors():
        path = _data_path(doc.data, err["loc"])
        by_path.setdefault(path, []).append(err)
    out = []
    for path, errs in by_path.items():
        first = errs[0]
        key = path[-1] if path else None
        if first["type"] == "extra_forbidden":
            parent = _node(doc.data, path[:-1])
            allowed = _allowed_keys(model, path[:-1], parent)
            out.append(RuleError(_("unknown key {key}{hint}").format(
                key=repr(key), hint=did_you_mean(str(key), allowed)), doc.key_location(path)))
        elif first["type"] == "missing":
            out.append(RuleError(_missing_key(key), doc.location(path[:-1])))
        elif len(errs) > 1 and all(e["type"].endswith("_type") for e in errs):
            out.append(RuleError(_("{key}: expected a value (text, number or date) or a list of "
                                   "values").format(key=_name(key)), doc.location(path)))
        else:
            out.append(RuleError(_("{key}: {problem}").format(key=_name(key), problem=_plain(first)),
                                 doc.location(path)))
    return out


def _missing_key(key: Any) -> str:
    return _("missing required key {key}").format(key=repr(key))


def _data_path(data: Any, loc: tuple) -> tuple:
    """Keep the parts of pydantic's ``loc`` that index real data (drops union tags)."""
    path: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part not in node \
                and part == loc[-1] and not part.startswith(("list[", "dict[", "union[")) \
                and part not in ("str", "int", "float", "date", "bool", "datetime"):
            path.append(part)  # a missing or unknown key
            break
    return tuple(path)


def _node(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _allowed_keys(model: type, path: tuple, parent: Any) -> list[str]:
    """Keys the model allows at ``path`` (best effort, for 'did you mean')."""
    fields = getattr(model, "model_fields", {})
    for part in path:
        if isinstance(part, int):
            continue
        info = fields.get(part)
        if info is None:
            return []
        ann = info.annotation
        fields = {}
        for candidate in getattr(ann, "__args__", (ann,)):
            for inner in getattr(candidate, "__args__", (candidate,)):
                fields.update(getattr(inner, "model_fields", {}))
    return [info.alias or name for name, info in fields.items()]


def _name(key: Any) -> str:
    return f"{key!r}" if key is not None else _("rule")


def _plain(err: dict) -> str:
    """A pydantic error in our words (pydantic's own message for the rare others)."""
    kind, value = err["type"], repr(err.get("input"))
    if kind in _TYPE_WORDS:
        return _("expected {what}, got {value}").format(what=_(_TYPE_WORDS[kind]), value=value)
    if kind == "literal_error":
        return _("{value} is not allowed: expected {expected}").format(
            value=value, expected=err["ctx"]["expected"])
    if kind == "string_pattern_mismatch":
        return _("{value} must match {pattern}").format(value=value, pattern=err["ctx"]["pattern"])
    if kind in ("string_too_short", "too_short"):
        return _("must not be empty")
    if kind in _BOUNDS:
        limit, message = _BOUNDS[kind]
        return _(message).format(value=value, bound=err["ctx"][limit])
    return err["msg"]
