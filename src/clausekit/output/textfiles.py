"""The report's tables as text: csv (UTF-8 with BOM, ';', French numbers: French Excel opens
it right) and Markdown. Text that a spreadsheet would take for a formula (starting with
= + - @, tab or CR) is written as inert text."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from clausekit.output.writers import atomic_path
from clausekit.rules import labels

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_csv(value: Any) -> Any:
    """Neutralise a csv cell that a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    # CRLF records: a bare CR inside a value gets quoted, never starts a new record
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([inert_csv(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow(["" if v is None or v is pd.NA else inert_csv(v) for v in row])
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, target: Path) -> None:
    """UTF-8 with BOM and ';' so that Excel in French opens it right."""
    with atomic_path(target) as tmp:
        tmp.write_text(csv_text(frame), encoding="utf-8-sig", newline="")


def cell_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _markdown_cell(value: Any, number_format: str | None = None) -> str:
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and number_format and number_format.endswith("%"):
        return f"{value:.1%}".replace(".", ",")
    if isinstance(value, float):
        return labels.french_number(value, 2)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_text(views: list[Any]) -> str:
    """The report as Markdown tables, ready to paste into a written report."""
    parts = []
    for view in views:
        parts.append(f"## {view.title}\n")
        columns = [str(c) for c in view.frame.columns]
        parts.append("| " + " | ".join(columns) + " |")
        parts.append("|" + "|".join("---" for _ in columns) + "|")
        formats = [view.formats.get(c) for c in columns]
        for number, row in enumerate(view.frame.itertuples(index=False, name=None)):
            if view.row_formats is not None:
                formats = [None] + [view.row_formats[number]] * (len(columns) - 1)
            cells = [_markdown_cell(v, f) for v, f in zip(row, formats, strict=True)]
            parts.append("| " + " | ".join(cells) + " |")
        if view.note:
            parts.append(f"\n_{view.note}_")
        parts.append("")
    return "\n".join(parts)


def write_markdown(views: list[Any], target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(markdown_text(views), encoding="utf-8")


def csv_name(view_name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", view_name).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "_" for c in ascii_name.lower()).strip("_") + ".csv"


def french_number(value: Any, number_format: str | None) -> Any:
    """A number as French Excel reads it from a csv: decimal comma, no thousands separator,
    rates as percentages (« 93,8% »)."""
    value = cell_value(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if number_format and number_format.endswith("%"):
        return f"{value * 100:.1f}%".replace(".", ",")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return value


def french_frame(view: Any) -> pd.DataFrame:
    """The view's table with its numbers written for French Excel (see :func:`french_number`)."""
    frame = view.frame
    columns = {}
    for index, name in enumerate(frame.columns):
        values = frame.iloc[:, index].tolist()
        if view.row_formats is not None and index >= 1:
            codes = list(view.row_formats)
        else:
            codes = [view.formats.get(str(name))] * len(values)
        columns[index] = [french_number(v, c) for v, c in zip(values, codes, strict=True)]
    out = pd.DataFrame(columns, index=range(len(frame)), dtype=object)
    out.columns = list(frame.columns)
    return out


def write_tables_csv(views: list[Any], stage: Callable[[str], Path], folder: str) -> list[str]:
    """One csv per table (UTF-8 with BOM, ';', French numbers), staged as
    ``folder/<table>.csv``: opened by a double click in French Excel, it reads right."""
    written = []
    for view in views:
        name = f"{folder}/{csv_name(view.name)}"
        write_csv(french_frame(view), stage(name))
        written.append(name)
    return written
