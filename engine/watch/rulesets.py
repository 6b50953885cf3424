"""Rule model → durable-rules rulesets, and the small driver that runs them.

``govcheck watch`` lets durable-rules do the matching: every matcher of a rule becomes a
durable-rules condition, and every part of a case that must be correlated with the event
that opened it (the end of a deadline, a pause, a step of a sequence, a counted event)
becomes a join between an *open-case fact* and an *event fact* on the case id. Python
keeps the clock and the deadlines (``data.calendar``), and decides what a match means.

The engine's limits (docs/watch.md) shape the driver:

- No durable-rules timers: they run on the wall clock only. Deadlines come from the
  calendar and a heap in ``watch.lifecycle``.
- No sessions per case (1024 at most, and freeing them crashes): one session per ruleset,
  and rulesets sharded by a hash of the case id.
- No host threads: ``durable.engine.Host`` starts two background threads that race the
  caller inside the C extension. The driver calls the C extension directly, from one
  thread, and runs each batch's actions itself.
- A fact's identity in a session is the 32-bit FNV-1 hash of its id, compared by hash only:
  two facts whose ids hash alike cannot both be stored, and inside a batch the second one is
  dropped without an error. The driver gives every fact an id whose hash no live fact of
  its session has, and checks at start-up that the engine hashes ids as it expects.
- Each stored fact costs about 9 KB and lookups slow down as a session fills, so each
  session is capped; reaching the cap stops ``watch`` (exit 2) before anything is dropped.

Events are asserted as *facts*, not durable-rules events, so that one event can play a
part in several rules at once; they are retracted once the clock has moved past them.
This module imports ``durable_rules_engine`` only when an ``Engine`` is built.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from ..errors import GovcheckError
from ..i18n import translate as _
from ..model.loader import key_location
from ..model.regex import search
from ..model.rule import LoadedRule, Matcher, RuleBase, value_date, value_text, value_timestamp
from ..plan import Role, RulePlan, Window, matcher_types, plan_rule
from .cases import CASE_CLASSES, UNSUPPORTED_KEYS, unsupported_key
from .times import to_us

#: Most matches one action call hands over (durable-rules stores it as an unsigned short).
ACTION_CAP = 60_000
#: Largest number of durable-rules rules in one ruleset (the alpha network's stack and
#: issue #312 of durable-rules bite beyond a few hundred).
MAX_RULES_PER_RULESET = 200
#: Largest number of properties on one fact (the engine allows 254, id and sid included).
MAX_FACT_PROPERTIES = 200
#: Most durable-rules rules one event may reach at the first step of the alpha network (the
#: engine's stack holds 64 nodes and fails with error 303 beyond).
ALPHA_BUDGET = 40


class EngineLimit(GovcheckError):
    """durable-rules cannot take what comes next without dropping or misjudging it."""


# ---------------------------------------------------------------------------
# FNV-1 as the engine computes it (ids are ASCII, so the sign of C's char does not matter)
# ---------------------------------------------------------------------------

_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 16777619
#: Two ids the engine takes for the same fact (found by search; checked at start-up).
COLLIDING_IDS = ("case-478212", "case-1221200")
#: The session's own state fact (``{"id": "sid-0"}``) shares the id index with ours.
STATE_FACT_ID = "sid-0"


def fnv1_32(text: str) -> int:
    h = _FNV_OFFSET
    for b in text.encode("ascii"):
        h = ((h ^ b) * _FNV_PRIME) & 0xFFFFFFFF
    return h


# ---------------------------------------------------------------------------
# Compiling matchers
# ---------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Slot:
    """One property of an event fact and how to fill it from an event.

    ``kind``: ``text`` (the value as text), ``num`` (the value as a number, when it reads as
    one), ``flag`` (1 when a text test evaluated in Python holds). The case id, the time
    (microseconds), its date and its text always have fixed names: ``c``, ``ts``, ``d``, ``v``.
    """

    name: str
    kind: str
    field: str
    test: tuple[str, tuple[str, ...]] | None = None   # for flags: (op, values)


class Slots:
    """The properties event facts carry, named once for all rules."""

    FIXED = {"case_id": "c"}

    def __init__(self) -> None:
        self.by_key: dict[tuple, Slot] = {}
        self.by_name: dict[str, Slot] = {}

    def _get(self, key: tuple, make: Callable[[str], Slot]) -> Slot:
        slot = self.by_key.get(key)
        if slot is None:
            slot = make(f"{key[0][0]}{len(self.by_key)}")
            self.by_key[key] = slot
            self.by_name[slot.name] = slot
        return slot

    def text(self, field_name: str) -> str:
        if field_name == "case_id":
            return "c"
        if field_name == "timestamp":
            return self._get(("v",), lambda _n: Slot("v", "tstext", "timestamp")).name
        return self._get(("s", field_name), lambda n: Slot(n, "text", field_name)).name

    def num(self, field_name: str) -> str:
        return self._get(("n", field_name), lambda n: Slot(n, "num", field_name)).name

    def date(self) -> str:
        return self._get(("d",), lambda _n: Slot("d", "date", "timestamp")).name

    def flag(self, field_name: str, op: str, values: tuple[str, ...]) -> str:
        return self._get(("x", field_name, op, values),
                         lambda n: Slot(n, "flag", field_name, (op, values))).name

    def presence(self, field_name: str) -> str:
        return "ts" if field_name == "timestamp" else self.text(field_name)


def _any(parts: list[dict]) -> dict:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _all(parts: list[dict]) -> dict:
    return parts[0] if len(parts) == 1 else {"$and": parts}


class MatcherCompiler:
    """Matchers → durable-rules conditions with the meaning ``compile.sql`` gives them."""

    def __init__(self, slots: Slots):
        self.slots = slots

    def conditions(self, matcher: Matcher | None) -> tuple[list[dict], set[str]]:
        """The matcher's conditions (all must hold) and the slots they read."""
        if matcher is None:
            return [], set()
        conds = sorted(matcher.conditions, key=lambda c: (c.field != "event_type", c.op != "eq"))
        out = [self._condition(c.field, c.op, c.values) for c in conds]
        return out, self._names(out)

    def _names(self, conds: Iterable[Any]) -> set[str]:
        found: set[str] = set()
        for c in conds:
            if isinstance(c, dict):
                for key, value in c.items():
                    if key.startswith("$"):
                        found |= self._names(value if isinstance(value, list) else [value])
                    else:
                        found.add(key)
        return found

    def _condition(self, name: str, op: str, values: tuple[Any, ...]) -> dict:
        if op == "exists":
            slot = self.slots.presence(name)
            return {"$ex": {slot: 1}} if values[0] else {"$nex": {slot: 1}}
        if op in ("eq", "ne"):
            pairs = [self._equals(name, v) for v in values]
            if op == "eq":
                return _any([{slot: value} for slot, value in pairs])
            # NOT (any value equal): a missing value is never equal
            return _all([{"$or": [{"$nex": {slot: 1}}, {"$neq": {slot: value}}]}
                         for slot, value in pairs])
        if op in ("gt", "gte", "lt", "lte"):
            return _any([{f"${op}": dict([self._compared(name, v)])} for v in values])
        # contains / startswith / re: durable-rules' regex dialect is not RE2, so these
        # tests run in Python and reach the engine as a flag
        flag = self.slots.flag(name, op, tuple(str(v) for v in values))
        return {flag: 1}

    def _equals(self, name: str, value: Any) -> tuple[str, Any]:
        if _is_number(value) and name != "timestamp":
            return self.slots.num(name), float(value)
        if isinstance(value, dt.date) and name == "timestamp":
            return self.slots.date(), value_date(value).isoformat()
        return self.slots.text(name), value_text(value)

    def _compared(self, name: str, value: Any) -> tuple[str, Any]:
        if name == "timestamp":
            return "ts", to_us(value_timestamp(value))
        if _is_number(value):
            return self.slots.num(name), float(value)
        return self.slots.text(name), value_text(value)


