"""The import arrows of docs/architecture.md, read from the source with ``ast``.

Each layer of ``engine/`` may import only the layers its row of the "Layers" table in
docs/architecture.md names: the test reads that table, so the document and the code
cannot drift apart. So the batch engine and the streaming
monitor never import each other; renderers see a finished Report, never an engine; the
testing aids are never imported by the product; and the engine never imports click (only
cli.py does), so it runs the same under the CLI, the tests and the Gherkin steps. The
oracle, which checks the engines, imports from engine/ only the rule model's plain classes
and the error classes, and the generator does not use its matching.
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


def used_arrows() -> set[tuple[str, str]]:
    """(layer, arrow of its row) for every arrow some import of the layer uses."""
    used: set[tuple[str, str]] = set()
    for path in MODULES:
        own = module_name(path).split(".")[0]
        for module, _ in imports(path):
            if module.startswith("/") or not module or module.split(".")[0] == own:
                continue
            used.update((own, r) for r in MAY_IMPORT.get(own, ())
                        if module.split(".")[0] == r or module == r or module.startswith(r + "."))
    return used


def test_every_arrow_of_the_table_is_an_import():
    """The table is the code's, not a wish: an arrow no module uses is stale, and a reader
    following the table would look for an import that is not there."""
    stale = {(layer, r) for layer, rules in MAY_IMPORT.items() for r in rules} - used_arrows()
    assert not stale, f"arrows in docs/architecture.md that no import uses: {sorted(stale)}"


# ---------------------------------------------------------------------------
# The oracle checks the engines, so it shares nothing with them that decides an answer
# ---------------------------------------------------------------------------

ORACLE = sorted((ENGINE / "testing" / "oracle").glob("*.py"))
GENERATOR = sorted((ENGINE / "testing" / "generator").glob("*.py"))

#: Everything the oracle may import from engine/ outside itself: the rule model's plain
#: classes (to name the types of what it reads) and the error classes. Not the calendar,
#: not the model's matcher parsing or any other method (see the test below).
ORACLE_MAY_IMPORT = {
    "errors": {"CalendarError", "DataError"},
    "model.rule": {"Duration", "Matcher", "RuleBase"},
}


def derived_members() -> set[str]:
    """Methods and properties of the rule model's classes: what the model works out from a
    rule's fields (``conditions``, ``opening``, ``with_where``, ``label``, ``groups``…).
    Names that are also fields of some class (``unit``, ``fields``) cannot be told apart by
    name and are left out."""
    import inspect

    from pydantic import BaseModel

    from govcheck.engine.model import rule

    classes = [c for c in vars(rule).values()
               if inspect.isclass(c) and c.__module__ == rule.__name__]
    fields = {name for c in classes if issubclass(c, BaseModel) for name in c.model_fields}
    members = {name for c in classes for name, value in vars(c).items()
               if not name.startswith("_") and (inspect.isfunction(value)
                                                or isinstance(value, property))}
    return members - fields


@pytest.mark.parametrize("path", ORACLE, ids=[p.stem for p in ORACLE])
def test_the_oracle_imports_only_plain_rule_classes_and_errors(path):
    for module, name in imports(path):
        if module.startswith("/") or module.startswith("testing.oracle"):
            continue
        assert name in ORACLE_MAY_IMPORT.get(module, set()), \
            f"oracle/{path.name} imports {name or '*'} from {module}: only {ORACLE_MAY_IMPORT}"


@pytest.mark.parametrize("path", ORACLE, ids=[p.stem for p in ORACLE])
def test_the_oracle_reads_rules_by_their_plain_fields(path):
    derived = derived_members()
    assert {"conditions", "opening", "with_where", "label", "groups"} <= derived
    used = {node.attr for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute)}
    assert not used & derived, f"oracle/{path.name} uses the rule model's {sorted(used & derived)}"


@pytest.mark.parametrize("path", GENERATOR, ids=[p.stem for p in GENERATOR])
def test_the_generator_judges_matchers_with_its_own_code(path):
    """The generator uses the oracle only to write the truth file (its entry points, from
    run.py), never its matching: the truth is computed by code the generator does not use."""
    for module, name in imports(path):
        assert not module.startswith("testing.oracle"), \
            f"generator/{path.name} imports {name} from {module}"
        if (module, name) == ("testing", "oracle"):
            assert path.name == "run.py", f"generator/{path.name} imports the oracle"
