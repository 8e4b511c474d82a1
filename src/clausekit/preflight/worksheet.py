"""Worksheet XML (xlsx): used and declared range, formulas without a cached value, error cells.

A single cell at ``XFD1048576`` makes naive readers allocate the whole rectangle and die: the
used range is checked as the sheet streams by. A few C-level searches prove that a segment
holds only canonical cells within bounds, without a Python object per cell
(:meth:`_SheetScan.bounded_area`); other segments are read cell by cell. When the quick scan
cannot decide, :func:`scan_sheet` scans the sheet again, exactly. With
``Limits.scan_area`` off (a reader whose memory is capped checks the parsed range instead), the
range is not looked for at all.
"""

from __future__ import annotations

import functools
import re
import zipfile
from operator import itemgetter
from typing import Any

from clausekit.errors import make_issue
from clausekit.preflight.containers import inflate
from clausekit.preflight.findings import (
    UNKNOWN_ERROR,
    Found,
    Limits,
    Refused,
    error_literal,
    fr_int,
    hostile,
)
from clausekit.preflight.xmlscan import XmlScan, attr_int, col_letters, col_number

_MAX_CELL_TAIL = 256 * 1024  # a cell longer than this is checked without its continuation

# XML byte patterns. ``_NS`` is an optional namespace prefix ("x:").
_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROOT_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>/]")
_CELL_REF = re.compile(rb"<" + _NS + rb"c\s(?:[^>]*?\s)?r\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")
_ROW_OR_CELL = re.compile(rb"<" + _NS + rb"(row|c)(?=[\s/>])([^>]*)>")
_ATTR_R = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]+)\$?([0-9]+)[\"']")
_ATTR_ROW = re.compile(rb"\sr\s*=\s*[\"']([0-9]+)[\"']")
_ATTR_T = re.compile(rb"\st\s*=\s*[\"']([A-Za-z]+)[\"']")
_DIMENSION = re.compile(
    rb"<" + _NS + rb"dimension\s(?:[^>]*?\s)?ref\s*=\s*[\"']([^\"']{1,64})[\"']"
)
_RANGE_END = re.compile(rb"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})\s*$")
# Cells as Excel, LibreOffice and openpyxl write them: the fast path (literal prefix).
_FAST_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
# A cell or row tag with a namespace prefix, or ':c' elsewhere (rare: a cheap over-estimate).
_PREFIXED_TAG = re.compile(rb":(?:c|row)")
# A ' r="' that opens neither a cell nor a row: only then may the exact path walk the tags.
_STRAY_R = re.compile(rb' r="(?<!<c r=")(?<!<row r=")')
# '<f': a compiled search starting from the rarer 'f' scans faster than ``b"<f" in``.
_FORMULA_OPEN = re.compile(rb"f(?<=<f)")
_CELL_TAG = re.compile(rb"<" + _NS + rb"c(?=[\s/>])([^>]*)>")
_EMPTY_V = re.compile(rb"\s*<" + _NS + rb"v(?:\s[^>]*)?(?:/>|>\s*</)")
_V_TEXT = re.compile(rb"<" + _NS + rb"v(?:\s[^>]*)?>([^<]*)<")
_ERROR_TYPE = re.compile(rb"t=(?:\"e\"|'e')")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


