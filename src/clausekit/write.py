"""Stage 6 — write: the report as JSON, xlsx (formatted, French labels) and csv.

Every output goes to a temporary file in the destination folder and is renamed into place, so
an interrupted run never leaves a truncated or half-new report. Text that a spreadsheet would
take for a formula (starting with = + - @, tab or CR) is written as inert text.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def output_set(folder: Path) -> Iterator[Callable[[str], Path]]:
    """Stage several outputs and put them all in place only when every one was written:
    a failed run leaves the previous report whole, never half old, half new."""
    staged: list[tuple[Path, Path]] = []

    def stage(name: str) -> Path:
        target = folder / name
        temporary = target.with_name(f".{target.name}.{os.getpid()}.new")
        staged.append((temporary, target))
        return temporary

    try:
        yield stage
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        os.replace(temporary, target)


def inert_csv(value: Any) -> Any:
    """Neutralise a csv cell that a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_json(data: dict[str, Any], target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(
            json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
            encoding="utf-8",
        )


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


HEADER_FILL = "1F4E78"
MAX_WIDTH = 60


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _add_chart(ws: Any, view: Any, header_row: int) -> None:
    """A native Excel chart beside the table (bars or lines over the view's columns)."""
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.utils import get_column_letter

    spec = view.chart
    columns = [str(c) for c in view.frame.columns]
    if spec.x not in columns or not all(y in columns for y in spec.ys):
        return
    first, last = header_row + 1, header_row + len(view.frame)
    chart = LineChart() if spec.kind == "line" else BarChart()
    chart.title = spec.title
    chart.y_axis.title = spec.y_title
    chart.height, chart.width = 9, 18
    for y in spec.ys:
        col = columns.index(y) + 1
        data = Reference(ws, min_col=col, min_row=header_row, max_row=last)
        chart.add_data(data, titles_from_data=True)
    x_col = columns.index(spec.x) + 1
    chart.set_categories(Reference(ws, min_col=x_col, min_row=first, max_row=last))
    ws.add_chart(chart, f"{get_column_letter(len(columns) + 2)}{header_row}")


def write_xlsx(views: list[Any], target: Path) -> None:
    """One formatted sheet per view: title, bold header, number formats, widths, frozen
    header, autofilter, landscape print fitted to the page width."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for view in views:
        ws = wb.create_sheet(view.name[:31])
        ws.append([view.title])
        ws["A1"].font = Font(bold=True, size=13)
        header_row = 3
        ws.append([])
        columns = [str(c) for c in view.frame.columns]
        ws.append(columns)
        for cell in ws[header_row]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths = [len(c) for c in columns]
        formats = [view.formats.get(c) for c in columns]
        r = header_row
        for row in view.frame.itertuples(index=False, name=None):
            values = [_cell_value(v) for v in row]
            ws.append(values)
            r += 1  # ws.max_row rescans every cell: quadratic on big sheets
            for i, value in enumerate(values):
                cell = ws.cell(row=r, column=i + 1)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a live formula
                    widths[i] = max(widths[i], min(len(value), MAX_WIDTH))
                elif value is not None:
                    widths[i] = max(
                        widths[i],
                        len(f"{value:,.2f}") if isinstance(value, float) else len(str(value)),
                    )
                if formats[i]:
                    cell.number_format = formats[i]
        if view.name == "Synthèse":
            # the summary's values carry their own formats
            for r in range(header_row + 1, ws.max_row + 1):
                label = ws.cell(row=r, column=1).value or ""
                cell = ws.cell(row=r, column=2)
                if "Taux" in label:
                    cell.number_format = "0.0%"
                elif isinstance(cell.value, float):
                    cell.number_format = "#,##0.00"
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), MAX_WIDTH)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        if len(view.frame) and columns:
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{ws.max_row}"
        if view.note:
            ws.append([])
            ws.append([view.note])
            ws.cell(row=ws.max_row, column=1).font = Font(italic=True)
        if view.chart is not None and len(view.frame):
            _add_chart(ws, view, header_row)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = f"{header_row}:{header_row}"
    wb.properties.creator = "clausekit"
    wb.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    with atomic_path(target) as tmp:
        tmp.write_bytes(_deterministic_zip(buffer.getvalue()))


FIXED_TIME = datetime.datetime(2000, 1, 1)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _deterministic_zip(data: bytes) -> bytes:
    """The same workbook gives the same bytes: fixed member times and document dates (openpyxl
    stamps the save time), so a monthly diff only shows real changes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, content)
    return out.getvalue()


def _markdown_cell(value: Any, number_format: str | None = None) -> str:
    value = _cell_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and number_format and number_format.endswith("%"):
        return f"{value:.1%}".replace(".", ",")
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
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
        for row in view.frame.itertuples(index=False, name=None):
            if view.name == "Synthèse" and "Taux" in str(row[0]):
                formats = [None, "0.0%"]
            elif view.name == "Synthèse":
                formats = [None, None]
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
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", view_name).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "_" for c in ascii_name.lower()).strip("_") + ".csv"


def write_tables_csv(views: list[Any], stage: Callable[[str], Path], folder: str) -> list[str]:
    """One csv per table (UTF-8 with BOM, ';'), staged as ``folder/<table>.csv``."""
    written = []
    for view in views:
        name = f"{folder}/{csv_name(view.name)}"
        write_csv(view.frame, stage(name))
        written.append(name)
    return written
