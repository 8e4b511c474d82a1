"""The synthetic population the sample exports are written from: people, their records in each
territory, operations, contracts, and the hour lines as parallel numpy arrays.

Nothing here draws at random: :mod:`~clausekit.samples.population` fills a :class:`Model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

LENS, HENIN, ARTOIS = "Lens-Liévin", "Hénin-Carvin", "Artois"
TERRITORIES: tuple[str, ...] = (LENS, HENIN, ARTOIS)
YEAR = 2025
PMSMP = "PMSMP"
MIN_WORKED_CENTS = 100  # >= 1 realised work hour over the year
# Share of the hour lines per territory.
SHARES = {LENS: 0.40, HENIN: 0.35, ARTOIS: 0.25}

# Canonical public codes (publics.toml) known to the model, in display order.
PUBLIC_CODES = ("BRSA", "JEUNE_M26", "ASE", "DELD", "TH", "SENIOR_50", "QPV")


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


def age_on(born: date, on: date) -> int:
    """Age in whole years on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