# ---------------------------------------------------------------------------
# Rules → roles → durable-rules rules
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RulesetRole:
    """What a match of one durable-rules rule means: an event plays role ``name`` of rule
    number ``rule``.

    ``name`` is one of the rule's roles (``plan.Role``: ``open``, ``end``, ``pause``,
    ``resume``, ``restart``, ``extend``, ``step`` with ``step``, ``count``, ``hit``,
    ``cancel``). ``alt`` tells apart the matchers of a key that lists several.
    """

    rule: int
    name: str
    step: int | None = None
    alt: int | None = None

    @property
    def key(self) -> str:
        return (f"r{self.rule}.{self.name}" + (f".{self.step}" if self.step is not None else "")
                + (f"~{self.alt}" if self.alt is not None else ""))


@dataclass
class RulesetRule:
    """One rule as durable-rules rules: a definition per role and event type, the event
    types and slots it reads (so that it can share a ruleset with others)."""

    index: int
    loaded: LoadedRule
    plan: RulePlan
    roles: list[tuple[RulesetRole, Role]]
    types: frozenset[str] | None = None            # event types it reads (None: any)
    slots: set[str] = field(default_factory=set)
    definitions: dict[str, dict] = field(default_factory=dict)
    role_of: dict[str, RulesetRole] = field(default_factory=dict)    # durable rule → role
    per_type: Counter = field(default_factory=Counter)               # durable rules per type

    @property
    def rule(self) -> RuleBase:
        return self.loaded.rule

    @property
    def kind(self) -> str:
        return self.loaded.rule.kind


