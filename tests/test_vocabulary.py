"""The vocabulary (rules/vocabulary.yaml): event types and attributes with their systems,
found beside or above the rule files, its mistakes located at file:line:column."""
from __future__ import annotations

import textwrap

import pytest
import yaml

from support import ROOT
from govcheck.engine.errors import RuleError, RuleErrors
from govcheck.engine.model.vocabulary import find_vocabulary, load_vocabulary

SHIPPED = ROOT / "rules" / "vocabulary.yaml"


def write(tmp_path, text: str):
    path = tmp_path / "vocabulary.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_vocabulary_in_file_order_with_systems():
    vocabulary = load_vocabulary(SHIPPED)
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert list(vocabulary.event_types) == list(raw["event_types"])
    assert list(vocabulary.attributes) == list(raw["attributes"])
    for name, entry in raw["event_types"].items():
        assert vocabulary.system(name) == entry["system"]
        assert vocabulary.event_types[name].description == entry["description"]
    assert vocabulary.system("没有这种事件") is None


def test_found_from_a_rule_file_below_it():
    rule = next((ROOT / "rules").rglob("*/*.yaml"))
    assert find_vocabulary([rule]) == SHIPPED
    assert find_vocabulary([ROOT / "rules"]) == SHIPPED


def test_every_incomplete_entry_is_located(tmp_path):
    path = write(tmp_path, """\
        event_types:
          留言受理: {description: 咨询被受理, system: 留言板/市长信箱}
          留言答复: {description: 答复}
        attributes:
          问题类别: {system: 留言板/市长信箱}
        """)
    with pytest.raises(RuleErrors) as info:
        load_vocabulary(path)
    shown = [str(e) for e in info.value.errors]
    assert shown == [f"{path}:3:9: event type '留言答复' needs a description and the system "
                     "that records it",
                     f"{path}:5:9: attribute '问题类别' needs a description and the system "
                     "that records it"]


@pytest.mark.parametrize("text, message", [
    ("attributes: {}\n", "needs 'event_types:'"),
    ("event_types: {}\nfields: {}\n", "unknown key 'fields'"),
    ("event_types: {}\nattributes: [问题类别]\n", "attributes is a mapping"),
])
def test_a_file_of_the_wrong_shape_is_refused(tmp_path, text, message):
    with pytest.raises((RuleError, RuleErrors), match=message) as info:
        load_vocabulary(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "vocabulary.yaml"))
