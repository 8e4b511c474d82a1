"""Stage 2 — recognise: find the header row of each sheet, map its columns to the canonical
names of ``schemas/`` through the alias lists, and tell which table kinds the sheet holds.

Also drops what is not data (title block, trailing empty rows) and marks rows to skip (blank
rows, TOTAL rows) so that every row read is accounted for.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clausekit.errors import Issue, make_issue
from clausekit.parse import as_text, is_filled, normalise_text, parse_months
from clausekit.pipeline.exportdate import title_date
from clausekit.pipeline.read import RawSheet
from clausekit.rules.headers import ID_KEY, header_key, normalise_label
from clausekit.rules.schemas import Spec

HEADER_SEARCH_ROWS = 30
PUBLIC_PREFIX = "public:"
MONTH_PREFIX = "month:"
# "Heures", "Nb. heures", "Nombre d'heures réalisées -"... before a month in a wide header;
# read on the header as written and on its normalised form (:func:`normalise_label`)
HOURS_WORDS = re.compile(
    r"^\s*(?:nb\.?\s+|nombre\s+d(?:['’]\s*|\s+)|total\s+)?(?:heures?|h)"
    r"(?:\s+(?:r[ée]alis[ée]es|effectu[ée]es|travaill[ée]es))?\s*(?:[-:]\s*)?",
    re.I,
)
TOTAL_WORDS = ("total", "totaux", "sous total", "total general")


@dataclass
class Recognised:
    raw: RawSheet
    header_row: int
    kinds: list[str]
    columns: dict[str, int]  # canonical name (or "public:CODE") -> positional column
    labels: dict[str, str]  # canonical name -> header as written in the file
    data: pd.DataFrame  # raw strings of the mapped columns; index = spreadsheet row
    skipped: dict[int, str] = field(default_factory=dict)  # row -> issue code (blank/total)
    sheet_errors: dict[str, list[Issue]] = field(default_factory=dict)  # kind -> fatal issues
    issues: list[Issue] = field(default_factory=list)
    header_labels: list[str] = field(default_factory=list)  # by position
    # how each canonical column was matched: alias, normalisation, mapping, id/label...
    rules: dict[str, str] = field(default_factory=dict)
    extraction_date: datetime | None = None  # written in the title rows above the header

    released_rows: int | None = None  # rows read, kept when the raw cells are released

    @property
    def rows_read(self) -> int:
        if self.released_rows is not None:
            return self.released_rows
        return len(self.data) + len(self.skipped)

    def release(self) -> None:
        """Drop the raw cells once validated (only the typed tables are needed afterwards):
        on a million rows they are the largest thing in memory."""
        self.released_rows = self.rows_read
        self.data = self.data.iloc[0:0]
        self.raw.frame = self.raw.frame.iloc[0:0]


def _alias_index(spec: Spec) -> dict[str, str]:
    """Canonical name of each alias, under its loose form (:func:`header_key`)."""
    index: dict[str, str] = {}
    for table in spec.tables.values():
        for col in table.columns:
            for alias in (col.label, *col.aliases):
                index.setdefault(header_key(alias), col.name)
    for cat in spec.publics:
        for header in cat.columns:
            index.setdefault(header_key(header), PUBLIC_PREFIX + cat.code)
    return index


def _alias_rank(spec: Spec) -> dict[str, int]:
    """Position of each alias in its column's list: lower wins an ambiguity."""
    rank: dict[str, int] = {}
    for table in spec.tables.values():
        for col in table.columns:
            for i, alias in enumerate((col.label, *col.aliases)):
                rank.setdefault(header_key(alias), i)
    return rank


def _exact_aliases(spec: Spec) -> frozenset[str]:
    """The aliases as listed (only case, accents, punctuation and units ignored)."""
    names = {normalise_label(a) for t in spec.tables.values() for c in t.columns for a in c.aliases}
    names |= {normalise_label(c.label) for t in spec.tables.values() for c in t.columns}
    names |= {normalise_label(h) for cat in spec.publics for h in cat.columns}
    return frozenset(names)


_ALIASES: dict[int, tuple[Spec, dict[str, str], dict[str, int], frozenset[str]]] = {}


