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
import math
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _new_file(folder: Path, prefix: str, suffix: str) -> Path:
    """Create a new empty file in ``folder`` with the mode the process's umask gives (0644
    under the usual 022, as any program's output: colleagues can open the report), never
    replacing an existing one (``mkstemp`` would make it 0600)."""
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(folder)  # pragma: no cover - 100 clashes of 48 random bits


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _new_file(target.parent, f".{target.name}.", ".tmp")
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
FIXED_TIME = datetime.datetime(2000, 1, 1)  # document dates: the same bytes from run to run
HEADER_ROW = 2  # zero-based: title in row 1, a blank row, then the header (row 3 in Excel)
CHART_SIZE = {"width": 680, "height": 340}  # pixels: 18 × 9 cm at 96 dpi
# what openpyxl wrote before: Excel 2003's margins, in inches
MARGINS = {"left": 0.75, "right": 0.75, "top": 1.0, "bottom": 1.0}
HEADER_FOOTER_MARGIN = 0.5
# number formats of dates without a column format (Excel would show a bare serial number)
DATE_FORMATS = {
    datetime.datetime: "yyyy-mm-dd h:mm:ss",
    datetime.date: "yyyy-mm-dd",
    datetime.time: "h:mm:ss",
}


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _column_values(column: pd.Series) -> list[Any]:
    """The column as plain Python values, None where missing (NaN, NA, NaT) or not finite."""
    values = column.tolist()
    if isinstance(column.dtype, np.dtype):  # not a nullable extension type: no pd.NA inside
        if column.dtype.kind in "iub":
            return values
        if column.dtype.kind == "f":
            return [v if math.isfinite(v) else None for v in values]
    out = []
    for value in values:
        value = None if value is pd.NaT else _cell_value(value)
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out.append(value)
    return out


