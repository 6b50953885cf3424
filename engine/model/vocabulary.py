"""The vocabulary of the rule language: the event types a rule may name and the attributes
it may read, each with what it means and the system that records it.

It lives in ``rules/vocabulary.yaml``, beside or above the rule files. ``validate`` checks
rules against it; the generator takes event types, their systems (case id prefixes, who
opens cases at any hour) and example values from it; and an engine that reports where an
event came from asks ``system(event_type)``. Errors in the file are located like any
rule file's.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import RuleError, RuleErrors, SourceLocation
from ..i18n import translate as _
from .yamlsource import YamlDocument, load_yaml

VOCABULARY_FILE = "vocabulary.yaml"
SECTIONS = ("event_types", "attributes")


@dataclass(frozen=True)
class Term:
    """One event type or attribute: what it means and which system records it."""

    name: str
    description: str
    system: str


@dataclass(frozen=True)
class Vocabulary:
    """Event types and attributes, each by name in the file's order, and the file."""

    event_types: Mapping[str, Term]
    attributes: Mapping[str, Term]
    path: str

    def system(self, event_type: str) -> str | None:
        """The system that records an event type; None when the vocabulary lacks it."""
        term = self.event_types.get(event_type)
        return term.system if term is not None else None

    def extended(self, local: "Vocabulary") -> "Vocabulary":
        """This vocabulary with a rules repository's own added: new names are welcome; a name
        both give must come from the same system (the local description may word it its own
        way)."""
        problems = []
        for section in SECTIONS:
            ours, theirs = getattr(self, section), getattr(local, section)
            for name, term in theirs.items():
                if name in ours and ours[name].system != term.system:
                    problems.append(RuleError(
                        _("{what} {name} is already declared in {path} with system {system}: "
                          "give it another name, or the same system").format(
                              what=_term_noun(section), name=repr(name), path=self.path,
                              system=repr(ours[name].system)), SourceLocation(local.path)))
        if problems:
            raise RuleErrors(problems)
        return Vocabulary({**self.event_types, **local.event_types},
                          {**self.attributes, **local.attributes}, f"{self.path} + {local.path}")


def find_vocabulary(paths: Sequence[str | Path]) -> Path | None:
    """The vocabulary beside or above the rule files (the rules root holds it)."""
    for start in map(Path, paths):
        folder = start if start.is_dir() else start.parent
        for candidate in (folder, *folder.resolve().parents):
            if (candidate / VOCABULARY_FILE).is_file():
                return candidate / VOCABULARY_FILE
    return None


def load_vocabulary(path: str | Path) -> Vocabulary:
    """Read and check a vocabulary file; every entry needs a description and a system.

    Raises ``RuleError`` for a file of the wrong shape and ``RuleErrors`` listing every
    incomplete entry (or section that is not a mapping), each located in the file.
    """
    doc = load_yaml(path, error_cls=RuleError)
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None or not isinstance(data.get("event_types"), dict):
        raise RuleError(_("the vocabulary needs 'event_types:' (a mapping of event type → "
                          "description and system)"), doc.location())
    unknown = set(data) - set(SECTIONS)
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(_("unknown key {key}: the vocabulary has event_types and attributes")
                        .format(key=repr(key)), doc.key_location((key,)))
    problems = [problem for section in SECTIONS for problem in _incomplete(doc, section)]
    if problems:
        raise RuleErrors(problems)
    return Vocabulary(_terms(data, "event_types"), _terms(data, "attributes"), str(path))


def _incomplete(doc: YamlDocument, section: str) -> list[RuleError]:
    """An error for each entry of ``section`` without a description or a system."""
    entries = doc.data.get(section) or {}
    if not isinstance(entries, dict):
        return [RuleError(_("{section} is a mapping of name → description and system").format(
            section=section), doc.location((section,)))]
    out = []
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not entry.get("description") or not entry.get("system"):
            out.append(RuleError(_("{what} {name} needs a description and the system that "
                                   "records it").format(what=_term_noun(section), name=repr(name)),
                                 doc.location((section, name))))
    return out


def _term_noun(section: str) -> str:
    """What an entry of ``section`` is, as a message names it."""
    return _("event type") if section == "event_types" else _("attribute")


def _terms(data: dict, section: str) -> dict[str, Term]:
    """The entries of a checked section, by name, in the file's order."""
    return {str(name): Term(str(name), str(entry["description"]), str(entry["system"]))
            for name, entry in (data.get(section) or {}).items()}
