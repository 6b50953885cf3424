"""What govcheck says to people, in Chinese unless English is asked for: one gettext catalog.

Messages are written in the code in English, marked ``_("…")`` (``translate``): they are
the msgids of the one catalog domain ``govcheck``, so the code reads as it always did and
English needs no catalog. The shipped catalog ``locale/zh_CN/LC_MESSAGES/govcheck.po`` gives each its Chinese;
its compiled ``.mo`` beside it is what is read, as package data (docs/translation.md says
how the catalog is extracted, translated and compiled with Babel). Chinese is the default;
``GOVCHECK_LANG=en`` or ``govcheck --lang en`` asks for English.

A message is looked up when ``_()`` is called, in the language in use then: placeholders
are named (``_("{path}: row {row}: …").format(path=…, row=…)``) so a translation may put
them in its own order.
"""
from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from .resources import data_dir

DOMAIN = "govcheck"

#: Where a person asks for a language when not on the command line (``--lang``).
ENVIRONMENT = "GOVCHECK_LANG"

#: The languages that may be asked for → the catalog that speaks them (English: the msgids).
LANGUAGES = {"zh": "zh_CN", "en": None}
DEFAULT = "zh"

#: The language of what govcheck writes for machines and for other offices, whatever
#: language is in use: the JSON report's and ``watch``'s messages (the same input gives the
#: same bytes) and the notices (整改通知, official letters to Chinese offices).
RECORD = "zh"

_in_use = DEFAULT


def understood(asked: str | None) -> str | None:
    """``zh`` or ``en`` for what a person may write (``en``, ``EN``, ``zh_CN``,
    ``en_US.UTF-8``), None for anything else."""
    head = (asked or "").strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return head if head in LANGUAGES else None


def from_environment() -> str:
    """The language ``GOVCHECK_LANG`` asks for, else the default (Chinese)."""
    return understood(os.environ.get(ENVIRONMENT)) or DEFAULT


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled translations of a language, read once from the package's data."""
    locale = LANGUAGES[language]
    if locale is None:
        return gettext.NullTranslations()
    with (data_dir("locale") / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as compiled:
        return gettext.GNUTranslations(compiled)


def use(language: str) -> None:
    """Speak ``language`` (``zh`` or ``en``) from now on."""
    global _in_use
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    _in_use = language


def in_use() -> str:
    """The language spoken now (``zh`` or ``en``)."""
    return _in_use


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak ``language`` inside the ``with`` block, then the language spoken before: for a
    text written in one language whatever the run speaks (``RECORD``)."""
    before = _in_use
    use(language)
    try:
        yield
    finally:
        use(before)


def translate(message: str) -> str:
    """``message`` in the language in use; imported as ``_``, the name gettext's tools
    (and Babel's extraction) know: ``from .i18n import translate as _``."""
    return catalog(_in_use).gettext(message)


def translate_plural(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` in the language in use (English: ``singular`` for
    1, else ``plural``; Chinese has one form); imported as ``ngettext``."""
    return catalog(_in_use).ngettext(singular, plural, count)


def marked(message: str) -> str:
    """``message`` as it is, marked for the catalog (imported as ``N_``, Babel's name for it):
    for a text that is translated later, where it is shown, with ``translate``."""
    return message


use(from_environment())
