"""Properties the shipped rule library must always hold, whatever rule is added or edited.

The house conventions every rules repository shares are lints in the product
(engine/model/lints.py, run by ``govcheck validate``); here they are asserted for every
shipped file, next to what only this library promises (its packs, its coverage notes, its
vocabulary, its citations).

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
from govcheck.engine.findings.simplified import simplified
from govcheck.engine.model.lints import RuleFile, lint
from govcheck.engine.model.loader import load_rule_file, load_rules, rule_files
from govcheck.engine.model.packs import PACK_FILE, find_packs
from govcheck.engine.model.yamlsource import load_yaml

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

FILES = sorted(p for p in RULES.rglob("*.yaml") if p.name not in (VOCABULARY.name, PACK_FILE))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _squeeze(text: str) -> str:
    """Without whitespace, and in simplified characters: a quote matches its source whether
    the copy we hold was converted to traditional characters (衡阳's) or not."""
    return simplified(re.sub(r"\s+", "", text))


@lru_cache(maxsize=None)
def _loaded(path: Path):
    return load_rule_file(path)


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


def test_every_pack_says_whose_work_and_which_years_it_governs():
    packs = {p.name: p for p in find_packs([RULES])}
    assert set(packs) == set(PACKS)
    for pack in packs.values():
        if pack.name == "national":
            assert pack.national and pack.years == ()
        else:
            assert pack.city in ("邵阳市", "衡阳市") and pack.city[:2] in ("邵阳", "衡阳")
            assert pack.city[:2] == {"shaoyang": "邵阳", "hengyang": "衡阳"}[pack.name.split("-")[0]]
            assert pack.years == (int(pack.name.split("-")[1]),), pack.name
            titles = {_rule(f).source.document for f in FILES if f.parent.name == pack.name}
            assert titles == {pack.title} or pack.name.startswith("hengyang"), pack.name


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


#: Names a unit may not have (rules/vocabulary.yaml, "单位命名约定"): a government is named by its
#: place, a 邵阳 department carries its city, and channels are not units.
NOT_A_UNIT_NAME = re.compile(r"^(市.+|.+[县区市]人民政府|12345热线.*|.*信箱|人民网|政协云)$")


def _units_named(path: Path) -> set[str]:
    rule = _rule(path)
    names = set(getattr(rule, "units", None) or ())
    names |= {s.unit for s in (getattr(rule, "subjects_list", None) or ()) if s.unit}
    for example in rule.examples:
        names |= {str(e["unit"]) for e in example.events if e.get("unit")}
        names |= {x.unit for x in example.expect if x.unit}
    return names


def test_every_unit_is_named_by_the_one_convention():
    wrong = {_rel(p): sorted(n for n in _units_named(p) if NOT_A_UNIT_NAME.match(n)) for p in FILES}
    assert {k: v for k, v in wrong.items() if v} == {}


# ---------------------------------------------------------------------------
# Each rule file
# ---------------------------------------------------------------------------

@by_file
def test_file_lies_in_a_pack(path):
    assert path.parent.parent == RULES and path.parent.name in PACKS, _rel(path)


@by_file
def test_rule_shows_its_reading_with_three_examples_or_more(path):
    """One that passes, one that violates, one at a boundary the sentence draws."""
    assert len(_rule(path).examples) >= 3, _rel(path)


@by_file
def test_file_keeps_every_house_convention(path):
    """The conventions ``govcheck validate`` checks (engine/model/lints.py)."""
    item = _loaded(path)
    problems = lint(RuleFile(item.rule, path, load_yaml(path)))
    assert problems == [], "\n".join(map(str, problems))


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
