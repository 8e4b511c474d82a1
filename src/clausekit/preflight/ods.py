"""An ods package: ``content.xml`` (repeated rows and columns that carry content, formulas,
errors), the manifest's encryption, and every other XML member scanned."""

from __future__ import annotations

import html
import re
import zipfile

from clausekit.errors import make_issue
from clausekit.preflight.containers import check_encrypted, check_method, inflate, scanned
from clausekit.preflight.findings import (
    UNKNOWN_ERROR,
    Found,
    Limits,
    Preflight,
    Refused,
    SheetInfo,
    error_literal,
    fr_int,
    hostile,
)
from clausekit.preflight.xmlscan import XmlScan, attr_int, col_letters

_ODS_TOKEN = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>"
)
_ODS_COLS = re.compile(rb"number-columns-repeated\s*=\s*[\"']([0-9]+)")
_ODS_ROWS = re.compile(rb"number-rows-repeated\s*=\s*[\"']([0-9]+)")
_ODS_NAME = re.compile(rb"table:name\s*=\s*[\"']([^\"']*)")
_ODS_TEXT = re.compile(rb"\s*<text:p(?:\s[^>]*)?>([^<]{0,40})<")


class _OdsScan(XmlScan):
    """ODS content.xml: repeated rows and columns that carry content, formulas, errors."""

    def __init__(self, file: str, limits: Limits, found: Found) -> None:
        super().__init__(file, limits, strict=True)
        self.found = found
        self.names: list[str] = []
        self.row = self.col = 0
        self.rows_repeated = 1
        self.row_has_content = False
        self.row_width = 0
        self.max_row = self.max_col = 0

    def feed(self, segment: bytes) -> None:
        super().feed(segment)
        if b"table:" not in segment:
            return
        for match in _ODS_TOKEN.finditer(segment):
            closing, tag, attrs, empty = match.groups()
            if tag == b"table":
                if not closing:
                    name = _ODS_NAME.search(attrs)
                    self.sheet = (
                        html.unescape(name.group(1).decode("utf-8", "replace")) if name else "?"
                    )
                    self.names.append(self.sheet)
                    self.row = self.max_row = self.max_col = 0
                continue
            if tag == b"table-row":
                if closing:
                    self.end_row()
                else:
                    repeat = _ODS_ROWS.search(attrs)
                    self.rows_repeated = attr_int(repeat.group(1)) if repeat else 1
                    self.col = self.row_width = 0
                    self.row_has_content = False
                    if empty:
                        self.end_row()
                continue
            if closing:
                continue
            repeat = _ODS_COLS.search(attrs)
            width = attr_int(repeat.group(1)) if repeat else 1
            if not empty or b"value-type" in attrs or b"table:formula" in attrs:
                self.row_has_content = True
                self.row_width = self.col + width
                self.check_cell(attrs, segment, match.end())
            self.col += width

    def end_row(self) -> None:
        if self.row_has_content:
            self.max_row = self.row + self.rows_repeated
            self.max_col = max(self.max_col, self.row_width)
            if self.max_row * self.max_col > self.limits.max_cells:
                raise hostile(
                    self.file,
                    f"plage démesurée ({fr_int(self.max_row)} lignes × "
                    f"{fr_int(self.max_col)} colonnes)",
                    self.sheet,
                )
        self.row += self.rows_repeated
        self.rows_repeated = 1
        self.row_has_content = False

    def check_cell(self, attrs: bytes, segment: bytes, end: int) -> None:
        if b"table:formula" not in attrs and b"error" not in attrs:
            return
        cell = f"{col_letters(self.col + 1)}{self.row + 1}"
        if b'value-type="error"' in attrs or b"value-type='error'" in attrs:
            text = _ODS_TEXT.match(segment, end)
            literal = error_literal(text.group(1)) if text else UNKNOWN_ERROR
            self.found.add(
                make_issue(
                    "VALUE_EXCEL_ERROR",
                    file=self.file,
                    sheet=self.sheet,
                    row=self.row + 1,
                    value=literal,
                    cell=cell,
                )
            )
        elif b"table:formula" in attrs and b"office:value-type" not in attrs:
            self.found.add(
                make_issue(
                    "VALUE_FORMULA_NO_CACHE",
                    file=self.file,
                    sheet=self.sheet,
                    row=self.row + 1,
                    cell=cell,
                )
            )


def scan_ods(
    archive: zipfile.ZipFile, file: str, limits: Limits, result: Preflight, found: Found
) -> None:
    infos = archive.infolist()
    budget = [limits.max_uncompressed]
    manifest = next((i for i in infos if i.filename == "META-INF/manifest.xml"), None)
    if manifest is not None:
        check_encrypted(manifest, file)
        check_method(manifest, file)
        scan = XmlScan(file, limits, keep=True)
        scan.run(inflate(archive, manifest, file, budget))
        if b"encryption-data" in scan.text():
            raise Refused(make_issue("FILE_ENCRYPTED", file=file))
    for info in infos:
        if info is manifest:
            continue
        check_encrypted(info, file)
        if not scanned(archive, info):
            continue
        check_method(info, file)
        if info.filename == "content.xml":
            content = _OdsScan(file, limits, found)
            content.run(inflate(archive, info, file, budget))
            result.sheets = [SheetInfo(name=n) for n in content.names]
        else:
            XmlScan(file, limits).run(inflate(archive, info, file, budget))