def _aliases(spec: Spec) -> tuple[dict[str, str], dict[str, int], frozenset[str]]:
    """The alias index, ranks and exact aliases of ``spec``, computed once per spec (the spec
    is kept with them, so that its id cannot be taken by another one). Not to be modified."""
    cached = _ALIASES.get(id(spec))
    if cached is None or cached[0] is not spec:
        cached = (spec, _alias_index(spec), _alias_rank(spec), _exact_aliases(spec))
        _ALIASES[id(spec)] = cached
    return cached[1], cached[2], cached[3]


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _head_texts(frame: pd.DataFrame) -> dict[int, list[str]]:
    """The cell texts of the rows where a header is looked for, by spreadsheet row."""
    head = frame.head(HEADER_SEARCH_ROWS)
    cells = head.to_numpy(dtype=object)
    return {
        int(row): [_cell_text(v) for v in values]
        for row, values in zip(head.index, cells, strict=True)
    }


def _header_labels(head: dict[int, list[str]], row: int, index: dict[str, str]) -> list[str]:
    """Labels of header row ``row``, combined with the row above for two-row/merged headers."""
    current = head[row]
    if row - 1 not in head:
        return current
    above = head[row - 1]
    filled, last = [], ""
    for text in above:  # merged cells keep their text in the first cell only
        last = text or last
        filled.append(last)
    labels = []
    for cur, up in zip(current, filled, strict=True):
        combined = f"{up} {cur}".strip()
        if cur and header_key(cur) in index:
            labels.append(cur)
        elif up and cur and header_key(combined) in index:
            labels.append(combined)
        elif not cur and up and header_key(up) in index:
            labels.append(up)
        else:
            labels.append(cur)
    return labels


