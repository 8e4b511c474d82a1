"""Writing the sample workbooks: cells as ABC Clauses writes them, byte-identical files.

openpyxl stamps « modified » with the current time and zip entries with the clock: both are
pinned to the extraction date, so that the same ``(rows, seed)`` gives the same bytes.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from clausekit.samples.model import Model

EXTRACTION = datetime(2026, 1, 5, 8, 30, 0)
EXTRACTION_TITLE = "Extraction ABC Clauses du 05/01/2026"
ZIP_TIMESTAMP = (2026, 1, 5, 8, 30, 0)
NBSP = "\u00a0"
DATE_FORMAT = "DD/MM/YYYY"

Lines = list[list[tuple[int, int]]]  # per contract, its (month, cents) lines in order


def date_cell(ws: WriteOnlyWorksheet, value: date | None) -> WriteOnlyCell | None:
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value)
    cell.number_format = DATE_FORMAT
    return cell


def fr_number(cents: int) -> str:
    """``15167`` -> ``151,67``; ``123450`` -> ``1 234,5`` (no-break space); ``3500`` -> ``35``."""
    whole, frac = divmod(cents, 100)
    text = f"{whole:,}".replace(",", NBSP)
    if frac == 0:
        return text
    decimals = f"{frac:02d}".rstrip("0")
    return f"{text},{decimals}"


def fr_date(d: date | None) -> str | None:
    return d.strftime("%d/%m/%Y") if d else None


def new_workbook() -> Workbook:
    wb = Workbook(write_only=True)
    wb.properties.created = EXTRACTION
    wb.properties.modified = EXTRACTION
    wb.properties.creator = "ABC Clauses"
    wb.properties.lastModifiedBy = "ABC Clauses"
    return wb


def _freeze_zip_timestamps(path: Path) -> None:
    """Set every zip entry's date to ZIP_TIMESTAMP, in place (the data are not touched)."""
    y, mo, d, h, mi, s = ZIP_TIMESTAMP
    dos_time = (h << 11) | (mi << 5) | (s // 2)
    dos_date = ((y - 1980) << 9) | (mo << 5) | d
    stamp = struct.pack("<HH", dos_time, dos_date)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        start_dir: int = zf.start_dir  # type: ignore[attr-defined]
    with path.open("r+b") as fh:
        for info in infos:  # local file headers: signature, version, flags, method, time, date
            fh.seek(info.header_offset)
            if fh.read(4) != b"PK\x03\x04":
                raise ValueError(f"unexpected zip layout in {path}")
            fh.seek(info.header_offset + 10)
            fh.write(stamp)
        pos = start_dir
        for _ in infos:  # central directory entries
            fh.seek(pos)
            head = fh.read(46)
            if head[:4] != b"PK\x01\x02":
                raise ValueError(f"unexpected zip layout in {path}")
            fh.seek(pos + 12)
            fh.write(stamp)
            name_len, extra_len, comment_len = struct.unpack("<HHH", head[28:34])
            pos += 46 + name_len + extra_len + comment_len


def save(wb: Workbook, path: Path) -> None:
    """Like ``wb.save(path)``, without openpyxl stamping « modified » with the current time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.properties.modified = EXTRACTION
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # closes the archive
    _freeze_zip_timestamps(path)


def append_all(ws: WriteOnlyWorksheet, rows: Iterable[Sequence[Any]]) -> None:
    append = ws.append
    for row in rows:
        append(row)


def month_lines(model: Model) -> Lines:
    """For each contract, its (month, cents) lines in order."""
    out: Lines = [[] for _ in model.contracts]
    for ci, m, cents in zip(
        model.line_contract.tolist(),
        model.line_month.tolist(),
        model.line_cents.tolist(),
        strict=True,
    ):
        out[ci].append((m, cents))
    return out
