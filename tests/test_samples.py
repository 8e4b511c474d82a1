"""Tests of the synthetic export generator (clausekit.samples)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openpyxl import load_workbook

from clausekit.samples import (
    ARTOIS,
    HENIN,
    LENS,
    PMSMP,
    Contract,
    Model,
    Operation,
    Participant,
    Person,
    build_model,
    compute_truth,
    write_samples,
)

NBSP = "\u00a0"
LENS_FILE = Path(LENS) / "abc_clauses_lens_lievin_2025.xlsx"
HENIN_FILE = Path(HENIN) / "export_henin_carvin_2025.xlsx"
ARTOIS_FILE = Path(ARTOIS) / "artois_extraction.xlsx"

LENS_TITLE = [("Extraction ABC Clauses du 05/01/2026",), (f"Territoire : {LENS}",), (None,)]
HEADERS = {
    (LENS_FILE, "Participants"): (4, ["N° participant", "Nom", "Prénom", "Date de naissance",
                                      "Sexe", "Statut à l'entrée", "Résident QPV"]),
    (LENS_FILE, "Contrats"): (4, ["N° participant", "N° contrat", "Opération", "Entreprise",
                                  "Type d'employeur", "Type de contrat", "Date de début",
                                  "Date de fin", "Mois", "Heures réalisées",
                                  "Situation à la sortie"]),
    (LENS_FILE, "Opérations"): (4, ["Opération", "Libellé de l'opération", "Donneur d'ordre",
                                    "Type de clause", "Heures prévisionnelles"]),
    (HENIN_FILE, "Extraction"): (1, ["Identifiant", "Nom", "Prénom", "Né(e) le", "Civilité",
                                     "BRSA", "Jeune ASE", "RQTH", "N° contrat", "N° marché",
                                     "Chantier", "Maître d'ouvrage", "Article",
                                     "Heures prévues", "Employeur", "Nature du contrat", "Du",
                                     "Au", "Période", "Heures effectuées"]),
    (ARTOIS_FILE, "Bénéficiaires"): (2, ["ID bénéficiaire", "Nom", "Prénom",
                                         "Date de naissance", "Sexe", "Critères"]),
    (ARTOIS_FILE, "Heures"): (1, ["ID bénéficiaire", "N° contrat", "Lot", "Titulaire",
                                  "Type de contrat", "Date de début", "Date de fin", "Mois",
                                  "Nb heures", "Type de sortie"]),
    (ARTOIS_FILE, "Marchés"): (1, ["Lot", "Intitulé", "Acheteur", "Fondement juridique",
                                   "Objectif d'heures"]),
}  # fmt: skip
SHEETS = {
    LENS_FILE: ["Participants", "Contrats", "Opérations"],
    HENIN_FILE: ["Extraction"],
    ARTOIS_FILE: ["Bénéficiaires", "Heures", "Marchés", "Listes"],
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("samples")
    return out, write_samples(out, rows=600, seed=2025)


def _all_values(path: Path) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Sheet -> (state, rows), rows padded with None to the sheet's width (write-only files
    carry no <dimension>, so openpyxl's read-only mode returns ragged rows)."""
    wb = load_workbook(path, read_only=True)
    out = {}
    try:
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            width = max((len(r) for r in rows), default=0)
            out[ws.title] = (ws.sheet_state, [r + (None,) * (width - len(r)) for r in rows])
    finally:
        wb.close()
    return out


def _table(path: Path, sheet: str) -> list[dict[str, Any]]:
    header_row = HEADERS[(path.relative_to(path.parents[1]), sheet)][0]
    rows = _all_values(path)[sheet][1]
    header = rows[header_row - 1]
    return [dict(zip(header, r, strict=True)) for r in rows[header_row:]]


# --------------------------------------------------------------------------------------------
# Truth computation on a hand-checkable model


