"""Shape B of the benchmark: exports of another plausible ABC Clauses extraction (issue 15).

Not the layout :mod:`clausekit.samples` writes (shape A), but the one a territory network
gets from a « one line per contract and month » extraction:

* three workbooks side by side (no territory folders), **one sheet per territory** (8
  territories: 3 + 3 + 2 sheets), each sheet named after its territory and holding a
  « Territoire » column;
* **21 columns**, header on row 1, one row per contract × month line, person and operation
  columns repeated on every row;
* **no contract id**: a contract is its participant, operation and start date;
* « Heures prévues » on every row is the **contract's** forecast: it differs between the
  contracts of one operation and repeats on each of a contract's rows (an operation's forecast
  is the sum of its contracts' forecasts, each counted once — DOMAIN.md §5);
* five Oui/Non public columns (BRSA, Jeune ASE, RQTH, DELD, Résident QPV);
* 40 operations (5 per territory) with long labels (120 to 190 characters), about 2 000
  companies;
* real date cells (birth, start, end), « Mois » as ``MM/2025`` text, hours as numbers.

Everything is synthetic and determined by ``(rows, seed)``: the files are byte-identical from
one run to the next (fixed zip timestamps, no document properties). The xlsx parts are written
directly (shared strings, one date style), about 20 times faster than openpyxl; the result
opens in Excel, LibreOffice, openpyxl and calamine.

:func:`compute_truth` computes the expected figures from the in-memory :class:`Model`, never
by reading the files back:

* **hours_realised**: the hours of every line whose contract type is not « PMSMP »;
* **hours_forecast**: the sum of the contracts' forecasts, each contract once (PMSMP and 0 h
  contracts included: the forecast belongs to the contract, whatever was realised);
* **participants**: distinct people (same name, first name and birth date across
  territories; within a territory, one participant id) whose work hours over the year are
  >= 1 h; **BRSA / ASE**: among them, those flagged « Oui » in at least one of their
  territory records;
* ``by_territory``: the same per territory (a person counts there with the hours of that
  territory only).

Deliberate traps: about 1 % of the people are followed in two territories under two ids, a
few with a public flagged in one territory only; one person has 0.6 h in each of two
territories (a participant in the total, in neither territory); one person has only PMSMP
hours; one person's only line is 0 h; one has 0.5 h in all; two contracts of one person in
one operation differ only by their start date (two contracts, two forecasts).

Run ``python bench/shape_b.py DIR --rows N`` to write a set by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

YEAR = 2025
PMSMP = "PMSMP"
MIN_WORKED_CENTS = 100
ZIP_TIMESTAMP = (2026, 1, 5, 8, 30, 0)
EPOCH = date(1899, 12, 30)  # Excel's day 0 (1900 date system)

TERRITORIES = (
    "Lens-Liévin",
    "Hénin-Carvin",
    "Béthunois",
    "Artois",
    "Audomarois",
    "Montreuillois",
    "Boulonnais",
    "Calaisis",
)
SHARES = (0.20, 0.16, 0.14, 0.13, 0.10, 0.07, 0.11, 0.09)
FILES = (
    ("export_abc_clauses_nord_2025.xlsx", TERRITORIES[0:3]),
    ("export_abc_clauses_centre_2025.xlsx", TERRITORIES[3:6]),
    ("export_abc_clauses_littoral_2025.xlsx", TERRITORIES[6:8]),
)
OPS_PER_TERRITORY = 5
PUBLIC_FLAGS = ("BRSA", "ASE", "TH", "DELD", "QPV")
PUBLIC_RATES = (0.33, 0.05, 0.08, 0.22, 0.30)
HEADER = (
    "Territoire",
    "Identifiant participant",
    "Nom",
    "Prénom",
    "Date de naissance",
    "BRSA",
    "Jeune ASE",
    "RQTH",
    "DELD",
    "Résident QPV",
    "Code opération",
    "Libellé de l'opération",
    "Donneur d'ordre",
    "Type de clause",
    "Heures prévues",
    "Entreprise",
    "Type de contrat",
    "Date de début",
    "Date de fin",
    "Mois",
    "Heures réalisées",
)
COLS = [chr(ord("A") + i) for i in range(len(HEADER))]  # A..U

PRENOMS = (
    "Thomas", "Nicolas", "Julien", "Kévin", "Mehdi", "Anthony", "Dylan", "Maxime", "Jérôme",
    "Sébastien", "Karim", "Mohamed", "Yassine", "Ludovic", "Grégory", "Jordan", "Enzo", "Lucas",
    "Hugo", "Théo", "Florian", "Mickaël", "Cédric", "David", "Franck", "Pascal", "Stéphane",
    "Rachid", "Bruno", "Alexandre", "Jean-Pierre", "Loïc", "Marie", "Julie", "Laura", "Sarah",
    "Camille", "Émilie", "Aurélie", "Sandrine", "Nathalie", "Céline", "Amandine", "Inès",
    "Fatima", "Léa", "Manon", "Chloé", "Jessica", "Mélanie", "Karine", "Sabrina", "Océane",
    "Nadia", "Christelle", "Virginie",
)  # fmt: skip
NOMS = (
    "Martin", "Bernard", "Dubois", "Lefebvre", "Leroy", "Lemaire", "Dupont", "Lambert",
    "Roussel", "Fontaine", "Duhamel", "Caron", "Lecomte", "Vasseur", "Delattre", "Dumont",
    "Petit", "Durand", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "Bouchez", "Deprez",
    "Carpentier", "Delcroix", "Kaczmarek", "Nowak", "Benali", "Mansouri", "Haddad", "Duquesne",
    "Boulanger", "Pruvost", "Dupuis", "Lebrun", "Coquelle", "Delannoy", "Lefèvre", "Wattel",
    "Leclercq", "Dewailly", "Flament", "Hochart", "Mortier", "Obert", "Queval",
)  # fmt: skip
COMMUNES = (
    "Lens", "Liévin", "Avion", "Hénin-Beaumont", "Carvin", "Béthune", "Bruay-la-Buissière",
    "Arras", "Saint-Omer", "Montreuil-sur-Mer", "Boulogne-sur-Mer", "Calais", "Marck",
    "Outreau", "Berck", "Aire-sur-la-Lys", "Noeux-les-Mines", "Auchel",
)  # fmt: skip
DONNEURS = (
    "Maisons & Cités", "SIA Habitat", "Pas-de-Calais Habitat",
    "Société du Canal Seine-Nord Europe", "SNCF Réseau", "Département du Pas-de-Calais",
    "Communauté d'agglomération de Lens-Liévin", "Région Hauts-de-France",
)  # fmt: skip
CLAUSES = (
    "L2112-2",
    "Clause d'insertion (art. 38)",
    "Article 14 + critère social",
    "Marché réservé SIAE (L2113-13)",
    "R2123-1 marché d'insertion",
    "Critère R2152-7",
)
WORKS = (
    "réhabilitation thermique et remplacement des menuiseries extérieures",
    "terrassements généraux, assainissement et voiries provisoires de chantier",
    "construction d'un ouvrage d'art et rétablissement des communications routières",
    "entretien des espaces verts, fauchage raisonné et gestion différenciée des abords",
    "nettoyage des bâtiments publics et vitrerie des équipements communautaires",
    "démolition, désamiantage et curage des logements avant reconstruction",
)
COMPANY_HEADS = (
    "Bâtiments", "Travaux publics", "Menuiseries", "Espaces verts", "Propreté", "Électricité",
    "Couverture", "Peinture", "Terrassements", "Intérim", "Isolation", "Plomberie",
)  # fmt: skip
CONTRACT_TYPES = (
    ("CDI", 6), ("CDD", 10), ("CDD 8 mois", 3), ("Intérim", 14), ("Mission d'intérim", 8),
    ("Contrat de professionnalisation", 5), ("Contrat d'apprentissage", 4), ("CDDI", 14),
    ("Emploi franc CDD", 2), ("CUI-CIE", 3), (PMSMP, 5),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Person:
    nom: str
    prenom: str
    naissance: date


@dataclass
class Record:
    """A person as followed in one territory (one participant id)."""

    territory: int
    pid: int
    person: int
    flags: tuple[bool, ...]  # PUBLIC_FLAGS


@dataclass
class Operation:
    territory: int
    code: str
    label: str
    donneur: str
    clause: str


@dataclass
class Contract:
    record: int
    op: int
    company: str
    kind: str
    debut: date
    fin: date | None
    forecast: int  # whole hours, this contract's
    lines: list[tuple[int, int]]  # (month, cents)


@dataclass
class Model:
    persons: list[Person] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)


@dataclass
class Truth:
    hours_realised: float
    hours_forecast: float
    participants: int
    participants_brsa: int
    participants_ase: int
    contracts: int
    operations: int
    lines: int
    by_territory: dict[str, dict[str, float | int]]


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.model = Model()
        self.identities: set[tuple[str, str, date]] = set()
        self.next_pid = [100_001 + 100_000 * t for t in range(len(TERRITORIES))]
        self.keys: set[tuple[int, int, date]] = set()  # (record, op, start): one contract
        self.pool: list[list[int]] = [[] for _ in TERRITORIES]
        self.lines = [0] * len(TERRITORIES)
        self.companies = [
            f"{head} {nom} {suffix}"
            for head in COMPANY_HEADS
            for nom in NOMS
            for suffix in ("SARL", "SAS", "et Fils", "Nord")
        ][:2000]
        self.types = [t for t, _ in CONTRACT_TYPES]
        self.weights = [w for _, w in CONTRACT_TYPES]

    def person(self, naissance: date | None = None) -> int:
        rng = self.rng
        while True:
            born = naissance or date(1960, 1, 1) + timedelta(days=rng.randrange(17_000))
            who = (rng.choice(NOMS), rng.choice(PRENOMS), born)
            if who not in self.identities:
                self.identities.add(who)
                self.model.persons.append(Person(*who))
                return len(self.model.persons) - 1

    def record(self, territory: int, person: int, flags: tuple[bool, ...] | None = None) -> int:
        if flags is None:
            flags = tuple(self.rng.random() < r for r in PUBLIC_RATES)
        pid = self.next_pid[territory]
        self.next_pid[territory] += 1 + self.rng.randrange(3)  # ids with gaps
        self.model.records.append(Record(territory, pid, person, flags))
        return len(self.model.records) - 1

    def operations(self) -> None:
        rng = self.rng
        for t in range(len(TERRITORIES)):
            for k in range(OPS_PER_TERRITORY):
                n = t * OPS_PER_TERRITORY + k
                commune = COMMUNES[(3 * t + k) % len(COMMUNES)]
                work = WORKS[(t + k) % len(WORKS)]
                label = (
                    f"Programme {('ERBM', 'CSNE', 'ANRU', 'Équipements publics')[n % 4]} — "
                    f"{work}, secteur {commune}, lot n° {k + 1} de la tranche "
                    f"{2023 + n % 3} (opération {n + 1} sur 40)"
                )
                code = f"OP{YEAR}-{t + 1:02d}{k + 1:03d}"
                self.model.operations.append(
                    Operation(t, code, label, DONNEURS[n % len(DONNEURS)], rng.choice(CLAUSES))
                )

    def contract(
        self,
        record: int,
        *,
        op: int | None = None,
        kind: str | None = None,
        debut: date | None = None,
        lines: list[tuple[int, int]] | None = None,
        forecast: int | None = None,
    ) -> None:
        rng = self.rng
        t = self.model.records[record].territory
        if op is None:
            op = t * OPS_PER_TERRITORY + rng.randrange(OPS_PER_TERRITORY)
        while True:
            month = lines[0][0] if lines else rng.randint(1, 12)
            start = debut or date(YEAR, month, rng.randint(1, 28))
            if (record, op, start) not in self.keys:
                break
            if debut is not None:
                raise ValueError("two contracts with the same participant, operation, start")
        self.keys.add((record, op, start))
        kind = kind or rng.choices(self.types, self.weights)[0]
        if lines is None:
            months = rng.choices((1, 2, 3, 4, 5, 6, 7, 8), (10, 12, 14, 14, 14, 13, 12, 11))[0]
            last = min(12, start.month + months - 1)
            lines = [
                (m, 0 if rng.random() < 0.04 else rng.randint(100, 15_200))
                for m in range(start.month, last + 1)
            ]
        fin = None if kind == "CDI" else start + timedelta(days=30 * max(1, len(lines)))
        self.model.contracts.append(
            Contract(
                record,
                op,
                rng.choice(self.companies),
                kind,
                start,
                fin,
                forecast if forecast is not None else rng.randint(35, 4_000),
                lines,
            )
        )
        self.lines[t] += len(lines)


def build_model(rows: int, seed: int = 2025) -> Model:
    """About ``rows`` contract × month lines over the 8 territories."""
    if rows < 1:
        raise ValueError("rows must be >= 1")
    rng = random.Random(f"shape-b-{seed}")
    b = _Builder(rng)
    b.operations()
    no = (False,) * len(PUBLIC_FLAGS)
    brsa = (True, *no[1:])
    # traps (territory indexes 0 and 1, the nord workbook)
    p = b.person()  # 0.6 h in each of two territories: a participant in the total only
    b.contract(b.record(0, p, brsa), lines=[(3, 60)])
    b.contract(b.record(1, p, no), lines=[(4, 60)])
    b.contract(b.record(0, b.person(), brsa), kind=PMSMP, lines=[(5, 3_500)])  # PMSMP only
    b.contract(b.record(1, b.person(), brsa), lines=[(6, 0)])  # only 0 h
    b.contract(b.record(2, b.person(), brsa), lines=[(7, 20), (8, 30)])  # 0.5 h in all
    r = b.record(2, b.person(), no)  # two contracts, same operation, two start dates
    b.contract(r, op=10, debut=date(YEAR, 2, 3), kind="CDD", lines=[(2, 7_000)], forecast=70)
    b.contract(r, op=10, debut=date(YEAR, 3, 3), kind="CDD", lines=[(3, 8_000)], forecast=90)
    targets = [max(1, round(rows * s)) for s in SHARES]
    for t in range(len(TERRITORIES)):
        for k in range(OPS_PER_TERRITORY):  # every operation has work hours
            b.contract(
                b.record(t, b.person()), op=t * OPS_PER_TERRITORY + k, kind="CDD",
                lines=[(k + 1, 3_500)],
            )  # fmt: skip
    for t in range(len(TERRITORIES)):
        pool = b.pool[t]
        while b.lines[t] < targets[t]:
            if pool and rng.random() < 0.28:
                record = rng.choice(pool)
            else:
                record = b.record(t, b.person())
                pool.append(record)
                if rng.random() < 0.01:  # followed in another territory too
                    other = (t + 1 + rng.randrange(len(TERRITORIES) - 1)) % len(TERRITORIES)
                    flags = b.model.records[record].flags
                    if rng.random() < 0.3:  # a public known in one territory only
                        flags = (not flags[0], *flags[1:])
                    again = b.record(other, b.model.records[record].person, flags)
                    b.pool[other].append(again)
                    b.contract(again)
            b.contract(record)
    return b.model


def compute_truth(model: Model) -> Truth:
    """The expected figures (rules in the module docstring), from the model only."""
    n_t = len(TERRITORIES)
    hours = [0] * n_t
    forecast = [0] * n_t
    contracts = 0
    lines = 0
    record_cents = [0] * len(model.records)
    for c in model.contracts:
        t = model.records[c.record].territory
        forecast[t] += c.forecast
        lines += len(c.lines)
        if c.kind == PMSMP:
            continue
        cents = sum(h for _, h in c.lines)
        hours[t] += cents
        record_cents[c.record] += cents
        contracts += cents > 0
    person_cents: dict[int, int] = {}
    person_flags: dict[int, list[bool]] = {}
    by_t = [{"n": 0, "brsa": 0, "ase": 0} for _ in range(n_t)]
    for i, r in enumerate(model.records):
        person_cents[r.person] = person_cents.get(r.person, 0) + record_cents[i]
        flags = person_flags.setdefault(r.person, [False] * len(PUBLIC_FLAGS))
        person_flags[r.person] = [a or b for a, b in zip(flags, r.flags, strict=True)]
        if record_cents[i] >= MIN_WORKED_CENTS:
            by_t[r.territory]["n"] += 1
            by_t[r.territory]["brsa"] += r.flags[0]
            by_t[r.territory]["ase"] += r.flags[1]
    worked = [p for p, cents in person_cents.items() if cents >= MIN_WORKED_CENTS]
    return Truth(
        hours_realised=round(sum(hours) / 100, 2),
        hours_forecast=float(sum(forecast)),
        participants=len(worked),
        participants_brsa=sum(person_flags[p][0] for p in worked),
        participants_ase=sum(person_flags[p][1] for p in worked),
        contracts=contracts,
        operations=len(model.operations),
        lines=lines,
        by_territory={
            name: {
                "hours_realised": round(hours[t] / 100, 2),
                "hours_forecast": float(forecast[t]),
                "participants": by_t[t]["n"],
                "participants_brsa": by_t[t]["brsa"],
                "participants_ase": by_t[t]["ase"],
            }
            for t, name in enumerate(TERRITORIES)
        },
    )


# --------------------------------------------------------------------------------------------
# Writing the xlsx parts directly


class _Strings:
    """The workbook's shared strings table, in order of first use."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    def xml(self) -> bytes:
        items = "".join(f"<si><t>{escape(s)}</t></si>" for s in self.index)
        n = len(self.index)
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{n}" uniqueCount="{n}">{items}</sst>'
        ).encode()


