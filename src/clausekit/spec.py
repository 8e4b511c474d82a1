"""The declarative table definitions in ``schemas/`` (TOML), loaded once per run.

A user can read and adapt these files without touching Python: column aliases, types,
required columns, allowed values, ranges, public categories and clause-type patterns.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("participants", "contrats", "operations")


def schemas_dir() -> Path:
    """Folder of the schema files: inside the installed package, else the source tree's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent.parent / "schemas"):
        if (candidate / "contrats.toml").is_file():
            return candidate
    raise FileNotFoundError("schemas/ introuvable")  # pragma: no cover - broken install


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    label: str
    type: str
    required: bool = False
    not_null: bool = False
    personal: bool = False
    aliases: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min: Any = None
    max: Any = None

    @property
    def is_personal(self) -> bool:
        return self.personal or self.type == "personal"


@dataclass(frozen=True)
class TableSpec:
    kind: str
    label: str
    columns: tuple[ColumnSpec, ...]
    signature_all: tuple[str, ...]
    signature_any: tuple[str, ...]

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


@dataclass(frozen=True)
class PublicCategory:
    code: str
    label: str
    aliases: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ClauseType:
    code: str
    label: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class ExecutionMode:
    code: str
    label: str
    patterns: tuple[str, ...]
    employers: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    tables: dict[str, TableSpec]
    publics: tuple[PublicCategory, ...]
    clause_types: tuple[ClauseType, ...]
    execution_modes: tuple[ExecutionMode, ...] = ()

    @property
    def public_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.publics)


def _load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _table(data: dict[str, Any]) -> TableSpec:
    cols = []
    for raw in data["columns"]:
        values = {k: tuple(v) for k, v in raw.get("values", {}).items()}
        cols.append(
            ColumnSpec(
                name=raw["name"],
                label=raw.get("label", raw["name"]),
                type=raw["type"],
                required=raw.get("required", False),
                not_null=raw.get("not_null", False),
                personal=raw.get("personal", False),
                aliases=tuple(raw.get("aliases", ())),
                values=values,
                min=raw.get("min"),
                max=raw.get("max"),
            )
        )
    sig = data.get("signature", {})
    return TableSpec(
        kind=data["kind"],
        label=data.get("label", data["kind"]),
        columns=tuple(cols),
        signature_all=tuple(sig.get("all", ())),
        signature_any=tuple(sig.get("any", ())),
    )


@functools.cache
def load_spec(folder: Path | None = None) -> Spec:
    """Load every schema file of ``folder`` (default: the bundled ``schemas/``)."""
    folder = folder or schemas_dir()
    tables = {kind: _table(_load_toml(folder / f"{kind}.toml")) for kind in KINDS}
    pub = _load_toml(folder / "publics.toml")["categories"]
    publics = tuple(
        PublicCategory(code, v["label"], tuple(v.get("aliases", ())), tuple(v.get("columns", ())))
        for code, v in pub.items()
    )
    ct = _load_toml(folder / "clause_types.toml")["types"]
    clause_types = tuple(
        ClauseType(code, v["label"], tuple(v.get("patterns", ()))) for code, v in ct.items()
    )
    em = _load_toml(folder / "execution_modes.toml")["modes"]
    modes = tuple(
        ExecutionMode(code, v["label"], tuple(v.get("patterns", ())), tuple(v.get("employers", ())))
        for code, v in em.items()
    )
    return Spec(tables=tables, publics=publics, clause_types=clause_types, execution_modes=modes)
