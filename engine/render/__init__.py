"""Renderers: one finished ``Report`` in, the bytes of one output format out.

The run is done once and every format is a pure function of its Report (the InSpec
reporter model), so formats cannot disagree about what was found and each can be
tested with a hand-built Report. Renderers read only ``engine.model``.
"""
from __future__ import annotations

from typing import Callable

from engine.model import Report

from . import csv as _csv
from . import json as _json
from . import junit as _junit
from . import text as _text

FORMATS = ("text", "json", "csv", "junit")

_RENDERERS: dict[str, Callable[[Report], bytes]] = {
    "text": _text.render,
    "json": _json.render,
    "csv": _csv.render,
    "junit": _junit.render,
}


def render(report: Report, fmt: str) -> bytes:
    """``report`` in format ``fmt`` (one of ``FORMATS``)."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}") from None
    return renderer(report)
