"""Deterministic synthetic ABC Clauses exports, with the figures a correct report must show.

:func:`write_samples` writes three territory folders, each in a different realistic layout:

* ``Lens-Liévin/abc_clauses_lens_lievin_2025.xlsx``: sheets « Participants », « Contrats »
  (one row per contract × month) and « Opérations », each under a three-row title block
  (header on row 4); real date cells; one multi-valued « Statut à l'entrée » cell.
* ``Hénin-Carvin/export_henin_carvin_2025.xlsx``: one denormalised sheet « Extraction »
  (header on row 1), one row per contract × month, person and operation columns repeated on
  every row, *including* « Heures prévues » (count it once per operation, never per row);
  Oui/Non columns per public; « Période » is a date cell (first day of the month).
* ``Artois/artois_extraction.xlsx``: « Bénéficiaires » (title row 1, header row 2, birth dates
  as ``dd/mm/yyyy`` text, « Critères » multi-valued), « Heures » (dates as text, months as
  ``janv.-25`` labels, hours as French number text such as ``1 234,5`` with a no-break space,
  then one « TOTAL » row to skip), « Marchés », and a hidden « Listes » sheet.

Everything is synthetic (names drawn from small lists of common French names, unique
name + first name + birth date except the deliberate cross-territory duplicates) and fully
determined by ``(rows, seed)``: the workbooks are byte-identical from one run to the next
(fixed document properties and zip timestamps).

The expected figures (:class:`Truth`) are computed by :func:`compute_truth` from the
generator's in-memory :class:`Model`, never by reading the files back. Counting rules
(DOMAIN.md §5):

* **work hours** are the hours of every line whose contract type is not « PMSMP » (an
  immersion); PMSMP hours count nowhere (neither in the hours nor in the "worked" test);
* **participants**: distinct people whose work hours over the year are >= 1 h. Within a
  territory the participant id is the person; across territories a person is the same
  name + first name + birth date (the model's person index). A person counts once in the
  total and once in each territory where they worked;
* **under 26**: strictly younger than 26 (age in whole years) on the earliest « Date de
  début » among the person's contracts that carry work hours (> 0 h, PMSMP excluded): over
  all territories for the total, within the territory for ``by_territory``. A person whose
  26th birthday *is* that date is not under 26;
* **BRSA / ASE**: from the status at entry; for the total, the union of the labels of all the
  person's territory records;
* **hours_forecast**: the sum of each operation's forecast, once per operation;
* **contracts**: distinct (territory, contract id) that are not PMSMP *and* carry > 0 work
  hours in 2025 — a contract whose lines are all 0 h does not count (the generator makes
  exactly one such contract, for the person whose only lines are 0 h);
* **operations**: distinct (territory, operation id); every generated operation has at least
  one line with work hours, so "listed" and "with lines" give the same count.

Deliberate traps: one person turns 26 exactly on their first contract's start date (not under
26) and one the day after (under 26, with a later second contract when already 26); one
person's only lines are 0 h and one person has only PMSMP hours (neither is a participant);
one person has a PMSMP while 25 and a first work contract at 26 (not under 26); people in
both Lens-Liévin and Hénin-Carvin (same name, first name and birth date, different ids), one
of them BRSA in one territory only, one under 26 in Hénin-Carvin but not in Lens-Liévin, one
with only PMSMP hours in Hénin-Carvin; participants listed without any contract; 0 h lines.
"""

from __future__ import annotations

import calendar
import json
import random
import struct
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

__all__ = [
    "TERRITORIES",
    "Contract",
    "Model",
    "Operation",
    "Participant",
    "Person",
    "SampleSet",
    "Truth",
    "build_model",
    "compute_truth",
    "write_samples",
]

LENS, HENIN, ARTOIS = "Lens-Liévin", "Hénin-Carvin", "Artois"
TERRITORIES: tuple[str, ...] = (LENS, HENIN, ARTOIS)
YEAR = 2025
PMSMP = "PMSMP"
MIN_WORKED_CENTS = 100  # >= 1 realised work hour over the year
EXTRACTION = datetime(2026, 1, 5, 8, 30, 0)
EXTRACTION_TITLE = "Extraction ABC Clauses du 05/01/2026"
ZIP_TIMESTAMP = (2026, 1, 5, 8, 30, 0)
NBSP = "\u00a0"
DATE_FORMAT = "DD/MM/YYYY"
# Share of the hour lines per territory.
SHARES = {LENS: 0.40, HENIN: 0.35, ARTOIS: 0.25}

# Canonical public codes (publics.toml) known to the model, in display order.
PUBLIC_CODES = ("BRSA", "JEUNE_M26", "ASE", "DELD", "TH", "SENIOR_50", "QPV")


# --------------------------------------------------------------------------------------------
# Truth and the public result


@dataclass
class Truth:
    """Expected figures for the generated exports (see the module docstring for the rules)."""

    hours_realised: float
    hours_forecast: float
    participants: int
    participants_brsa: int
    participants_under_26: int
    participants_ase: int
    contracts: int
    operations: int
    by_territory: dict[str, dict[str, float | int]]


@dataclass
class SampleSet:
    """The export files written (xlsx only; ``ATTENDU.json`` sits next to them) and the truth."""

    files: list[Path]
    truth: Truth


# --------------------------------------------------------------------------------------------
# The in-memory model


@dataclass(frozen=True)
class Person:
    """A human being (identity shared by the person's records in several territories)."""

    nom: str
    prenom: str
    naissance: date
    sexe: str  # "F" or "H"


