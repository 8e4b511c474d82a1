"""The declarative table definitions in ``schemas/`` (TOML), loaded once per run.

A user can read and adapt these files without touching Python: column aliases, types,
required columns, allowed values, ranges, public categories and clause-type patterns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clausekit.errors import UsageError
from clausekit.rules.tomlfile import did_you_mean, read_toml, unknown_keys

KINDS = ("participants", "contrats", "operations")


def schemas_dir() -> Path:
    """Folder of the schema files: inside the installed package, else the source tree's."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas", package.parent.parent / "schemas"):
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


TYPES = (
    "id",
    "text",
    "personal",
    "date",
    "month",
    "number",
    "hours",
    "bool",
    "publics",
    "category",
)
SHOWN_TYPES = {
    str: "un texte entre guillemets",
    list: "une liste [ … ]",
    bool: "true ou false",
    dict: "une table { … }",
}
TABLE_KEYS = ("kind", "label", "signature", "columns")
COLUMN_KEYS = (
    "name",
    "label",
    "type",
    "required",
    "not_null",
    "personal",
    "aliases",
    "values",
    "min",
    "max",
)


class SchemaError(UsageError):
    """A file of ``schemas/`` that cannot be used as written: every problem, in French."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"Les fichiers de {folder} contiennent {len(problems)} erreur(s) :\n- "
            + "\n- ".join(problems)
        )


class _Reader:
    """Reads the schema files, collecting every problem instead of stopping at the first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[str] = []

    def file(self, name: str) -> dict[str, Any] | None:
        """The file's content; None (its syntax error noted) when it cannot be read."""
        data, problems = read_toml(self.folder / name)
        self.problems += problems
        return data

    def need(self, table: dict[str, Any], key: str, where: str, kind: type, default: Any) -> Any:
        if key not in table:
            self.problems.append(f"« {where}.{key} » : clé obligatoire absente.")
            return default
        return self.typed(table, key, where, kind, default)

    def typed(self, table: dict[str, Any], key: str, where: str, kind: type, default: Any) -> Any:
        value = table.get(key, default)
        if key in table and not isinstance(value, kind):
            shown = SHOWN_TYPES.get(kind, kind.__name__)
            self.problems.append(f"« {where}.{key} » : attendu {shown}, trouvé {value!r}.")
            return default
        return value

    def column(self, raw: Any, where: str) -> ColumnSpec | None:
        if not isinstance(raw, dict):
            self.problems.append(f"« {where} » : attendu une table [[columns]].")
            return None
        self.problems += unknown_keys(raw, COLUMN_KEYS, where)
        name = self.need(raw, "name", where, str, "?")
        kind = self.need(raw, "type", where, str, "text")
        if kind not in TYPES:
            self.problems.append(
                f"« {where}.type » : type « {kind} » inconnu.{did_you_mean(kind, TYPES)} "
                f"Types admis : {', '.join(TYPES)}."
            )
        values = self.typed(raw, "values", where, dict, {})
        return ColumnSpec(
            name=name,
            label=self.typed(raw, "label", where, str, name),
            type=kind,
            required=self.typed(raw, "required", where, bool, False),
            not_null=self.typed(raw, "not_null", where, bool, False),
            personal=self.typed(raw, "personal", where, bool, False),
            aliases=tuple(self.typed(raw, "aliases", where, list, [])),
            values={k: tuple(v) for k, v in values.items()},
            min=raw.get("min"),
            max=raw.get("max"),
        )

    def table(self, kind: str) -> TableSpec:
        name = f"{kind}.toml"
        data = self.file(name)
        if data is None:
            return TableSpec(kind, kind, (), (), ())
        self.problems += unknown_keys(data, TABLE_KEYS, name)
        columns = []
        for i, raw in enumerate(self.need(data, "columns", name, list, [])):
            col = self.column(raw, f"{name} [[columns]] n° {i + 1}")
            if col is not None:
                columns.append(col)
        known = {c.name for c in columns}
        sig = self.typed(data, "signature", name, dict, {})
        for part in ("all", "any"):
            for col_name in sig.get(part, ()):
                if col_name not in known:
                    self.problems.append(
                        f"« {name}.signature.{part} » : colonne « {col_name} » inconnue."
                        f"{did_you_mean(col_name, sorted(known))}"
                    )
        return TableSpec(
            kind=self.typed(data, "kind", name, str, kind),
            label=self.typed(data, "label", name, str, kind),
            columns=tuple(columns),
            signature_all=tuple(sig.get("all", ())),
            signature_any=tuple(sig.get("any", ())),
        )

    def entries(self, name: str, section: str, keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The ``[section.CODE]`` entries of a file, each with a label and known keys."""
        data = self.file(name)
        if data is None:
            return {}
        entries = self.need(data, section, name, dict, {})
        out = {}
        for code, entry in entries.items():
            where = f"{name} [{section}.{code}]"
            if not isinstance(entry, dict):
                self.problems.append(f"« {where} » : attendu une table.")
                continue
            self.problems += unknown_keys(entry, keys, where)
            self.need(entry, "label", where, str, code)
            out[code] = entry
        return out


@functools.cache
def load_spec(folder: Path | None = None) -> Spec:
    """Load every schema file of ``folder`` (default: the bundled ``schemas/``). A mistyped
    key or a wrong type anywhere raises :class:`SchemaError` listing every problem."""
    folder = folder or schemas_dir()
    reader = _Reader(folder)
    tables = {kind: reader.table(kind) for kind in KINDS}
    pub = reader.entries("publics.toml", "categories", ("label", "aliases", "columns"))
    publics = tuple(
        PublicCategory(
            code,
            str(v.get("label", code)),
            tuple(v.get("aliases", ())),
            tuple(v.get("columns", ())),
        )
        for code, v in pub.items()
    )
    ct = reader.entries("clause_types.toml", "types", ("label", "patterns"))
    clause_types = tuple(
        ClauseType(code, str(v.get("label", code)), tuple(v.get("patterns", ())))
        for code, v in ct.items()
    )
    em = reader.entries("execution_modes.toml", "modes", ("label", "patterns", "employers"))
    modes = tuple(
        ExecutionMode(
            code,
            str(v.get("label", code)),
            tuple(v.get("patterns", ())),
            tuple(v.get("employers", ())),
        )
        for code, v in em.items()
    )
    if reader.problems:
        raise SchemaError(folder, reader.problems)
    return Spec(tables=tables, publics=publics, clause_types=clause_types, execution_modes=modes)
