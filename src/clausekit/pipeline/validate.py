"""Stage 3 — validate: type every recognised column (strict French parsers), check the values
with pandera schemas built from ``schemas/``, and split rows into accepted and rejected.

Every problem becomes a located :class:`Issue`; a row with an error is rejected, the others are
kept. Personal values (names, birth dates) are never copied into an issue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clausekit.errors import Issue, make_issue
from clausekit.parse import (
    Cells,
    as_text,
    excel_error_mask,
    normalise_value,
    parse_bools,
    parse_category,
    parse_dates,
    parse_hours,
    parse_months,
    parse_numbers,
)
from clausekit.pipeline.recognise import MONTH_PREFIX, PUBLIC_PREFIX, Recognised, column_position
from clausekit.rules.schemas import ColumnSpec, Spec, TableSpec

PUBLIC_SPLIT = re.compile(r"[,;/+|\n]|\bet\b")
PROVENANCE = ["_file", "_sheet", "_row", "_territory_hint"]
MAX_ISSUES_PER_COLUMN = 1000  # beyond that, one summary issue keeps reports readable


@dataclass
class Validated:
    recognised: Recognised
    tables: dict[str, pd.DataFrame]  # kind -> accepted rows, typed, with provenance
    rejected: pd.DataFrame  # one row per rejected spreadsheet row: _row, reasons
    issues: list[Issue] = field(default_factory=list)
    hours_rejected: float = 0.0  # the hours that could be read on the rejected contract rows

    @property
    def rows_read(self) -> int:
        return self.recognised.rows_read

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_skipped(self) -> int:
        return len(self.recognised.skipped)

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_rejected - self.rows_skipped


def _public_aliases(spec: Spec) -> dict[str, str]:
    return {
        normalise_value(str(alias)): cat.code
        for cat in spec.publics
        for alias in (cat.code, cat.label, *cat.aliases)
    }


_PARSERS = {
    "number": (parse_numbers, "VALUE_NOT_NUMBER"),
    "hours": (parse_hours, "VALUE_NOT_HOURS"),
    "month": (parse_months, "VALUE_NOT_MONTH"),
    "bool": (parse_bools, "VALUE_NOT_BOOL"),
}


def _per_distinct(raw: pd.Series, cells: Cells, clean: Callable[..., pd.Series]) -> pd.Series:
    """``clean`` of the stripped text of ``raw``, run once per distinct value (``cells``: the
    same column encoded, its values stripped, missing cells on its last, null value)."""
    text = as_text(raw)
    dtype = text.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        stripped = cells.values.cast(pa.array(text.array).type)  # the type the column has
        distinct = pd.Series(pd.arrays.ArrowStringArray(stripped))
    elif isinstance(dtype, pd.ArrowDtype):
        distinct = pd.Series(pd.arrays.ArrowExtensionArray(cells.values.cast(dtype.pyarrow_dtype)))
    else:  # not Arrow text: row by row, as strings
        return clean(text.str.strip())
    cleaned = clean(distinct).astype(dtype)
    same = _bytes(pa.array(text.array)) == _bytes(cells.values, cells.codes)  # none stripped
    if same and cleaned.equals(distinct):  # nothing to clean: the column as read, no copy
        return pd.Series(text.array.copy(), index=raw.index, name=raw.name)
    return pd.Series(cleaned.array.take(cells.codes), index=raw.index, name=raw.name)


def _bytes(values: Any, codes: Any = None) -> int:
    """The UTF-8 bytes of ``values`` (of ``values[codes]``), missing ones counting 0."""
    lengths = pc.fill_null(pc.binary_length(values), 0)
    if codes is None:
        return int(pc.sum(lengths).as_py() or 0)
    return int(lengths.to_numpy(zero_copy_only=False)[codes].sum())


def _clean_id(raw: pd.Series) -> pd.Series:
    text = as_text(raw).str.strip()
    # a numeric cell read as text keeps a spurious ".0": identifiers are text
    if text.str.endswith(".0").any():
        text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return text.mask(text == "")


class _Collector:
    """Collects cell issues, capping their number per column."""

    def __init__(self, rec: Recognised, soft: frozenset[str] = frozenset()) -> None:
        self.rec = rec
        self.issues: list[Issue] = []
        self.bad_rows: dict[int, list[str]] = {}
        # optional columns of a participants row: a wrong value there is reported and left
        # blank, the row is kept (a bad cell is not a lost person)
        self.soft = soft
        self.blank: dict[str, set[int]] = {}
        # a sheet about people: any free-text cell may hold a name or a birth date, so no
        # value of it is ever copied into an issue (except Excel error literals)
        self.private = "participants" in rec.kinds

    def cells(
        self, code: str, column: str, mask: pd.Series, values: pd.Series | None, **params: Any
    ) -> None:
        rows = mask[mask.fillna(False)].index
        if not len(rows):
            return
        label = self.rec.labels.get(column, column)
        error = make_issue(code).severity == "error"
        soft = column in self.soft
        if error and soft:
            self.blank.setdefault(column, set()).update(int(r) for r in rows)
        for n, row in enumerate(rows):
            row = int(row)
            if error and not soft:
                self.bad_rows.setdefault(row, []).append(f"{label} : {code}")
            if n < MAX_ISSUES_PER_COLUMN:
                hide = self.private and code != "VALUE_EXCEL_ERROR"
                value = None if values is None or hide else str(values.loc[row])
                self.issues.append(
                    make_issue(
                        code,
                        file=self.rec.raw.file,
                        sheet=self.rec.raw.sheet,
                        row=row,
                        column=label,
                        value=value,
                        **params,
                    )
                )


def _type_column(
    col: ColumnSpec, raw: pd.Series, cells: Cells, rec: Recognised, out: _Collector
) -> pd.Series:
    """The typed values of one column; ``cells`` is the same column, encoded."""
    shown = None if col.is_personal else raw
    if col.type == "id":
        return _per_distinct(raw, cells, _clean_id)
    if col.type in ("text", "personal"):
        return _per_distinct(raw, cells, lambda text: text.mask(text == ""))
    if col.type == "date":
        values, bad = parse_dates(cells, date1904=rec.raw.date1904)
        out.cells("VALUE_NOT_DATE", col.name, bad, shown)
        return values
    if col.type == "category":
        lookup = {normalise_value(str(v)): k for k, vs in col.values.items() for v in (k, *vs)}
        values, unknown = parse_category(cells, lookup)
        out.cells("VALUE_CATEGORY_UNKNOWN", col.name, unknown, raw, allowed=", ".join(col.values))
        return values
    parser, code = _PARSERS[col.type]
    values, bad = parser(cells)
    out.cells(code, col.name, bad, shown)
    return values


def _publics(
    rec: Recognised,
    spec: Spec,
    out: _Collector,
    read: dict[str, Cells],
    qpv: pd.Series | None = None,
) -> pd.DataFrame:
    """One boolean column per public category, from the multi-valued cell and Oui/Non columns
    (``read``: the columns as read, encoded)."""
    data = rec.data
    flags = pd.DataFrame(False, index=data.index, columns=list(spec.public_codes))
    if "publics" in data:
        aliases = _public_aliases(spec)
        cells = data["publics"].astype("string")
        uniques = cells.dropna().unique()
        decoded: dict[str, set[str]] = {}
        unknown_tokens: dict[str, str] = {}
        for cell in uniques:
            codes: set[str] = set()
            for token in PUBLIC_SPLIT.split(str(cell)):
                norm = normalise_value(token)
                if not norm:
                    continue
                if norm in aliases:
                    codes.add(aliases[norm])
                else:
                    unknown_tokens.setdefault(str(cell), token.strip())
            decoded[str(cell)] = codes
        for code in spec.public_codes:
            members = {c for c, codes in decoded.items() if code in codes}
            flags[code] = cells.isin(members).fillna(False).astype(bool)
        if unknown_tokens:
            mask = cells.isin(list(unknown_tokens)).fillna(False)
            first = mask[mask].index
            # one warning per distinct unknown label, at its first row
            seen: set[str] = set()
            for row in first:
                token = unknown_tokens[str(cells.loc[row])]
                if token in seen:
                    continue
                seen.add(token)
                out.issues.append(
                    make_issue(
                        "VALUE_PUBLIC_UNKNOWN",
                        file=rec.raw.file,
                        sheet=rec.raw.sheet,
                        row=int(row),
                        column=rec.labels["publics"],
                        value=None,  # free text about a person: never copied
                    )
                )
    for column in [c for c in data.columns if c.startswith(PUBLIC_PREFIX)]:
        values, bad = parse_bools(read[column])
        out.cells("VALUE_NOT_BOOL", column, bad, data[column])
        code = column[len(PUBLIC_PREFIX) :]
        flags[code] = flags[code] | values.fillna(False).astype(bool)
    if qpv is not None:  # already typed (and reported) as the participants' qpv column
        flags["QPV"] = flags["QPV"] | qpv.fillna(False).astype(bool)
    return flags.add_prefix("pub_")


_SCHEMAS: dict[tuple[int, str, tuple[str, ...]], tuple[Spec, Any]] = {}


def _pandera_schema(kind: str, columns: tuple[str, ...], spec: Spec) -> Any:
    """The pandera schema of a table kind for the columns a sheet has, built once per run
    (the spec is kept with it, so that its id cannot be taken by another one)."""
    key = (id(spec), kind, columns)
    cached = _SCHEMAS.get(key)
    if cached is None or cached[0] is not spec:
        cached = (spec, _build_pandera_schema(kind, columns, spec))
        _SCHEMAS[key] = cached
    return cached[1]


def _build_pandera_schema(kind: str, columns: tuple[str, ...], spec: Spec) -> Any:
    import pandera.pandas as pa

    table = spec.tables[kind]
    cols: dict[str, Any] = {}
    for name in columns:
        col = table.column(name)
        checks = []
        lo, hi = col.min, col.max
        if col.type == "date":
            lo = pd.Timestamp(lo) if lo is not None else None
            hi = pd.Timestamp(hi) if hi is not None else None
        if lo is not None and hi is not None:
            checks.append(pa.Check.in_range(lo, hi, error=f"range:{lo}..{hi}"))
        elif lo is not None:
            checks.append(pa.Check.ge(lo, error=f"range:>={lo}"))
        elif hi is not None:
            checks.append(pa.Check.le(hi, error=f"range:<={hi}"))
        cols[name] = pa.Column(checks=checks, nullable=not col.not_null, coerce=False)
    frame_checks = []
    if "date_debut" in columns and "date_fin" in columns:
        frame_checks.append(
            pa.Check(
                lambda df: (
                    df["date_fin"].isna()
                    | df["date_debut"].isna()
                    | (df["date_fin"] >= df["date_debut"])
                ),
                name="dates_order",
            )
        )
    return pa.DataFrameSchema(cols, checks=frame_checks, strict=False)


def _surely_valid(typed: pd.DataFrame, columns: tuple[str, ...], table: TableSpec) -> bool:
    """True when no check of the table's schema can fail (the same checks, vectorised, with
    no failure case to collect); False when one may (or a value cannot be compared)."""
    try:
        for name in columns:
            col, values = table.column(name), typed[name]
            missing = values.isna()
            if col.not_null and missing.any():
                return False
            dated = col.type == "date"
            bounds = [pd.Timestamp(b) if dated and b is not None else b for b in (col.min, col.max)]
            present = values[~missing]
            low = bounds[0] is not None and bool((present < bounds[0]).any())
            if low or (bounds[1] is not None and bool((present > bounds[1]).any())):
                return False
        if "date_debut" in columns and "date_fin" in columns:
            return not bool((typed["date_fin"] < typed["date_debut"]).fillna(False).any())
    except (TypeError, ValueError):
        return False
    return True


def _run_pandera(
    kind: str, typed: pd.DataFrame, spec: Spec, rec: Recognised, out: _Collector, table: TableSpec
) -> None:
    columns = tuple(c for c in typed.columns if not c.startswith(("pub_", "_")))
    if _surely_valid(typed, columns, table):
        return  # the schema would find nothing: pandera runs (and is imported) only then
    import pandera.errors as pe

    schema = _pandera_schema(kind, columns, spec)
    try:
        schema.validate(typed, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
        # a failed whole-frame check is listed once per column: report it once per row
        frame_rows = cases.loc[cases["check"] == "dates_order", "index"].dropna()
        if len(frame_rows):
            rows = pd.Index(frame_rows.astype(int).unique())
            out.cells("DATES_INVERTED", "date_fin", pd.Series(True, index=rows), None)
        cases = cases[cases["check"] != "dates_order"]
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
            rows = pd.Index(group["index"].dropna().astype(int).unique())
            mask = pd.Series(True, index=rows)
            if check == "not_nullable":
                out.cells("VALUE_REQUIRED", str(column), mask, None)
            elif str(check).startswith("range:"):
                col = table.column(str(column))
                shown = None if col.is_personal else rec.data[str(column)]
                bounds = str(check)[len("range:") :].replace("..", " à ")
                out.cells("VALUE_OUT_OF_RANGE", str(column), mask, shown, bounds=bounds)


def _cell_findings(rec: Recognised, out: _Collector) -> None:
    """Error cells and formulas without a cached value, found by the preflight scan: the
    reader sees them as empty, so they are reported on their cell and reject their row."""
    data_rows = rec.data.index
    for issue in rec.raw.cell_issues:
        if issue.row is None or issue.row not in data_rows:
            if issue.row is not None and issue.row > rec.header_row:
                continue  # a skipped (blank/total) row
            out.issues.append(issue)
            continue
        cell = dict(issue.params).get("cell", "")
        letters = re.match(r"[A-Z]+", cell)
        label = None
        if letters:
            position = column_position(letters.group(0)) - rec.raw.first_column
            if 0 <= position < len(rec.header_labels):
                label = rec.header_labels[position] or None
        out.issues.append(replace(issue, column=label))
        out.bad_rows.setdefault(int(issue.row), []).append(f"{label or cell} : {issue.code}")


def _hours_need_a_month(typed: pd.DataFrame, out: _Collector) -> None:
    """Hours are counted in the month worked: lines with hours but neither a month nor a start
    date cannot be placed in a month. One warning per sheet says how many and where."""
    columns = [c for c in ("mois", "date_debut") if c in typed]
    if not columns:  # a contract-level export: counted in the totals, no monthly follow-up
        return
    missing = pd.Series(True, index=typed.index)
    for column in columns:
        missing &= typed[column].isna()
    rows = typed.index[(typed["heures_realisees"].fillna(0).astype(float) > 0) & missing]
    if len(rows):
        rec = out.rec
        out.issues.append(
            make_issue(
                "ROW_NO_MONTH",
                file=rec.raw.file,
                sheet=rec.raw.sheet,
                row=int(rows[0]),
                column=rec.labels.get("heures_realisees"),
                count=len(rows),
                row_shown=int(rows[0]),
            )
        )


def _wide_hours(
    rec: Recognised, clean: pd.DataFrame, cells: dict[str, Cells], spec: Spec, out: _Collector
) -> dict[str, pd.Series]:
    """Month columns of a wide layout ("janv.-25", "Heures 02/2025"...) typed as hours
    (``cells``: the columns of ``clean``, encoded)."""
    hours_spec = spec.tables["contrats"].column("heures_realisees")
    wide: dict[str, pd.Series] = {}
    for column in clean.columns:
        if not column.startswith(MONTH_PREFIX):
            continue
        values, bad = parse_hours(cells[column])
        out.cells("VALUE_NOT_HOURS", column, bad, clean[column])
        low, high = hours_spec.min or 0, hours_spec.max or float("inf")
        outside = (values < low) | (values > high)
        out.cells(
            "VALUE_OUT_OF_RANGE",
            column,
            outside.fillna(False),
            clean[column],
            bounds=f"{low} à {high}",
        )
        wide[column[len(MONTH_PREFIX) :]] = values
    return wide


def _soft_columns(rec: Recognised, spec: Spec) -> frozenset[str]:
    """The optional columns of a participants sheet that no other table of it uses."""
    if "participants" not in rec.kinds:
        return frozenset()
    others = {
        c.name for kind in rec.kinds if kind != "participants" for c in spec.tables[kind].columns
    }
    optional = {
        c.name
        for c in spec.tables["participants"].columns
        if not c.required and not c.not_null and c.name not in others
    }
    return frozenset(optional | {c for c in rec.data.columns if c.startswith(PUBLIC_PREFIX)})


def _blank_soft_cells(tables: dict[str, pd.DataFrame], out: _Collector) -> None:
    """Wrong values of optional participants columns are left blank (already reported)."""
    for column, rows in out.blank.items():
        for table in tables.values():
            if column in table:
                where = table.index.intersection(pd.Index(sorted(rows)))
                if len(where):
                    missing = pd.NaT if table[column].dtype.kind == "M" else pd.NA
                    table.loc[where, column] = missing


def _without_excel_errors(
    rec: Recognised, out: _Collector
) -> tuple[dict[str, Cells], pd.DataFrame, dict[str, Cells]]:
    """Each column encoded once (its distinct values, for every check and parser), and the
    data with its Excel error literals blanked out: they are reported on their cell, never
    read as empty or as text. Returns the cells as read, the clean data and its cells."""
    data = rec.data
    read = {column: Cells(data[column]) for column in data.columns}
    errors_seen: dict[str, pd.Series] = {}
    for column in data.columns:
        mask = excel_error_mask(read[column])
        if mask.any():
            out.cells("VALUE_EXCEL_ERROR", column, mask, data[column])
            errors_seen[column] = mask
    clean = data.copy() if errors_seen else data  # copy only to blank out error cells
    cells = dict(read)
    for column, mask in errors_seen.items():
        clean.loc[mask, column] = pd.NA
        cells[column] = read[column].blank(mask.to_numpy())
    return read, clean, cells


def _typed_columns(
    rec: Recognised, spec: Spec, clean: pd.DataFrame, cells: dict[str, Cells], out: _Collector
) -> dict[str, pd.Series]:
    """Every column of the sheet's tables typed once (publics apart)."""
    typed_all: dict[str, pd.Series] = {}
    for kind in rec.kinds:
        for col in spec.tables[kind].columns:
            if col.name in clean and col.name not in typed_all and col.type != "publics":
                typed_all[col.name] = _type_column(col, clean[col.name], cells[col.name], rec, out)
    return typed_all