@functools.lru_cache(maxsize=8)
def _no_cache_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A formula element not followed by a non-empty cached value (starts at ``<f``)."""
    ns = re.escape(prefix + b":") if prefix else b""
    return re.compile(
        b"<" + ns + rb"f(?=[\s/>])[^>]*?(?:/>|>[^<]*</" + ns + rb"f\s*>)"
        rb"(?!\s*<" + ns + rb"v(?:\s[^>]*)?>[^<])"
    )


_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = b"0123456789"


def _up_to(limit: bytes, lead: bytes, alphabet: bytes, longest: int) -> bytes:
    """Regex for the strings of 1 to ``longest`` characters that do not exceed ``limit``.

    The first character comes from ``lead``, the others from ``alphabet`` (both in order); a
    shorter string is smaller, strings of one length compare character by character: row
    numbers without leading zero, column letters. Alternatives as long as ``limit`` come first
    (most references of a big sheet are).
    """

    def span(chars: bytes, count: bytes = b"") -> bytes:
        return (b"[%c-%c]" % (chars[0], chars[-1]) if len(chars) > 1 else chars) + count

    size = len(limit)
    options: list[bytes] = []
    if size > longest or limit == lead[-1:] + alphabet[-1:] * (size - 1):
        size = min(size, longest)  # any string of 1 to ``size`` characters
        return span(lead) + (span(alphabet, b"{0,%d}" % (size - 1)) if size > 1 else b"")
    for i, char in enumerate(limit):
        rest = size - i - 1
        tail = span(alphabet, b"{%d}" % rest) if rest else b""
        allowed = lead if i == 0 else alphabet
        upto = allowed[: allowed.index(char) + 1]
        if limit[i + 1 :] == alphabet[-1:] * rest:  # always true at the last character
            options.append(limit[:i] + span(upto) + tail)
            break
        if len(upto) > 1:
            options.append(limit[:i] + span(upto[:-1]) + tail)
    if size > 1:
        options.append(span(lead) + (span(alphabet, b"{0,%d}" % (size - 2)) if size > 2 else b""))
    return options[0] if len(options) == 1 else b"(?:" + b"|".join(options) + b")"


@functools.lru_cache(maxsize=32)
def _cells_beyond(cols: int, rows: int) -> re.Pattern[bytes]:
    """A '<c' that is not a canonical cell within column ``cols`` and row ``rows``.

    Canonical: a reference as :data:`_FAST_REF` reads it (minus row 0 and leading zeros) comes
    first, and no other attribute of the tag looks like ``r=`` (:data:`_ATTR_R` reads them all).
    """
    letters = _up_to(col_letters(cols).encode("ascii"), _LETTERS, _LETTERS, 3)
    digits = _up_to(str(rows).encode("ascii"), _DIGITS[1:], _DIGITS, 7)
    return re.compile(b'<c(?! r="' + letters + digits + rb'"(?![^>]*r\s*=))')


def _row_bound(row: int, cols: int, cells: int) -> int:
    """A round bound at or above ``row``, for sheets of ``cols`` columns: ``row`` with as many
    trailing digits raised to 9 as can be while the bound times ``cols`` stays within half of
    ``cells`` (so that some more columns later keep it conclusive); ``row`` itself otherwise.

    The coarsest bound comes first: it changes seldom (the pattern built on it is cached) and
    makes the simplest pattern.
    """
    digits = str(row)
    for keep in range(len(digits)):
        bound = int(digits[:keep].ljust(len(digits), "9"))
        if bound * cols <= cells // 2:
            return bound
    return row


class _Rescan(Exception):
    """Raised by a bounded sheet scan that cannot tell whether the used range is too large."""


class _SheetScan(XmlScan):
    """Worksheet XML: used and declared range, formulas without value, error cells.

    The used range is found by :meth:`exact_area`, or much faster by :meth:`bounded_area` when
    ``fast``; then ``max_row`` may be an upper bound only (``row_exact`` False): a range check
    that fails on it raises :class:`_Rescan`, and the sheet is scanned again, exactly.
    """

    def __init__(
        self, file: str, limits: Limits, sheet: str, found: Found, fast: bool = True
    ) -> None:
        super().__init__(file, limits, sheet=sheet, strict=True)
        self.found = found
        self.fast = fast
        self.max_row = 0
        self.row_exact = True  # max_row is the row of a cell, not a bound above the rows
        self.max_col = 0
        self.row_cursor = 0
        self.col_cursor = 0
        self.prefix: bytes | None = None
        self.in_data = False
        self.tail = b""  # from the last cell opened: its value may be in the next segment

    def feed(self, segment: bytes) -> None:
        super().feed(segment)
        if self.prefix is None:
            root = _ROOT_PREFIX.search(segment)
            if root:
                self.prefix = root.group(1) or b""
        if not self.in_data:
            self.check_dimension(segment)
            self.in_data = b"sheetData" in segment
        if self.limits.scan_area:
            if not (self.fast and self.bounded_area(segment)):
                self.exact_area(segment)
            self.check_area()
        prefix = self.prefix or b""
        cell_open = b"<" + prefix + b":c" if prefix else b"<c"
        if self.has_findings(segment, prefix) or self.has_findings(self.tail, prefix):
            work = self.tail + segment
            # Cells opened before ``cut`` are complete; the last one waits for the next segment.
            cut = work.rfind(cell_open)
            if cut < 0 or len(work) - cut > _MAX_CELL_TAIL:
                cut = len(work)
            self.find_no_cache(work, prefix, cut)
            self.find_errors(work, prefix, cut)
            self.tail = work[cut:]
        else:
            cut = segment.rfind(cell_open)
            keep = cut >= 0 and len(segment) - cut <= _MAX_CELL_TAIL
            self.tail = segment[cut:] if keep else b""

    def close(self) -> None:
        if self.tail:
            prefix = self.prefix or b""
            self.find_no_cache(self.tail, prefix, len(self.tail))
            self.find_errors(self.tail, prefix, len(self.tail))
            self.tail = b""

    @staticmethod
    def has_findings(buf: bytes, prefix: bytes) -> bool:
        """Cheap test before the detailed search: a formula or an error type in ``buf``."""
        return (
            _FORMULA_OPEN.search(buf) is not None
            or (bool(prefix) and b"<" + prefix + b":f" in buf)
            or _ERROR_TYPE.search(buf) is not None  # t="e" or t='e'
        )

    def bounded_area(self, segment: bytes) -> bool:
        """Update the used range without a Python object per cell; False if it cannot.

        It can when every '<c' is a canonical cell (one reference, in the form
        :data:`_FAST_REF` reads) within the columns used so far (or up to the last cell's) and
        within a round bound above the last cell's row, which one C-level search proves, and
        when no cell or row tag has a namespace prefix. Then :meth:`exact_area` finds the same
        columns, whether it trusts the references or walks the tags: each cell is at its
        reference either way. Its cursors end on the last cell too, unless a row tag follows
        it and the tags are walked: a stray r=".." must then be ruled out. Columns stay exact;
        rows may become that bound.
        """
        if b":" in segment and _PREFIXED_TAG.search(segment):
            return False
        last = segment.rfind(b"<c")
        if segment.rfind(b"<row") > last and _STRAY_R.search(segment):
            return False  # the walk would leave the cursors on that row
        if last < 0:
            return True  # neither cell nor row: nothing to place
        ref = _FAST_REF.match(segment, last)
        if ref is None:
            return False
        row, col = int(ref.group(2)), col_number(ref.group(1))
        cols = max(self.max_col, col)
        rows = _row_bound(row, cols, self.limits.max_cells)
        if _cells_beyond(cols, rows).search(segment):
            return False
        self.max_col = cols  # reached by the last cell or before
        if rows > self.max_row:
            self.max_row, self.row_exact = rows, rows == row
        self.row_cursor, self.col_cursor = row, col
        return True

    def exact_area(self, segment: bytes) -> None:
        """Read every reference of the segment; walk the tags if some cell may lack one."""
        before = self.max_row
        refs = _FAST_REF.findall(segment)
        # Exact when every '<c' / ':c' is a canonical cell and no tag carries a second r="..".
        exact = segment.count(b"<c") + segment.count(b":c") == len(refs) and segment.count(
            b' r="'
        ) <= len(refs) + segment.count(b"<row")
        if refs:
            rows = set(map(_SECOND, refs))
            cols = set(map(_FIRST, refs))
            self.max_row = max(self.max_row, max(map(int, rows)))
            widest = max(map(len, cols))
            self.max_col = max(self.max_col, col_number(max(c for c in cols if len(c) == widest)))
        if not exact:
            self.walk_cells(segment)  # cells without (or with odd) references
        elif refs:
            self.row_cursor, self.col_cursor = int(refs[-1][1]), col_number(refs[-1][0])
        if self.max_row > before:
            self.row_exact = True  # above any bound: the row of a cell

    def check_dimension(self, segment: bytes) -> None:
        match = _DIMENSION.search(segment)
        if not match or not self.limits.check_dimension:
            return
        end = _RANGE_END.search(match.group(1))
        if not end:
            return
        rows, cols = attr_int(end.group(2)), col_number(end.group(1))
        if rows * cols > self.limits.max_cells:
            ref = f"{col_letters(cols)}{rows}"
            raise hostile(self.file, f"plage déclarée démesurée ({ref})", self.sheet)

    def walk_cells(self, segment: bytes) -> None:
        """Slow path: follow row and cell tags, placing cells that carry no usable ``r``."""
        for match in _ROW_OR_CELL.finditer(segment):
            if match.group(1) == b"row":
                row = _ATTR_ROW.search(match.group(2))
                self.row_cursor = attr_int(row.group(1)) if row else self.row_cursor + 1
                self.col_cursor = 0
                continue
            refs = _ATTR_R.findall(match.group(2))
            if refs:
                self.row_cursor = max(attr_int(r) for _, r in refs)
                self.col_cursor = max(col_number(c) for c, _ in refs)
            else:
                self.col_cursor += 1
            self.max_row = max(self.max_row, self.row_cursor or 1)
            self.max_col = max(self.max_col, self.col_cursor)

    def check_area(self) -> None:
        if self.max_row * self.max_col > self.limits.max_cells:
            if not self.row_exact:
                raise _Rescan  # the rows are only bounded: the true range may be fine
            ref = f"{col_letters(min(self.max_col, 10**6))}{min(self.max_row, 10**12)}"
            raise hostile(self.file, f"plage démesurée ({ref})", self.sheet)

    def cell_before(self, segment: bytes, pos: int) -> re.Match[bytes] | None:
        """The cell tag that opens just before ``pos`` (the tag holding or preceding it)."""
        start = segment.rfind(b"<", 0, pos)
        return _CELL_TAG.match(segment, start) if start >= 0 else None

    def locate(self, tag: re.Match[bytes] | None) -> tuple[str, int | None]:
        ref = _ATTR_R.search(tag.group(1)) if tag else None
        if not ref or len(ref.group(1)) > 3 or len(ref.group(2)) > 7:
            return "?", None
        cell = ref.group(1).decode("ascii").upper() + ref.group(2).decode("ascii")
        return cell, int(ref.group(2))

    def find_no_cache(self, segment: bytes, prefix: bytes, cut: int) -> None:
        if b"<f" not in segment and not (prefix and b"<" + prefix + b":f" in segment):
            return
        for match in _no_cache_pattern(prefix).finditer(segment):
            if match.start() >= cut:
                break
            tag = self.cell_before(segment, match.start())
            kind = _ATTR_T.search(tag.group(1)) if tag else None
            cell_type = kind.group(1) if kind else b"n"
            if cell_type == b"e":
                continue  # reported as an error cell
            if cell_type == b"str" and _EMPTY_V.match(segment, match.end()):
                continue  # cached empty string
            cell, row = self.locate(tag)
            self.found.add(
                make_issue(
                    "VALUE_FORMULA_NO_CACHE", file=self.file, sheet=self.sheet, row=row, cell=cell
                )
            )

    def find_errors(self, segment: bytes, prefix: bytes, cut: int) -> None:
        if b't="e"' not in segment and b"t='e'" not in segment:
            return
        close = b"</" + prefix + b":c>" if prefix else b"</c>"
        hits = [m.start() for m in _ERROR_TYPE.finditer(segment, 0, cut)]
        for pos in hits:
            tag = self.cell_before(segment, pos)
            if not tag or tag.end() <= pos or tag.group(1).endswith(b"/"):
                continue  # not a cell, or an error cell without value
            end = segment.find(close, tag.end(), tag.end() + 65536)
            value = _V_TEXT.search(segment, tag.end(), end if end >= 0 else tag.end() + 4096)
            literal = error_literal(value.group(1)) if value else UNKNOWN_ERROR
            cell, row = self.locate(tag)
            self.found.add(
                make_issue(
                    "VALUE_EXCEL_ERROR",
                    file=self.file,
                    sheet=self.sheet,
                    row=row,
                    value=literal,
                    cell=cell,
                )
            )

    def too_long(self, length: int, segment: bytes, at: int) -> None:
        refs = _CELL_REF.findall(segment, max(0, at - 4096), at + 1)
        cell = row = None
        if refs:
            cell, row = (refs[-1][0] + refs[-1][1]).decode("ascii"), int(refs[-1][1])
        params: dict[str, Any] = {"length": fr_int(length)}
        if cell:
            params["cell"] = cell
        raise Refused(
            make_issue("VALUE_TOO_LONG", file=self.file, sheet=self.sheet, row=row, **params)
        )


def scan_sheet(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    file: str,
    limits: Limits,
    sheet: str,
    found: Found,
    budget: list[int],
) -> None:
    """Scan a worksheet quickly; again with the exact scanner if the quick one cannot decide."""
    before = budget[0], len(found.issues), found.suppressed
    try:
        _SheetScan(file, limits, sheet, found).run(inflate(archive, info, file, budget))
    except _Rescan:
        budget[0], found.suppressed = before[0], before[2]
        del found.issues[before[1] :]
        scan = _SheetScan(file, limits, sheet, found, fast=False)
        scan.run(inflate(archive, info, file, budget))
