"""Properties the shipped rule library must always hold, whatever rule is added or edited.

Each test names the rule file that breaks a property, so a failure says which file to fix.
The citation check reads the source texts in ``../shared`` (seeds and the research notes on
national regulations); it is skipped when that folder is not beside the checkout.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from support import ROOT
from govcheck.engine.model.loader import load_rule_file, load_rules, rule_files

RULES = ROOT / "rules"
VOCABULARY = RULES / "vocabulary.yaml"
COVERAGE = ROOT / "docs" / "coverage.md"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
REGULATIONS = SHARED / "research" / "regulations.md"

#: One folder per source document (two for a document with a service and a disclosure part).
PACKS = (
    "shaoyang-2021-service", "shaoyang-2021-disclosure",
    "shaoyang-2022-service", "shaoyang-2022-disclosure",
    "hengyang-2021-service", "hengyang-2021-disclosure",
    "shaoyang-2020-grassroots", "shaoyang-2021-proposal-reply",
    "national",
)

#: Top-level keys in the order DESIGN.md and STYLE.md give them: identity and provenance,
#: then the kind's own keys in the order of DESIGN's table, examples last.
COMMON_HEAD = ("id", "title", "kind", "severity", "source", "effective", "where")
KIND_KEYS = {
    "deadline": ("start", "end", "within", "pause", "resume", "restart", "extend", "warn_at"),
    "sequence": ("trigger", "steps", "ordered", "within"),
    "min_count": ("subject", "count", "at_least", "distinct", "within"),
    "ratio": ("population", "condition", "value", "at_least", "group_by", "period", "exclude"),
    "due_by": ("subjects", "subjects_list", "required", "by"),
    "periodic": ("event", "every", "at_least", "group_by", "units", "period_of", "grace"),
    "required_fields": ("event", "fields", "allowed"),
    "forbidden": ("event",),
}
SOURCE_KEYS = ("document", "number", "clause", "quote")
EXAMPLE_KEYS = ("name", "events", "as_of", "expect")

#: The mechanical part of the severity convention (docs/coverage.md), in both the simplified
#: and the traditional characters the sources are printed in.
BINDING = ("确保", "必须", "一律", "达到", "全部", "確保", "必須", "達到")
HEDGES = ("力争", "原则上", "探索", "力爭", "原則上")

FILES = sorted(p for p in RULES.rglob("*.yaml") if p.name != VOCABULARY.name)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@lru_cache(maxsize=None)
def _loaded(path: Path):
    return load_rule_file(path)


@lru_cache(maxsize=None)
def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rule(path: Path):
    return _loaded(path).rule


by_file = pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])


# ---------------------------------------------------------------------------
# The library as a whole
# ---------------------------------------------------------------------------

def test_every_rule_file_loads_and_ids_are_unique():
    loaded = load_rules([RULES])
    ids = [item.rule.id for item in loaded]
    assert len(ids) == len(set(ids))
    assert len(loaded) == len(FILES)
    assert {Path(p) for p in rule_files([RULES])} == set(FILES)


def test_every_pack_has_rules_and_nothing_else_lies_in_the_rules_folder():
    folders = {p.parent.relative_to(RULES).as_posix() for p in FILES}
    assert folders == set(PACKS)
    loose = sorted(p.name for p in RULES.iterdir()
                   if p.is_file() and p.suffix in (".yaml", ".yml") and p != VOCABULARY)
    assert loose == []


def test_every_rule_id_appears_in_the_coverage_notes():
    text = COVERAGE.read_text(encoding="utf-8")
    missing = [_rule(p).id for p in FILES
               if not re.search(rf"(?<![\w-]){re.escape(_rule(p).id)}(?![\w-])", text)]
    assert missing == [], f"rules with no line in {_rel(COVERAGE)}"


def _vocabulary_event_types() -> set[str]:
    return set(yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))["event_types"])


def _used_event_types() -> tuple[set[str], set[str]]:
    in_rules, in_examples = set(), set()
    for path in FILES:
        rule = _rule(path)
        for _, matcher in rule.matchers():
            in_rules.update(matcher.event_types())
        for example in rule.examples:
            in_examples.update(str(e["event_type"]) for e in example.events if "event_type" in e)
    return in_rules, in_examples


def test_every_event_type_used_is_declared_in_the_vocabulary():
    in_rules, in_examples = _used_event_types()
    declared = _vocabulary_event_types()
    assert sorted(in_rules - declared) == [], "event types in rules but not in the vocabulary"
    assert sorted(in_examples - declared) == [], "event types in examples but not in the vocabulary"


def test_every_declared_event_type_is_used():
    in_rules, in_examples = _used_event_types()
    unused = sorted(_vocabulary_event_types() - in_rules - in_examples)
    assert unused == [], f"declared in {_rel(VOCABULARY)} but used by no rule or example"


# ---------------------------------------------------------------------------
# Each rule file
# ---------------------------------------------------------------------------

@by_file
def test_file_lies_in_a_pack_and_is_named_after_its_id(path):
    assert path.parent.parent == RULES and path.parent.name in PACKS, _rel(path)
    assert path.name == f"{_rule(path).id}.yaml", _rel(path)


@by_file
def test_effective_window_matches_the_pack(path):
    rule, pack = _rule(path), path.parent.name
    eff = rule.effective
    assert eff is not None and eff.from_ is not None, f"{_rel(path)}: no effective.from"
    if pack == "national":
        # A national regulation applies from its entry into force, with no end.
        assert eff.to is None, f"{_rel(path)}: a national rule has no effective.to"
    else:
        year = int(re.search(r"\d{4}", pack).group())
        assert (eff.from_.isoformat(), eff.to and eff.to.isoformat()) == \
            (f"{year}-01-01", f"{year}-12-31"), f"{_rel(path)}: the pack's year is {year}"


def _mechanical_severity(quote: str) -> str | None:
    """``error``/``warning`` where the wording decides it, else None.

    A binding word directly qualified by a hedge (力争达到100%) is a hedged target, so such a
    pair counts as the hedge, not as the binding word.
    """
    for hedge in HEDGES:
        for word in BINDING:
            quote = quote.replace(hedge + word, hedge)
    if any(word in quote for word in BINDING):
        return "error"
    if any(word in quote for word in HEDGES):
        return "warning"
    return None


def test_mechanical_severity_reads_hedged_targets_as_hedges():
    assert _mechanical_severity("确保网民咨询问题5个工作日回复") == "error"
    assert _mechanical_severity("監管事項實施清單填報完成率達100%") is None
    assert _mechanical_severity("填报完成率达到100%") == "error"
    assert _mechanical_severity("网上可办率力争达到100%") == "warning"
    assert _mechanical_severity("網上可辦率力爭達到100%") == "warning"
    assert _mechanical_severity("原则上2022年底前完成改造任务") == "warning"
    assert _mechanical_severity("力争达到100%，确保年内完成") == "error"
    assert _mechanical_severity("推进部门预算公开") is None


@by_file
def test_severity_follows_the_binding_or_hedging_words_of_the_quote(path):
    rule = _rule(path)
    expected = _mechanical_severity(rule.source.quote)
    if expected is not None:
        assert rule.severity == expected, f"{_rel(path)}: quote {rule.source.quote!r}"


@by_file
def test_examples_pass_and_violate(path):
    examples = _rule(path).examples
    assert len(examples) >= 3, f"{_rel(path)}: {len(examples)} examples"
    assert any(not e.expect for e in examples), f"{_rel(path)}: no passing example (expect: [])"
    assert any(e.expect for e in examples), f"{_rel(path)}: no violating example"


def _in_order(keys: list[str], order: tuple[str, ...]) -> bool:
    return all(k in order for k in keys) and keys == sorted(keys, key=order.index)


@by_file
def test_keys_come_in_the_house_order(path):
    data = _raw(path)
    keys = list(data)
    order = COMMON_HEAD + KIND_KEYS[data["kind"]] + ("examples",)
    assert _in_order(keys, order), f"{_rel(path)}: {keys}, expected the order {list(order)}"
    assert keys[-1] == "examples", f"{_rel(path)}: examples come last"
    assert list(data["source"]) == list(SOURCE_KEYS), f"{_rel(path)}: source keys {list(data['source'])}"
    for i, example in enumerate(data["examples"]):
        assert _in_order(list(example), EXAMPLE_KEYS), \
            f"{_rel(path)}: example {i + 1} has keys {list(example)}, expected {list(EXAMPLE_KEYS)}"


# ---------------------------------------------------------------------------
# Citations: every quote is in the text it cites
# ---------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _seed_texts() -> dict[str, str]:
    return {p.name: _squeeze(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))}


def _source_text(path: Path) -> tuple[str, str]:
    """(name, whitespace-free text) of the document a rule cites."""
    rule = _rule(path)
    if path.parent.name == "national":
        return REGULATIONS.name, _squeeze(REGULATIONS.read_text(encoding="utf-8"))
    title = _squeeze(rule.source.document)
    matches = [(name, text) for name, text in _seed_texts().items() if title in text]
    assert len(matches) == 1, (f"{_rel(path)}: document {rule.source.document!r} is in "
                               f"{len(matches)} seed files, expected exactly one")
    return matches[0]


@by_file
def test_quote_occurs_in_its_source_text(path):
    if not SEEDS.is_dir() or not REGULATIONS.is_file():
        pytest.skip(f"source texts not found in {SHARED}")
    name, text = _source_text(path)
    quote = _rule(path).source.quote
    assert _squeeze(quote) in text, f"{_rel(path)}: quote {quote!r} is not in {name}"
