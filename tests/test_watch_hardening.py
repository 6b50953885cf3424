"""``govcheck watch`` under attack: the adversarial probes that found it hanging, writing
findings twice or stopping with an internal error, kept as tests so that they stay fixed.

The small adversarial inputs are in tests/data/adversarial/ (docs/watch.md describes each
guarantee).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("durable_rules_engine")

from click.testing import CliRunner  # noqa: E402
from hypothesis import example, given, settings, strategies as st  # noqa: E402

from support import ROOT  # noqa: E402
from test_stream import DEADLINE, FULL_DEADLINE, ev, lines_of, rules_dir, tick  # noqa: E402
from govcheck import cli  # noqa: E402
from govcheck.engine.api import Run, check  # noqa: E402
from govcheck.engine.errors import DataError  # noqa: E402
from govcheck.engine.model.loader import load_rules  # noqa: E402
from govcheck.engine.watch import monitor as monitor_module  # noqa: E402
from govcheck.engine.watch.journal import Journal  # noqa: E402
from govcheck.engine.watch.monitor import WatchOptions, watch  # noqa: E402
from govcheck.engine.watch.output import FindingWriter, Stats  # noqa: E402

CORPUS = Path(__file__).parent / "data" / "adversarial"
RULES = CORPUS / "watch_rules"


def watch_cmd(rules: Path, source: Path | str, state: Path | None = None,
              every: float = 0.05, *more: str) -> list[str]:
    cmd = [sys.executable, str(ROOT / "cli.py"), "watch", "--rules", str(rules),
           "--status-every", "0", "--checkpoint-every", str(every), "--shards", "3", str(source)]
    return cmd + (["--state", str(state)] if state else []) + list(more)


def uninterrupted(rules: Path, log: Path) -> bytes:
    """What one run over the whole log writes (no state, no kill)."""
    out = io.BytesIO()
    assert watch(WatchOptions(source=str(log), rules=[str(rules)], status_every=0, shards=3),
                 out=out, err=io.StringIO()) == 0
    return out.getvalue()


def stream_log(path: Path, seed: int, cases: int) -> None:
    """Deadline cases of two rules: replies in time and late, pauses, extensions (some
    unreadable: data quality), replies before the start, clock lines, a bad line now and
    then; in time order but for a few late arrivals."""
    rng = random.Random(seed)
    rows: list[tuple[dt.datetime, object]] = []
    t0 = dt.datetime(2021, 3, 1, 8)
    for i in range(cases):
        start = t0 + dt.timedelta(minutes=rng.randint(1, 9) * i)
        case = f"K{i:05d}"
        if rng.random() < 0.5:
            rows.append((start, ev(case, "留言受理", f"{start:%Y-%m-%d %H:%M}")))
            if rng.random() < 0.7:
                end = start + dt.timedelta(hours=rng.randint(1, 300))
                rows.append((end, ev(case, "留言答复", f"{end:%Y-%m-%d %H:%M}")))
            if rng.random() < 0.1:
                early = start - dt.timedelta(minutes=3)
                rows.append((early, ev(case, "留言答复", f"{early:%Y-%m-%d %H:%M}")))
        else:
            rows.append((start, ev(case, "受理", f"{start:%Y-%m-%d %H:%M}")))
            at = start
            for etype in rng.sample(["中止", "恢复", "延期", "办结"], rng.randint(0, 4)):
                at += dt.timedelta(hours=rng.randint(1, 60))
                extra = {"延长工作日": rng.choice(["1", "2", "两"])} if etype == "延期" else {}
                rows.append((at, ev(case, etype, f"{at:%Y-%m-%d %H:%M}", **extra)))
        if rng.random() < 0.02:
            rows.append((start, "{not json"))
        if rng.random() < 0.05:
            later = start + dt.timedelta(days=2)
            rows.append((later, tick(f"{later:%Y-%m-%d %H:%M}")))
    rows.sort(key=lambda r: r[0])
    for _ in range(cases // 50):        # a few lines a little out of order
        i = rng.randrange(len(rows) - 5)
        j = i + rng.randint(1, 5)
        rows[i], rows[j] = rows[j], rows[i]
    path.write_text(lines_of([r[1] for r in rows]), encoding="utf-8")


def _difference(expected: bytes, got: bytes) -> str:
    """How many lines were lost and how many repeated."""
    want, have = Counter(expected.splitlines()), Counter(got.splitlines())
    return (f"{sum((want - have).values())} lost, {sum((have - want).values())} repeated, "
            f"of {len(expected.splitlines())}")


# -- one regex dialect: RE2, in linear time ---------------------------------------------

def test_a_backtracking_pattern_is_matched_promptly_and_as_check_matches_it():
    """``(a+)+$`` on 50 a's and a '!' kept Python's ``re`` busy for minutes, deaf to
    SIGTERM; RE2 answers at once, and finds what DuckDB finds."""
    log = CORPUS / "backtracking.jsonl"
    done = subprocess.run(watch_cmd(RULES, log), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    stream = {(x["rule_id"], x["case_id"]) for x in map(json.loads, done.stdout.splitlines())
              if x["rule_id"] == "RE"}
    report = check(Run(events=[str(log)], rules=[str(RULES)], rule_ids=["RE"]))
    assert stream == {(v.rule_id, v.case_id) for v in report.violations} == {("RE", "R2"),
                                                                            ("RE", "R3")}


# -- signals: a prompt stop, the state saved ---------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_watch_within_a_second_with_its_state_saved(tmp_path, sig):
    rules = rules_dir(tmp_path, DL=DEADLINE, EX=FULL_DEADLINE)
    log = tmp_path / "log.jsonl"
    stream_log(log, 5, 6000)
    expected = uninterrupted(rules, log)
    state, out_path = tmp_path / "state.json", tmp_path / "out.jsonl"
    with open(out_path, "ab") as out:
        proc = subprocess.Popen(watch_cmd(rules, log, state, 1000), stdout=out,
                                stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while out_path.stat().st_size < 2000 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        sent = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == 128 + sig, err.decode()
    assert took < 1.5, f"stopped {took:.2f} s after {sig.name}"
    assert f"stopped by {sig.name}, the state saved".encode() in err
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert 0 < saved["input"]["offset"] < log.stat().st_size      # saved where it stopped
    with open(out_path, "ab") as out:
        subprocess.run(watch_cmd(rules, log, state), stdout=out, check=True,
                       stderr=subprocess.DEVNULL)
    assert out_path.read_bytes() == expected


# -- one monitor per state ---------------------------------------------------------------

def test_a_second_watcher_on_the_same_state_exits_2_naming_the_first(tmp_path):
    rules = rules_dir(tmp_path, DL=DEADLINE)
    log = tmp_path / "live.jsonl"
    log.write_text(lines_of([ev("L1", "留言受理", "2021-03-01 09:00")]), encoding="utf-8")
    state = tmp_path / "state.json"
    first = subprocess.Popen(watch_cmd(rules, log, state, 0.05, "--follow"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not state.exists() and time.time() < deadline:
            time.sleep(0.05)
        second = subprocess.run(watch_cmd(rules, log, state), capture_output=True, timeout=60)
        assert second.returncode == 2
        assert (f"{state}: another govcheck watch (process {first.pid}) is using this state "
                "file" in second.stderr.decode())
        assert b"internal error" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0          # following: a signal is how it ends
    assert subprocess.run(watch_cmd(rules, log, state), capture_output=True).returncode == 0


def test_a_state_in_a_missing_folder_is_refused_by_name(tmp_path):
    state = tmp_path / "no" / "state.json"
    log = tmp_path / "in.jsonl"
    log.write_text(lines_of([ev("C1", "留言受理", "2021-03-01 09:00")]), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["watch", "--rules", str(RULES), str(log),
                                           "--state", str(state)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{state}: cannot create the lock file state.json.lock")


# -- killed at any moment, with any checkpoint interval: each finding once ----------------

class Killed(BaseException):
    """The monitor dies here, as at a SIGKILL: nothing of it runs on but ``close``, which
    saves nothing."""


class DiesAtWrite(io.FileIO):
    """The output of a monitor killed as it was about to write its ``n``-th line."""

    def __init__(self, path: Path, n: int):
        super().__init__(path, "ab")
        self.left = n

    def write(self, data):
        self.left -= 1
        if self.left == 0:
            raise Killed
        return super().write(data)


@contextlib.contextmanager
def dies(kind: str, n: int):
    """A monitor killed at its ``n``-th journaled line (``journal``: the line written, not
    yet journaled) or just after its ``n``-th save (``save``)."""
    name = {"journal": "note_output", "save": "checkpoint"}[kind]
    original = getattr(Journal, name)
    calls = Counter()

    def dying(self, *args):
        calls[name] += 1
        if kind == "journal" and calls[name] == n:
            raise Killed
        original(self, *args)
        if kind == "save" and calls[name] == n:
            raise Killed

    setattr(Journal, name, dying)
    try:
        yield
    finally:
        setattr(Journal, name, original)


@contextlib.contextmanager
def counted_seconds():
    """The monitor's clock moves a second each time it is read (once a batch), so that a
    checkpoint every N seconds is one every N batches, the same on every run."""
    original = monitor_module.time
    ticks = iter(range(10**9))
    monitor_module.time = type("Clock", (), {"monotonic": staticmethod(lambda: next(ticks))})
    try:
        yield
    finally:
        monitor_module.time = original


def run_killed(log: Path, rules: Path, state: Path, out_path: Path, batch: int,
               kill: tuple[str, int, int] | None) -> list[str]:
    """One run of the monitor with ``--state``: killed as ``kill`` says (how, at which
    count, saving every how many batches), or to the end. The bad lines it reported."""
    how, n, every = kill or ("none", 0, 0)
    options = WatchOptions(source=str(log), rules=[str(rules)], state=state, status_every=0,
                           checkpoint_every=every, shards=3, batch_lines=batch)
    out = DiesAtWrite(out_path, n) if how == "write" else open(out_path, "ab")
    err = io.StringIO()
    with out, counted_seconds(), (dies(how, n) if how in ("journal", "save")
                                  else contextlib.nullcontext()):
        try:
            watch(options, out=out, err=err)        # (it may end before its kill)
        except Killed:
            assert kill is not None
    return bad_lines(err.getvalue())


def bad_lines(err: str) -> list[str]:
    """The bad lines a run reported on stderr."""
    return [x for x in err.splitlines() if x.startswith("govcheck watch: line ")]


@pytest.fixture(scope="module")
def kill_log(tmp_path_factory) -> tuple[Path, Path, bytes, list[str]]:
    """A log, its rules, and what one run over it writes and reports as bad lines."""
    folder = tmp_path_factory.mktemp("kills")
    rules = rules_dir(folder, DL=DEADLINE, EX=FULL_DEADLINE)
    log = folder / "log.jsonl"
    stream_log(log, 7, 1000)
    out, err = io.BytesIO(), io.StringIO()
    watch(WatchOptions(source=str(log), rules=[str(rules)], status_every=0, shards=3),
          out=out, err=err)
    assert bad_lines(err.getvalue())
    return rules, log, out.getvalue(), bad_lines(err.getvalue())


KILLS = st.tuples(st.sampled_from(["write", "journal", "save"]), st.integers(1, 600),
                  st.integers(0, 8))


@settings(max_examples=6, deadline=None)
@given(runs=st.lists(KILLS, min_size=1, max_size=4), batch=st.sampled_from([50, 200, 2000]))
@example(runs=[("write", 700, 1000), ("save", 2, 0)], batch=200)   # saved before catching up
@example(runs=[("journal", 700, 1000), ("journal", 3, 1000)], batch=200)   # the output's tail
def test_kills_at_any_point_lose_nothing_and_repeat_nothing(kill_log, tmp_path_factory, runs,
                                                            batch):
    """Monitors killed one after another (before a line's write, between a line's write
    and its journal entry, or just after a save), each saving every few batches, and a last
    one run to the end: the lines of all of them together are those of one run, exactly,
    and each bad line is reported once.

    The examples are the two cases a kill loop found: a restart that replays from an old
    save saves again before it has found again all the run before it wrote, and is killed
    (the save had emptied the journal); and a restart that finds the output's last line
    unjournaled, writes and journals more, and is killed (the journal skipped that line)."""
    rules, log, expected, expected_bad = kill_log
    folder = tmp_path_factory.mktemp("run")
    state, out_path = folder / "state.json", folder / "out.jsonl"
    reported = [line for kill in [*runs, None]
                for line in run_killed(log, rules, state, out_path, batch, kill)]
    got = out_path.read_bytes()
    assert got == expected, _difference(expected, got)
    assert sorted(reported) == sorted(expected_bad)


def _kill_at(proc: subprocess.Popen, trigger: str, amount: float, state: Path,
             out_path: Path, expected_lines: int) -> None:
    """SIGKILL ``proc`` at a moment drawn by ``trigger``: a time after its start; just after
    its n-th save of the state; or once the output has grown by a share of what is left."""
    deadline = time.time() + 30
    if trigger == "time":
        time.sleep(0.3 + amount * 1.5)
    elif trigger == "save":
        seen, saves = _saved(state), 0
        while saves < 1 + int(amount * 3) and proc.poll() is None and time.time() < deadline:
            now = _saved(state)
            if now != seen:
                seen, saves = now, saves + 1
            time.sleep(0.002)
        time.sleep(0.02)        # past the journal's truncation, which follows the rename
    else:
        have = out_path.read_bytes().count(b"\n")
        goal = have + max(1, int(amount * (expected_lines - have)))
        while (out_path.read_bytes().count(b"\n") < goal and proc.poll() is None
               and time.time() < deadline):
            time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _saved(state: Path) -> tuple[int, int, int] | None:
    """What tells one save of the state from the next (an inode number can come back)."""
    try:
        st = state.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def test_sigkill_at_random_moments_loses_nothing_and_repeats_nothing(tmp_path):
    """Real kills (``kill -9``), at moments no hook chooses: in a save, between a save's
    rename and the journal's truncation, in a restart's replay, in start-up. The first run
    saves once and is killed half-way; the second saves after each batch and is killed
    after its first save, before it has caught up; those after it are killed at random,
    saving at random intervals; a last one runs to the end."""
    rng = random.Random(20000)
    rules = rules_dir(tmp_path, DL=DEADLINE, EX=FULL_DEADLINE)
    log = tmp_path / "log.jsonl"
    stream_log(log, rng.randrange(2**16), 6000)
    expected = uninterrupted(rules, log)
    state, out_path = tmp_path / "state.json", tmp_path / "out.jsonl"
    out_path.touch()
    kills = [("output", 0.5, 5.0), ("save", 0.0, 0.0)] + [
        (rng.choice(["time", "save", "output"]), rng.random(), rng.choice([0.0, 0.01, 0.2]))
        for _ in range(2)]
    for trigger, amount, every in kills:
        with open(out_path, "ab") as out:
            proc = subprocess.Popen(watch_cmd(rules, log, state, every), stdout=out,
                                    stderr=subprocess.DEVNULL)
            _kill_at(proc, trigger, amount, state, out_path, expected.count(b"\n"))
    with open(out_path, "ab") as out:
        subprocess.run(watch_cmd(rules, log, state, 0.0), stdout=out, check=True,
                       stderr=subprocess.DEVNULL)
    got = out_path.read_bytes()
    assert got == expected, f"kills {kills}: {_difference(expected, got)}"


def test_with_the_wall_clock_a_save_keeps_each_awaited_finding_as_often_as_it_is_awaited():
    """With the wall clock a replay is not repeatable: the findings written before a crash
    are found again by (rule, case, finding, type), not by ``seq``, and a save keeps of
    each as many as are still awaited."""
    rule = next(r.rule for r in load_rules([RULES]) if r.rule.id == "DL")
    writer = FindingWriter(io.BytesIO(), [rule], event_clock=False, stats=Stats())
    for seq, case in [(5, "C1"), (6, "C2"), (7, "C1")]:
        writer.written_before_crash(seq, ("DL", case, "data_quality", "bad_limit"))
    writer.emit_quality(rule, "C1", None, ("bad_limit", "两", 3), None)     # found again
    assert writer.pending == []
    assert writer.awaited() == [["DL", "C2", "data_quality", "bad_limit", 6],
                                ["DL", "C1", "data_quality", "bad_limit", 7]]


# -- duplicate and blank JSON keys: a bad line, in both engines -------------------------

BAD_KEYS = {2: "key 'event_type' appears twice", 3: "a key is blank",
            4: "key 'case_id' appears twice", 5: "a key is blank"}


def test_check_refuses_a_line_whose_keys_repeat_or_are_blank_naming_it():
    with pytest.raises(DataError) as refused:
        check(Run(events=[str(CORPUS / "duplicate_keys.jsonl")], rules=[str(RULES)]))
    text = str(refused.value)
    for line, reason in BAD_KEYS.items():
        assert f"duplicate_keys.jsonl: row {line}: {reason}" in text
    assert "Binder" not in text


def test_check_and_watch_read_repeated_and_blank_keys_alike(tmp_path):
    """``check`` read the first of two values, ``watch`` the last: one said overdue_open,
    the other late. Both now set the line aside with the same reason and agree."""
    log = CORPUS / "duplicate_keys.jsonl"
    bad = tmp_path / "bad.csv"
    report = check(Run(events=[str(log)], rules=[str(RULES)], bad_rows=str(bad)))
    with open(bad, encoding="utf-8-sig", newline="") as f:
        assert {int(r["row"]): r["reason"] for r in csv.DictReader(f)} == BAD_KEYS
    out, err = io.BytesIO(), io.StringIO()
    assert watch(WatchOptions(source=str(log), rules=[str(RULES)], status_every=0),
                 out=out, err=err) == 0
    for line, reason in BAD_KEYS.items():
        assert f"govcheck watch: line {line}: {reason}\n" in err.getvalue()
    stream = {(x["case_id"], x["type"]) for x in map(json.loads, out.getvalue().splitlines())}
    assert stream == {(v.case_id, v.type) for v in report.violations} == {
        ("D1", "overdue_open"), ("D6", "overdue_open")}


def test_a_line_of_20000_keys_one_of_them_twice_is_set_aside_at_once(tmp_path):
    """Which key comes twice is found by a sort, not a search per key, which took check
    52 s on a line of 20,000 keys."""
    wide = {"case_id": "W1", "event_type": "留言受理", "timestamp": "2021-03-01 09:00",
            **{f"k{i}": "x" for i in range(20_000)}}
    log = tmp_path / "wide.jsonl"
    plain = {"case_id": "W2", "event_type": "留言受理", "timestamp": "2021-03-01 09:00"}
    log.write_text(json.dumps(wide)[:-1] + ', "k7": "y"}\n' + json.dumps(plain) + "\n",
                   encoding="utf-8")
    checked = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", str(log),
                              "--rules", str(RULES)], capture_output=True, timeout=30)
    assert checked.returncode == 2
    assert f"{log}: row 1: key 'k7' appears twice" in checked.stderr.decode()
    watched = subprocess.run(watch_cmd(RULES, log), capture_output=True, timeout=30)
    assert b"govcheck watch: line 1: key 'k7' appears twice" in watched.stderr


# -- a state or journal that is not one watch saved: located, with what to do ------------

def _run_on_state(tmp_path: Path, state: Path):
    log = tmp_path / "in.jsonl"
    if not log.exists():
        log.write_text(lines_of([ev("C1", "留言受理", "2021-03-01 09:00")]), encoding="utf-8")
    return CliRunner().invoke(cli.main, ["watch", "--rules", str(RULES), str(log),
                                         "--state", str(state)])


def _saved_state(tmp_path: Path) -> Path:
    state = tmp_path / "state.json"
    assert _run_on_state(tmp_path, state).exit_code == 0
    return state


def _refused(result, state: Path, problem: str) -> None:
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{state}: {problem}: remove it and {state.name}.journal "
                                    "to start over"), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("name, problem", [
    ("not_json.json", "not JSON"),
    ("a_list.json", "not an object"),
    ("empty_object.json", "no version"),
    ("no_checksum.json", "no checksum"),
])
def test_a_state_of_the_wrong_shape_is_refused_with_where_and_what_to_do(tmp_path, name, problem):
    state = tmp_path / name
    state.write_bytes((CORPUS / "states" / name).read_bytes())
    _refused(_run_on_state(tmp_path, state), state,
             f"it is not a state govcheck watch wrote ({problem})")


def test_a_state_from_another_version_says_so(tmp_path):
    state = tmp_path / "old.json"
    state.write_bytes((CORPUS / "states" / "old_version.json").read_bytes())
    result = _run_on_state(tmp_path, state)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{state}: the saved state was written by another version")


@pytest.mark.parametrize("edit", [
    lambda d: d["cases"][0].pop("start"),
    lambda d: d.update(seq="12"),
    lambda d: d["cases"][0].update(rule=-1),
    lambda d: d.update(clock=10**30),
], ids=["a case's start removed", "seq as text", "a case of no rule", "a clock out of range"])
def test_a_state_edited_since_it_was_saved_is_refused(tmp_path, edit):
    """Anything changed in a saved state (a value deep in it could stop the monitor later,
    or crash durable-rules) breaks its checksum, and the state is refused whole."""
    state = _saved_state(tmp_path)
    data = json.loads(state.read_text(encoding="utf-8"))
    assert data["cases"]
    edit(data)
    state.write_text(json.dumps(data), encoding="utf-8")
    _refused(_run_on_state(tmp_path, state), state,
             "its content does not match its checksum: it was edited or damaged")


def test_a_state_cut_short_is_refused(tmp_path):
    state = _saved_state(tmp_path)
    text = state.read_bytes()
    state.write_bytes(text[:len(text) // 2])
    _refused(_run_on_state(tmp_path, state), state, "it is not a state govcheck watch wrote "
                                                    "(not JSON)")


def test_a_damaged_journal_is_refused_at_its_line(tmp_path):
    state = _saved_state(tmp_path)
    journal = Path(f"{state}.journal")
    journal.write_text('{"bad": 7}\n{"out": ["DL", "C1", "violation"]}\n{"bad": 8}\n',
                       encoding="utf-8")
    result = _run_on_state(tmp_path, state)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{journal}:2: not a journal entry")
    assert "remove it to go on from the state saved in state.json" in result.stderr


def test_a_journal_line_cut_short_by_a_kill_is_cut_off(tmp_path):
    """Only the last line can be cut short by a kill: it is dropped, and what the restart
    appends starts a line of its own."""
    state = _saved_state(tmp_path)
    journal = Path(f"{state}.journal")
    journal.write_bytes(b'{"bad": 7}\n{"out": ["DL", "C')
    assert _run_on_state(tmp_path, state).exit_code == 0
    assert all(json.loads(x) for x in journal.read_text(encoding="utf-8").splitlines())


def test_a_state_for_a_missing_input_says_the_file_is_missing(tmp_path):
    state = _saved_state(tmp_path)
    log = tmp_path / "in.jsonl"
    log.unlink()
    result = CliRunner().invoke(cli.main, ["watch", "--rules", str(RULES), str(log),
                                           "--state", str(state)])
    assert result.exit_code == 2 and f"{log}: file not found" in result.stderr