def _window(window: Window) -> list[dict]:
    """The effective window as conditions on an event's time."""
    out = []
    if window.start:
        out.append({"$gte": {"ts": to_us(window.start)}})
    if window.end:
        out.append({"$lt": {"ts": to_us(window.end)}})
    return out


#: Roles whose events matter before their case opens (a counted event may precede the
#: subject; an end before the start makes the case one the log contradicts): matched
#: alone, not joined to the open-case fact; Python finds the case, or keeps the event
#: until the case opens.
KEPT_BEFORE_OPENING = ("count", "end")
#: Roles matched by the event alone.
MATCHED_ALONE = ("open", "hit") + KEPT_BEFORE_OPENING


def _offending(demands: list[tuple[str, tuple[str, ...] | None]], slots: Slots) -> dict:
    """Some demanded field blank, or outside its allowed values (``cases.EventCase.demands``)."""
    parts = []
    for name, allowed in demands:
        slot = slots.presence(name)
        parts.append({"$nex": {slot: 1}})
        if allowed is not None and name != "timestamp":
            text = slots.text(name)
            # ``required_fields.sql.j2`` compares the text with each value as Python prints it
            parts.append(_all([{"$neq": {text: v}} for v in allowed]))
    return _any(parts)


def _split_type(role: Role) -> tuple[frozenset[str] | None, list[Matcher]]:
    """The event types the role names (``plan.Role.event_types``), and its matchers without
    the condition that names them (it becomes one durable-rules rule per type)."""
    out: list[Matcher | None] = list(role.matchers)
    for i, m in enumerate(out):
        if matcher_types(m) is not None:
            rest = {k: v for k, v in m.root.items() if k not in ("event_type", "event_type|eq")}
            out[i] = Matcher(rest) if rest else None
            return role.event_types, [x for x in out if x is not None]
    return None, out