def _provenance(rec: Recognised) -> pd.DataFrame:
    """Where each data row comes from: file, sheet, spreadsheet row, territory hint."""
    index = rec.data.index
    return pd.DataFrame(
        {
            "_file": rec.raw.file,
            "_sheet": rec.raw.sheet or "",
            "_row": index.astype("int64"),
            "_territory_hint": rec.raw.source.territory_hint,
        },
        index=index,
    )


def _by_month(typed: pd.DataFrame, wide: dict[str, pd.Series]) -> pd.DataFrame:
    """One hours line per month column of a wide layout, same spreadsheet row (its
    provenance); months without hours are dropped."""
    typed = pd.concat(
        [
            typed.assign(
                mois=pd.Series(month, index=typed.index, dtype="string"),
                heures_realisees=hours,
            )
            for month, hours in wide.items()
        ]
    )
    return typed[typed["heures_realisees"].notna()]


def _table(
    kind: str,
    typed_all: dict[str, pd.Series],
    publics: pd.DataFrame | None,
    wide: dict[str, pd.Series],
    spec: Spec,
    out: _Collector,
) -> pd.DataFrame:
    """The typed table of one kind, checked by its pandera schema."""
    rec, table = out.rec, spec.tables[kind]
    names = [c.name for c in table.columns if c.name in typed_all]
    typed = pd.DataFrame({n: typed_all[n] for n in names}, index=rec.data.index, copy=False)
    # the row numbers of the sheet are unique: they are pandera's failure-case index
    _run_pandera(kind, typed, spec, rec, out, table)
    if kind == "contrats" and not wide and "heures_realisees" in typed:
        _hours_need_a_month(typed, out)
    if publics is not None and kind == "participants":
        typed = typed.join(publics)
    if wide and kind == "contrats":
        typed = _by_month(typed, wide)
    return typed


