"""How large a log may be before a load refuses it, and how to allow more.

Each limit stops a file that would cost far more than its size suggests before that cost
is paid: a log with thousands of columns (the planning of every statement grows with the
columns; such a file is almost always read with the wrong delimiter, or is a pivoted
export), an XLSX workbook that unpacks to gigabytes (a zip of a few MB can: a "zip bomb").
A limit is a constant here; an environment variable of the same name raises it for a user
whose logs really are that large. A variable, not a command-line option, because a limit
applies wherever a log is loaded (``check``, ``notices``, a rule's examples in
``validate``) and is set once for a machine, not per run.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ...errors import DataError
from ...i18n import marked as N_, translate as _


@dataclass(frozen=True)
class Limit:
    """A limit: its default, the environment variable that overrides it, its unit (marked
    for the catalog, translated where a message shows it)."""

    variable: str
    default: int
    unit: str

    def value(self) -> int:
        """The limit in force: the variable's whole number when set, else the default."""
        text = os.environ.get(self.variable, "").strip()
        if not text:
            return self.default
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            value = 0
        if value < 1:
            raise DataError(_("environment variable {variable}={value}: not a whole number of "
                              "{unit} above 0").format(variable=self.variable, value=repr(text),
                                                       unit=_(self.unit)))
        return value

    def exceeded(self, what: str) -> str:
        """The message for an amount over the limit (``what`` says what has how much):
        the limit, and how to raise it."""
        return _("{what}, more than the {limit:,} {unit} allowed (set the environment variable "
                 "{variable} to allow more)").format(what=what, limit=self.value(),
                                                     unit=_(self.unit), variable=self.variable)


#: Columns of one log. 1,000 columns load in about a second; real exports have up to ~100.
MAX_COLUMNS = Limit("GOVCHECK_MAX_COLUMNS", 1_000, N_("columns"))

#: Megabytes the parts of an XLSX workbook may unpack to, all together. A full sheet of
#: 1,048,576 rows and 40 columns is about 1.5 GB of XML.
MAX_XLSX_MB = Limit("GOVCHECK_MAX_XLSX_MB", 2_048, "MB")  # a unit read alike in both languages

#: How many times its packed size a part of an XLSX workbook may unpack to. Sheets that
#: spreadsheet programs write pack 5 to 20 times; a zip bomb packs about 1,000 times (the
#: most DEFLATE can), so that a 2 MB file unpacks to 2 GB.
MAX_XLSX_RATIO = Limit("GOVCHECK_MAX_XLSX_RATIO", 100, N_("times"))
