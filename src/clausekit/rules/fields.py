"""The fields a column can map to, by their canonical name (``participant_id``) or their
French name (``participant``, « N° participant », ``heures réalisées``).

One place for the names a user may write on the right of a mapping (clausekit.toml's
``[colonnes]``, ``clausekit inspect --map``), and for the French label shown beside a field.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from clausekit.rules.headers import normalise_label
from clausekit.rules.schemas import Spec, load_spec


@dataclass(frozen=True)
class Field:
    name: str  # canonical, as in schemas/
    label: str  # French label of schemas/
    kinds: tuple[str, ...]  # the tables that have it


@functools.cache
def fields(spec: Spec | None = None) -> dict[str, Field]:
    """Every field of the schemas by canonical name, sorted by name."""
    spec = spec or load_spec()
    found: dict[str, Field] = {}
    for kind, table in spec.tables.items():
        for col in table.columns:
            known = found.get(col.name)
            kinds = (*known.kinds, kind) if known else (kind,)
            found[col.name] = Field(col.name, known.label if known else col.label, kinds)
    return dict(sorted(found.items()))


def _spellings(field: Field) -> set[str]:
    names = {field.name, field.name.replace("_", " "), field.label}
    if field.name.endswith("_id"):
        stem = field.name.removesuffix("_id")
        names.update((stem, f"N° {stem}", f"numéro {stem}"))  # « participant », « N° contrat »
    return {normalise_label(n) for n in names}


@functools.cache
def _index(spec: Spec | None = None) -> dict[str, str]:
    index: dict[str, str] = {}
    clashes: set[str] = set()
    for field in fields(spec).values():
        for spelling in _spellings(field):
            if index.setdefault(spelling, field.name) != field.name:
                clashes.add(spelling)
    return {k: v for k, v in index.items() if k not in clashes}


def resolve_field(text: str, spec: Spec | None = None) -> str | None:
    """The canonical name of a field written by its canonical or French name, else None."""
    return _index(spec).get(normalise_label(text))


def field_label(name: str, spec: Spec | None = None) -> str:
    """The French label of a canonical field (the name itself when unknown)."""
    field = fields(spec).get(name)
    return field.label if field else name


__all__ = ["Field", "field_label", "fields", "resolve_field"]
