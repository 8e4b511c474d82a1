"""Lens-Liévin's layout: « Participants », « Contrats » (one row per contract × month) and
« Opérations », each under a three-row title block (header on row 4); real date cells; one
multi-valued « Statut à l'entrée » cell."""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clausekit.samples.model import LENS, PUBLIC_CODES, YEAR, Model
from clausekit.samples.vocabulary import LENS_LABELS
from clausekit.samples.workbook import (
    EXTRACTION_TITLE,
    Lines,
    append_all,
    date_cell,
    new_workbook,
    save,
)

FILE_NAME = "abc_clauses_lens_lievin_2025.xlsx"
_TITLE: list[list[str]] = [[EXTRACTION_TITLE], [f"Territoire : {LENS}"], []]
_PARTICIPANTS = (
    "N° participant",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Statut à l'entrée",
    "Résident QPV",
)
_CONTRACTS = (
    "N° participant",
    "N° contrat",
    "Opération",
    "Entreprise",
    "Type d'employeur",
    "Type de contrat",
    "Date de début",
    "Date de fin",
    "Mois",
    "Heures réalisées",
    "Situation à la sortie",
)
_OPERATIONS = (
    "Opération",
    "Libellé de l'opération",
    "Donneur d'ordre",
    "Type de clause",
    "Heures prévisionnelles",
)


def write_lens(model: Model, lines: Lines, path: Path, rng: random.Random) -> None:
    """Lens-Liévin's workbook at ``path``; ``rng`` draws the spellings of the public labels."""
    wb = new_workbook()
    _participants(wb.create_sheet("Participants"), model, rng)
    _contracts(wb.create_sheet("Contrats"), model, lines)
    _operations(wb.create_sheet("Opérations"), model)
    save(wb, path)


def _status(rng: random.Random, publics: frozenset[str]) -> str | None:
    labels = [rng.choice(LENS_LABELS[c]) for c in PUBLIC_CODES if c in publics]
    if "QPV" in publics and rng.random() < 0.5:
        labels.remove("QPV")  # often only in the « Résident QPV » column
    if not labels:
        return None
    return rng.choice((", ", "; ")).join(labels)


def _participants(ws: WriteOnlyWorksheet, model: Model, rng: random.Random) -> None:
    append_all(ws, _TITLE)
    ws.append(_PARTICIPANTS)
    for p in model.participants:
        if p.territory != LENS:
            continue
        person = model.persons[p.person]
        ws.append(
            [
                p.pid,
                person.nom,
                person.prenom,
                date_cell(ws, person.naissance),
                person.sexe,
                _status(rng, p.publics),
                "Oui" if "QPV" in p.publics else "Non",
            ]
        )


def _contracts(ws: WriteOnlyWorksheet, model: Model, lines: Lines) -> None:
    append_all(ws, _TITLE)
    ws.append(_CONTRACTS)
    months = [f"{m:02d}/{YEAR}" for m in range(13)]
    for c, clines in zip(model.contracts, lines, strict=True):
        if c.territory != LENS:
            continue
        head = [c.pid, c.cid, c.op_id, c.entreprise, c.type_employeur, c.type_contrat]
        sortie = c.sortie or None
        for m, cents in clines:
            ws.append(
                [
                    *head,
                    date_cell(ws, c.debut),
                    date_cell(ws, c.fin),
                    months[m],
                    cents / 100,
                    sortie,
                ]
            )


def _operations(ws: WriteOnlyWorksheet, model: Model) -> None:
    append_all(ws, _TITLE)
    ws.append(_OPERATIONS)
    for o in model.operations:
        if o.territory == LENS:
            ws.append([o.op_id, o.libelle, o.donneur, o.clause, o.forecast])