def _serial(d: date) -> int:
    return (d - EPOCH).days


def _hours_text(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


def _sheet_rows(model: Model, territory: int, sst: _Strings, chunk: int = 4096):
    """The sheet's XML, in pieces (header, then one row per contract × month line)."""
    s = sst
    head = "".join(
        f'<c r="{col}1" t="s"><v>{s(h)}</v></c>' for col, h in zip(COLS, HEADER, strict=True)
    )
    yield f'<row r="1">{head}</row>'
    yes, no = s("Oui"), s("Non")
    months = [s(f"{m:02d}/{YEAR}") for m in range(13)]
    terr = s(TERRITORIES[territory])
    ops = model.operations
    row = 1
    out: list[str] = []
    for c in model.contracts:
        rec = model.records[c.record]
        if rec.territory != territory:
            continue
        person = model.persons[rec.person]
        op = ops[c.op]
        flags = "".join(
            f'<c r="{col}{{r}}" t="s"><v>{yes if flag else no}</v></c>'
            for col, flag in zip(COLS[5:10], rec.flags, strict=True)
        )
        fin = "" if c.fin is None else f'<c r="S{{r}}" s="1"><v>{_serial(c.fin)}</v></c>'
        template = (
            f'<row r="{{r}}"><c r="A{{r}}" t="s"><v>{terr}</v></c>'
            f'<c r="B{{r}}"><v>{rec.pid}</v></c>'
            f'<c r="C{{r}}" t="s"><v>{s(person.nom)}</v></c>'
            f'<c r="D{{r}}" t="s"><v>{s(person.prenom)}</v></c>'
            f'<c r="E{{r}}" s="1"><v>{_serial(person.naissance)}</v></c>{flags}'
            f'<c r="K{{r}}" t="s"><v>{s(op.code)}</v></c>'
            f'<c r="L{{r}}" t="s"><v>{s(op.label)}</v></c>'
            f'<c r="M{{r}}" t="s"><v>{s(op.donneur)}</v></c>'
            f'<c r="N{{r}}" t="s"><v>{s(op.clause)}</v></c>'
            f'<c r="O{{r}}"><v>{c.forecast}</v></c>'
            f'<c r="P{{r}}" t="s"><v>{s(c.company)}</v></c>'
            f'<c r="Q{{r}}" t="s"><v>{s(c.kind)}</v></c>'
            f'<c r="R{{r}}" s="1"><v>{_serial(c.debut)}</v></c>{fin}'
            '<c r="T{r}" t="s"><v>{m}</v></c><c r="U{r}"><v>{h}</v></c></row>'
        )
        fmt = template.format
        for m, cents in c.lines:
            row += 1
            out.append(fmt(r=row, m=months[m], h=_hours_text(cents)))
        if len(out) >= chunk:
            yield "".join(out)
            out = []
    if out:
        yield "".join(out)


def _sheet_size(model: Model, territory: int) -> int:
    return 1 + sum(
        len(c.lines) for c in model.contracts if model.records[c.record].territory == territory
    )


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _write_workbook(model: Model, path: Path, territories: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sst = _Strings()
    indexes = [TERRITORIES.index(t) for t in territories]

    def part(zf: zipfile.ZipFile, name: str, data: bytes | None = None, pieces=None) -> None:
        info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        if data is not None:
            zf.writestr(info, data, compresslevel=6)
            return
        with zf.open(info, "w", force_zip64=True) as fh:
            for piece in pieces:
                fh.write(piece.encode())

    n = len(territories)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(n)
        )
        part(
            zf,
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://'
                'schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
                'formats-officedocument.spreadsheetml.sheet.main+xml"/>'
                f"{overrides}"
                '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxml'
                'formats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
            ).encode(),
        )
        part(
            zf,
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
        )
        sheets = "".join(
            f'<sheet name="{escape(t)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, t in enumerate(territories)
        )
        part(
            zf,
            "xl/workbook.xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook {NS} xmlns:r="{REL_NS}"><sheets>{sheets}</sheets></workbook>'
            ).encode(),
        )
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(n)
        )
        part(
            zf,
            "xl/_rels/workbook.xml.rels",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                f'<Relationship Id="rId{n + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
                f'<Relationship Id="rId{n + 2}" Type="{REL_NS}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>'
            ).encode(),
        )
        part(zf, "xl/styles.xml", STYLES.encode())
        for i, t in enumerate(indexes):
            last = _sheet_size(model, t)

            def pieces(t: int = t, last: int = last):
                yield (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<worksheet {NS} xmlns:r="{REL_NS}"><dimension ref="A1:U{last}"/>'
                    "<sheetData>"
                )
                yield from _sheet_rows(model, t, sst)
                yield "</sheetData></worksheet>"

            part(zf, f"xl/worksheets/sheet{i + 1}.xml", pieces=pieces())
        part(zf, "xl/sharedStrings.xml", sst.xml())


def write_shape_b(out_dir: Path, *, rows: int, seed: int = 2025) -> Truth:
    """Write the three workbooks and ``ATTENDU.json`` (last: its presence means complete)."""
    out_dir = Path(out_dir)
    model = build_model(rows, seed)
    truth = compute_truth(model)
    for name, territories in FILES:
        _write_workbook(model, out_dir / name, territories)
    (out_dir / "ATTENDU.json").write_text(
        json.dumps(asdict(truth), ensure_ascii=False, sort_keys=True, indent=2) + "\n",
        encoding="utf-8",
    )
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description="Exports fictifs de forme B (banc d'essai).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    truth = write_shape_b(args.folder, rows=args.rows, seed=args.seed)
    print(json.dumps(asdict(truth), ensure_ascii=False, indent=1)[:600])


if __name__ == "__main__":
    main()
