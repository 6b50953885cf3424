"""Where the shipped data lives: beside the code, in a checkout and installed alike.

Installed, everything is the one package ``govcheck``: ``govcheck/engine`` (the code),
``govcheck/rules``, ``govcheck/templates`` and ``govcheck/fixtures/calendars`` (see
``pyproject.toml``), the same folders, relative to each other, as in a checkout. Data is
found from this package with importlib.resources, never by looking through site-packages.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The folder that holds ``engine/``, ``rules/``, ``templates/`` and ``fixtures/``.
PACKAGE_ROOT = Path(str(files(__package__))).parent


def data_dir(relative: str) -> Path:
    """A shipped data folder, e.g. ``data_dir("rules")``."""
    return PACKAGE_ROOT / relative