def test_truth_of_a_hand_made_model() -> None:
    persons = [
        Person("Martin", "Julie", date(1999, 3, 10), "F"),  # A: 26 exactly on 2025-03-10
        Person("Dubois", "Karim", date(1980, 1, 1), "H"),  # B
        Person("Petit", "Léa", date(2000, 5, 5), "F"),  # C
    ]
    participants = [
        Participant(LENS, 1, 0, frozenset({"BRSA"})),
        Participant(HENIN, "H1", 0, frozenset({"ASE"})),
        Participant(LENS, 2, 1, frozenset({"BRSA"})),
        Participant(HENIN, "H2", 2, frozenset({"BRSA"})),
    ]
    operations = [
        Operation(LENS, "O1", "ERBM", "SIA Habitat", "L2112-2", 500),
        Operation(HENIN, "M1", "CSNE", "SANEF", "Critère R2152-7", 300),
    ]

    def contract(territory: str, cid: str, pid: str | int, op: str, kind: str, start: date):
        return Contract(territory, cid, pid, op, "E", "classique", kind, start, None)

    contracts = [
        contract(LENS, "c0", 1, "O1", "CDD", date(2025, 3, 10)),  # A, 26 that day
        contract(HENIN, "c1", "H1", "M1", "CDD", date(2025, 1, 15)),  # A, 25 that day
        contract(LENS, "c2", 2, "O1", PMSMP, date(2025, 2, 1)),  # B: immersion only
        contract(HENIN, "c3", "H2", "M1", "CDD", date(2025, 6, 1)),  # C: 0 h only
        contract(HENIN, "c4", "H1", "M1", PMSMP, date(2024, 12, 1)),  # A: not work
    ]
    lines = [(0, 3, 10000), (0, 4, 5050), (1, 1, 2000), (2, 2, 3500), (3, 6, 0), (4, 1, 3000)]
    model = Model(
        persons,
        participants,
        operations,
        contracts,
        line_contract=np.array([c for c, _, _ in lines]),
        line_month=np.array([m for _, m, _ in lines]),
        line_cents=np.array([h for _, _, h in lines]),
    )
    truth = compute_truth(model)
    assert asdict(truth) == {
        "hours_realised": 170.5,
        "hours_forecast": 800.0,
        "participants": 1,  # A only (B: PMSMP, C: 0 h)
        "participants_brsa": 1,  # A is BRSA in Lens-Liévin: union
        "participants_under_26": 1,  # first contract overall: Hénin-Carvin, at 25
        "participants_ase": 1,
        "contracts": 2,  # c0, c1 (not PMSMP, not 0 h)
        "operations": 2,
        "by_territory": {
            LENS: {
                "hours_realised": 150.5,
                "hours_forecast": 500.0,
                "participants": 1,
                "participants_brsa": 1,
                "participants_under_26": 0,  # 26 exactly on the start date
                "participants_ase": 0,
                "contracts": 1,
                "operations": 1,
            },
            HENIN: {
                "hours_realised": 20.0,
                "hours_forecast": 300.0,
                "participants": 1,
                "participants_brsa": 0,
                "participants_under_26": 1,
                "participants_ase": 1,
                "contracts": 1,
                "operations": 1,
            },
        },
    }


def test_generated_model_holds_the_edge_cases() -> None:
    model = build_model(rows=300, seed=7)
    per_contract = np.zeros(len(model.contracts), dtype=np.int64)
    np.add.at(per_contract, model.line_contract, model.line_cents)
    by_record: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for i, c in enumerate(model.contracts):
        by_record[(c.territory, c.pid)].append(i)
    records = {(p.territory, p.pid): p for p in model.participants}

    def ages(key: tuple[str, Any]) -> list[tuple[date, date]]:
        born = model.persons[records[key].person].naissance
        return [(born, model.contracts[i].debut) for i in by_record[key]]

    zero_only = [k for k, cs in by_record.items() if all(per_contract[i] == 0 for i in cs)]
    pmsmp_only = [
        k
        for k, cs in by_record.items()
        if all(model.contracts[i].type_contrat == PMSMP for i in cs)
    ]
    assert zero_only and pmsmp_only
    firsts = [min(ages(k), key=lambda bd: bd[1]) for k in by_record]
    assert any((b.month, b.day) == (d.month, d.day) and d.year - b.year == 26 for b, d in firsts)
    assert any(
        d.year - b.year == 26 and (b.month, b.day) == (d.month, d.day + 1) for b, d in firsts
    )
    territories: dict[int, set[str]] = defaultdict(set)
    for p in model.participants:
        territories[p.person].add(p.territory)
    assert sum(1 for ts in territories.values() if {LENS, HENIN} <= ts) >= 3
    assert any(not by_record.get((p.territory, p.pid)) for p in model.participants)


