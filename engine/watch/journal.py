"""``--state FILE``: what lets a monitor killed and restarted resume where it stopped and
write nothing twice.

Every few seconds the whole state (the open cases, the clock, the memory of closed cases,
the events still held and the input position) is saved to FILE by an atomic write, with a
checksum that a restart checks (a state edited or damaged is refused whole). Between
saves a journal, ``FILE.journal``, records each finding written, each bad line reported
and, when reading stdin (which cannot be read again), each line read. A restart takes back
the state, replays the journaled lines, and recognises the findings already written (the
journal's, and the last line of the output file, which a crash can leave unjournaled).

A checkpoint starts a fresh journal, so what the journal held that a restart still needs
goes into the state first: the findings an earlier run wrote that this one, replaying from
an older position, has not found again yet, and the bad lines it reported beyond the
position saved. ``FILE.lock`` is held (``flock``) while a monitor uses FILE: two monitors on
one state would each write what the other already wrote.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Sequence

from ..errors import SourceLocation, WatchStop
from ..i18n import marked as N_, translate as _
from ..model.rule import RuleBase
from .input import Line

if TYPE_CHECKING:
    from .monitor import Monitor

STATE_VERSION = 3       # 3: saved with a checksum

#: A state the restart cannot use (what is wrong with it), and what to do about it.
DAMAGED = N_("{problem}: remove it and {journal} to start over (the log is then judged again "
             "from its start), or put back a copy of the state saved with them")


class Journal:
    """The state file, the journal beside it, and the lock that keeps them to one monitor."""

    def __init__(self, state: str | Path, source: str, rules: Sequence[RuleBase]):
        self.path = Path(state)
        self.journal_path = Path(str(state) + ".journal")
        self.lock_path = Path(str(state) + ".lock")
        self.source = source
        self.digest = rules_digest(rules)
        self.fd: int | None = None
        self.lock_fd: int | None = None

    def lock(self) -> None:
        """Hold ``FILE.lock`` for as long as this monitor runs (released when it exits,
        however it exits); a second monitor on the same state stops, naming the first."""
        try:
            fd = os.open(str(self.lock_path), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WatchStop(_("cannot create the lock file {name} ({reason})").format(
                name=self.lock_path.name, reason=exc.strerror),
                SourceLocation(str(self.path))) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise WatchStop(_("cannot lock {name} ({reason})").format(
                    name=self.lock_path.name, reason=exc.strerror),
                    SourceLocation(str(self.path))) from None
            raise WatchStop(_("another govcheck watch (process {pid}) is using this state file: "
                              "stop it first, or give this run another --state").format(
                                  pid=holder), SourceLocation(str(self.path))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self.lock_fd = fd

    def exists(self) -> bool:
        return self.path.exists()

    def open(self) -> None:
        """Start appending to the journal (after ``restore`` has read it)."""
        self.fd = os.open(str(self.journal_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.lock_fd is not None:
            os.close(self.lock_fd)          # releases the lock
            self.lock_fd = None

    def checkpoint(self, monitor: Monitor) -> None:
        """Save the state (atomic write), with what of the journal a restart still needs,
        then start a fresh journal."""
        src = monitor.source
        line = src.line if src else 0
        data = {
            "version": STATE_VERSION, "rules": self.digest, **monitor.parser.dump(),
            "seq": monitor.writer.seq, "stats": monitor.stats.__dict__,
            "input": {"source": self.source, "offset": src.offset if src else 0,
                      "line": line,
                      "identity": list(src.identity) if src and src.identity else None},
            **monitor.life.dump(),
            "retained": monitor.facts.dump(),
            "awaited": monitor.writer.awaited(),
            "bad_reported": sorted(n for n in monitor.bad.seen if n > line),
        }
        text = _encode(data)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f'{text[:-1]},"checksum":"{_checksum(text)}"}}')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        try:
            dir_fd = os.open(str(self.path.parent.resolve()), os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)
        except OSError:
            pass
        if self.fd is not None:
            os.ftruncate(self.fd, 0)

    def restore(self, monitor: Monitor) -> tuple[int, int, list[Line]]:
        """Take back the saved state into the monitor's parts; return where to go on
        reading (offset, line) and the journaled input lines to judge first. The journal
        is then open, and holds the output's last line if the crash left it unjournaled
        (a restart that wrote and journaled more would otherwise lose all trace of it)."""
        data = self._read()
        writer = monitor.writer
        monitor.parser.load(data)
        writer.seq = data["seq"]
        monitor.stats.__dict__.update(data["stats"])
        monitor.life.load(data)
        monitor.facts.restore(monitor.life.cases.values(), data["retained"])
        for *key, seq in data["awaited"]:
            writer.written_before_crash(seq, tuple(key))
        monitor.bad.seen.update(data["bad_reported"])
        offset, line = data["input"]["offset"], data["input"]["line"]
        replay: list[Line] = []
        for entry in self._entries():
            if "out" in entry and entry["out"][4] > writer.seq:
                writer.written_before_crash(entry["out"][4], tuple(entry["out"][:4]))
            elif "bad" in entry and entry["bad"] > line:
                monitor.bad.seen.add(entry["bad"])
            elif "in" in entry and entry["n"] > line:
                replay.append((entry["n"], entry["o"], entry["in"].encode(
                    "utf-8", "surrogateescape")))
        self.open()
        tail = unjournaled_tail(writer.out, max(writer.written, default=writer.seq))
        if tail is not None:    # journaled now: the lines this run writes will follow it
            writer.written_before_crash(*tail)
            self.note_output([*tail[1], tail[0]])
        if replay:
            line, offset = replay[-1][0], replay[-1][1]
        return offset, line, replay

    # -- journal entries --------------------------------------------------------------

    def note_input(self, lines: list[Line]) -> None:
        """Lines read from stdin, kept until the next checkpoint (stdin cannot be read again)."""
        os.write(self.fd, "".join(
            json.dumps({"in": raw.decode("utf-8", "surrogateescape"), "n": n, "o": off},
                       ensure_ascii=False) + "\n" for n, off, raw in lines).encode("utf-8", "surrogateescape"))

    def note_output(self, key: list) -> None:
        """A finding just written: (rule, case, finding, type, seq)."""
        os.write(self.fd, (json.dumps({"out": key}, ensure_ascii=False) + "\n").encode("utf-8"))

    def note_bad(self, lines: list[int]) -> None:
        """Bad lines just reported, by number."""
        os.write(self.fd, "".join(json.dumps({"bad": n}) + "\n" for n in lines).encode())

    # -- reading ----------------------------------------------------------------------

    def _read(self) -> dict:
        """The saved state, if it is one ``watch`` wrote, for these rules and this input.
        Its checksum vouches for the rest: a state edited or damaged since it was saved is
        refused as a whole rather than half read (a wrong value deep in it could stop the
        monitor later, anywhere, or worse)."""
        path = self.path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise WatchStop(_("cannot read the saved state ({reason})").format(
                reason=exc.strerror), SourceLocation(str(path))) from None
        except ValueError:
            raise self._damaged(_("it is not a state govcheck watch wrote (not JSON)")) from None
        if not isinstance(data, dict):
            raise self._damaged(_("it is not a state govcheck watch wrote (not an object)"))
        if type(data.get("version")) is not int:
            raise self._damaged(_("it is not a state govcheck watch wrote (no version)"))
        if data["version"] != STATE_VERSION:
            raise WatchStop(_("the saved state was written by another version of govcheck; "
                              "remove it to start over"), SourceLocation(str(path)))
        checksum = data.pop("checksum", None)
        if checksum is None:
            raise self._damaged(_("it is not a state govcheck watch wrote (no checksum)"))
        if checksum != _checksum(_encode(data)):
            raise self._damaged(_("its content does not match its checksum: it was edited or "
                                  "damaged"))
        if data["rules"] != self.digest:
            raise WatchStop(_("the rules changed since the state was saved (rules added, "
                              "removed or edited); remove the state file to start over"),
                            SourceLocation(str(path)))
        inp = data["input"]
        if inp["source"] != self.source:
            raise WatchStop(_("the state was saved while reading {saved}, not {given}").format(
                saved=repr(inp["source"]), given=repr(self.source)), SourceLocation(str(path)))
        if self.source != "-" and inp["identity"] is not None:
            try:
                st = os.stat(self.source)
            except OSError:
                raise WatchStop(_("file not found"), SourceLocation(self.source)) from None
            if [st.st_dev, st.st_ino] != inp["identity"]:
                raise WatchStop(_("the input file was replaced since the state was saved"),
                                SourceLocation(self.source))
        return data

    def _damaged(self, problem: str) -> WatchStop:
        """The state file cannot be used as it stands: what is wrong, and what to do."""
        return WatchStop(_(DAMAGED).format(problem=problem, journal=self.journal_path.name),
                         SourceLocation(str(self.path)))

    def _entries(self) -> list[dict]:
        """The journal's entries. A last line cut short by a crash is left out, and cut
        off, so that what is appended next starts a line of its own; any other line that
        is not an entry stops the restart at its line."""
        path = self.journal_path
        if not path.exists():
            return []
        data = path.read_bytes()
        whole = data.rfind(b"\n") + 1
        if whole < len(data):
            os.truncate(path, whole)
        out = []
        for number, raw in enumerate(data[:whole].decode("utf-8", "surrogateescape")
                                     .splitlines(), 1):
            try:
                entry = json.loads(raw)
            except ValueError:
                entry = None
            if not _is_entry(entry):
                raise WatchStop(
                    _("not a journal entry ({text}): the journal is damaged; remove it to go on "
                      "from the state saved in {state} (findings written since that was saved "
                      "are then written again), or remove both to start over").format(
                          text=_quoted(raw), state=self.path.name),
                    SourceLocation(str(path), line=number))
            out.append(entry)
        return out


def _encode(data: dict) -> str:
    """A state as saved (its checksum aside): JSON reads it back as it was, so the text
    and its checksum can be made again from what is read."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _checksum(text: str) -> str:
    """The checksum saved with a state (``_read``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _is_entry(entry) -> bool:
    """A journal line as ``note_output``, ``note_bad`` or ``note_input`` writes it."""
    if not isinstance(entry, dict):
        return False
    if "out" in entry:
        key = entry["out"]
        return (isinstance(key, list) and len(key) == 5 and all(type(k) is str for k in key[:4])
                and _count(key[4]))
    if "bad" in entry:
        return _count(entry["bad"])
    return type(entry.get("in")) is str and _count(entry.get("n")) and _count(entry.get("o"), 0)


def _count(value, least: int = 1) -> bool:
    """A number a journal entry holds (a seq, a line, an offset)."""
    return type(value) is int and value >= least


def _quoted(text: str) -> str:
    """A journal line as a message quotes it, cut short."""
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def rules_digest(rules: Sequence[RuleBase]) -> dict[str, str]:
    """A short hash of each rule (its examples aside): a state is for the rules it was saved with."""
    return {r.id: hashlib.sha256(r.model_dump_json(exclude={"examples"}).encode()).hexdigest()[:16]
            for r in rules}


def unjournaled_tail(out: BinaryIO, last_journaled: int) -> tuple[int, tuple] | None:
    """When the findings go to a regular file, its last line may be the one written
    just before the crash and not journaled: (its seq, its key), so it is not written again.
    A kill can also cut a write short where it crosses a page of the file: a last line
    without its newline was never journaled, and is cut off to be written again whole."""
    try:
        fd = out.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        size = os.fstat(fd).st_size
        with open(f"/proc/self/fd/{fd}", "rb") as f:
            f.seek(max(0, size - 65536))
            data = f.read()
        if data and not data.endswith(b"\n"):
            torn = len(data) - (data.rfind(b"\n") + 1)
            os.ftruncate(fd, size - torn)
            data = data[:len(data) - torn]
        tail = data.splitlines()
    except (AttributeError, OSError, ValueError):
        return None
    if not tail:
        return None
    try:
        last = json.loads(tail[-1])
        seq = last["seq"]
        key = (last["rule_id"], last["case_id"], last["finding"], last["type"])
    except (ValueError, KeyError, TypeError):
        return None
    return (seq, key) if seq == last_journaled + 1 else None
