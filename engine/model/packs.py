"""Rule packs: one folder of rules per source document, with whose work it governs and when.

A pack's ``pack.yaml`` names its document, its jurisdiction (a city's work points, or
national regulations for the whole country) and the years it sets duties for. ``check``
uses this to choose, from the shipped library, only the rules that speak to the log in
hand: the configured city's packs whose years meet the log's span, plus the national
ones. A 衡阳 rule never judges a 邵阳 log, and a 2020 catalogue deadline never judges a
2022 log.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import RuleError, did_you_mean
from ..i18n import translate as _
from .yamlsource import YamlDocument, load_yaml

PACK_FILE = "pack.yaml"
_JURISDICTION_KEYS = ("country", "province", "city", "county")


@dataclass(frozen=True)
class Pack:
    """One pack: a folder of rules and what its ``pack.yaml`` says of them."""

    name: str
    folder: Path
    title: str
    number: str | None
    jurisdiction: dict[str, str]
    #: the years the pack sets duties for; empty: every year (national regulations)
    years: tuple[int, ...] = ()

    @property
    def city(self) -> str | None:
        return self.jurisdiction.get("city")

    @property
    def national(self) -> bool:
        return set(self.jurisdiction) == {"country"}

    def serves(self, city: str | None) -> bool:
        """Does the pack govern the offices of ``city`` (national packs govern every city)?"""
        if self.national:
            return True
        return city is not None and self.city is not None and same_city(self.city, city)

    def meets(self, years: Iterable[int]) -> bool:
        """Does the pack set duties for any of ``years``?"""
        return not self.years or bool(set(self.years) & set(years))

    def label(self) -> str:
        return f"{self.name}（{self.title}）"


def same_city(a: str, b: str) -> bool:
    """邵阳 and 邵阳市 are one city."""
    return a.removesuffix("市") == b.removesuffix("市")


def find_packs(roots: Sequence[str | Path]) -> list[Pack]:
    """Every pack (a folder holding ``pack.yaml``) under ``roots``, by name."""
    found = []
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob(PACK_FILE)):
            found.append(load_pack(path))
    return sorted(found, key=lambda p: p.name)


def pack_of(rule_path: str | Path, packs: Sequence[Pack]) -> Pack | None:
    """The pack a rule file lies in, if any."""
    folder = Path(rule_path).resolve().parent
    for pack in packs:
        if pack.folder.resolve() == folder:
            return pack
    return None


def choose(packs: Sequence[Pack], names: Sequence[str], city: str | None,
           years: Iterable[int] | None) -> list[Pack]:
    """The packs a run uses: those named (an unknown name is an error that suggests the
    nearest), else those that serve ``city`` and set duties for one of ``years`` (None:
    whatever years, for what a run may use before its log is read)."""
    by_name = {p.name: p for p in packs}
    if names:
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise RuleError(_("no pack named {name}{hint}; packs: {packs}").format(
                name=repr(unknown[0]), hint=did_you_mean(unknown[0], by_name),
                packs=", ".join(by_name)))
        return [by_name[n] for n in dict.fromkeys(names)]
    if city is not None and not any(p.city and same_city(p.city, city) for p in packs):
        cities = sorted({p.city for p in packs if p.city})
        raise RuleError(_("no pack serves the city {city}{hint}; cities with packs: {cities}")
                        .format(city=repr(city), hint=did_you_mean(city, cities),
                                cities=", ".join(cities) or _("none")))
    return [p for p in packs if p.serves(city) and (years is None or p.meets(set(years)))]


def load_pack(path: str | Path) -> Pack:
    doc = load_yaml(path, error_cls=RuleError)
    data = doc.data
    if not isinstance(data, dict):
        raise RuleError(_("a pack file is a mapping: title, number, jurisdiction, years"),
                        doc.location())
    keys = ("title", "number", "jurisdiction", "years")
    for key in data:
        if key not in keys:
            raise RuleError(_("unknown key {key}{hint}").format(
                key=repr(key), hint=did_you_mean(str(key), keys)), doc.key_location((key,)))
    title = _text(doc, data, "title", required=True)
    jurisdiction = _jurisdiction(doc, data.get("jurisdiction"))
    years = _years(doc, data.get("years"))
    folder = Path(path).parent
    return Pack(folder.name, folder, title, _text(doc, data, "number"), jurisdiction, years)


def _text(doc: YamlDocument, data: dict, key: str, required: bool = False) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RuleError(_("{key} is text").format(key=key), doc.location((key,)))
    return value.strip()


def _jurisdiction(doc: YamlDocument, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise RuleError(_("jurisdiction names where the pack applies: {country: 中华人民共和国} "
                          "or {province: …, city: …}"), doc.location(("jurisdiction",)))
    out = {}
    for key, name in value.items():
        if key not in _JURISDICTION_KEYS:
            raise RuleError(_("unknown jurisdiction key {key}: use {keys}").format(
                key=repr(key), keys=", ".join(_JURISDICTION_KEYS)),
                doc.key_location(("jurisdiction", key)))
        if not isinstance(name, str) or not name.strip():
            raise RuleError(_("jurisdiction {key} is a name").format(key=key),
                            doc.location(("jurisdiction", key)))
        out[key] = name.strip()
    if "country" in out and len(out) > 1:
        raise RuleError(_("a national pack names only its country"),
                        doc.location(("jurisdiction",)))
    return out


def _years(doc: YamlDocument, value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(
            isinstance(y, int) and not isinstance(y, bool) and 1949 < y < 2200 for y in value):
        raise RuleError(_("years is a list of years, e.g. [2022]"), doc.location(("years",)))
    return tuple(sorted(set(value)))