@dataclass
class Participant:
    """A person as followed in one territory."""

    territory: str
    pid: str | int
    person: int  # index into Model.persons
    publics: frozenset[str] = frozenset()  # canonical codes, see PUBLIC_CODES


@dataclass
class Operation:
    territory: str
    op_id: str
    libelle: str
    donneur: str
    clause: str
    forecast: int  # forecast hours (whole hours)


@dataclass
class Contract:
    territory: str
    cid: str | int
    pid: str | int  # participant id in the same territory
    op_id: str
    entreprise: str
    type_employeur: str
    type_contrat: str
    debut: date
    fin: date | None
    sortie: str = ""


@dataclass
class Model:
    """Everything the exports are written from. Lines are parallel numpy arrays."""

    persons: list[Person]
    participants: list[Participant]
    operations: list[Operation]
    contracts: list[Contract]
    line_contract: np.ndarray  # index into contracts
    line_month: np.ndarray  # 1..12 (of YEAR)
    line_cents: np.ndarray  # hundredths of an hour, >= 0


# --------------------------------------------------------------------------------------------
# Truth computation (plain Python / numpy over the model)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _territory_order(model: Model) -> list[str]:
    seen = {p.territory for p in model.participants}
    seen |= {o.territory for o in model.operations}
    seen |= {c.territory for c in model.contracts}
    return [t for t in TERRITORIES if t in seen] + sorted(seen - set(TERRITORIES))


def _hours(cents: int) -> float:
    return round(cents / 100, 2)


def compute_truth(model: Model) -> Truth:
    """The expected figures for ``model`` (rules in the module docstring)."""
    n = len(model.contracts)
    line_contract = np.asarray(model.line_contract, dtype=np.int64)
    line_cents = np.asarray(model.line_cents, dtype=np.int64)
    if line_cents.size and int(line_cents.min()) < 0:
        raise ValueError("negative hours in the model")
    per_contract = np.zeros(n, dtype=np.int64)
    np.add.at(per_contract, line_contract, line_cents)

    territories = _territory_order(model)
    hours: dict[str, int] = dict.fromkeys(territories, 0)
    contracts: dict[str, int] = dict.fromkeys(territories, 0)
    work: dict[tuple[str, str | int], int] = defaultdict(int)  # (territory, pid) -> cents
    first: dict[tuple[str, str | int], date] = {}  # earliest start of a contract with hours
    for c, cents_np in zip(model.contracts, per_contract.tolist(), strict=True):
        cents = int(cents_np)
        if c.type_contrat == PMSMP:
            continue
        hours[c.territory] += cents
        if cents > 0:
            contracts[c.territory] += 1
            key = (c.territory, c.pid)
            work[key] += cents
            if key not in first or c.debut < first[key]:
                first[key] = c.debut

    records = {(p.territory, p.pid): p for p in model.participants}
    forecast: dict[str, int] = dict.fromkeys(territories, 0)
    operations: dict[str, set[str]] = {t: set() for t in territories}
    for o in model.operations:
        if o.op_id not in operations[o.territory]:
            operations[o.territory].add(o.op_id)
            forecast[o.territory] += o.forecast

    # Per territory: a participant id is a person.
    zero = {"n": 0, "brsa": 0, "u26": 0, "ase": 0}
    terr_counts: dict[str, dict[str, int]] = {t: dict(zero) for t in territories}
    terr_seen: dict[str, set[int]] = {t: set() for t in territories}
    # Across territories: the person index.
    person_work: dict[int, int] = defaultdict(int)
    person_first: dict[int, date] = {}
    person_publics: dict[int, set[str]] = defaultdict(set)
    for p in model.participants:
        person_publics[p.person] |= p.publics
    for key, cents in work.items():
        rec = records[key]
        person_work[rec.person] += cents
        start = first[key]
        if rec.person not in person_first or start < person_first[rec.person]:
            person_first[rec.person] = start
        if cents < MIN_WORKED_CENTS or rec.person in terr_seen[rec.territory]:
            continue
        terr_seen[rec.territory].add(rec.person)
        counts = terr_counts[rec.territory]
        counts["n"] += 1
        counts["brsa"] += "BRSA" in rec.publics
        counts["ase"] += "ASE" in rec.publics
        counts["u26"] += _age(model.persons[rec.person].naissance, start) < 26

    total = dict(zero)
    for person, cents in person_work.items():
        if cents < MIN_WORKED_CENTS:
            continue
        total["n"] += 1
        total["brsa"] += "BRSA" in person_publics[person]
        total["ase"] += "ASE" in person_publics[person]
        total["u26"] += _age(model.persons[person].naissance, person_first[person]) < 26

    by_territory: dict[str, dict[str, float | int]] = {}
    for t in territories:
        k = terr_counts[t]
        by_territory[t] = {
            "hours_realised": _hours(hours[t]),
            "hours_forecast": float(forecast[t]),
            "participants": k["n"],
            "participants_brsa": k["brsa"],
            "participants_under_26": k["u26"],
            "participants_ase": k["ase"],
            "contracts": contracts[t],
            "operations": len(operations[t]),
        }
    return Truth(
        hours_realised=_hours(sum(hours.values())),
        hours_forecast=float(sum(forecast.values())),
        participants=total["n"],
        participants_brsa=total["brsa"],
        participants_under_26=total["u26"],
        participants_ase=total["ase"],
        contracts=sum(contracts.values()),
        operations=sum(len(s) for s in operations.values()),
        by_territory=by_territory,
    )


