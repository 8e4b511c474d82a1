"""The report as a formatted workbook (XlsxWriter): one sheet per view, with its title, bold
header, number formats, widths, frozen header, autofilter, native chart and print setup."""

from __future__ import annotations

import datetime
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clausekit.output.textfiles import cell_value
from clausekit.output.writers import atomic_path

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
        value = None if value is pd.NaT else cell_value(value)
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
    # every printed page is headed by the title of the front page (page 1, the annex's warning)
    running = next((v.title for v in views if v.kind == "summary"), "")
    for view in views:
        _write_sheet(workbook, formats, view, running)
    workbook.close()
    with atomic_path(target) as tmp:
        tmp.write_bytes(buffer.getvalue())
