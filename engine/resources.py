"""Where the shipped data lives: the checkout's folders, or their installed copies.

A checkout (or an editable install) reads ``rules/``, ``templates/`` and
``fixtures/calendars/`` in place; a plain ``pip install .`` carries them as the data
packages ``govcheck_rules``, ``govcheck_templates`` and ``govcheck_calendars``
(see ``pyproject.toml``).
"""
from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def data_dir(relative: str, package: str) -> Path:
    """``CHECKOUT / relative`` when it exists, else the installed ``package``'s folder."""
    here = CHECKOUT / relative
    if here.is_dir():
        return here
    from importlib.util import find_spec
    spec = find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return here
