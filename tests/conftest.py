"""Fixtures: the working-day calendar, and ``run`` (a rule over events → Report).

Also the Hypothesis profiles (docs/testing.md): ``ci``, the default, draws the same
examples on every run, so a test that fails in CI fails again for whoever reruns it, and
a test that passes does not pass by luck; ``explore`` (``HYPOTHESIS_PROFILE=explore``)
draws new ones each run, to look for bugs the fixed examples miss. Both print the
falsifying example (its seed) and the blob that replays it. ``mutants`` is ``ci`` without
shrinking, for ``bench/mutants.py``.

With ``GOVCHECK_CI=1`` (``.ci/run`` sets it) a skip outside the allow-list of
``tests/skip_guard.py`` fails the run.

The tests read govcheck's messages in English (``GOVCHECK_LANG=en``, set before govcheck is
imported, and inherited by the commands they start): the Chinese default is tested in
tests/test_i18n.py, which starts its commands without it, and by the tests that ask for the
``chinese`` fixture (the words of a report, a notice or ``rules show`` as a user reads them).
"""
from __future__ import annotations

import os

os.environ["GOVCHECK_LANG"] = "en"

import duckdb
import pytest
from hypothesis import Phase, settings

from skip_guard import ENVIRONMENT, SkipGuard
from support import rule_from
from govcheck.engine import i18n
from govcheck.engine.api import evaluate, parse_as_of
from govcheck.engine.findings.report import Span
from govcheck.engine.validate import story_span
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.data.ingest import ingest_records

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
# bench/mutants.py: the examples of `ci`, a failure reported as first found. A mutant needs
# one failing test, and shrinking a failing example of test_truth takes minutes.
settings.register_profile("mutants", settings.get_profile("ci"),
                          phases=(Phase.explicit, Phase.reuse, Phase.generate))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config) -> None:
    if os.environ.get(ENVIRONMENT) == "1":
        config.pluginmanager.register(SkipGuard(), "govcheck-skip-guard")


@pytest.fixture
def chinese():
    """Speak Chinese, the language a user meets by default, for one test: what it runs and
    renders in its body (and what a command it invokes in this process says)."""
    with i18n.speaking("zh"):
        yield


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture
def run(calendar):
    """``run(rule_yaml, events, as_of=None)`` → the Report of that rule over those events."""

    def _run(rule_text: str, events: list[dict], as_of=None, span=None):
        """``span``: the (from, to) the log covers, as datetimes; default: the whole story the
        events tell, from the rule's effective window (validate.story_span)."""
        loaded = rule_from(rule_text)
        con = duckdb.connect()
        try:
            result = ingest_records(con, events, name="inline events")
            moment = parse_as_of(as_of) if as_of else None
            if moment is None:
                moment = con.execute('SELECT max("timestamp") FROM events').fetchone()[0]
            bounds = span or story_span(con, loaded, moment)
            return evaluate(con, [loaded], calendar, result, moment, span=Span.of(*bounds))
        finally:
            con.close()

    return _run