def _filled_rows(body: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """True for the rows with at least one filled cell. Column by column (no copy of the whole
    sheet), looking only at the rows still blank so far: most rows are settled by their
    first cell."""
    filled = np.zeros(len(body), dtype=bool)
    blank = np.arange(len(body))
    for position in range(body.shape[1]):
        if not blank.size:
            break
        column = body.iloc[:, position]
        found = is_filled(column if blank.size == len(body) else column.iloc[blank])
        filled[blank[found]] = True
        blank = blank[~found]
    return filled


def _total_rows(first: pd.Series) -> pd.Series:
    """True where the first filled cell of the row says "total" ("Total", "TOTAL général",
    "Sous-total"...). Only the cells that may say so are normalised: ASCII text normalises
    to its lowercased words, so there "tot" must already be written (in any case)."""
    text = pa.array(as_text(first).array)
    maybe = pc.or_(
        pc.invert(pc.string_is_ascii(text)), pc.match_substring(pc.utf8_lower(text), "tot")
    )
    rows = np.flatnonzero(pc.fill_null(maybe, False).to_numpy(zero_copy_only=False))
    norm = normalise_text(first.iloc[rows])
    found = norm.isin(TOTAL_WORDS) | norm.str.startswith("total ").fillna(False)
    is_total = np.zeros(len(first), dtype=bool)
    is_total[rows] = found.to_numpy(dtype=bool)
    return pd.Series(is_total, index=first.index)


def _first_filled(body: pd.DataFrame) -> pd.Series:
    """The first non-empty cell of each row, column by column (a row-wise bfill on Arrow
    strings builds one block per row: minutes on a million rows)."""
    first = as_text(body.iloc[:, 0])
    for position in range(1, body.shape[1]):
        missing = first.isna()
        if not missing.any():
            break
        first = first.fillna(as_text(body.iloc[:, position]))
    return first


def _month_headers(labels: list[str], positions: list[int]) -> dict[int, str]:
    """Positions of the headers that name a month (wide layout), with their "YYYY-MM".

    A header is tried as written ("janv.-25", "01/2025") and without a leading "Heures" /
    "Nb heures" ("Heures avril 2025"); at least two month columns make a wide layout."""
    if not labels:
        return {}
    stripped = [HOURS_WORDS.sub("", normalise_label(label)).strip() for label in labels]
    raw = [HOURS_WORDS.sub("", label).strip() for label in labels]
    as_written, bad1 = parse_months(pd.Series(raw, dtype="string"))
    without, bad2 = parse_months(pd.Series(stripped, dtype="string"))
    found: dict[int, str] = {}
    for pos, m1, b1, m2, b2, text in zip(
        positions, as_written, bad1, without, bad2, stripped, strict=True
    ):
        if not text:
            continue
        if not b1 and isinstance(m1, str):
            found[pos] = m1
        elif not b2 and isinstance(m2, str):
            found[pos] = m2
    return found if len(found) >= 2 else {}


def _closest(aliases: tuple[str, ...], found: list[str], count: int = 6) -> list[str]:
    """The accepted headers nearest to the ones found (likely typos first), then the others."""
    norm_found = [normalise_label(f) for f in found if f]
    scored = []
    for i, alias in enumerate(aliases):
        norm = normalise_label(alias)
        best = max((difflib.SequenceMatcher(None, norm, f).ratio() for f in norm_found), default=0)
        scored.append((-best if best >= 0.6 else 0.0, i, alias))
    return [alias for _, _, alias in sorted(scored)[:count]]


RULE_ALIAS = "en-tête connu"
RULE_LOOSE = "en-tête voisin (articles, pluriels, N°/Code/Réf.)"
RULE_MAPPING = "correspondance de clausekit.toml"


def _rule(key: str, norm: str, mapped: Mapping[str, str], exact: frozenset[str]) -> str:
    """How a header was matched, in words (listed in the report's column table)."""
    if key in mapped:
        return RULE_MAPPING
    return RULE_ALIAS if norm in exact else RULE_LOOSE


CODE_SAMPLE_ROWS = 200  # rows looked at to tell codes from labels
# id fields, and the field that holds their label when two columns could be the id
ID_LABELS = {"operation_id": "operation_libelle", "participant_id": None, "contrat_id": None}
_CODE = re.compile(r"^[^\s]{1,24}$")


def _code_likeness(column: pd.Series, key: str) -> float:
    """How much a column looks like an identifier: its header says number/code (1 point) and
    the share of its values that are codes (one word of at most 24 characters, with a digit)."""
    values = [str(v).strip() for v in column.dropna().tolist() if str(v).strip()]
    says_id = 1.0 if ID_KEY in key.split() else 0.0
    if not values:
        return says_id
    codes = sum(1 for v in values if _CODE.match(v) and any(ch.isdigit() for ch in v))
    return says_id + codes / len(values)


def _find_header(head: dict[int, list[str]], index: dict[str, str]) -> int | None:
    best_row, best_score = None, 1
    for row in head:
        labels = _header_labels(head, row, index)
        score = len({index[n] for n in map(header_key, labels) if n and n in index})
        if score > best_score:
            best_row, best_score = row, score
    return best_row


def column_letter(position: int) -> str:
    """The spreadsheet letters of a 0-based column (0 → A, 26 → AA)."""
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_position(letters: str) -> int:
    """The 0-based column of spreadsheet letters (A → 0, AA → 26): :func:`column_letter`'s
    inverse."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number - 1


@dataclass
class _Header:
    """The header row of a sheet being recognised, and what is learned of its columns."""

    raw: RawSheet
    row: int
    labels: list[str]  # by position, as written (combined with the row above if need be)
    issues: list[Issue] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # canonical name -> position
    rules: dict[int, str] = field(default_factory=dict)  # position -> how it was matched
    unmapped: list[int] = field(default_factory=list)
    norm: list[str] = field(init=False)  # by position, normalised (:func:`normalise_label`)
    keys: list[str] = field(init=False)  # by position, loose form (:func:`header_key`)

    def __post_init__(self) -> None:
        self.norm = [normalise_label(label) for label in self.labels]
        self.keys = [header_key(label) if label else "" for label in self.labels]

    def issue(self, code: str, **params: object) -> None:
        self.issues.append(
            make_issue(code, file=self.raw.file, sheet=self.raw.sheet, row=self.row, **params)
        )


def _index_with(
    spec: Spec, extra_aliases: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The alias index of ``spec`` with a territory's own headers (clausekit.toml), and
    those headers alone, under their loose form."""
    index = _aliases(spec)[0]
    if not extra_aliases:
        return index, {}
    mapped = {header_key(k): v for k, v in extra_aliases.items()}
    return {**index, **mapped}, mapped


def _duplicated(hdr: _Header) -> set[str]:
    """Headers written twice: an error, neither column is read."""
    counts = Counter(n for n in hdr.norm if n)
    duplicated = {n for n, c in counts.items() if c > 1}
    for n in sorted(duplicated):
        positions = [i for i, x in enumerate(hdr.norm) if x == n]
        hdr.issue(
            "COLUMN_DUPLICATE",
            column=hdr.labels[positions[0]],
            count=len(positions),
            letters=", ".join(column_letter(p) for p in positions),
        )
    return duplicated


def _candidates(hdr: _Header, index: dict[str, str], duplicated: set[str]) -> dict[str, list[int]]:
    """The positions whose header names each canonical column; the others are unmapped."""
    candidates: dict[str, list[int]] = {}
    for pos, key in enumerate(hdr.keys):
        if not key or hdr.norm[pos] in duplicated:
            continue
        if key in index:
            candidates.setdefault(index[key], []).append(pos)
        else:
            hdr.unmapped.append(pos)
    return candidates


def _choose_columns(
    hdr: _Header, candidates: dict[str, list[int]], rank: dict[str, int], frame: pd.DataFrame
) -> None:
    """One position per canonical column: the best-ranked alias, or, for an id beside its
    label, the column that says number/code and holds codes. Other candidates are ambiguous."""
    body_rows = frame.loc[hdr.row + 1 : hdr.row + CODE_SAMPLE_ROWS]
    keys, labels = hdr.keys, hdr.labels
    for name, positions in list(candidates.items()):
        positions.sort(key=lambda p: (rank.get(keys[p], 99), p))
        if len(positions) > 1 and name in ID_LABELS:
            positions.sort(key=lambda p: -_code_likeness(body_rows.iloc[:, p], keys[p]))
            label_field = ID_LABELS[name]
            if label_field and label_field not in candidates:
                hdr.columns[label_field] = positions[1]
                hdr.rules[positions[1]] = "libellé (à côté de son identifiant)"
                hdr.rules[positions[0]] = "identifiant (à côté de son libellé)"
                positions = [positions[0], *positions[2:]]
        hdr.columns[name] = positions[0]
        if len(positions) > 1:
            hdr.issue(
                "COLUMN_AMBIGUOUS",
                column=labels[positions[0]],
                column_label=name,
                kept=labels[positions[0]],
                found=", ".join(f"« {labels[p]} »" for p in sorted(positions)),
            )


def _month_columns(hdr: _Header) -> None:
    """Monthly hours laid out wide: one column per month ("janv.-25", "Heures 01/2025"...);
    the row total of the month columns is then not read."""
    columns = hdr.columns
    if "mois" in columns:
        return
    total = columns.get("heures_realisees")
    if total is not None and not hdr.norm[total].startswith(("total", "somme")):
        return
    months = _month_headers([hdr.labels[p] for p in hdr.unmapped], hdr.unmapped)
    if months and total is not None:
        del columns["heures_realisees"]
        hdr.unmapped.append(total)
    for pos, month in months.items():
        columns[MONTH_PREFIX + month] = pos
        hdr.rules[pos] = "mois en colonne (export large)"
    hdr.unmapped = sorted(p for p in hdr.unmapped if p not in columns.values())


def _map_columns(
    hdr: _Header, spec: Spec, index: dict[str, str], mapped: Mapping[str, str], frame: pd.DataFrame
) -> None:
    """Map the header's columns to canonical names (``hdr.columns``, ``hdr.rules``) and
    report the duplicated, ambiguous and unmapped ones."""
    _, rank, exact = _aliases(spec)
    duplicated = _duplicated(hdr)
    candidates = _candidates(hdr, index, duplicated)
    hdr.rules = {
        pos: _rule(hdr.keys[pos], hdr.norm[pos], mapped, exact)
        for positions in candidates.values()
        for pos in positions
    }
    _choose_columns(hdr, candidates, rank, frame)
    _month_columns(hdr)
    for pos in hdr.unmapped:
        hdr.issue("COLUMN_UNMAPPED", column=hdr.labels[pos])


def _kinds(hdr: _Header, spec: Spec) -> tuple[list[str], dict[str, list[Issue]]]:
    """The table kinds the sheet holds, and the missing required columns of each (fatal for
    that kind). A sheet that fully holds none is read as the first it partly holds."""
    columns = hdr.columns
    present = set(columns)
    if any(c.startswith(PUBLIC_PREFIX) for c in columns):
        present.add("publics")
    if any(c.startswith(MONTH_PREFIX) for c in columns):
        present.add("heures_realisees")
    kinds: list[str] = []
    near: list[str] = []
    for kind, table in spec.tables.items():
        if any(c in present for c in table.signature_any) or not table.signature_any:
            (kinds if all(c in present for c in table.signature_all) else near).append(kind)
    if not kinds:
        kinds = near[:1]
    found = ", ".join(f"« {label} »" for label in hdr.labels if label) or "aucune"
    sheet_errors: dict[str, list[Issue]] = {}
    for kind in kinds:
        for col in spec.tables[kind].columns:
            if col.required and col.name not in columns:
                sheet_errors.setdefault(kind, []).append(
                    make_issue(
                        "COLUMN_MISSING",
                        file=hdr.raw.file,
                        sheet=hdr.raw.sheet,
                        row=hdr.row,
                        column=col.label,
                        column_label=col.label,
                        found=found,
                        aliases=", ".join(f"« {a} »" for a in _closest(col.aliases, hdr.labels)),
                    )
                )
    if not kinds:
        hdr.issues.append(_not_recognised(hdr.raw))
    return kinds, sheet_errors


def _not_recognised(raw: RawSheet) -> Issue:
    return make_issue(
        "SHEET_NOT_RECOGNISED", file=raw.file, sheet=raw.sheet, rows=HEADER_SEARCH_ROWS
    )


def _data_rows(hdr: _Header, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """The data rows of the mapped columns, after the header up to the last non-blank row,
    without the blank and TOTAL rows (returned apart, row -> issue code, and reported)."""
    body = frame.loc[hdr.row + 1 :]
    nonblank = pd.Series(_filled_rows(body), index=body.index)
    if nonblank.any():
        last = nonblank[nonblank].index.max()
        body, nonblank = body.loc[:last], nonblank.loc[:last]
    else:
        body, nonblank = body.iloc[0:0], nonblank.iloc[0:0]
    skipped: dict[int, str] = {}
    where = {"file": hdr.raw.file, "sheet": hdr.raw.sheet}
    for row in nonblank[~nonblank].index:
        skipped[int(row)] = "ROW_BLANK"
        hdr.issues.append(make_issue("ROW_BLANK", **where, row=int(row)))
    if len(body):  # TOTAL rows: the first filled cell of the row says "total"
        is_total = _total_rows(_first_filled(body))
        for row in is_total[is_total].index:
            skipped[int(row)] = "ROW_TOTAL"
            hdr.issues.append(make_issue("ROW_TOTAL", **where, row=int(row)))
    data = body[list(hdr.columns.values())]
    if skipped:
        data = data.drop(index=pd.Index(list(skipped)))
    data.columns = list(hdr.columns)
    return data, skipped


def recognise(
    raw: RawSheet, spec: Spec, extra_aliases: Mapping[str, str] | None = None
) -> Recognised | None:
    """Recognise one sheet; None (with no error) when it is empty. ``extra_aliases`` maps a
    territory's unusual headers to canonical names (clausekit.toml, « colonnes »)."""
    frame = raw.frame
    if frame.empty or frame.notna().to_numpy().sum() == 0:
        return None
    index, mapped = _index_with(spec, extra_aliases)
    head = _head_texts(frame)
    header = _find_header(head, index)
    if header is None:
        rec = Recognised(raw, 0, [], {}, {}, frame.iloc[0:0])
        rec.issues.append(_not_recognised(raw))
        return rec
    hdr = _Header(raw, header, _header_labels(head, header, index))
    _map_columns(hdr, spec, index, mapped, frame)
    kinds, sheet_errors = _kinds(hdr, spec)
    data, skipped = _data_rows(hdr, frame)
    return Recognised(
        raw=raw,
        header_row=header,
        kinds=kinds,
        columns=hdr.columns,
        labels={name: hdr.labels[pos] for name, pos in hdr.columns.items()},
        rules={name: hdr.rules.get(pos, RULE_ALIAS) for name, pos in hdr.columns.items()},
        header_labels=hdr.labels,
        data=data,
        skipped=skipped,
        sheet_errors=sheet_errors,
        issues=hdr.issues,
        extraction_date=title_date([" ".join(head[r]) for r in head if r < header]),
    )
