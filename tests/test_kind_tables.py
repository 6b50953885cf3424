"""Every layer that treats kinds differently has one table, kind → handler, and each table
names every kind of the rule model: a new kind that misses a layer fails here, not in a
user's run."""
from __future__ import annotations

import pytest

from govcheck.engine.batch.compile import KIND_QUERIES
from govcheck.engine.findings.labels import KIND_LABELS, TYPE_LABELS
from govcheck.engine.findings.messages import RULE_LINES
from govcheck.engine.model.rule import KIND_TYPES, KINDS, RULE_CLASSES, VIOLATION_TYPES, WARNING_TYPE
from govcheck.engine.plan import ROLES
from govcheck.engine.testing.generator.kinds import STRATEGIES
from govcheck.engine.testing.oracle import JUDGES
from govcheck.engine.watch.cases import CASE_CLASSES

#: (where, table): every table keyed by kind.
KIND_TABLES = [
    ("model.rule.RULE_CLASSES", RULE_CLASSES),
    ("model.rule.KIND_TYPES", KIND_TYPES),
    ("batch.compile.KIND_QUERIES", KIND_QUERIES),
    ("findings.messages.RULE_LINES", RULE_LINES),
    ("findings.labels.KIND_LABELS", KIND_LABELS),
    ("plan.ROLES", ROLES),
    ("watch.cases.CASE_CLASSES", CASE_CLASSES),
    ("testing.oracle.JUDGES", JUDGES),
    ("testing.generator.kinds.STRATEGIES", STRATEGIES),
]


@pytest.mark.parametrize("name, table", KIND_TABLES, ids=[n for n, _ in KIND_TABLES])
def test_the_table_names_every_kind(name, table):
    assert set(table) == set(KINDS), f"{name}: missing {set(KINDS) - set(table)}, " \
                                     f"extra {set(table) - set(KINDS)}"


def test_every_violation_type_has_one_label():
    assert set(TYPE_LABELS) == set(VIOLATION_TYPES) | {WARNING_TYPE}
    assert len(set(TYPE_LABELS.values())) == len(TYPE_LABELS)


def test_every_kind_has_its_own_label():
    assert len(set(KIND_LABELS.values())) == len(KIND_LABELS)
