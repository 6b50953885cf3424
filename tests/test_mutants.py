"""The mutant table of bench/mutants.py still fits the code, without running any mutant.

Each mutant names an exact snippet of a file; when the code moves, its snippet is gone and
the mutant would test nothing. This fails first, naming the mutant to update. A mutant
must also be a bug, not a typo: the mutated file still compiles (Python) or parses (the
SQL templates), so a kill means some test noticed a wrong answer, not an import error.
And every test file is either among the tests run against the mutants or left out with a
reason, so a new file of tests is not forgotten.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import jinja2
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench_mutants():
    spec = importlib.util.spec_from_file_location("bench_mutants", ROOT / "bench" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


MUTANTS = _bench_mutants()


def test_every_original_snippet_is_in_the_code_once():
    assert MUTANTS.problems(ROOT) == []


def test_every_test_file_is_run_against_mutants_or_left_out_with_a_reason():
    files = {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")}
    chosen, left_out = set(MUTANTS.FAST_TESTS) - {"features"}, set(MUTANTS.LEFT_OUT)
    assert chosen.isdisjoint(left_out)
    assert files == chosen | left_out


def test_the_table_is_large_and_says_why():
    assert len(MUTANTS.MUTANTS) >= 25
    for m in MUTANTS.MUTANTS:
        assert m.why.strip(), m.name


@pytest.mark.parametrize("mutant", MUTANTS.MUTANTS, ids=lambda m: m.name)
def test_the_mutated_file_still_compiles(mutant):
    text = (ROOT / mutant.path).read_text(encoding="utf-8")
    mutated = text.replace(mutant.original, mutant.mutated, 1)
    assert mutated != text
    if mutant.path.endswith(".py"):
        compile(mutated, mutant.path, "exec")
    elif mutant.path.endswith(".j2"):
        jinja2.Environment().parse(mutated)
