"""The import arrows of docs/architecture.md, read from the source with ``ast``.

Each layer of ``engine/`` may import only the layers its row of the "Layers" table in
docs/architecture.md names: the test reads that table, so the document and the code
cannot drift apart. So the batch engine and the streaming
monitor never import each other; renderers see a finished Report, never an engine; the
testing aids are never imported by the product; and the engine never imports click (only
cli.py does), so it runs the same under the CLI, the tests and the Gherkin steps.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"

ARCHITECTURE = ENGINE.parent / "docs" / "architecture.md"


def layer_table() -> dict[str, set[str]]:
    """layer → the layers it may import, read from the "Layers" table of
    docs/architecture.md (a layer may always import itself). A layer is a module or
    package directly under engine/, or a module named in full (``data.calendar``)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        layer = cells[0].strip("`").removesuffix("/").removesuffix(".py")
        allowed = cells[-1]
        table[layer] = set() if allowed == "nothing" else {a.strip() for a in allowed.split(",")}
    return table


MAY_IMPORT = layer_table()


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[tuple[str, str]]:
    """(module, name) for every ``from … import name`` in ``path``, relative imports
    resolved within engine/ (``module`` is "" for the engine package itself); absolute
    imports as (module, "")."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update((f"/{alias.name}", "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = [p for p in package.split(".") if p]
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
                out.update((stem, alias.name) for alias in node.names)
            else:
                out.update((f"/{node.module}", alias.name) for alias in node.names)
    return out


def allowed(module: str, target: str) -> bool:
    """May ``module`` import ``target`` (both named within engine/)?"""
    own, top = module.split(".")[0], target.split(".")[0]
    if top == own:
        return True
    rules = MAY_IMPORT[own]
    return top in rules or any(target == r or target.startswith(r + ".") for r in rules)


MODULES = sorted(ENGINE.rglob("*.py"))


def test_every_layer_is_in_the_table():
    layers = {module_name(p).split(".")[0] for p in MODULES} - {""}
    assert layers == set(MAY_IMPORT)


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) or "engine" for p in MODULES])
def test_import_arrows(path):
    name = module_name(path)
    for module, imported in imports(path):
        if module.startswith("/"):
            top = module[1:].split(".")[0]
            assert top not in ("click", "engine", "govcheck", "cli"), \
                f"{name} imports {module[1:]}: only cli.py imports click; inside engine/ use relative imports"
            continue
        if not name:
            continue
        assert module, f"{name} imports from the engine package itself"
        assert allowed(name, module), f"{name} imports {module}, which its layer may not"
        if imported.startswith("_") and module.split(".")[0] != name.split(".")[0]:
            pytest.fail(f"{name} imports the private {imported} of {module}")