# --------------------------------------------------------------------------------------------
# Vocabulary (all invented or generic)

PRENOMS_H = (
    "Thomas", "Nicolas", "Julien", "Kévin", "Mehdi", "Anthony", "Dylan", "Maxime", "Jérôme",
    "Sébastien", "Karim", "Mohamed", "Yassine", "Ludovic", "Grégory", "Jordan", "Enzo", "Lucas",
    "Hugo", "Théo", "Florian", "Mickaël", "Cédric", "David", "Franck", "Pascal", "Stéphane",
    "Rachid", "Bruno", "Alexandre", "Jean-Pierre", "Loïc",
)  # fmt: skip
PRENOMS_F = (
    "Marie", "Julie", "Laura", "Sarah", "Camille", "Émilie", "Aurélie", "Sandrine", "Nathalie",
    "Céline", "Amandine", "Inès", "Fatima", "Léa", "Manon", "Chloé", "Jessica", "Mélanie",
    "Karine", "Sabrina", "Océane", "Nadia", "Christelle", "Virginie",
)  # fmt: skip
NOMS = (
    "Martin", "Bernard", "Dubois", "Lefebvre", "Leroy", "Lemaire", "Dupont", "Lambert",
    "Roussel", "Fontaine", "Duhamel", "Caron", "Lecomte", "Vasseur", "Delattre", "Dumont",
    "Petit", "Durand", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "Bouchez", "Deprez",
    "Carpentier", "Delcroix", "Kaczmarek", "Nowak", "Benali", "Mansouri", "Haddad", "Duquesne",
    "Boulanger", "Pruvost", "Dupuis", "Lebrun", "Coquelle", "Delannoy", "Lefèvre",
)  # fmt: skip

COMMUNES = {
    LENS: ("Lens", "Liévin", "Avion", "Grenay", "Loos-en-Gohelle", "Bully-les-Mines",
           "Sallaumines", "Méricourt"),
    HENIN: ("Hénin-Beaumont", "Carvin", "Courrières", "Oignies", "Montigny-en-Gohelle",
            "Rouvroy", "Noyelles-Godault", "Dourges"),
    ARTOIS: ("Arras", "Achicourt", "Saint-Laurent-Blangy", "Marœuil", "Bapaume", "Dainville",
             "Beaurains", "Marquion"),
}  # fmt: skip
DONNEURS = {
    "ERBM": ("Maisons & Cités", "SIA Habitat", "Pas-de-Calais Habitat"),
    "CSNE": ("Société du Canal Seine-Nord Europe", "SANEF", "SNCF Réseau"),
    "AUTRE": (
        "Communauté d'agglomération de Lens-Liévin",
        "Département du Pas-de-Calais",
        "Communauté urbaine d'Arras",
    ),
}
CLAUSES = (
    "L2112-2",
    "Clause d'insertion (art. 38)",
    "Article 14 + critère social",
    "Marché réservé SIAE (L2113-13)",
    "R2123-1 marché d'insertion",
    "Critère R2152-7",
)
CLAUSE_WEIGHTS = (30, 15, 15, 10, 10, 20)
CITES = ("cité 9", "cité des Provinces", "cité Bellevue", "cité du 4", "cité Saint-Pierre",
         "cité des Alouettes", "cité Jeanne d'Arc", "cité du Moulin")  # fmt: skip
CSNE_WORKS = ("Terrassements", "Ouvrages d'art", "Écluse", "Pont-canal", "Rétablissements "
              "routiers", "Quai de transbordement", "Aménagements paysagers")  # fmt: skip
AUTRES_WORKS = ("Construction d'un groupe scolaire", "Rénovation du gymnase",
                "Entretien des espaces verts", "Voirie et réseaux divers",
                "Nettoyage des bâtiments publics", "Réhabilitation de la médiathèque")  # fmt: skip

