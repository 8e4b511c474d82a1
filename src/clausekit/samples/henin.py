"""Hénin-Carvin's layout: one denormalised sheet « Extraction » (header on row 1), one row per
contract × month, person and operation columns repeated on every row, *including* « Heures
prévues » (count it once per operation, never per row); Oui/Non columns per public;
« Période » is a date cell (first day of the month)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from clausekit.samples.model import HENIN, YEAR, Contract, Model, Operation, Participant, Person
from clausekit.samples.workbook import Lines, date_cell, new_workbook, save

FILE_NAME = "export_henin_carvin_2025.xlsx"
_HEADER = (
    "Identifiant",
    "Nom",
    "Prénom",
    "Né(e) le",
    "Civilité",
    "BRSA",
    "Jeune ASE",
    "RQTH",
    "N° contrat",
    "N° marché",
    "Chantier",
    "Maître d'ouvrage",
    "Article",
    "Heures prévues",
    "Employeur",
    "Nature du contrat",
    "Du",
    "Au",
    "Période",
    "Heures effectuées",
)
_PERIODS = [date(YEAR, max(m, 1), 1) for m in range(13)]


def write_henin(model: Model, lines: Lines, path: Path) -> None:
    """Hénin-Carvin's workbook at ``path``."""
    wb = new_workbook()
    ws = wb.create_sheet("Extraction")
    ws.append(_HEADER)
    records = {p.pid: p for p in model.participants if p.territory == HENIN}
    ops = {o.op_id: o for o in model.operations if o.territory == HENIN}
    for c, clines in zip(model.contracts, lines, strict=True):
        if c.territory == HENIN:
            p = records[c.pid]
            _contract_rows(ws, c, clines, p, model.persons[p.person], ops[c.op_id])
    save(wb, path)


def _yes(flag: bool) -> str:
    return "Oui" if flag else "Non"


def _contract_rows(
    ws: WriteOnlyWorksheet,
    c: Contract,
    clines: list[tuple[int, int]],
    p: Participant,
    person: Person,
    o: Operation,
) -> None:
    """The contract's month rows, each repeating the person and the operation."""
    who = [p.pid, person.nom, person.prenom]
    flags = [
        "Mme" if person.sexe == "F" else "M.",
        _yes("BRSA" in p.publics),
        _yes("ASE" in p.publics),
        _yes("TH" in p.publics),
        c.cid,
        o.op_id,
        o.libelle,
        o.donneur,
        o.clause,
        o.forecast,
        c.entreprise,
        c.type_contrat,
    ]
    for m, cents in clines:
        ws.append(
            [
                *who,
                date_cell(ws, person.naissance),
                *flags,
                date_cell(ws, c.debut),
                date_cell(ws, c.fin),
                date_cell(ws, _PERIODS[m]),
                cents / 100,
            ]
        )
