"""The house's walls: which part of clausekit may import which, and how big a room may grow.

The rules are the README's « Organisation du code »; this test walks every import statement
of ``src/clausekit`` (module level and inside functions) and fails on the first broken rule,
naming the importing module, the line and the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "clausekit"

FACE = {"cli", "render", "docs", "clickfr", "__main__"}
# The order data flows through the pipeline: a stage imports only stages before it.
PIPELINE_ORDER = (
    "exportdate",
    "worker",
    "read",
    "recognise",
    "validate",
    "reconcile",
    "plausible",
    "merge",
    "counting",
    "indicators",
    "cumulative",
)
COMMON = {"errors", "parse", "options", "__init__"}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
MAX_ROOT_MODULES = 12


@dataclass(frozen=True)
class Import:
    module: str  # importing module, dotted under clausekit ("pipeline.merge")
    target: str  # imported module, dotted ("rules.schemas", "pandas", "typer")
    line: int


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.rsplit(".", 1)[0] if "." in name else ""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against the importing package
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(["clausekit", *[p for p in parent if p], *([base] if base else [])])
            if base == "clausekit":
                out += [
                    Import(name, f"clausekit.{alias.name}", node.lineno) for alias in node.names
                ]
            else:
                out.append(Import(name, base, node.lineno))
    return out


def _internal(target: str, modules: dict[str, Path]) -> str | None:
    """The clausekit module an import names (``clausekit.pipeline.merge`` → ``pipeline.merge``);
    a name imported from a package (``from clausekit.rules import schemas``) is the submodule."""
    if target != "clausekit" and not target.startswith("clausekit."):
        return None
    dotted = target.removeprefix("clausekit").lstrip(".") or "__init__"
    if dotted in modules:
        return dotted
    if f"{dotted}.__init__" in modules:
        return dotted
    return dotted.rsplit(".", 1)[0] if dotted.rsplit(".", 1)[0] in modules else dotted


def _room(module: str) -> str:
    return module.split(".")[0] if "." in module else module


def _broken(imp: Import, modules: dict[str, Path]) -> str | None:
    """The rule ``imp`` breaks, in words, or None."""
    room = _room(imp.module)
    external = imp.target.split(".")[0]
    if external in {"typer", "rich", "click"} and room not in FACE:
        return "seule la façade (cli, render, docs, clickfr) importe typer ou rich"
    target = _internal(imp.target, modules)
    if target is None:
        if room == "preflight" and external in {"pandas", "numpy", "pyarrow", "pandera"}:
            return "preflight n'importe que la bibliothèque standard, defusedxml et errors"
        return None
    target_room = _room(target)
    if room == "samples":
        return "samples n'importe rien de clausekit" if target_room != "samples" else None
    if room == "preflight":
        ok = target_room in {"preflight", "errors"}
        return None if ok else "preflight n'importe que la bibliothèque standard et errors"
    if room == "rules":
        ok = target_room in {"rules", "parse", "errors", "__init__"}
        return None if ok else "rules n'importe que rules, parse et errors"
    if room == "output":
        ok = target_room in {"output", "rules", "parse", "errors", "__init__"}
        return None if ok else "output n'importe que rules, parse, errors et output"
    if room == "routine":
        ok = target_room not in {"pipeline", "output"} and target_room not in FACE
        return None if ok else "routine n'importe ni pipeline ni output"
    if room == "pipeline":
        if target_room in COMMON or target_room in {"rules", "preflight"}:
            return None
        if target_room != "pipeline":
            return "une étape du pipeline n'importe que les étapes d'avant, rules et preflight"
        stage, used = imp.module.split(".")[1], target.split(".")[1]
        if used == "__init__" or stage == "__init__":
            return None
        if stage not in PIPELINE_ORDER or used not in PIPELINE_ORDER:
            unknown = stage if stage not in PIPELINE_ORDER else used
            return f"étape inconnue de l'ordre du pipeline : {unknown}"
        if PIPELINE_ORDER.index(used) >= PIPELINE_ORDER.index(stage):
            return f"l'étape {stage} importe {used}, qui vient après elle"
        return None
    if room in COMMON - {"options"}:
        ok = target_room in {"errors", "parse", "__init__"}
        return None if ok else f"{room} n'importe que errors et parse"
    return None


def test_every_import_respects_the_walls() -> None:
    modules = _modules()
    broken = []
    for name, path in modules.items():
        for imp in _imports(name, path):
            rule = _broken(imp, modules)
            if rule:
                broken.append(f"{name}:{imp.line} importe {imp.target} — {rule}")
    assert not broken, "\n".join(broken)


def test_the_walls_test_sees_a_broken_rule() -> None:
    """The checker itself: hand-made imports that break each rule are caught."""
    modules = _modules()
    bad = [
        Import("pipeline.merge", "typer", 1),
        Import("pipeline.read", "clausekit.pipeline.merge", 1),
        Import("pipeline.merge", "clausekit.output.views", 1),
        Import("output.views", "clausekit.pipeline.indicators", 1),
        Import("routine.config", "clausekit.pipeline.read", 1),
        Import("preflight.__init__", "pandas", 1),
        Import("samples.__init__", "clausekit.errors", 1),
        Import("rules.schemas", "clausekit.routine.config", 1),
    ]
    assert [imp for imp in bad if _broken(imp, modules) is None] == []
    good = [
        Import("pipeline.merge", "clausekit.pipeline.validate", 1),
        Import("pipeline.merge", "clausekit.rules.schemas", 1),
        Import("output.views", "clausekit.rules.labels", 1),
        Import("cli", "typer", 1),
    ]
    assert [imp for imp in good if _broken(imp, modules)] == []


def test_no_module_is_too_long_to_read_in_a_sitting() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_root_holds_at_most_a_dozen_modules() -> None:
    root = [p.name for p in PACKAGE.glob("*.py")]
    assert len(root) <= MAX_ROOT_MODULES, sorted(root)


@pytest.mark.parametrize("room", ["pipeline", "output"])
def test_a_stage_reads_as_named_steps(room: str) -> None:
    long = []
    for path in sorted((PACKAGE / room).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{path.name}:{node.name} ({size} lignes)")
    assert long == []


def test_the_readme_module_table_lists_every_module_and_only_them() -> None:
    from clausekit import docs

    listed = [module for _, _, modules in docs.LAYOUT for module, _ in modules]
    assert len(listed) == len(set(listed))
    assert set(listed) == docs.package_modules()
    table = docs.module_table()
    for module in listed:
        assert f"| `{module}.py` |" in table