CONTRACT_TYPES = (
    ("CDI", 6), ("CDD", 10), ("CDD 8 mois", 3), ("Intérim", 14), ("Mission d'intérim", 8),
    ("Contrat de professionnalisation", 5), ("Contrat d'apprentissage", 4), ("CDDI", 14),
    ("Emploi franc CDD", 2), ("CUI-CIE", 3), (PMSMP, 5),
)  # fmt: skip
WORK_TYPES = tuple(t for t, _ in CONTRACT_TYPES if t != PMSMP)
# (min, max) duration in months; None: open-ended.
DURATIONS: dict[str, tuple[int, int] | None] = {
    "CDI": None, "CDD": (1, 6), "CDD 8 mois": (8, 8), "Intérim": (1, 3),
    "Mission d'intérim": (1, 4), "Contrat de professionnalisation": (6, 12),
    "Contrat d'apprentissage": (12, 24), "CDDI": (4, 12), "Emploi franc CDD": (6, 12),
    "CUI-CIE": (6, 12), PMSMP: (0, 0),
}  # fmt: skip
EMPLOYER_TYPES = {
    "Intérim": (("ETTI", 55), ("ETT", 45)),
    "Mission d'intérim": (("ETTI", 50), ("ETT", 50)),
    "CDDI": (("ACI", 40), ("EI", 35), ("AI", 25)),
    "Contrat de professionnalisation": (("GEIQ", 50), ("classique", 50)),
    "Contrat d'apprentissage": (("GEIQ", 30), ("classique", 70)),
    PMSMP: (("classique", 60), ("EI", 20), ("ACI", 20)),
}
EMPLOYERS = {
    "classique": ("Bâtiments du Bassin Minier", "Gohelle Construction", "Artois Rénovation",
                  "TP Nord Canal", "Menuiseries de l'Escaut", "Couverture Deûle et Fils",
                  "Peinture Ravalement 62", "Électricité des Terrils", "Voirie Scarpe TP",
                  "Plâtrerie Isolation Haute-Deûle"),
    "ETTI": ("ETTI Tremplin Intérim 62", "Solid'Intérim Artois", "ETTI Passerelle Gohelle"),
    "ETT": ("Nord Intérim Services", "Travail Temporaire des Flandres", "Intérim Canal BTP"),
    "ACI": ("Chantier École de la Gohelle", "ACI Les Jardins du Terril", "ACI Bâti'Cœur"),
    "EI": ("Bâti Insertion 62", "EI Second Œuvre Solidaire"),
    "AI": ("AI Coup de Main Lens-Liévin", "AI Services Plus Carvin"),
    "GEIQ": ("GEIQ BTP Nord-Artois", "GEIQ Propreté Pas-de-Calais"),
}  # fmt: skip
EXITS = (
    ("CDI", 10), ("CDD 6 mois", 8), ("CDD de 4 mois", 8), ("Mission intérim 3 mois", 8),
    ("Formation qualifiante", 7), ("Embauche en SIAE", 7), ("Recherche d'emploi", 20),
    ("Sans nouvelles", 10), ("", 22),
)  # fmt: skip

# How each territory types the public labels.
LENS_LABELS = {
    "BRSA": ("BRSA", "BRSA", "RSA socle", "Allocataire RSA"),
    "JEUNE_M26": ("-26 ans",),
    "ASE": ("Jeune ASE", "Jeune ASE", "Contrat jeune majeur"),
    "DELD": ("DELD", "DE longue durée"),
    "TH": ("RQTH", "TH"),
    "SENIOR_50": ("Senior",),
    "QPV": ("QPV",),
}
ARTOIS_LABELS = {
    "BRSA": "Bénéficiaire du RSA",
    "JEUNE_M26": "Moins de 26 ans",
    "ASE": "Aide sociale à l'enfance",
    "DELD": "DE longue durée",
    "TH": "Travailleur handicapé",
    "SENIOR_50": "Senior",
    "QPV": "Résident QPV",
}
MOIS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc.")  # fmt: skip


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------------------------
# Generation


