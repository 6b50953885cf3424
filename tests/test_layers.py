"""The import arrows of docs/architecture.md, read from the source with ``ast``.

The batch engine and the streaming monitor compile from the same model and must never
import each other; renderers see a finished Report, never an engine; the engine never
imports click (only cli.py does), so it runs the same under the CLI, the tests and
the Gherkin steps.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"
BATCH = {"engine.batch", "engine.compile", "engine.compile.sql"}
STREAM = {"engine.stream", "engine.stream_rules", "engine.stream_cases"}
ENGINES = BATCH | STREAM | {"engine.api", "engine.ingest", "engine.validate"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved), at any depth in the file."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            out.add(stem)
            out.update(f"{stem}.{alias.name}" for alias in node.names)
    return out


MODULES = sorted(ENGINE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_import_arrows(path):
    name = module_name(path)
    used = imports(path)
    assert not any(u == "click" or u.startswith("click.") for u in used), f"{name} imports click"
    if name in BATCH:
        assert not used & STREAM, f"{name} (batch) imports the streaming monitor"
    if name in STREAM:
        assert not used & BATCH, f"{name} (stream) imports the batch engine"
    if name.startswith("engine.render"):
        assert not used & ENGINES, f"{name} (a renderer) imports an engine: {used & ENGINES}"
