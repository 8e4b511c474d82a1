"""Helpers of the format tests: looking up issues, tables and counts in a check result,
and writing rows into worksheets (synthetic data only)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from clausekit.consolidate import CheckResult
from clausekit.errors import Issue
from clausekit.pipeline.validate import Validated

# Personal data written in the exports below: none of it may appear in an issue.
NAMES = ("Zébulonne", "Quasimodo", "Ophélixa", "Barnabéus", "Gédéonie", "Eulalinde")
BIRTH_TEXT = ("01/02/1990", "31/02/1990")


# --------------------------------------------------------------------------- helpers


def find(
    result: CheckResult,
    code: str | None = None,
    *,
    file: str | None = None,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> list[Issue]:
    """Issues matching every given criterion (``file`` is the file name)."""
    return [
        i
        for i in result.issues
        if (code is None or i.code == code)
        and (file is None or (i.file is not None and Path(i.file).name == file))
        and (sheet is None or i.sheet == sheet)
        and (row is None or i.row == row)
        and (column is None or i.column == column)
    ]


def only(result: CheckResult, code: str, **where: Any) -> Issue:
    found = find(result, code, **where)
    assert len(found) == 1, (code, where, [(i.code, i.row, i.column) for i in found])
    return found[0]


def rows_of(result: CheckResult, code: str, **where: Any) -> list[int]:
    return sorted(i.row for i in find(result, code, **where) if i.row is not None)


def params(issue: Issue) -> dict[str, str]:
    return dict(issue.params)


def validated(result: CheckResult, file: str, sheet: str | None) -> Validated:
    found = [
        v
        for v in result.validated
        if Path(v.recognised.raw.file).name == file and v.recognised.raw.sheet == sheet
    ]
    assert len(found) == 1, (file, sheet, [(v.recognised.raw.sheet) for v in result.validated])
    return found[0]


def table(result: CheckResult, file: str, sheet: str | None, kind: str) -> pd.DataFrame:
    return validated(result, file, sheet).tables[kind]


def source(result: CheckResult, file: str, sheet: str | None) -> dict[str, Any]:
    found = [
        s for s in result.sources if Path(s["file"]).name == file and s["sheet"] == (sheet or "")
    ]
    assert len(found) == 1, (file, sheet)
    return found[0]


def counts(result: CheckResult, file: str, sheet: str | None) -> tuple[int, int, int, int]:
    s = source(result, file, sheet)
    return s["rows_read"], s["rows_accepted"], s["rows_rejected"], s["rows_skipped"]


def rejected_rows(result: CheckResult, file: str, sheet: str | None) -> list[int]:
    rej = result.rejects
    mask = rej["file"].map(lambda f: Path(f).name == file) & (rej["sheet"] == (sheet or ""))
    return sorted(int(r) for r in rej.loc[mask, "row"])


def column(frame: pd.DataFrame, name: str) -> dict[int, Any]:
    """{spreadsheet row: value} with missing values as None."""
    return {int(k): (None if pd.isna(v) else v) for k, v in frame[name].items()}


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def put(ws: Any, row: int, values: list[Any]) -> None:
    """Write ``values`` on spreadsheet row ``row`` (None cells are left absent)."""
    for col, value in enumerate(values, start=1):
        if value is not None:
            ws.cell(row=row, column=col, value=value)


def sheet_rows(ws: Any, rows: list[list[Any] | None], start: int = 1) -> None:
    for offset, values in enumerate(rows):
        if values is not None:
            put(ws, start + offset, values)


def contract(pid: Any = "P1", hours: Any = "7", **over: Any) -> list[Any]:
    """A contract row in CONTRACT_HEADER order."""
    row = {
        "pid": pid,
        "contrat": "C1",
        "op": "OP1",
        "ent": "Bâtir SA",
        "type": "CDD",
        "debut": "01/01/2025",
        "fin": None,
        "mois": "01/2025",
        "hours": hours,
    }
    row.update(over)
    return list(row.values())


def csv_bytes(rows: list[list[str]], encoding: str, delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)
