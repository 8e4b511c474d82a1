"""The synthetic population, drawn at random but fully determined by ``(rows, seed)``.

Names are drawn from small lists of common French names; name + first name + birth date is
unique except for the deliberate cross-territory duplicates. :func:`build_model` adds the
deliberate traps first (:func:`_special_people`): one person turns 26 exactly on their first
contract's start date (not under 26) and one the day after (under 26, with a later second
contract when already 26); one person's only lines are 0 h and one person has only PMSMP hours
(neither is a participant); one person has a PMSMP while 25 and a first work contract at 26
(not under 26); people in both Lens-Liévin and Hénin-Carvin (same name, first name and birth
date, different ids), one of them BRSA in one territory only, one under 26 in Hénin-Carvin but
not in Lens-Liévin, one with only PMSMP hours in Hénin-Carvin; participants listed without any
contract; 0 h lines.
"""

from __future__ import annotations

import calendar
import random
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from clausekit.samples.model import (
    ARTOIS,
    HENIN,
    LENS,
    PMSMP,
    SHARES,
    TERRITORIES,
    YEAR,
    Contract,
    Model,
    Operation,
    Participant,
    Person,
    age_on,
)
from clausekit.samples.vocabulary import (
    AUTRES_WORKS,
    CITES,
    CLAUSE_WEIGHTS,
    CLAUSES,
    COMMUNES,
    CONTRACT_TYPES,
    CSNE_WORKS,
    DONNEURS,
    DURATIONS,
    EMPLOYER_TYPES,
    EMPLOYERS,
    EXITS,
    NOMS,
    PRENOMS_F,
    PRENOMS_H,
    WORK_TYPES,
)


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


# Ids as each territory writes them: Lens-Liévin numbers from a base, the others a pattern.
_ID_STYLES = {"p": (100000, "HC-{:05d}", "B{:06d}"), "c": (500000, "CT{:06d}", "A25-{:05d}")}


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
        age = age_on(self.persons[person].naissance, date(YEAR, 1, 1))
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
        pid = self._next_id("p", territory)
        if publics is None:
            publics = self.publics(person)
        self.participants.append(Participant(territory, pid, person, publics))
        self.births[(territory, pid)] = self.persons[person].naissance
        if pool:
            self.random_pids[territory].append(pid)
        return pid

    def _next_id(self, kind: str, territory: str) -> str | int:
        """The next participant ("p") or contract ("c") id, styled as the territory writes it."""
        self.counters[kind + territory] += 1
        n = self.counters[kind + territory]
        first, henin, other = _ID_STYLES[kind]
        if territory == LENS:
            return first + n
        return (henin if territory == HENIN else other).format(n)

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
        fin = self._end(type_contrat, debut, months)
        first = max(debut, date(YEAR, 1, 1))
        last = min(fin, date(YEAR, 12, 31)) if fin else date(YEAR, 12, 31)
        if last < first:  # a 2024 contract that ended before 2025: start again in 2025
            return self.contract(territory, pid, type_contrat=type_contrat, op=op, hours=hours)
        self.contracts.append(self._new_contract(territory, pid, op, type_contrat, debut, fin))
        index = len(self.contracts) - 1
        self._add_lines(index, first, last, hours)
        return index

    def _end(self, type_contrat: str, debut: date, months: int | None) -> date | None:
        """The contract's last day (None: open-ended)."""
        rng = self.rng
        if type_contrat == PMSMP:
            return date.fromordinal(debut.toordinal() + rng.choice((4, 11, 13, 18, 25)))
        span = DURATIONS[type_contrat]
        if months is None:
            months = rng.randint(*span) if span else 0
        return date.fromordinal(_add_months(debut, months).toordinal() - 1) if months else None

    def _new_contract(
        self,
        territory: str,
        pid: str | int,
        op: Operation,
        type_contrat: str,
        debut: date,
        fin: date | None,
    ) -> Contract:
        """The contract with its employer, exit and territory-styled id."""
        rng = self.rng
        employer_type = _weighted(rng, EMPLOYER_TYPES.get(type_contrat, (("classique", 1),)))
        ended = fin is not None and fin <= date(YEAR, 12, 31) and type_contrat != PMSMP
        sortie = _weighted(rng, EXITS) if ended else ""
        cid = self._next_id("c", territory)
        return Contract(
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

    def _add_lines(self, index: int, first: date, last: date, hours: str) -> None:
        """One hour line per month of the contract from ``first`` to ``last``."""
        rng = self.rng
        c = self.contracts[index]
        full = 15167 if c.type_contrat != "CDDI" or rng.random() < 0.5 else 11267
        for m in range(first.month, last.month + 1):
            if hours == "zero":
                cents = 0
            elif c.type_contrat == PMSMP:
                cents = rng.choice((2100, 3500, 3500, 7000))
            else:
                cents = self._month_cents(c, m, first, last, full, hours == "positive")
            self.lc.append(index)
            self.lm.append(m)
            self.lh.append(cents)
        self.lines_by_territory[c.territory] += last.month - first.month + 1

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
    _birthday_traps(b)
    _hours_that_do_not_count(b)
    _cross_territory(b, n_cross)


def _birthday_traps(b: _Builder) -> None:
    """A 26th birthday on the first contract's start date, and one the day after."""
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


def _hours_that_do_not_count(b: _Builder) -> None:
    """Only 0 h lines, only PMSMP hours, a PMSMP before the 26th birthday."""
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


def _cross_territory(b: _Builder, n_cross: int) -> None:
    """People in both Lens-Liévin and Hénin-Carvin (same name, first name and birth date)."""
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