@dataclass
class _Builder:
    rng: random.Random
    persons: list[Person] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    lc: list[int] = field(default_factory=list)
    lm: list[int] = field(default_factory=list)
    lh: list[int] = field(default_factory=list)
    keys: set[tuple[str, str, date]] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ops_by_territory: dict[str, list[Operation]] = field(default_factory=lambda: defaultdict(list))
    lines_by_territory: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    random_pids: dict[str, list[str | int]] = field(default_factory=lambda: defaultdict(list))
    births: dict[tuple[str, str | int], date] = field(default_factory=dict)

    # ---- people
    def person(self, naissance: date | None = None, sexe: str | None = None) -> int:
        rng = self.rng
        while True:
            sx = sexe or ("F" if rng.random() < 0.2 else "H")
            prenom = rng.choice(PRENOMS_F if sx == "F" else PRENOMS_H)
            nom = rng.choice(NOMS)
            born = naissance or self._birth()
            key = (_norm(nom), _norm(prenom), born)
            if key not in self.keys:
                self.keys.add(key)
                self.persons.append(Person(nom, prenom, born, sx))
                return len(self.persons) - 1

    def _birth(self) -> date:
        rng = self.rng
        lo, hi = rng.choices(
            ((1960, 1974), (1975, 1989), (1990, 1998), (1999, 2007)), weights=(15, 30, 27, 28)
        )[0]
        year = rng.randint(lo, hi)
        return date.fromordinal(
            date(year, 1, 1).toordinal() + rng.randrange(365 + calendar.isleap(year))
        )

    def publics(self, person: int) -> frozenset[str]:
        rng = self.rng
        age = _age(self.persons[person].naissance, date(YEAR, 1, 1))
        codes = set()
        if rng.random() < (0.12 if age < 25 else 0.42):
            codes.add("BRSA")
        if age <= 22 and rng.random() < 0.27:
            codes.add("ASE")
        if age < 26 and rng.random() < 0.5:
            codes.add("JEUNE_M26")
        if age >= 26 and rng.random() < 0.3:
            codes.add("DELD")
        if rng.random() < 0.07:
            codes.add("TH")
        if age >= 50 and rng.random() < 0.5:
            codes.add("SENIOR_50")
        if rng.random() < 0.3:
            codes.add("QPV")
        return frozenset(codes)

    def participant(
        self,
        territory: str,
        person: int,
        publics: frozenset[str] | None = None,
        *,
        pool: bool = False,
    ) -> str | int:
        self.counters["p" + territory] += 1
        n = self.counters["p" + territory]
        pid: str | int
        if territory == LENS:
            pid = 100000 + n
        elif territory == HENIN:
            pid = f"HC-{n:05d}"
        else:
            pid = f"B{n:06d}"
        if publics is None:
            publics = self.publics(person)
        self.participants.append(Participant(territory, pid, person, publics))
        self.births[(territory, pid)] = self.persons[person].naissance
        if pool:
            self.random_pids[territory].append(pid)
        return pid

    # ---- operations
    def make_operations(self, territory: str, count: int) -> None:
        rng = self.rng
        for i in range(1, count + 1):
            family = rng.choices(("ERBM", "CSNE", "AUTRE"), weights=(45, 30, 25))[0]
            commune = rng.choice(COMMUNES[territory])
            if family == "ERBM":
                donneur = rng.choice(DONNEURS["ERBM"])
                cite = rng.choice(CITES)
                libelle = (
                    f"ERBM – Réhabilitation de {rng.randrange(20, 260, 4)} logements, "
                    f"{cite} à {commune}"
                )
            elif family == "CSNE":
                donneur = rng.choice(DONNEURS["CSNE"])
                libelle = f"CSNE – {rng.choice(CSNE_WORKS)}, secteur {rng.randint(1, 4)}"
            else:
                autres = DONNEURS["AUTRE"]
                local = {LENS: autres[0], HENIN: autres[1], ARTOIS: autres[2]}[territory]
                donneur = local if rng.random() < 0.6 else autres[1]
                libelle = f"{rng.choice(AUTRES_WORKS)} – {commune}"
            if territory == LENS:
                op_id = f"OP{2023 + i % 3}-{i:04d}"
            elif territory == HENIN:
                op_id = f"M-{24 + i % 2}-{i:03d}"
            else:
                op_id = f"{family}-L{i:02d}"
            clause = rng.choices(CLAUSES, weights=CLAUSE_WEIGHTS)[0]
            op = Operation(territory, op_id, libelle, donneur, clause, 0)
            self.operations.append(op)
            self.ops_by_territory[territory].append(op)

    # ---- contracts and lines
    def contract(
        self,
        territory: str,
        pid: str | int,
        *,
        type_contrat: str | None = None,
        debut: date | None = None,
        op: Operation | None = None,
        months: int | None = None,
        hours: str = "random",  # "random" | "positive" | "zero"
    ) -> int:
        rng = self.rng
        if type_contrat is None:
            type_contrat = _weighted(rng, CONTRACT_TYPES)
        if op is None:
            op = rng.choice(self.ops_by_territory[territory])
        if debut is None:
            debut = self._start(type_contrat)
        fin: date | None
        if type_contrat == PMSMP:
            fin = date.fromordinal(debut.toordinal() + rng.choice((4, 11, 13, 18, 25)))
        else:
            span = DURATIONS[type_contrat]
            if months is None:
                months = rng.randint(*span) if span else 0
            fin = date.fromordinal(_add_months(debut, months).toordinal() - 1) if months else None
        first = max(debut, date(YEAR, 1, 1))
        last = min(fin, date(YEAR, 12, 31)) if fin else date(YEAR, 12, 31)
        if last < first:  # a 2024 contract that ended before 2025: start again in 2025
            return self.contract(territory, pid, type_contrat=type_contrat, op=op, hours=hours)
        employer_type = _weighted(rng, EMPLOYER_TYPES.get(type_contrat, (("classique", 1),)))
        ended = fin is not None and fin <= date(YEAR, 12, 31) and type_contrat != PMSMP
        sortie = _weighted(rng, EXITS) if ended else ""
        self.counters["c" + territory] += 1
        n = self.counters["c" + territory]
        cid: str | int
        if territory == LENS:
            cid = 500000 + n
        elif territory == HENIN:
            cid = f"CT{n:06d}"
        else:
            cid = f"A25-{n:05d}"
        c = Contract(
            territory,
            cid,
            pid,
            op.op_id,
            rng.choice(EMPLOYERS[employer_type]),
            employer_type,
            type_contrat,
            debut,
            fin,
            sortie,
        )
        self.contracts.append(c)
        index = len(self.contracts) - 1
        full = 15167 if type_contrat != "CDDI" or rng.random() < 0.5 else 11267
        for m in range(first.month, last.month + 1):
            if hours == "zero":
                cents = 0
            elif type_contrat == PMSMP:
                cents = rng.choice((2100, 3500, 3500, 7000))
            else:
                cents = self._month_cents(c, m, first, last, full, hours == "positive")
            self.lc.append(index)
            self.lm.append(m)
            self.lh.append(cents)
        self.lines_by_territory[territory] += last.month - first.month + 1
        return index

    def _start(self, type_contrat: str) -> date:
        rng = self.rng
        long = type_contrat in ("CDI", "Contrat d'apprentissage", "CDDI", "CUI-CIE")
        if long and rng.random() < 0.2:
            year, month = YEAR - 1, rng.randint(7, 12)
        else:
            year, month = (
                YEAR,
                rng.choices(range(1, 13), weights=(9, 9, 10, 10, 9, 9, 7, 5, 9, 9, 8, 6))[0],
            )
        day = 1 if rng.random() < 0.25 else rng.randint(1, 28)
        return date(year, month, day)

    def _month_cents(
        self, c: Contract, m: int, first: date, last: date, full: int, positive: bool
    ) -> int:
        rng = self.rng
        r = rng.random()
        if not positive and r < 0.03:
            return 0
        if r < 0.07:
            return rng.choice((350, 700, 1050, 1400, 1750))
        if c.type_contrat in ("Intérim", "Mission d'intérim") or r < 0.35:
            return rng.randint(2000, 15167)
        days = calendar.monthrange(YEAR, m)[1]
        lo = first.day if m == first.month else 1
        hi = last.day if m == last.month else days
        cents = round(full * (hi - lo + 1) / days)
        return max(cents, 2000) if r < 0.9 else rng.randint(2000, full)

    def finish_forecasts(self) -> None:
        rng = self.rng
        per_op: dict[tuple[str, str], int] = defaultdict(int)
        for ci, cents in zip(self.lc, self.lh, strict=True):
            c = self.contracts[ci]
            if c.type_contrat != PMSMP:
                per_op[(c.territory, c.op_id)] += cents
        for op in self.operations:
            realised = per_op[(op.territory, op.op_id)] / 100
            op.forecast = max(35, round(realised * rng.uniform(0.75, 1.35) / 10) * 10)

    def model(self) -> Model:
        return Model(
            persons=self.persons,
            participants=self.participants,
            operations=self.operations,
            contracts=self.contracts,
            line_contract=np.asarray(self.lc, dtype=np.int64),
            line_month=np.asarray(self.lm, dtype=np.int64),
            line_cents=np.asarray(self.lh, dtype=np.int64),
        )


