"""The figures a correct report must show for a :class:`~clausekit.samples.model.Model`.

Computed by :func:`compute_truth` from the generator's in-memory model, never by reading the
files back. Counting rules (DOMAIN.md §5):

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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from clausekit.samples.model import MIN_WORKED_CENTS, PMSMP, TERRITORIES, Model, age_on

_Record = tuple[str, str | int]  # (territory, participant id)


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
class _Work:
    """The work (non-PMSMP) hours of the model, per territory and per participant record."""

    hours: dict[str, int]  # territory -> cents
    contracts: dict[str, int]  # territory -> contracts with > 0 work cents
    cents: dict[_Record, int] = field(default_factory=lambda: defaultdict(int))
    first: dict[_Record, date] = field(default_factory=dict)  # earliest start with hours


def compute_truth(model: Model) -> Truth:
    """The expected figures for ``model`` (rules in the module docstring)."""
    per_contract = _contract_cents(model)
    territories = _territory_order(model)
    work = _work(model, per_contract, territories)
    forecast, operations = _operations(model, territories)
    people = _territory_people(model, work, territories)
    total = _people_overall(model, work)
    by_territory: dict[str, dict[str, float | int]] = {
        t: {
            "hours_realised": _hours(work.hours[t]),
            "hours_forecast": float(forecast[t]),
            "participants": people[t]["n"],
            "participants_brsa": people[t]["brsa"],
            "participants_under_26": people[t]["u26"],
            "participants_ase": people[t]["ase"],
            "contracts": work.contracts[t],
            "operations": len(operations[t]),
        }
        for t in territories
    }
    return Truth(
        hours_realised=_hours(sum(work.hours.values())),
        hours_forecast=float(sum(forecast.values())),
        participants=total["n"],
        participants_brsa=total["brsa"],
        participants_under_26=total["u26"],
        participants_ase=total["ase"],
        contracts=sum(work.contracts.values()),
        operations=sum(len(s) for s in operations.values()),
        by_territory=by_territory,
    )


def _territory_order(model: Model) -> list[str]:
    seen = {p.territory for p in model.participants}
    seen |= {o.territory for o in model.operations}
    seen |= {c.territory for c in model.contracts}
    return [t for t in TERRITORIES if t in seen] + sorted(seen - set(TERRITORIES))


def _hours(cents: int) -> float:
    return round(cents / 100, 2)


def _contract_cents(model: Model) -> list[int]:
    """The cents of each contract's lines, summed."""
    line_contract = np.asarray(model.line_contract, dtype=np.int64)
    line_cents = np.asarray(model.line_cents, dtype=np.int64)
    if line_cents.size and int(line_cents.min()) < 0:
        raise ValueError("negative hours in the model")
    per_contract = np.zeros(len(model.contracts), dtype=np.int64)
    np.add.at(per_contract, line_contract, line_cents)
    return [int(cents) for cents in per_contract.tolist()]


def _work(model: Model, per_contract: list[int], territories: Iterable[str]) -> _Work:
    """Work hours and counted contracts per territory; work and first start per record."""
    work = _Work(dict.fromkeys(territories, 0), dict.fromkeys(territories, 0))
    for c, cents in zip(model.contracts, per_contract, strict=True):
        if c.type_contrat == PMSMP:
            continue
        work.hours[c.territory] += cents
        if cents > 0:
            work.contracts[c.territory] += 1
            key = (c.territory, c.pid)
            work.cents[key] += cents
            if key not in work.first or c.debut < work.first[key]:
                work.first[key] = c.debut
    return work


def _operations(model: Model, territories: list[str]) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Forecast hours (once per operation) and the distinct operation ids, per territory."""
    forecast: dict[str, int] = dict.fromkeys(territories, 0)
    operations: dict[str, set[str]] = {t: set() for t in territories}
    for o in model.operations:
        if o.op_id not in operations[o.territory]:
            operations[o.territory].add(o.op_id)
            forecast[o.territory] += o.forecast
    return forecast, operations


def _new_counts() -> dict[str, int]:
    return {"n": 0, "brsa": 0, "u26": 0, "ase": 0}


def _count(counts: dict[str, int], publics: AbstractSet[str], born: date, start: date) -> None:
    """One more participant: BRSA, ASE, and under 26 on ``start``."""
    counts["n"] += 1
    counts["brsa"] += "BRSA" in publics
    counts["ase"] += "ASE" in publics
    counts["u26"] += age_on(born, start) < 26


def _territory_people(
    model: Model, work: _Work, territories: list[str]
) -> dict[str, dict[str, int]]:
    """Participants per territory, where a participant id is a person."""
    records = {(p.territory, p.pid): p for p in model.participants}
    counts = {t: _new_counts() for t in territories}
    seen: dict[str, set[int]] = {t: set() for t in territories}
    for key, cents in work.cents.items():
        rec = records[key]
        if cents < MIN_WORKED_CENTS or rec.person in seen[rec.territory]:
            continue
        seen[rec.territory].add(rec.person)
        born = model.persons[rec.person].naissance
        _count(counts[rec.territory], rec.publics, born, work.first[key])
    return counts


def _people_overall(model: Model, work: _Work) -> dict[str, int]:
    """Participants over all territories, where a person is the model's person index: the
    work of all their records, their earliest start, the union of their publics."""
    records = {(p.territory, p.pid): p for p in model.participants}
    person_work: dict[int, int] = defaultdict(int)
    person_first: dict[int, date] = {}
    person_publics: dict[int, set[str]] = defaultdict(set)
    for p in model.participants:
        person_publics[p.person] |= p.publics
    for key, cents in work.cents.items():
        person = records[key].person
        person_work[person] += cents
        start = work.first[key]
        if person not in person_first or start < person_first[person]:
            person_first[person] = start
    total = _new_counts()
    for person, cents in person_work.items():
        if cents >= MIN_WORKED_CENTS:
            born = model.persons[person].naissance
            _count(total, person_publics[person], born, person_first[person])
    return total
