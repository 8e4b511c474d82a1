"""What a preflight gives back: its limits, its outcome, and the refusals raised on the way.

A scan that finds a reason not to parse a file raises :class:`Refused` with the located issue
(:func:`hostile`, :func:`unreadable` build the two common ones); findings that do not forbid
parsing are collected by :class:`Found`, capped at ``Limits.max_issues``. Messages never quote
cell contents, only Excel error literals (:func:`error_literal`).
"""

from __future__ import annotations

import lzma
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from clausekit.errors import Issue, make_issue

FORMATS = ("xlsx", "xls", "ods", "csv", "unknown")


@dataclass(frozen=True)
class Limits:
    """Bounds applied by :func:`preflight`. The defaults suit real exports with a wide margin."""

    max_entries: int = 10_000  # zip members
    max_uncompressed: int = 2 * 1024**3  # total declared uncompressed bytes
    max_ratio: float = 200.0  # per member, for members > 1 MiB uncompressed
    max_cells: int = 50_000_000  # used or declared sheet area (rows * cols)
    max_cell_chars: int = 32_767
    # also refuse a huge declared <dimension ref=...>: off, the cells themselves are scanned
    # and calamine does not allocate from the declaration (a bogus A1:XFD1048576 is common)
    check_dimension: bool = False
    # the used range of each xlsx sheet from its cells' references, before the parse; off
    # where the parser's memory is capped (not Windows): the parsed range is checked
    # instead, which only cells holding a value make (calamine skips formatted empty cells)
    scan_area: bool = True
    max_issues: int = 1_000  # located issues kept per file (the rest are only counted)


@dataclass(frozen=True)
class SheetInfo:
    """A sheet as declared by the workbook (xlsx) or found in ``content.xml`` (ods)."""

    name: str
    part: str | None = None  # zip member holding the sheet (xlsx)
    hidden: bool = False  # state="hidden" or "veryHidden" (xlsx only)


@dataclass
class Preflight:
    """Outcome of :func:`preflight`.

    ``fatal`` non-empty means: do not parse this file at all. ``issues`` holds warnings and
    located findings (extension mismatch, formula without cached value, error cells).
    """

    format: str  # "xlsx" | "xls" | "ods" | "csv" | "unknown"
    fatal: list[Issue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    date1904: bool = False  # xlsx workbookPr date1904 flag
    sheets: list[SheetInfo] = field(default_factory=list)
    suppressed: int = 0  # located issues dropped beyond Limits.max_issues

    @property
    def ok(self) -> bool:
        """True when the file may be handed to a parser."""
        return not self.fatal

    @property
    def hidden_sheets(self) -> list[str]:
        """Names of the sheets the workbook marks hidden or very hidden."""
        return [s.name for s in self.sheets if s.hidden]


READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    struct.error,
)


_EXCEL_ERRORS = {
    "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
    "#EXTERNAL!", "#PYTHON!", "#VALEUR!", "#NOM?", "#NOMBRE!", "#NUL!",
}  # fmt: skip
_ODS_ERROR = re.compile(r"Err:[0-9]{3}")
UNKNOWN_ERROR = "#ERREUR"


CORRUPT = "archive zip tronquée ou corrompue"


class Refused(Exception):
    """Raised deep in a scan: the file must not be parsed."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


def fr_int(value: int) -> str:
    """1000 -> '1 000' (French thousands separator, as in the issue catalogue)."""
    return f"{value:,}".replace(",", " ")


def fr_size(size: int) -> str:
    if size >= 1024**3:
        text = f"{size / 1024**3:.1f} Go"
    elif size >= 1024**2:
        text = f"{size / 1024**2:.1f} Mo"
    else:
        text = f"{fr_int(size)} octets"
    return text.replace(".", ",")


def hostile(file: str, reason: str, sheet: str | None = None) -> Refused:
    return Refused(make_issue("FILE_HOSTILE", file=file, sheet=sheet, reason=reason))


def unreadable(file: str, reason: str) -> Refused:
    return Refused(make_issue("FILE_UNREADABLE", file=file, reason=reason))


def error_literal(raw: bytes) -> str:
    """The error literal of an error cell, or a placeholder: never arbitrary cell text."""
    text = raw.decode("utf-8", "replace").strip()
    if text in _EXCEL_ERRORS or _ODS_ERROR.fullmatch(text):
        return text
    return UNKNOWN_ERROR


@dataclass
class Detection:
    format: str
    fatal: Issue | None = None
    zip: zipfile.ZipFile | None = None
    ods_candidate: bool = False


class Found:
    """Located issues of one file, capped at ``Limits.max_issues``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.issues: list[Issue] = []
        self.suppressed = 0

    def add(self, issue: Issue) -> None:
        if len(self.issues) < self.cap:
            self.issues.append(issue)
        else:
            self.suppressed += 1
