"""The house's walls: which part of clausekit may import which, and how big a room may grow.

The rules are the README's « Organisation du code »; this test walks every import statement
of ``src/clausekit`` (module level and inside functions) and fails on the first broken rule,
naming the importing module, the line and the rule.
"""

from __future__ import annotations

import ast
import sys
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
    "identity",
    "merge",
    "counting",
    "indicators",
    "cumulative",
)
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


def _imports(name: str, source: str) -> list[Import]:
    """Every import of a module's source, module level or inside a function, one per name:
    ``from clausekit.pipeline import merge`` is an import of ``clausekit.pipeline.merge``."""
    tree = ast.parse(source)
    package = name.rsplit(".", 1)[0] if "." in name else ""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against the importing package
                parts = ["clausekit", *package.split(".")] if package else ["clausekit"]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            if base == "clausekit" or base.startswith("clausekit."):
                out += [Import(name, f"{base}.{alias.name}", node.lineno) for alias in node.names]
            else:
                out.append(Import(name, base, node.lineno))
    return out


def _internal(target: str, modules: dict[str, Path]) -> str | None:
    """The clausekit module an import names: the longest dotted prefix that is a module or a
    package (``clausekit.pipeline.merge.merge`` → ``pipeline.merge``)."""
    if target != "clausekit" and not target.startswith("clausekit."):
        return None
    parts = target.split(".")[1:]
    for size in range(len(parts), 0, -1):
        dotted = ".".join(parts[:size])
        if dotted in modules or f"{dotted}.__init__" in modules:
            return dotted
    return "__init__"


def _room(module: str) -> str:
    return module.split(".")[0] if "." in module else module


def _stdlib_or(allowed: set[str], imp: Import) -> bool:
    top = imp.target.split(".")[0]
    return top in sys.stdlib_module_names or top in allowed or top == "__future__"


READING = {"worker", "read"}  # the stages that may call the preflight


def _broken(imp: Import, modules: dict[str, Path]) -> str | None:
    """The rule ``imp`` breaks, in words, or None."""
    room = _room(imp.module)
    external = imp.target.split(".")[0]
    if external in {"typer", "rich", "click"} and room not in FACE:
        return "seule la façade (cli, render, docs, clickfr) importe typer ou rich"
    target = _internal(imp.target, modules)
    if room == "preflight":
        if target is None:
            ok = _stdlib_or({"defusedxml"}, imp)
            return None if ok else "preflight n'importe que la bibliothèque standard et defusedxml"
        ok = _room(target) in {"preflight", "errors"}
        return None if ok else "preflight n'importe de clausekit que errors"
    if target is None:
        return None
    target_room = _room(target)
    if target_room == "__init__":
        return None  # the version
    allowed = {
        "samples": {"samples"},
        "errors": set(),
        "parse": {"parse", "errors"},
        "options": {"rules", "errors", "parse"},
        "rules": {"rules", "parse", "errors"},
        "output": {"output", "rules", "errors"},
    }
    if room in allowed:
        ok = target_room == room or target_room in allowed[room]
        return None if ok else f"{room} n'importe que {', '.join(sorted(allowed[room])) or 'rien'}"
    if room == "routine":
        ok = target_room not in {"pipeline", "output", "consolidate", "inspect"} | FACE
        return None if ok else "routine n'importe ni pipeline, ni output, ni les verbes"
    if room == "pipeline":
        return _pipeline_rule(imp.module, target)
    if room in {"consolidate", "inspect"} and target_room in FACE:
        return "les verbes n'importent pas la façade"
    return None


def _pipeline_rule(module: str, target: str) -> str | None:
    target_room = _room(target)
    stage = module.split(".")[1]
    if target_room == "preflight":
        return None if stage in READING else "seules les étapes de lecture appellent preflight"
    if target_room in {"rules", "parse", "errors", "options"}:
        return None
    if target_room != "pipeline":
        return "une étape du pipeline n'importe que les étapes d'avant, rules, parse et errors"
    used = target.split(".")[1] if "." in target else "__init__"
    if "__init__" in (stage, used):
        return None
    if stage not in PIPELINE_ORDER or used not in PIPELINE_ORDER:
        unknown = stage if stage not in PIPELINE_ORDER else used
        return f"étape inconnue de l'ordre du pipeline : {unknown}"
    if PIPELINE_ORDER.index(used) >= PIPELINE_ORDER.index(stage):
        return f"l'étape {stage} importe {used}, qui vient après elle"
    return None


def test_every_import_respects_the_walls() -> None:
    modules = _modules()
    broken = []
    for name, path in modules.items():
        for imp in _imports(name, path.read_text(encoding="utf-8")):
            rule = _broken(imp, modules)
            if rule:
                broken.append(f"{name}:{imp.line} importe {imp.target} — {rule}")
    assert not broken, "\n".join(broken)


BROKEN = [
    ("pipeline.merge", "import typer"),
    ("pipeline.read", "from clausekit.pipeline.merge import merge"),
    ("pipeline.read", "from clausekit.pipeline import merge"),
    ("pipeline.read", "from . import merge"),
    ("pipeline.merge", "def f():\n    from clausekit.output.views import views"),
    ("pipeline.merge", "from clausekit.preflight import preflight"),
    ("output.views", "import clausekit.pipeline.indicators as indicators"),
    ("output.views", "from clausekit.parse import as_text"),
    ("routine.config", "from clausekit.pipeline.read import read_files"),
    ("routine.plan", "from clausekit.consolidate import consolidate"),
    ("preflight.sniff", "import pandas"),
    ("preflight.sniff", "import openpyxl"),
    ("preflight.sniff", "from clausekit.parse import parse_dates"),
    ("samples.model", "from clausekit.errors import Issue"),
    ("rules.schemas", "from ..routine.config import Config"),
    ("options", "from clausekit.pipeline.read import ReadLimits"),
    ("errors", "from clausekit.parse import parse_dates"),
    ("consolidate", "from clausekit import render"),
]
ALLOWED = [
    ("pipeline.merge", "from clausekit.pipeline import validate"),
    ("pipeline.merge", "from .reconcile import at_row"),
    ("pipeline.merge", "from clausekit.rules.schemas import Spec"),
    ("pipeline.read", "from clausekit.preflight import preflight"),
    ("output.views", "from clausekit.rules import labels"),
    ("preflight.sniff", "import zipfile\nfrom defusedxml import ElementTree"),
    ("cli", "import typer"),
    ("consolidate", "from clausekit.pipeline.merge import merge"),
    ("samples.model", "from clausekit.samples.vocabulary import NAMES"),
]


def _verdicts(cases: list[tuple[str, str]]) -> list[str | None]:
    modules = _modules()
    return [
        next((r for imp in _imports(name, code) if (r := _broken(imp, modules))), None)
        for name, code in cases
    ]


def test_the_walls_test_sees_a_broken_rule() -> None:
    """The checker itself, from source text: each broken rule is caught, each allowed import
    passes (relative, lazy, aliased and ``from package import module`` forms included)."""
    missed = [case for case, verdict in zip(BROKEN, _verdicts(BROKEN), strict=True) if not verdict]
    assert missed == []
    refused = [
        (case, verdict)
        for case, verdict in zip(ALLOWED, _verdicts(ALLOWED), strict=True)
        if verdict
    ]
    assert refused == []


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
