"""How often things go wrong in a generated log: the rates violations are injected at."""
from __future__ import annotations

#: Share of a profile's cases that break one rule in one way, by kind and violation type.
RATES = {
    ("deadline", "late"): 0.06, ("deadline", "overdue_open"): 0.02,
    ("sequence", "missing_step"): 0.04, ("sequence", "out_of_order"): 0.03,
    ("sequence", "late"): 0.03, ("min_count", "insufficient"): 0.06,
    ("due_by", "missing_by_date"): 0.05, ("due_by", "late"): 0.04,
    ("required_fields", "missing_field"): 0.03, ("forbidden", "forbidden"): 0.02,
}
#: Deadline cases that use a rule's pause, restart or extension (share of the profile).
PROCEDURES = {"paused": 0.04, "paused_late": 0.015, "still_paused": 0.01,
              "restarted": 0.04, "restarted_late": 0.015,
              "extended": 0.04, "extended_late": 0.015, "extended_after": 0.01}
#: Cases a rule takes out of judgement (cancel, exclude, only_if), a ratio member that meets
#: its condition only after its period (share of the profile).
FILTERS = {"cancelled": 0.03, "cancelled_late": 0.01, "excluded": 0.02, "out_of_scope": 0.02,
           "met_late": 0.02}
#: At most this share of a profile's cases break something.
MAX_BROKEN = 0.5
#: Share of the units that fall below each ratio rule's threshold.
WEAK_UNITS = 0.3
#: Chance that a periodic rule's unit misses a period, by period length.
MISS_PERIOD = {"day": 0.02, "week": 0.04, "month": 0.06, "quarter": 0.12, "year": 0.2}
#: Limits read from the log (承诺时限) are drawn from these working-day counts.
LIMIT_CHOICES = (1, 3, 5, 7, 10, 15, 20)