def compile_ruleset_rule(index: int, loaded: LoadedRule, slots: Slots) -> RulesetRule:
    """Each role becomes one durable-rules rule per event type it names.

    The shape of each rule's event pattern is fixed by what durable-rules 2.0.28 gets right
    (docs/watch.md): the event type first (a plain equality, so that an event reaches only
    its own type's rules and the engine's alpha stack of 64 entries is not overrun), then the
    join on the case id, then the rest. A join after an ``$or`` is ignored by the engine, and
    a second join condition that fails after one that held crashes it, so "at or after the
    start" is checked in Python. No pattern is negated: a negated pattern that stops holding
    loses other matches of the same assert, so whether the case of a counted event or an end
    is open yet (``KEPT_BEFORE_OPENING``) is looked up in Python.
    """
    rule = loaded.rule
    plan = plan_rule(rule)
    mc = MatcherCompiler(slots)
    compiled = RulesetRule(index, loaded, plan,
                           [(RulesetRole(index, r.name, r.step, r.alt), r) for r in plan.roles])
    et_slot = slots.text("event_type")
    for role, part in compiled.roles:
        own, matchers = _split_type(part)
        conds: list[dict] = []
        for m in matchers:
            more, used = mc.conditions(m)
            conds += more
            compiled.slots |= used
        if role.name == "hit":
            conds += _window(plan.window)
            demands = CASE_CLASSES[rule.kind].demands(rule)
            if demands:
                conds.append(_offending(demands, slots))
                compiled.slots |= mc._names([conds[-1]])
        if own is not None:
            compiled.slots.add(et_slot)
        heads = [[{"t": "e"}, {et_slot: t}] for t in sorted(own)] if own is not None else [[{"t": "e"}]]
        for k, head in enumerate(heads):
            if role.name in MATCHED_ALONE:
                definition = {"all": [{"e": _all(head + conds)}]}
            else:
                definition = {"all": [{"o": {"$and": [{"t": "o"}, {"r": index}]}},
                                      {"e": _all(head + [{"c": {"o": "c"}}] + conds)}]}
            definition["cap"] = ACTION_CAP
            name = f"{role.key}#{k}"
            compiled.definitions[name] = definition
            compiled.role_of[name] = role
            compiled.per_type[head[1][et_slot] if own is not None else None] += 1
    compiled.types = None if plan.event_types is None else frozenset(plan.event_types)
    compiled.slots.discard("t")
    compiled.slots -= {"c", "ts"}
    return compiled


