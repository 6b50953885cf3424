"""The JSON Schema of the rule language, generated from the model (never edited by hand).

``rules/rule.schema.json`` is this output; editors use it to check rule files as they are
typed, and a test fails when the file is stale. Regenerate with
``python -m govcheck.engine.model.schema > rules/rule.schema.json``.
"""
from __future__ import annotations

import json
import sys

from .rule import RuleDocument


def rule_schema() -> dict:
    schema = RuleDocument.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "govcheck rule"
    schema["description"] = ("One govcheck rule per file: id, title, kind, severity, source "
                             "(the clause quoted exactly), the kind's keys, and examples.")
    return schema


def schema_text() -> str:
    return json.dumps(rule_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