def _reject(
    rec: Recognised, tables: dict[str, pd.DataFrame], out: _Collector, sheet_rejects: list[str]
) -> tuple[pd.DataFrame, pd.Index]:
    """Drop the rows with an error from ``tables`` (in place). Returns one row per rejected
    spreadsheet row with its reasons, and their rows. A kind missing a required column
    rejects every row."""
    bad = dict(out.bad_rows)
    if sheet_rejects:
        for row in rec.data.index:
            bad.setdefault(int(row), []).extend(sheet_rejects)
    rejected_rows = pd.Index(sorted(bad), dtype="int64")
    if len(rejected_rows):
        for kind in tables:
            tables[kind] = tables[kind].drop(index=rejected_rows, errors="ignore")
    reasons = ["; ".join(dict.fromkeys(bad[r])) for r in rejected_rows]
    return pd.DataFrame({"_row": rejected_rows, "reasons": reasons}), rejected_rows


def validate(rec: Recognised, spec: Spec) -> Validated:
    """Type, check and split the rows of one recognised sheet."""
    out = _Collector(rec, _soft_columns(rec, spec))
    read, clean, cells = _without_excel_errors(rec, out)
    _cell_findings(rec, out)
    typed_all = _typed_columns(rec, spec, clean, cells, out)
    publics = None
    if "participants" in rec.kinds:
        publics = _publics(rec, spec, out, read, typed_all.get("qpv"))
    wide = _wide_hours(rec, clean, cells, spec, out)

    provenance = _provenance(rec)
    tables: dict[str, pd.DataFrame] = {}
    sheet_rejects: list[str] = []
    for kind in rec.kinds:
        if kind in rec.sheet_errors:
            out.issues.extend(rec.sheet_errors[kind])
            sheet_rejects.extend(f"{i.column} : {i.code}" for i in rec.sheet_errors[kind])
            continue
        tables[kind] = _table(kind, typed_all, publics, wide, spec, out).join(provenance)
    _blank_soft_cells(tables, out)
    rejected, rejected_rows = _reject(rec, tables, out, sheet_rejects)

    located = sorted(out.issues, key=lambda i: i.row or 0)  # in the order a user reads the sheet
    hours = _rejected_hours(rec, typed_all, wide, rejected_rows)
    return Validated(rec, tables, rejected, rec.issues + located, hours_rejected=hours)


def _rejected_hours(
    rec: Recognised,
    typed_all: dict[str, pd.Series],
    wide: dict[str, pd.Series],
    rows: pd.Index,
) -> float:
    """The realised hours the rejected contract rows carry: the sum of the hours that could
    be read on them (a cell that is not hours, or is negative, counts for nothing)."""
    if "contrats" not in rec.kinds or not len(rows):
        return 0.0
    if wide:
        columns = list(wide.values())
    elif "heures_realisees" in typed_all:
        columns = [typed_all["heures_realisees"]]
    else:
        return 0.0
    total = 0.0
    for column in columns:
        values = pd.to_numeric(column.reindex(rows), errors="coerce").to_numpy(dtype=float)
        total += float(values[values > 0].sum())
    return round(total, 2)