def _special_people(b: _Builder, n_cross: int) -> None:
    """The deliberate edge cases (see the module docstring)."""
    ops = b.ops_by_territory
    # Turns 26 exactly on the first contract's start date: not under 26.
    p = b.person(naissance=date(YEAR - 26, 4, 14))
    pid = b.participant(LENS, p, frozenset({"DELD"}))
    b.contract(
        LENS,
        pid,
        type_contrat="CDD",
        debut=date(YEAR, 4, 14),
        months=4,
        hours="positive",
        op=ops[LENS][0],
    )
    # Turns 26 the day after: under 26 (a later contract, when 26, does not change it).
    p = b.person(naissance=date(YEAR - 26, 4, 15))
    pid = b.participant(LENS, p, frozenset({"JEUNE_M26", "BRSA"}))
    b.contract(
        LENS, pid, type_contrat="Intérim", debut=date(YEAR, 4, 14), months=2, hours="positive"
    )
    b.contract(LENS, pid, type_contrat="CDD", debut=date(YEAR, 9, 1), months=3, hours="positive")
    # Only 0 h lines: not a participant; the contract does not count.
    p = b.person()
    pid = b.participant(LENS, p, frozenset({"BRSA"}))
    b.contract(LENS, pid, type_contrat="CDD", debut=date(YEAR, 10, 6), months=2, hours="zero")
    # Only PMSMP hours: not a participant.
    p = b.person()
    pid = b.participant(ARTOIS, p, frozenset({"BRSA", "DELD"}))
    b.contract(ARTOIS, pid, type_contrat=PMSMP, debut=date(YEAR, 5, 12))
    # A PMSMP at 25, then the first work contract at 26: not under 26.
    p = b.person(naissance=date(YEAR - 26, 3, 1))
    pid = b.participant(HENIN, p, frozenset({"ASE"}))
    b.contract(HENIN, pid, type_contrat=PMSMP, debut=date(YEAR, 2, 3))
    b.contract(HENIN, pid, type_contrat="CDDI", debut=date(YEAR, 3, 17), months=6, hours="positive")

    # People in both Lens-Liévin and Hénin-Carvin.
    # 1. BRSA in Lens-Liévin only: BRSA in the total (union).
    p = b.person(naissance=date(1984, 11, 23))
    pid_l = b.participant(LENS, p, frozenset({"BRSA", "DELD"}))
    pid_h = b.participant(HENIN, p, frozenset())
    b.contract(LENS, pid_l, type_contrat="CDD", debut=date(YEAR, 2, 3), months=3, hours="positive")
    b.contract(
        HENIN,
        pid_h,
        type_contrat="Mission d'intérim",
        debut=date(YEAR, 7, 7),
        months=2,
        hours="positive",
    )
    # 2. Under 26 at the Hénin-Carvin start, 26 at the Lens-Liévin start.
    p = b.person(naissance=date(YEAR - 26, 4, 20))
    pid_l = b.participant(LENS, p, frozenset({"BRSA"}))
    pid_h = b.participant(HENIN, p, frozenset({"BRSA"}))
    b.contract(
        HENIN, pid_h, type_contrat="Intérim", debut=date(YEAR, 2, 3), months=2, hours="positive"
    )
    b.contract(LENS, pid_l, type_contrat="CDD 8 mois", debut=date(YEAR, 6, 2), hours="positive")
    # 3. Only PMSMP hours in Hénin-Carvin: a participant of Lens-Liévin only.
    p = b.person(naissance=date(1972, 6, 30))
    pid_l = b.participant(LENS, p, frozenset({"DELD", "SENIOR_50"}))
    pid_h = b.participant(HENIN, p, frozenset({"DELD", "SENIOR_50"}))
    b.contract(HENIN, pid_h, type_contrat=PMSMP, debut=date(YEAR, 1, 13))
    b.contract(LENS, pid_l, type_contrat="CDDI", debut=date(YEAR, 3, 3), months=9, hours="positive")
    # More: random contracts in both territories, same labels.
    for _ in range(max(0, n_cross - 3)):
        p = b.person()
        publics = b.publics(p)
        pid_l = b.participant(LENS, p, publics)
        pid_h = b.participant(HENIN, p, publics)
        b.contract(LENS, pid_l, hours="positive", type_contrat=b.rng.choice(WORK_TYPES))
        b.contract(HENIN, pid_h, hours="positive", type_contrat=b.rng.choice(WORK_TYPES))