# --------------------------------------------------------------------------------------------
# Files


def test_layout(sample: tuple[Path, Any]) -> None:
    out, result = sample
    assert result.files == [out / LENS_FILE, out / HENIN_FILE, out / ARTOIS_FILE]
    for rel, sheets in SHEETS.items():
        values = _all_values(out / rel)
        assert list(values) == sheets
        for sheet in sheets:
            state, rows = values[sheet]
            assert state == ("hidden" if sheet == "Listes" else "visible")
            if (rel, sheet) in HEADERS:
                header_row, header = HEADERS[(rel, sheet)]
                assert list(rows[header_row - 1]) == header
                assert len(rows) > header_row + 1
            if rel == LENS_FILE:
                assert [r[:1] for r in rows[:3]] == LENS_TITLE
    wb = load_workbook(out / LENS_FILE, read_only=True)
    assert wb.properties.created == wb.properties.modified == datetime(2026, 1, 5, 8, 30)
    wb.close()

    lens = _table(out / LENS_FILE, "Contrats")
    assert all(isinstance(r["Date de début"], datetime) for r in lens)
    assert all(re.fullmatch(r"(0[1-9]|1[0-2])/2025", r["Mois"]) for r in lens)
    assert all(isinstance(r["Heures réalisées"], int | float) for r in lens)
    people = _table(out / LENS_FILE, "Participants")
    assert all(isinstance(r["Date de naissance"], datetime) for r in people)
    assert {r["Sexe"] for r in people} == {"F", "H"}
    assert {r["Résident QPV"] for r in people} == {"Oui", "Non"}
    assert any(r["Statut à l'entrée"] is None for r in people)
    assert any(", " in (r["Statut à l'entrée"] or "") for r in people)

    henin = _table(out / HENIN_FILE, "Extraction")
    assert all(isinstance(r["Période"], datetime) and r["Période"].day == 1 for r in henin)
    assert {r["Civilité"] for r in henin} == {"Mme", "M."}
    assert {r["BRSA"] for r in henin} == {"Oui", "Non"}
    forecast_rows = defaultdict(set)
    for r in henin:
        forecast_rows[r["N° marché"]].add(r["Heures prévues"])
    assert all(len(v) == 1 for v in forecast_rows.values())  # repeated on every row

    benef = _table(out / ARTOIS_FILE, "Bénéficiaires")
    assert all(re.fullmatch(r"\d\d/\d\d/(19|20)\d\d", r["Date de naissance"]) for r in benef)
    assert any(" / " in (r["Critères"] or "") for r in benef)
    heures = _table(out / ARTOIS_FILE, "Heures")
    total, data = heures[-1], heures[:-1]
    assert total["ID bénéficiaire"] == "TOTAL"
    assert all(re.fullmatch(r"[a-zéû]+\.?-25", r["Mois"]) for r in data)
    assert {r["Mois"] for r in data} <= {
        "janv.-25", "févr.-25", "mars-25", "avr.-25", "mai-25", "juin-25", "juil.-25",
        "août-25", "sept.-25", "oct.-25", "nov.-25", "déc.-25",
    }  # fmt: skip
    number = r"\d{1,3}(\u00a0\d{3})*(,\d\d?)?"
    assert all(re.fullmatch(number, r["Nb heures"]) for r in heures)
    assert NBSP in total["Nb heures"]
    assert _fr(total["Nb heures"]) == sum(_fr(r["Nb heures"]) for r in data)
    assert all(re.fullmatch(r"\d\d/\d\d/20\d\d", r["Date de début"]) for r in data)
    marches = _table(out / ARTOIS_FILE, "Marchés")
    assert all(isinstance(r["Objectif d'heures"], int) for r in marches)

    attendu = json.loads((out / "ATTENDU.json").read_text(encoding="utf-8"))
    assert attendu == asdict(result.truth)
    assert "Hénin-Carvin" in (out / "ATTENDU.json").read_text(encoding="utf-8")


