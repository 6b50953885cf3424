"""Renderers: one finished ``Report`` in, the bytes of one output format out.

The run is done once and every format is a pure function of its Report (the InSpec
reporter model), so formats cannot disagree about what was found and each can be
tested with a hand-built Report. Renderers read only ``findings.report`` (the document
formats also read the calendar and the templates, both plain data).

Every format but ``json`` is read by people (CI pages show JUnit) and takes the keyword
option ``mask`` (default True), which hides 身份证号 and mobile numbers
(``findings.masking``); ``json`` stays exact, for machines. ``html`` also takes
``calendar``. Options a format does not take are ignored, so a caller can pass the same
options whatever the format.
"""
from __future__ import annotations

import inspect
from typing import Any, BinaryIO, Callable

from ..findings.report import Report

from . import csv as _csv
from . import html as _html
from . import json as _json
from . import junit as _junit
from . import text as _text
from . import xlsx as _xlsx

FORMATS = ("text", "json", "csv", "junit", "html", "xlsx")

_RENDERERS: dict[str, Callable[[Report], bytes]] = {
    "text": _text.render,
    "json": _json.render,
    "csv": _csv.render,
    "junit": _junit.render,
    "html": _html.render,
    "xlsx": _xlsx.render,
}


#: Formats written as they are made (``write``) rather than built whole first.
_WRITERS: dict[str, Callable[[Report, BinaryIO], None]] = {"json": _json.write}


def render(report: Report, fmt: str, **options: Any) -> bytes:
    """``report`` in format ``fmt`` (one of ``FORMATS``), with the options it takes."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}") from None
    accepted = inspect.signature(renderer).parameters
    return renderer(report, **{k: v for k, v in options.items() if k in accepted})


def write(report: Report, fmt: str, out: BinaryIO, **options: Any) -> None:
    """``render``'s bytes written to ``out``; as they are made where the format can (a
    report of millions of findings is then never held whole as text)."""
    if fmt in _WRITERS:
        _WRITERS[fmt](report, out)
    else:
        out.write(render(report, fmt, **options))
