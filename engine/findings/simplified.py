"""Chinese text shown in simplified characters, whatever script its source was copied in.

A rule quotes its clause word for word from the copy of the document we hold, and the
copy of 衡阳's work points we hold was converted to traditional characters (the original
is simplified): a notice to a 衡阳 office should quote it as the office reads it. OpenCC's
traditional → simplified conversion (``t2s``) does it, through opencc-purepy, a pure
Python implementation that installs without a compiler. Text already simplified comes
back unchanged. The rule files and the JSON report keep the quote as written.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    from opencc_purepy import OpenCC   # its dictionaries load in about 0.1 s: only when used
    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """``text`` in simplified characters (a library's quotes repeat: each is converted once)."""
    return _converter().convert(text) if text else text
