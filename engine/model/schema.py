"""The JSON Schema of the rule language, generated from the model (never edited by hand).

``rules/rule.schema.json`` is this output; editors use it to check rule files as they are
typed (a rule file's first line ``# yaml-language-server: $schema=…`` points at it), and a
test fails when the file is stale. Regenerate with
``python -m govcheck.engine.model.schema > rules/rule.schema.json``.

What an editor shows is for the rule's author, in Chinese: each field's description is the
Chinese string under it in the model; the models' own docstrings are notes for developers,
in English, so they are left out, and so are the titles pydantic makes from field names.
A kind's definition is described by its ``kind`` field.
"""
from __future__ import annotations

import json
import sys

from .rule import RuleDocument


def rule_schema() -> dict:
    schema = RuleDocument.model_json_schema(by_alias=True)
    for definition in schema["$defs"].values():
        _for_authors(definition)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "govcheck 规则"
    schema["description"] = ("一个文件一条 govcheck 规则：编号、标题、类型、级别、出处（原文照抄），"
                             "该类型的键，以及示例。匹配条件写作 字段: 值（列表表示任一），或 "
                             "字段|运算: 值，运算有 ne gt gte lt lte contains startswith re exists。")
    return schema


def _for_authors(definition: dict) -> None:
    """Keep only the Chinese a rule's author reads (see the module docstring)."""
    definition.pop("description", None)
    definition.pop("title", None)
    for prop in definition.get("properties", {}).values():
        prop.pop("title", None)
    kind = definition.get("properties", {}).get("kind", {})
    if "description" in kind:
        definition["description"] = kind["description"]


def schema_text() -> str:
    return json.dumps(rule_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