def test_same_seed_same_content(tmp_path: Path) -> None:
    a = write_samples(tmp_path / "a", rows=300, seed=11)
    b = write_samples(tmp_path / "b", rows=300, seed=11)
    c = write_samples(tmp_path / "c", rows=300, seed=12)
    assert a.truth == b.truth
    for fa, fb, fc in zip(a.files, b.files, c.files, strict=True):
        assert _all_values(fa) == _all_values(fb)
        assert fa.read_bytes() == fb.read_bytes()  # fixed properties and zip timestamps
        assert _all_values(fa) != _all_values(fc)


def test_scale(tmp_path: Path) -> None:
    result = write_samples(tmp_path, rows=5000, seed=3)
    lines = (
        len(_table(result.files[0], "Contrats"))
        + len(_table(result.files[1], "Extraction"))
        + len(_table(result.files[2], "Heures"))
        - 1  # TOTAL
    )
    assert 4000 <= lines <= 6000


# --------------------------------------------------------------------------------------------
# The truth agrees with what the files say (an independent, minimal reading of the files)


def _fr(text: str) -> int:
    """French number text -> hundredths."""
    return round(float(text.replace(NBSP, "").replace(",", ".")) * 100)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    day, month, year = map(int, value.split("/"))
    return date(year, month, day)


BRSA = {"BRSA", "RSA socle", "Allocataire RSA", "Bénéficiaire du RSA"}
ASE = {"Jeune ASE", "Contrat jeune majeur", "Aide sociale à l'enfance"}


def _codes(cell: str | None) -> set[str]:
    labels = {x.strip() for x in re.split(r"[,;/]", cell or "")}
    return {code for code, known in (("BRSA", BRSA), ("ASE", ASE)) if labels & known}


def _read_back(out: Path) -> dict[str, dict[str, Any]]:
    """Per territory: people {pid: (identity, publics)}, lines [(pid, cid, op, type, start,
    cents)], forecasts {op: hours}."""
    data: dict[str, dict[str, Any]] = {}
    people = {
        r["N° participant"]: (
            (r["Nom"], r["Prénom"], _date(r["Date de naissance"])),
            _codes(r["Statut à l'entrée"]),
        )
        for r in _table(out / LENS_FILE, "Participants")
    }
    lines = [
        (
            r["N° participant"],
            r["N° contrat"],
            r["Opération"],
            r["Type de contrat"],
            _date(r["Date de début"]),
            round(r["Heures réalisées"] * 100),
        )
        for r in _table(out / LENS_FILE, "Contrats")
    ]
    ops = {
        r["Opération"]: r["Heures prévisionnelles"] for r in _table(out / LENS_FILE, "Opérations")
    }
    data[LENS] = {"people": people, "lines": lines, "ops": ops}

    rows = _table(out / HENIN_FILE, "Extraction")
    people = {
        r["Identifiant"]: (
            (r["Nom"], r["Prénom"], _date(r["Né(e) le"])),
            {c for c, col in (("BRSA", "BRSA"), ("ASE", "Jeune ASE")) if r[col] == "Oui"},
        )
        for r in rows
    }
    lines = [
        (
            r["Identifiant"],
            r["N° contrat"],
            r["N° marché"],
            r["Nature du contrat"],
            _date(r["Du"]),
            round(r["Heures effectuées"] * 100),
        )
        for r in rows
    ]
    ops = {r["N° marché"]: r["Heures prévues"] for r in rows}  # once per operation
    data[HENIN] = {"people": people, "lines": lines, "ops": ops}

    people = {
        r["ID bénéficiaire"]: (
            (r["Nom"], r["Prénom"], _date(r["Date de naissance"])),
            _codes(r["Critères"]),
        )
        for r in _table(out / ARTOIS_FILE, "Bénéficiaires")
    }
    lines = [
        (
            r["ID bénéficiaire"],
            r["N° contrat"],
            r["Lot"],
            r["Type de contrat"],
            _date(r["Date de début"]),
            _fr(r["Nb heures"]),
        )
        for r in _table(out / ARTOIS_FILE, "Heures")
        if r["ID bénéficiaire"] != "TOTAL"
    ]
    ops = {r["Lot"]: r["Objectif d'heures"] for r in _table(out / ARTOIS_FILE, "Marchés")}
    data[ARTOIS] = {"people": people, "lines": lines, "ops": ops}
    return data