def build_model(rows: int = 600, seed: int = 2025) -> Model:
    """The synthetic model behind :func:`write_samples` (about ``rows`` hour lines)."""
    if rows < 1:
        raise ValueError("rows must be >= 1")
    b = _Builder(random.Random(seed))
    targets = {t: max(1, round(rows * share)) for t, share in SHARES.items()}
    for t in TERRITORIES:
        b.make_operations(t, max(3, min(250, round(targets[t] / 1600))))
    # ~4.5 lines per contract, ~1.4 contracts per person.
    n_cross = max(3, round(rows / 4.5 / 1.4 * 0.01))
    _special_people(b, n_cross)
    for t in TERRITORIES:
        # Every operation gets work hours.
        for op in b.ops_by_territory[t]:
            pid = b.participant(t, b.person(), pool=True)
            b.contract(t, pid, op=op, hours="positive", type_contrat=b.rng.choice(WORK_TYPES))
        pool = b.random_pids[t]
        while b.lines_by_territory[t] < targets[t]:
            if b.rng.random() < 0.28:
                pid = b.rng.choice(pool)
            else:
                pid = b.participant(t, b.person(), pool=True)
                if t != HENIN and b.rng.random() < 0.04:  # followed, but no contract yet
                    b.participant(t, b.person())
            b.contract(t, pid)
    b.finish_forecasts()
    return b.model()


# --------------------------------------------------------------------------------------------
# Writing


def _date_cell(ws: WriteOnlyWorksheet, value: date | None) -> WriteOnlyCell | None:
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value)
    cell.number_format = DATE_FORMAT
    return cell


def _fr_number(cents: int) -> str:
    """``15167`` -> ``151,67``; ``123450`` -> ``1 234,5`` (no-break space); ``3500`` -> ``35``."""
    whole, frac = divmod(cents, 100)
    text = f"{whole:,}".replace(",", NBSP)
    if frac == 0:
        return text
    decimals = f"{frac:02d}".rstrip("0")
    return f"{text},{decimals}"


def _fr_date(d: date | None) -> str | None:
    return d.strftime("%d/%m/%Y") if d else None


def _new_workbook() -> Workbook:
    wb = Workbook(write_only=True)
    wb.properties.created = EXTRACTION
    wb.properties.modified = EXTRACTION
    wb.properties.creator = "ABC Clauses"
    wb.properties.lastModifiedBy = "ABC Clauses"
    return wb