class _Formats:
    """The workbook's cell formats, each made once (XlsxWriter shares them between cells)."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.title = workbook.add_format({"bold": True, "font_size": 13})
        self.header = workbook.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": f"#{HEADER_FILL}",
                "pattern": 1,
                "text_wrap": True,
                "valign": "vcenter",
            }
        )
        self.note = workbook.add_format({"italic": True})
        self.bold = workbook.add_format({"bold": True})
        self.marker = workbook.add_format({"align": "right"})  # « n.r. », « n.d. », « <K »
        self._numbers: dict[str, Any] = {}

    def number(self, code: str | None) -> Any:
        if code is None:
            return None
        if code not in self._numbers:
            self._numbers[code] = self.workbook.add_format({"num_format": code})
        return self._numbers[code]


def _row_formats(view: Any, formats: _Formats) -> list[Any]:
    """Cell formats of a view whose rows carry their own number format (page 1's grid)."""
    return [formats.number(code) for code in view.row_formats]


def header_text(text: str) -> str:
    """Text inside an Excel header or footer: « & » doubled (it starts a code there)."""
    return text.replace("&", "&&")


def _write_column(
    ws: Any, col: int, values: list[Any], cell_formats: list[Any], formats: _Formats
) -> int:
    """Write one column of data under the header; return its width in characters. Text is
    always written as text: a value starting with = + - @ never becomes a live formula."""
    width = 0
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    for row, (value, fmt) in enumerate(zip(values, cell_formats, strict=True), HEADER_ROW + 1):
        if isinstance(value, str) and value:
            # a figure not stated or masked, in a column of numbers: aligned with them
            marker = fmt is not None and (value in ("n.r.", "n.d.") or value[:1] == "<")
            write_string(row, col, value, formats.marker if marker else fmt)
            width = max(width, min(len(value), MAX_WIDTH))
        elif value is None or isinstance(value, str):  # "" too: a blank cell (None when read)
            if fmt is not None:
                write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
            width = max(width, len(str(value)))
        elif isinstance(value, float):
            write_number(row, col, value, fmt)
            width = max(width, len(f"{value:,.2f}"))
        elif isinstance(value, int):
            write_number(row, col, value, fmt)
            width = max(width, len(str(value)))
        elif isinstance(value, (datetime.date, datetime.time)):
            kind = next(k for k in DATE_FORMATS if isinstance(value, k))
            ws.write_datetime(row, col, value, fmt or formats.number(DATE_FORMATS[kind]))
            width = max(width, len(str(value)))
        else:
            text = str(value)
            write_string(row, col, text, fmt)
            width = max(width, min(len(text), MAX_WIDTH))
    return width


def _add_chart(workbook: Any, ws: Any, view: Any, columns: list[str]) -> None:
    """A native Excel chart beside the table (bars or lines over the view's columns)."""
    spec = view.chart
    if spec.x not in columns or not all(y in columns for y in spec.ys):
        return
    first, last = HEADER_ROW + 1, HEADER_ROW + len(view.frame)
    chart = workbook.add_chart({"type": "line" if spec.kind == "line" else "column"})
    chart.set_title({"name": spec.title})
    axis: dict[str, Any] = {"name": spec.y_title}
    code = view.formats.get(spec.ys[0])
    if code:  # the axis shows numbers as the table does, without decimals
        axis["num_format"] = "0%" if code.endswith("%") else code.split(".")[0]
    chart.set_y_axis(axis)
    chart.set_size(CHART_SIZE)
    x = columns.index(spec.x)
    for y in spec.ys:
        col = columns.index(y)
        chart.add_series(
            {
                "name": [ws.name, HEADER_ROW, col],
                "categories": [ws.name, first, x, last, x],
                "values": [ws.name, first, col, last, col],
            }
        )
    # moves with its cells, keeps its size
    ws.insert_chart(HEADER_ROW, len(columns) + 1, chart, {"object_position": 2})


def _write_sheet(workbook: Any, formats: _Formats, view: Any, running: str = "") -> None:
    ws = workbook.add_worksheet(view.name[:31])
    ws.write_string(0, 0, view.title, formats.title)
    frame = view.frame
    columns = [str(c) for c in frame.columns]
    rows = len(frame)
    for col, name in enumerate(columns):
        ws.write_string(HEADER_ROW, col, name, formats.header)
        values = _column_values(frame.iloc[:, col])
        if view.row_formats is not None and col >= 1:
            cell_formats = _row_formats(view, formats)
        else:
            cell_formats = [formats.number(view.formats.get(name))] * rows
        width = max(len(name), _write_column(ws, col, values, cell_formats, formats))
        # 7 pixels a character: <col width> is the width in characters, as openpyxl wrote it
        ws.set_column_pixels(col, col, 7 * min(max(width + 2, 8), MAX_WIDTH))
    ws.freeze_panes(HEADER_ROW + 1, 0)
    filtered = rows - 1 if view.total_row else rows  # sorting never moves the total row
    if filtered and columns:
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + filtered, len(columns) - 1)
    if view.total_row:
        ws.set_row(HEADER_ROW + rows, None, formats.bold)
    if view.note:  # after a blank row; an empty table keeps the room of one (empty) row
        ws.write_string(HEADER_ROW + max(rows, 1) + 2, 0, view.note, formats.note)
    if view.chart is not None and rows:
        _add_chart(workbook, ws, view, columns)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.set_margins(**MARGINS)
    # every printed page: the bilan's title and period, the sheet, page x / y
    ws.set_header(
        f"&L{header_text(running)}&R{header_text(view.name)}", {"margin": HEADER_FOOTER_MARGIN}
    )
    ws.set_footer("&CPage &P / &N", {"margin": HEADER_FOOTER_MARGIN})


def write_xlsx(views: list[Any], target: Path) -> None:
    """One formatted sheet per view: title, bold header, number formats, widths, frozen
    header, autofilter, landscape print fitted to the page width.

    Written with XlsxWriter, in memory: its zip members carry a fixed date and the document
    dates are :data:`FIXED_TIME`, so the same report gives the same bytes."""
    import xlsxwriter  # here, not at the top: only runs that write an xlsx pay for the import

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"author": "clausekit", "created": FIXED_TIME})
    formats = _Formats(workbook)
    running = views[0].title if views else ""
    for view in views:
        _write_sheet(workbook, formats, view, running)
    workbook.close()
    with atomic_path(target) as tmp:
        tmp.write_bytes(buffer.getvalue())


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


def write_document(
    report: dict[str, Any], formats: tuple[str, ...], stage: Callable[[str], Path]
) -> list[str]:
    """The bilan, written by every run (bilan.html), and printed to bilan.pdf when asked.
    Its modules are loaded only here: only the runs that write the document pay for them."""
    from clausekit.output.bilan import bilan_html

    document = bilan_html(report)
    with atomic_path(stage("bilan.html")) as tmp:
        tmp.write_text(document, encoding="utf-8")
    names = ["bilan.html"]
    if "pdf" in formats:
        from clausekit.output.pdf import html_to_pdf

        html_to_pdf(document, stage("bilan.pdf"))
        names.append("bilan.pdf")
    return names


def csv_name(view_name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", view_name).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "_" for c in ascii_name.lower()).strip("_") + ".csv"


def french_number(value: Any, number_format: str | None) -> Any:
    """A number as French Excel reads it from a csv: decimal comma, no thousands separator,
    rates as percentages (« 93,8% »)."""
    value = _cell_value(value)
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