def _under_26(born: date, on: date) -> bool:
    return (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) < 26


def test_truth_agrees_with_the_files(sample: tuple[Path, Any]) -> None:
    out, result = sample
    truth = result.truth
    data = _read_back(out)
    everyone: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"cents": 0, "first": None, "publics": set()}
    )
    for territory, d in data.items():
        expected = truth.by_territory[territory]
        contract_cents: dict[Any, int] = defaultdict(int)
        contract_info: dict[Any, tuple[Any, date]] = {}
        for pid, cid, _op, kind, start, cents in d["lines"]:
            if kind != PMSMP:
                contract_cents[cid] += cents
                contract_info[cid] = (pid, start)
        worked: dict[Any, int] = defaultdict(int)
        first: dict[Any, date] = {}
        for cid, cents in contract_cents.items():
            pid, start = contract_info[cid]
            if cents > 0:
                worked[pid] += cents
                first[pid] = min(first.get(pid, start), start)
        participants = [pid for pid, cents in worked.items() if cents >= 100]
        got = {
            "hours_realised": round(sum(contract_cents.values()) / 100, 2),
            "hours_forecast": float(sum(d["ops"].values())),
            "participants": len(participants),
            "participants_brsa": sum("BRSA" in d["people"][p][1] for p in participants),
            "participants_ase": sum("ASE" in d["people"][p][1] for p in participants),
            "participants_under_26": sum(
                _under_26(d["people"][p][0][2], first[p]) for p in participants
            ),
            "contracts": sum(1 for c in contract_cents.values() if c > 0),
            "operations": len(d["ops"]),
        }
        assert got == expected, territory
        for pid, (identity, publics) in d["people"].items():
            person = everyone[identity]
            person["publics"] |= publics
            person["cents"] += worked.get(pid, 0)
            if pid in first:
                person["first"] = min(person["first"] or first[pid], first[pid])
    total = [p for p in everyone.values() if p["cents"] >= 100]
    assert len(total) == truth.participants
    assert sum("BRSA" in p["publics"] for p in total) == truth.participants_brsa
    assert sum("ASE" in p["publics"] for p in total) == truth.participants_ase
    born = {id(p): identity[2] for identity, p in everyone.items()}
    assert sum(_under_26(born[id(p)], p["first"]) for p in total) == truth.participants_under_26
    assert sum(v["participants"] for v in truth.by_territory.values()) > truth.participants
    for key in ("hours_realised", "hours_forecast"):
        assert sum(v[key] for v in truth.by_territory.values()) == pytest.approx(
            getattr(truth, key)
        )
    assert truth.contracts == sum(v["contracts"] for v in truth.by_territory.values())
