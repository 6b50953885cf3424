"""``govcheck watch`` and the keys added to the rule language: what it runs says what
``check --as-of`` says (tests/test_parity.py compares at random), what it does not run is
refused at start-up with a located line, never judged differently."""
from __future__ import annotations

import pytest

pytest.importorskip("durable_rules_engine")

from test_stream import brief, ev, rules_dir, run_watch, tick  # noqa: E402

CANCEL = """
    kind: deadline
    start: {event_type: 受理}
    end: {event_type: 办结}
    within: {workdays: 5}
    warn_at: 0.6
    cancel: [{event_type: 撤回}, {event_type: 视为放弃}]
"""


def test_a_cancel_in_time_resolves_the_standing_card_and_closes_the_case(tmp_path):
    rules = rules_dir(tmp_path, T_1=CANCEL)
    lines, _ = run_watch(tmp_path, rules, [
        ev("A", "受理", "2021-03-01 09:00"), tick("2021-03-05 08:00"),
        ev("A", "视为放弃", "2021-03-05 09:00"), tick("2021-03-20 00:00")])
    assert brief(lines) == [("warning", "A", "at_risk"), ("resolved", "A", "at_risk")]
    assert lines[-1]["reason"] == "cancelled"


def test_a_cancel_after_the_due_time_leaves_the_case_overdue(tmp_path):
    rules = rules_dir(tmp_path, T_1=CANCEL)
    lines, _ = run_watch(tmp_path, rules, [
        ev("A", "受理", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-09 09:00"),
        tick("2021-03-20 00:00")])
    assert brief(lines)[-1] == ("violation", "A", "overdue_open")


@pytest.mark.parametrize("key", ["only_if", "exclude"])
def test_a_rule_with_a_key_watch_does_not_run_is_refused_with_its_place(tmp_path, key):
    rules = rules_dir(tmp_path, T_1=CANCEL + f"    {key}: {{event_type: 不予受理}}\n", T_2=CANCEL)
    lines, err = run_watch(tmp_path, rules, [ev("A", "受理", "2021-03-01 09:00"),
                                             tick("2021-03-20 00:00")])
    assert {line["rule_id"] for line in lines} == {"T-2"}
    assert f"T-1.yaml:11:10: govcheck watch cannot run rule T-1: `{key}` is not supported" in err