def _freeze_zip_timestamps(path: Path) -> None:
    """Set every zip entry's date to ZIP_TIMESTAMP, in place (the data are not touched)."""
    y, mo, d, h, mi, s = ZIP_TIMESTAMP
    dos_time = (h << 11) | (mi << 5) | (s // 2)
    dos_date = ((y - 1980) << 9) | (mo << 5) | d
    stamp = struct.pack("<HH", dos_time, dos_date)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        start_dir: int = zf.start_dir  # type: ignore[attr-defined]
    with path.open("r+b") as fh:
        for info in infos:  # local file headers: signature, version, flags, method, time, date
            fh.seek(info.header_offset)
            if fh.read(4) != b"PK\x03\x04":
                raise ValueError(f"unexpected zip layout in {path}")
            fh.seek(info.header_offset + 10)
            fh.write(stamp)
        pos = start_dir
        for _ in infos:  # central directory entries
            fh.seek(pos)
            head = fh.read(46)
            if head[:4] != b"PK\x01\x02":
                raise ValueError(f"unexpected zip layout in {path}")
            fh.seek(pos + 12)
            fh.write(stamp)
            name_len, extra_len, comment_len = struct.unpack("<HHH", head[28:34])
            pos += 46 + name_len + extra_len + comment_len


def _save(wb: Workbook, path: Path) -> None:
    """Like ``wb.save(path)``, without openpyxl stamping « modified » with the current time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.properties.modified = EXTRACTION
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # closes the archive
    _freeze_zip_timestamps(path)


def _append_all(ws: WriteOnlyWorksheet, rows: Iterable[Sequence[Any]]) -> None:
    append = ws.append
    for row in rows:
        append(row)


def _month_lines(model: Model) -> list[list[tuple[int, int]]]:
    """For each contract, its (month, cents) lines in order."""
    out: list[list[tuple[int, int]]] = [[] for _ in model.contracts]
    for ci, m, cents in zip(
        model.line_contract.tolist(),
        model.line_month.tolist(),
        model.line_cents.tolist(),
        strict=True,
    ):
        out[ci].append((m, cents))
    return out


def _lens_status(rng: random.Random, publics: frozenset[str]) -> str | None:
    labels = [rng.choice(LENS_LABELS[c]) for c in PUBLIC_CODES if c in publics]
    if "QPV" in publics and rng.random() < 0.5:
        labels.remove("QPV")  # often only in the « Résident QPV » column
    if not labels:
        return None
    return rng.choice((", ", "; ")).join(labels)


def _write_lens(
    model: Model, lines: list[list[tuple[int, int]]], path: Path, rng: random.Random
) -> None:
    wb = _new_workbook()
    title: list[list[str]] = [[EXTRACTION_TITLE], [f"Territoire : {LENS}"], []]

    ws = wb.create_sheet("Participants")
    _append_all(ws, title)
    ws.append(
        [
            "N° participant",
            "Nom",
            "Prénom",
            "Date de naissance",
            "Sexe",
            "Statut à l'entrée",
            "Résident QPV",
        ]
    )
    for p in model.participants:
        if p.territory != LENS:
            continue
        person = model.persons[p.person]
        ws.append(
            [
                p.pid,
                person.nom,
                person.prenom,
                _date_cell(ws, person.naissance),
                person.sexe,
                _lens_status(rng, p.publics),
                "Oui" if "QPV" in p.publics else "Non",
            ]
        )

    ws = wb.create_sheet("Contrats")
    _append_all(ws, title)
    ws.append(
        [
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
        ]
    )
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
                    _date_cell(ws, c.debut),
                    _date_cell(ws, c.fin),
                    months[m],
                    cents / 100,
                    sortie,
                ]
            )

    ws = wb.create_sheet("Opérations")
    _append_all(ws, title)
    ws.append(
        [
            "Opération",
            "Libellé de l'opération",
            "Donneur d'ordre",
            "Type de clause",
            "Heures prévisionnelles",
        ]
    )
    for o in model.operations:
        if o.territory == LENS:
            ws.append([o.op_id, o.libelle, o.donneur, o.clause, o.forecast])
    _save(wb, path)


def _write_henin(model: Model, lines: list[list[tuple[int, int]]], path: Path) -> None:
    wb = _new_workbook()
    ws = wb.create_sheet("Extraction")
    ws.append(
        [
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
        ]
    )
    records = {p.pid: p for p in model.participants if p.territory == HENIN}
    ops = {o.op_id: o for o in model.operations if o.territory == HENIN}
    periods = [date(YEAR, max(m, 1), 1) for m in range(13)]

    def yes(flag: bool) -> str:
        return "Oui" if flag else "Non"

    for c, clines in zip(model.contracts, lines, strict=True):
        if c.territory != HENIN:
            continue
        p = records[c.pid]
        person = model.persons[p.person]
        o = ops[c.op_id]
        who = [p.pid, person.nom, person.prenom]
        flags = [
            "Mme" if person.sexe == "F" else "M.",
            yes("BRSA" in p.publics),
            yes("ASE" in p.publics),
            yes("TH" in p.publics),
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
                    _date_cell(ws, person.naissance),
                    *flags,
                    _date_cell(ws, c.debut),
                    _date_cell(ws, c.fin),
                    _date_cell(ws, periods[m]),
                    cents / 100,
                ]
            )
    _save(wb, path)


def _write_artois(model: Model, lines: list[list[tuple[int, int]]], path: Path) -> None:
    wb = _new_workbook()
    ws = wb.create_sheet("Bénéficiaires")
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
                _fr_date(person.naissance),
                "Femme" if person.sexe == "F" else "Homme",
                criteres or None,
            ]
        )

    ws = wb.create_sheet("Heures")
    header = [
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
    ]
    ws.append(header)
    labels = [""] + [f"{MOIS_FR[m - 1]}-{YEAR % 100:02d}" for m in range(1, 13)]
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
            _fr_date(c.debut),
            _fr_date(c.fin),
        ]
        sortie = c.sortie or None
        for m, cents in clines:
            total += cents
            ws.append([*head, labels[m], _fr_number(cents), sortie])
    total_row: list[Any] = [None] * len(header)
    total_row[0] = "TOTAL"
    total_row[header.index("Nb heures")] = _fr_number(total)
    ws.append(total_row)

    ws = wb.create_sheet("Marchés")
    ws.append(["Lot", "Intitulé", "Acheteur", "Fondement juridique", "Objectif d'heures"])
    for o in model.operations:
        if o.territory == ARTOIS:
            ws.append([o.op_id, o.libelle, o.donneur, o.clause, o.forecast])

    ws = wb.create_sheet("Listes")
    ws.sheet_state = "hidden"
    columns = [
        ("Types de contrat", [t for t, _ in CONTRACT_TYPES]),
        ("Types de sortie", [e for e, _ in EXITS if e]),
        ("Critères", [ARTOIS_LABELS[c] for c in PUBLIC_CODES]),
        ("Fondements juridiques", list(CLAUSES)),
        ("Mois", labels[1:]),
    ]
    ws.append([name for name, _ in columns])
    for i in range(max(len(values) for _, values in columns)):
        ws.append([values[i] if i < len(values) else None for _, values in columns])
    _save(wb, path)


def write_samples(out_dir: Path, *, rows: int = 600, seed: int = 2025) -> SampleSet:
    """Write the three territory exports and ``ATTENDU.json`` under ``out_dir``.

    ``rows`` is the approximate total number of contract × month hour lines (40 % Lens-Liévin,
    35 % Hénin-Carvin, 25 % Artois; the edge cases add a few dozen). Same ``rows`` and
    ``seed``: byte-identical files. Returns the xlsx paths and the :class:`Truth`.
    """
    out_dir = Path(out_dir)
    model = build_model(rows, seed)
    truth = compute_truth(model)
    lines = _month_lines(model)
    rng = random.Random(f"{seed}-labels")  # label spellings, independent of the model
    files = [
        out_dir / LENS / "abc_clauses_lens_lievin_2025.xlsx",
        out_dir / HENIN / "export_henin_carvin_2025.xlsx",
        out_dir / ARTOIS / "artois_extraction.xlsx",
    ]
    _write_lens(model, lines, files[0], rng)
    _write_henin(model, lines, files[1])
    _write_artois(model, lines, files[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ATTENDU.json").write_text(
        json.dumps(asdict(truth), ensure_ascii=False, sort_keys=True, indent=2) + "\n",
        encoding="utf-8",
    )
    return SampleSet(files=files, truth=truth)
