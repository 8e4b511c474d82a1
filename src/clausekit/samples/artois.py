"""Artois's layout: « Bénéficiaires » (title row 1, header row 2, birth dates as ``dd/mm/yyyy``
text, « Critères » multi-valued), « Heures » (dates as text, months as ``janv.-25`` labels,
hours as French number text such as ``1 234,5`` with a no-break space, then one « TOTAL » row
to skip), « Marchés », and a hidden « Listes » sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clausekit.samples.model import ARTOIS, PUBLIC_CODES, YEAR, Model
from clausekit.samples.vocabulary import ARTOIS_LABELS, CLAUSES, CONTRACT_TYPES, EXITS, MOIS_FR
from clausekit.samples.workbook import (
    EXTRACTION_TITLE,
    Lines,
    fr_date,
    fr_number,
    new_workbook,
    save,
)

FILE_NAME = "artois_extraction.xlsx"
_HOURS = (
    "ID bénéficiaire",
    "N° contrat",
    "Lot",
    "Titulaire",
    "Type de contrat",
    "Date de début",
    "Date de fin",
    "Mois",
    "Nb heures",
    "Type de sortie",
)
_MONTHS = [""] + [f"{MOIS_FR[m - 1]}-{YEAR % 100:02d}" for m in range(1, 13)]


def write_artois(model: Model, lines: Lines, path: Path) -> None:
    """Artois's workbook at ``path``."""
    wb = new_workbook()
    _beneficiaries(wb.create_sheet("Bénéficiaires"), model)
    _hours(wb.create_sheet("Heures"), model, lines)
    _markets(wb.create_sheet("Marchés"), model)
    ws = wb.create_sheet("Listes")
    ws.sheet_state = "hidden"
    _lists(ws)
    save(wb, path)


def _beneficiaries(ws: WriteOnlyWorksheet, model: Model) -> None:
    ws.append([f"Liste des bénéficiaires – {EXTRACTION_TITLE}"])
    ws.append(["ID bénéficiaire", "Nom", "Prénom", "Date de naissance", "Sexe", "Critères"])
    for p in model.participants:
        if p.territory != ARTOIS:
            continue
        person = model.persons[p.person]
        criteres = " / ".join(ARTOIS_LABELS[c] for c in PUBLIC_CODES if c in p.publics)
        ws.append(
            [
                p.pid,
                person.nom,
                person.prenom,
                fr_date(person.naissance),
                "Femme" if person.sexe == "F" else "Homme",
                criteres or None,
            ]
        )


def _hours(ws: WriteOnlyWorksheet, model: Model, lines: Lines) -> None:
    """One row per contract × month, then the « TOTAL » row."""
    ws.append(_HOURS)
    total = 0
    for c, clines in zip(model.contracts, lines, strict=True):
        if c.territory != ARTOIS:
            continue
        head = [
            c.pid,
            c.cid,
            c.op_id,
            c.entreprise,
            c.type_contrat,
            fr_date(c.debut),
            fr_date(c.fin),
        ]
        sortie = c.sortie or None
        for m, cents in clines:
            total += cents
            ws.append([*head, _MONTHS[m], fr_number(cents), sortie])
    total_row: list[Any] = [None] * len(_HOURS)
    total_row[0] = "TOTAL"
    total_row[_HOURS.index("Nb heures")] = fr_number(total)
    ws.append(total_row)


def _markets(ws: WriteOnlyWorksheet, model: Model) -> None:
    ws.append(["Lot", "Intitulé", "Acheteur", "Fondement juridique", "Objectif d'heures"])
    for o in model.operations:
        if o.territory == ARTOIS:
            ws.append([o.op_id, o.libelle, o.donneur, o.clause, o.forecast])


def _lists(ws: WriteOnlyWorksheet) -> None:
    """The drop-down lists, one column each."""
    columns = [
        ("Types de contrat", [t for t, _ in CONTRACT_TYPES]),
        ("Types de sortie", [e for e, _ in EXITS if e]),
        ("Critères", [ARTOIS_LABELS[c] for c in PUBLIC_CODES]),
        ("Fondements juridiques", list(CLAUSES)),
        ("Mois", _MONTHS[1:]),
    ]
    ws.append([name for name, _ in columns])
    for i in range(max(len(values) for _, values in columns)):
        ws.append([values[i] if i < len(values) else None for _, values in columns])
