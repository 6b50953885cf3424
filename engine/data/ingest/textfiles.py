"""Text logs made readable for DuckDB: UTF-8 checked or transcoded, lines counted.

Offices export CSV from Excel in GBK (read as GB18030), sometimes in UTF-16; DuckDB
reads only UTF-8. A file is checked (often only its start: DuckDB's reader flags later
bytes that are not UTF-8, see ``NotUtf8``) or transcoded in chunks to a temporary file.
DuckDB's reader also skips empty lines without a word, so the lines are counted here,
chunk by chunk, for row numbers to stay those a spreadsheet shows. And it stops at a file
whose lines end both in \\r\\n and in \\n (a file pasted together, or edited by hand); such a
file is read again from a copy whose line ends are all \\n (``one_line_end``).
"""
from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ...errors import DataError, SourceLocation
from ...i18n import translate as _
from .sources import Workspace

#: Bytes read from a log at a time.
CHUNK = 8 << 20


class NotUtf8(Exception):
    """A file whose start is UTF-8 holds bytes further on that are not: read it again,
    checked whole (and transcoded from GB18030 if that is what it is)."""


def prepare_text(path: str, ws: Workspace, whole: bool = True, one_line_end: bool = False,
                 ) -> tuple[str, list[int] | None, int]:
    """Make sure DuckDB reads UTF-8: check the file, or transcode it to a temporary file.

    Returns the path to read, the numbers of empty lines, and the number of the last line
    with content. With ``whole=False`` only the start of the file is checked and the empty
    lines are not looked for (None): DuckDB's reader flags any later bytes that are not
    UTF-8 (see ``NotUtf8``), and ``skipped.account_for_skipped`` looks for empty lines only
    when the counts show there are some. With ``one_line_end`` the file is always copied,
    every line end (\\r\\n, \\n or a lone \\r, as Python's csv module reads them) made \\n.
    """
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _transcode(path, ws, ("utf-16",), one_line_end)
    if head.startswith(b"\x84\x31\x95\x33"):
        return _transcode(path, ws, ("gb18030",), one_line_end)
    if one_line_end:
        return _transcode(path, ws, ("utf-8", "gb18030"), one_line_end)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    if not whole:
        with open(path, "rb") as f:
            start = f.read(_SNIFF)
        try:
            decoder.decode(start, final=len(start) < _SNIFF)
        except UnicodeDecodeError:
            return _transcode(path, ws)
        return path, None, _last_content_line(path)
    stats = _LineStats()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
                stats.feed(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _transcode(path, ws)
    return (path, *stats.finish())


def scan_lines(path: str) -> tuple[list[int], int]:
    """Empty lines before the last line with content, and that line's number."""
    stats = _LineStats()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            stats.feed(chunk)
    return stats.finish()


#: Bytes read to tell UTF-8 from GB18030 before DuckDB reads the whole file.
_SNIFF = 1 << 20


class _LineStats:
    """Counts lines and finds empty ones while bytes stream past (DuckDB skips them)."""

    def __init__(self) -> None:
        self.newlines = 0
        self.empty_lines: list[int] = []
        self.last_content_line = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        before = self.newlines - self._tail.count(b"\n")
        hits = []
        for pattern in (b"\n\n", b"\n\r\n"):
            pos = buf.find(pattern)
            while pos != -1:
                if pos + len(pattern) > len(self._tail):
                    hits.append(pos)
                pos = buf.find(pattern, pos + 1)
        counted, upto = before, 0
        for pos in sorted(hits):
            counted += buf.count(b"\n", upto, pos + 1)
            upto = pos + 1
            self.empty_lines.append(counted + 1)
        content = chunk.rstrip()
        if content:
            self.last_content_line = self.newlines + chunk.count(b"\n", 0, len(content)) + 1
        self.newlines += chunk.count(b"\n")
        self._tail = buf[-2:]

    def finish(self) -> tuple[list[int], int]:
        """Empty lines before the last line with content, and that line's number."""
        return [n for n in self.empty_lines if n < self.last_content_line], self.last_content_line


def _last_content_line(path: str) -> int:
    """The number of the file's last line with content (0 when it has none), counting
    newlines in C rather than looking at every line."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(CHUNK), b""))
        trailing, end = 0, size          # newlines after the last byte of content
        while end > 0:
            f.seek(max(0, end - CHUNK))
            chunk = f.read(end - max(0, end - CHUNK))
            content = chunk.rstrip()
            trailing += chunk.count(b"\n", len(content))
            if content:
                return newlines - trailing + 1
            end -= len(chunk)
    return 0


@contextmanager
def csv_field_limit(chars: int) -> Iterator[None]:
    """Python's csv module refuses a value over 131,072 characters (a setting of the whole
    process); a log's values may be longer (DuckDB's reader takes up to its line limit), so
    while a log is read here the limit is ``chars``, and afterwards what it was."""
    before = csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _transcode(path: str, ws: Workspace, encodings: tuple[str, ...] = ("gb18030",),
               one_line_end: bool = False) -> tuple[str, list[int], int]:
    """Copy the file as UTF-8, decoded with the first of ``encodings`` that reads it whole."""
    *first_tries, last = encodings
    for encoding in first_tries:
        target = ws.temp_file(".csv")
        try:
            return (target, *_recode(path, target, encoding, one_line_end))
        except _BadBytes:
            pass
    target = ws.temp_file(".csv")
    try:
        return (target, *_recode(path, target, last, one_line_end))
    except _BadBytes as bad:
        raise DataError(_("cannot read the text: it is neither UTF-8 nor {encoding} (bytes "
                          "{bytes} at byte {offset:,} of the file)").format(
                              encoding=last.upper(), bytes=bad.shown, offset=bad.offset),
                        SourceLocation(path, row=bad.line)) from None


class _BadBytes(Exception):
    """Bytes the encoding cannot decode: at ``offset`` in the file, on line ``line`` (the
    row a spreadsheet shows, unless a quoted value above holds a line break)."""

    def __init__(self, offset: int, line: int, shown: str):
        super().__init__(offset)
        self.offset, self.line, self.shown = offset, line, shown


def _recode(path: str, target: str, encoding: str, one_line_end: bool) -> tuple[list[int], int]:
    """Write ``path`` decoded from ``encoding`` to ``target`` as UTF-8, a chunk at a time;
    returns the empty lines and the last line with content (``_LineStats``)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    stats = _LineStats()
    ends = _OneLineEnd() if one_line_end else None
    offset = 0
    first = True
    newlines = 0    # in the text decoded so far
    with open(path, "rb") as src, open(target, "wb") as out:
        while True:
            chunk = src.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise _bad_bytes(exc, offset + len(chunk), newlines, encoding) from None
            newlines += text.count("\n")
            if first and text:
                text, first = text.lstrip("\ufeff"), False
            if ends is not None:
                text = ends.feed(text, final=not chunk)
            data = text.encode("utf-8")
            out.write(data)
            stats.feed(data)
            if not chunk:
                break
            offset += len(chunk)
    return stats.finish()


def _bad_bytes(exc: UnicodeDecodeError, read: int, newlines: int, encoding: str) -> _BadBytes:
    """Where the bytes ``exc`` could not decode are: the decoder's input (``exc.object``)
    is the bytes it held back from the chunks before and the chunk it was given, which
    ends at ``read``; its text up to them holds the rest of the line breaks before them."""
    before = exc.object[:exc.start].decode(encoding, errors="replace")
    line = newlines + before.count("\n") + 1
    shown = " ".join(f"{b:02X}" for b in exc.object[exc.start:exc.end][:8])
    return _BadBytes(read - len(exc.object) + exc.start, line, shown)


class _OneLineEnd:
    """Makes every line end \\n as text streams past: \\r\\n and a lone \\r alike (a \\r that
    ends a chunk waits for the next, which may begin with its \\n)."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str, final: bool) -> str:
        text, self._held = self._held + text, ""
        if text.endswith("\r") and not final:
            text, self._held = text[:-1], "\r"
        return text.replace("\r\n", "\n").replace("\r", "\n")