@dataclass
class Group:
    """Rules that share one ruleset (per shard) and the facts' layout for each event type."""

    index: int
    rules: list[RulesetRule]
    any_type_slots: frozenset[str]
    type_slots: dict[str, frozenset[str]]
    takes_any_type: bool

    def slots_for(self, event_type: str) -> frozenset[str] | None:
        """The slots an event of this type needs here; None when no rule here can use it."""
        found = self.type_slots.get(event_type)
        if found is not None:
            return found
        return self.any_type_slots if self.takes_any_type else None

    def definition(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for rule in self.rules:
            out.update(rule.definitions)
        return out


@dataclass
class Rulesets:
    """What ``watch`` runs: the rules it judges, their groups (one ruleset each, per shard),
    the slots event facts carry, the rules of kinds it leaves to ``check`` (id, kind) and the
    rules it refuses for a key it does not run (located messages)."""

    rules: list[RulesetRule]
    groups: list[Group]
    slots: Slots
    skipped: list[tuple[str, str]]
    refused: list[str] = field(default_factory=list)


def refusal(item: LoadedRule) -> str | None:
    """The located message that refuses a rule using a key ``watch`` does not run."""
    key = unsupported_key(item.rule)
    if key is None:
        return None
    return _("{location}: govcheck watch cannot run rule {rule}: `{key}` is not supported "
             "({why}); `govcheck check` judges it").format(
                 location=key_location(item, (key,)), rule=item.rule.id, key=key,
                 why=_(UNSUPPORTED_KEYS[key]))


def _group(index: int, rules: list[RulesetRule]) -> Group:
    any_rules = [r for r in rules if r.types is None]
    any_slots = frozenset().union(*(r.slots for r in any_rules)) if any_rules else frozenset()
    by_type: dict[str, set[str]] = {}
    for r in rules:
        for t in r.types or ():
            by_type.setdefault(t, set()).update(r.slots)
    return Group(index, rules, any_slots,
                 {t: frozenset(s | any_slots) for t, s in by_type.items()}, bool(any_rules))


def _fits(rules: list[RulesetRule], rule: RulesetRule) -> bool:
    """Whether ``rule`` can join a group without overrunning the engine's limits."""
    per_type: Counter = Counter()
    for r in rules + [rule]:
        per_type.update(r.per_type)
    any_type = per_type.pop(None, 0)
    worst = max(per_type.values(), default=0) + any_type
    return (sum(len(r.definitions) for r in rules + [rule]) <= MAX_RULES_PER_RULESET
            and worst <= ALPHA_BUDGET
            and len(set().union(*(r.slots for r in rules + [rule]))) <= MAX_FACT_PROPERTIES)


def compile_rulesets(loaded: Sequence[LoadedRule]) -> Rulesets:
    """Compile every rule ``watch`` can judge, in groups that fit one ruleset each."""
    slots = Slots()
    compiled: list[RulesetRule] = []
    skipped: list[tuple[str, str]] = []
    refused: list[str] = []
    for item in loaded:
        rule = item.rule
        if CASE_CLASSES[rule.kind] is None:
            skipped.append((rule.id, rule.kind))
            continue
        message = refusal(item)
        if message is not None:
            refused.append(message)
            continue
        compiled.append(compile_ruleset_rule(len(compiled), item, slots))
    groups: list[Group] = []
    current: list[RulesetRule] = []
    for rule in compiled:
        if not _fits([], rule):
            raise EngineLimit(_("rule {rule} is too large for one durable-rules ruleset "
                                "({definitions} rules, {attributes} attributes)").format(
                                    rule=rule.rule.id, definitions=len(rule.definitions),
                                    attributes=len(rule.slots)))
        if current and not _fits(current, rule):
            groups.append(_group(len(groups), current))
            current = []
        current.append(rule)
    if current:
        groups.append(_group(len(groups), current))
    return Rulesets(compiled, groups, slots, skipped, refused)


# ---------------------------------------------------------------------------
# Evaluating the slots of one event
# ---------------------------------------------------------------------------

def flag_value(slot: Slot, text: str | None) -> bool:
    """A Python-evaluated text test (``contains``, ``startswith``, ``re``) on a value."""
    if text is None:
        return False
    op, values = slot.test
    if op == "contains":
        return any(v in text for v in values)
    if op == "startswith":
        return any(text.startswith(v) for v in values)
    # RE2, as DuckDB's regexp_matches: a partial match, in linear time
    return any(search(v, text) for v in values)


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------

@dataclass
class Session:
    """One ruleset (one group of rules, one shard) with its one session."""

    handle: int
    name: str
    live: dict[int, str] = field(default_factory=dict)   # id hash → id, every stored fact
    free: list[tuple[str, int]] = field(default_factory=list)
    minted: int = 0


class Engine:
    """Runs the rulesets: ``groups × shards`` sessions, all driven from this thread."""

    def __init__(self, rulesets: Rulesets, shards: int, session_cap: int):
        try:
            import durable_rules_engine  # noqa: F401  (the C core of durable-rules)
        except ImportError as exc:
            raise EngineLimit(_("durable-rules is not installed ({error}); install "
                                "govcheck[watch] on Python 3.12 or older").format(error=exc)
                              ) from None
        self._dre = durable_rules_engine
        self.rulesets = rulesets
        self.shards = shards
        self.session_cap = session_cap
        self._check_identity()
        self.sessions: list[list[Session]] = []
        for group in rulesets.groups:
            text = json.dumps(group.definition(), ensure_ascii=False)
            row = []
            for s in range(shards):
                name = f"govcheck-g{group.index}-s{s}"
                row.append(Session(self._call(self._dre.create_ruleset, name, text), name))
            self.sessions.append(row)
        reserved = fnv1_32(STATE_FACT_ID)
        for row in self.sessions:
            for session in row:
                session.live[reserved] = STATE_FACT_ID

    # -- calls into the C core ------------------------------------------------------

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except MemoryError:
            raise EngineLimit(_("durable-rules ran out of memory")) from None
        except Exception as exc:  # durable_rules_engine.error: the engine refused
            raise EngineLimit(_("durable-rules refused the operation: {error}").format(error=exc)
                              ) from None

    def _check_identity(self) -> None:
        """The engine must refuse the second of two ids that hash alike, as we predict."""
        a, b = COLLIDING_IDS
        if fnv1_32(a) != fnv1_32(b):
            raise EngineLimit("internal: the FNV-1 probe ids do not collide")
        probe = self._call(self._dre.create_ruleset, "govcheck-probe",
                           json.dumps({"p": {"all": [{"m": {"t": "p"}}]}}))
        try:
            for mid in (a, b):
                self._call(self._dre.assert_fact, probe, json.dumps({"id": mid, "t": "p"}))
            stored = {f["id"] for f in json.loads(self._dre.get_facts(probe, "0"))}
        finally:
            self._dre.delete_ruleset(probe)
        if stored != {a}:
            raise EngineLimit(_("this durable-rules build does not identify facts by the FNV-1 "
                                "hash of their id as govcheck expects; watch cannot guarantee "
                                "that no event is dropped"))

    # -- ids ------------------------------------------------------------------------

    def new_id(self, session: Session) -> tuple[str, int]:
        """An id whose hash no stored fact of the session has; reserve it."""
        live = session.live
        while session.free:
            mid, h = session.free.pop()
            if h not in live:
                live[h] = mid
                return mid, h
        while True:
            session.minted += 1
            mid = f"f{session.minted:x}"
            h = fnv1_32(mid)
            if h not in live:
                live[h] = mid
                return mid, h

    def release(self, session: Session, ids: Iterable[tuple[str, int]]) -> None:
        for mid, h in ids:
            if session.live.get(h) == mid:
                del session.live[h]
                session.free.append((mid, h))

    # -- facts ----------------------------------------------------------------------

    def room(self, session: Session, more: int) -> None:
        if len(session.live) - 1 + more > self.session_cap:
            raise EngineLimit(_(
                "ruleset {name} would hold {facts:,} facts, over the cap of {cap:,} per session "
                "(docs/watch.md); restart with more --shards (now {shards}) to spread the open "
                "cases").format(name=session.name, facts=len(session.live) - 1 + more,
                                cap=self.session_cap, shards=self.shards))

    def assert_facts(self, session: Session, facts: list[str]) -> list[tuple[str, list[dict]]]:
        """Assert facts (JSON texts); return the matches, as (durable rule name, frames)."""
        if not facts:
            return []
        code, state = self._call(self._dre.assert_facts, session.handle, "[" + ",".join(facts) + "]")
        if code not in (0, 1):      # 2: an id taken (cannot happen with our ids), 3: deferred
            raise EngineLimit(_("durable-rules refused facts in {name} (code {code}); stopping "
                                "before an event is lost").format(name=session.name, code=code))
        return self._actions(session, state)

    def retract(self, session: Session, ids: list[tuple[str, int]]) -> list[tuple[str, list[dict]]]:
        if not ids:
            return []
        text = "[" + ",".join(f'{{"id":"{mid}"}}' for mid, _h in ids) + "]"   # ids are ASCII
        code, state = self._call(self._dre.retract_facts, session.handle, text)
        self.release(session, ids)
        if code not in (0, 1):
            raise EngineLimit(_("durable-rules could not retract facts in {name} (code {code})"
                                ).format(name=session.name, code=code))
        # no pattern is negated, so a retraction matches nothing; its state is drained all the same
        return self._actions(session, state)

    def _actions(self, session: Session, state: int) -> list[tuple[str, list[dict]]]:
        dre = self._dre
        out: list[tuple[str, list[dict]]] = []
        first = self._call(dre.start_action_for_state, session.handle, state)
        if first is None:
            return out
        messages = first[1]
        while messages:
            for name, frames in json.loads(messages).items():
                out.append((name, frames if isinstance(frames, list) else [frames]))
            messages = self._call(dre.complete_and_start_action, session.handle, state)
        return out

    def stored_facts(self, session: Session) -> list[dict]:
        """Every fact the session holds (slow: for audits and tests)."""
        return [f for f in json.loads(self._dre.get_facts(session.handle, "0")) if f.get("id") != STATE_FACT_ID]

    def fact_count(self) -> int:
        return sum(len(s.live) - 1 for row in self.sessions for s in row)

    def close(self) -> None:
        for row in self.sessions:
            for session in row:
                try:
                    self._dre.delete_ruleset(session.handle)
                except Exception:
                    pass
        self.sessions = []
