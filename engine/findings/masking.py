"""Personal numbers hidden in what people read: 身份证号 and mainland mobile numbers.

Every output a person or a CI page shows (the text summary, CSV, JUnit, HTML, Excel, the
notices and their file names, the bad-rows file) passes its text through ``mask_text``
unless the run is given ``--no-mask``; the JSON report stays exact, for machines.

A number is found however it is written: in full-width digits (``１３８…``) or any other
characters that NFKC folds to ASCII digits; with a space, dash or dot between its groups
(``138 1234 5678``, ``138-1234-5678``, ``138.1234.5678``, ``430502 19900101 1234``,
``430502 1990 0101 1234``); a mobile after ``+86``, ``86`` or ``0086``; an ID of 18
characters (the last may be X) or the old 15 digits. Matching runs on a folded copy of the
text of the same length (each character that NFKC folds to one digit, X, plus sign, dash,
dot or space replaced by it; other dashes read as dashes), so the masks land on the original
characters and all the rest of the text is left as written.

Shown: the region (first 6) and the last 4 characters of an 18-character ID
(``430502********1234``), the first 6 and last 3 of a 15-digit one, the first 3 and last 4
of a mobile (``138****5678``); separators stay where they were. A full-width digit becomes
a full-width ``＊``, so a masked line keeps its display width.

Left alone: a number inside a longer run of digits (a 20-digit 工单号), an ID whose birth
date cannot be a date, dates, times and amounts.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# ---------------------------------------------------------------------------
# Folding: the same text, with width and separators made plain
# ---------------------------------------------------------------------------

_PLAIN = "0123456789Xx+-. "
# Dashes NFKC leaves as they are: ‐ ‑ ‒ – — ― − ﹘
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58"
# Where the characters that NFKC folds to one of _PLAIN live (all of them: a test checks):
# Latin-1 to the CJK symbols, the presentation forms and the full-width block, the
# mathematical alphanumerics, the enclosed and segmented forms.
_BLOCKS = (range(0x80, 0x3400), range(0xFB00, 0x10000), range(0x1D400, 0x1D800),
           range(0x1F100, 0x1FC00))


@lru_cache(maxsize=1)
def _folding() -> tuple[dict[int, str], re.Pattern]:
    """(the translate table of ``fold``, a run of text that may hold a number).

    The run is what ``mask_text`` looks at: at least 11 characters that fold to ``_PLAIN``,
    from a digit or ``+`` to a digit or X. Every number lies within one, and the characters
    around a run are never digits, so a run can be matched on its own; the rest of a text,
    most of it, is passed over by one scan of a character class."""
    table = {}
    for block in _BLOCKS:
        for code in block:
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded in _PLAIN:
                table[code] = folded
    table.update((ord(dash), "-") for dash in _DASHES)

    def folding_to(plain: str) -> str:
        """The class of characters that are or fold to one of ``plain``, in ranges (which a
        regular expression tests fastest)."""
        codes = sorted({ord(c) for c in plain} | {c for c, f in table.items() if f in plain})
        ranges: list[list[int]] = []
        for code in codes:
            if ranges and code == ranges[-1][1] + 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
        return "[" + "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "")
                             for a, b in ranges) + "]"

    run = f"{folding_to('0123456789+')}{folding_to(_PLAIN)}{{9,}}{folding_to('0123456789Xx')}"
    return table, re.compile(run)


def fold(text: str) -> str:
    """``text`` with every character NFKC folds to a digit, X, ``+``, dash, dot or space
    replaced by that character, and the other dashes by ``-``; the same length."""
    return text if text.isascii() else text.translate(_folding()[0])


# ---------------------------------------------------------------------------
# Matching, on folded text
# ---------------------------------------------------------------------------

_SEP = "[ .-]?"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"     # MMDD of a birth date
_ID18 = rf"[1-9][0-9]{{5}}{_SEP}(?:18|19|20)[0-9]{{2}}{_SEP}{_DATE}{_SEP}[0-9]{{3}}[0-9Xx]"
_ID15 = rf"[1-9][0-9]{{5}}{_SEP}[0-9]{{2}}{_DATE}{_SEP}[0-9]{{3}}"
_MOBILE = rf"1[3-9][0-9]{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}"
_COUNTRY = rf"(?:\+|00)?86{_SEP}"

_NUMBER = re.compile(rf"""(?<![0-9])(?:
      (?P<id18>{_ID18})(?![0-9Xx])
    | (?P<id15>{_ID15})(?![0-9Xx])
    | (?:{_COUNTRY})?(?P<mobile>{_MOBILE})(?![0-9])
)""", re.VERBOSE)

#: How many characters of each kind of number stay visible: (first, last).
_SHOWN = {"id18": (6, 4), "id15": (6, 3), "mobile": (3, 4)}


def _star(char: str) -> str:
    return "＊" if unicodedata.east_asian_width(char) in ("F", "W") else "*"


def mask_text(text: str) -> str:
    """``text`` with the middle of every ID card and mobile number replaced by ``*``."""
    return _folding()[1].sub(_mask_run, text) if text else text


def _mask_run(run: re.Match) -> str:
    """One run, its numbers found on the folded copy and starred on the original."""
    text = run.group()
    folded = fold(text)
    chars = None
    for found in _NUMBER.finditer(folded):
        kind = found.lastgroup
        first, last = _SHOWN[kind]
        start, end = found.span(kind)
        places = [i for i in range(start, end) if folded[i] not in " .-"]
        if chars is None:
            chars = list(text)
        for i in places[first:len(places) - last]:
            chars[i] = _star(text[i])
    return text if chars is None else "".join(chars)
