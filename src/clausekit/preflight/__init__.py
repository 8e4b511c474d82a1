"""Preflight: look at a spreadsheet file before any parser touches it.

The exports we read come from many hands and may be broken or hostile. Before a parser (calamine,
openpyxl, odfpy) opens a file, :func:`preflight` checks it with the standard library only, in
bounded time and memory:

* the format is taken from the content, never from the extension (:func:`sniff_format`);
* zip containers (xlsx, ods) are checked for bombs *before* anything is inflated (member count,
  declared total size, compression ratio), and the bytes actually inflated are capped;
* every XML member is scanned as a byte stream for ``<!DOCTYPE`` / ``<!ENTITY`` (billion laughs,
  external entities);
* worksheets are scanned for a huge used or declared range (a single cell at ``XFD1048576`` makes
  naive readers allocate the whole rectangle and die), for cell texts over Excel's 32,767
  characters, for formulas saved without a cached value and for error cells (a few C-level
  searches prove that a segment holds only canonical cells within bounds, without a Python
  object per cell; other segments are read cell by cell);
* OLE2 files are told apart: legacy ``xls`` versus a password-protected xlsx
  (``EncryptedPackage``) or an ``xls`` with a ``FILEPASS`` record.

Problems that forbid parsing are returned in :attr:`Preflight.fatal`; located findings that do
not (formulas without value, error cells, extension mismatch) in :attr:`Preflight.issues`.
Messages never quote cell contents, only Excel error literals.
"""

from __future__ import annotations

import codecs
import functools
import html
import lzma
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from defusedxml import ElementTree as SafeET

from clausekit.errors import Issue, make_issue

__all__ = [
    "FORMATS",
    "Limits",
    "Preflight",
    "SheetInfo",
    "is_lock_file",
    "preflight",
    "sniff_format",
]

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


# --------------------------------------------------------------------------- constants

_HEAD = 64 * 1024  # bytes sniffed at the start of a file
_CHUNK = 128 * 1024  # bytes inflated per read (small buffers: reused, not faulted in anew)
_DEFLATED_READ = 32 * 1024  # compressed bytes read at once (zlib copies what a call leaves)
_MAX_CARRY = 1024 * 1024  # longest run without '<' kept whole when scanning XML
_MAX_CENTRAL_DIR = 32 * 1024 * 1024  # central directory bytes we agree to read
_MAX_SMALL_PART = 32 * 1024 * 1024  # workbook.xml, rels, manifest: read whole up to this
_RATIO_FLOOR = 1024 * 1024  # members smaller than this are not ratio-checked
_MAX_CELL_TAIL = 256 * 1024  # a cell longer than this is checked without its continuation

_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# BOF record of a bare BIFF stream (no OLE container): Excel 2.x to 4.0, or 5+ saved bare
_BIFF_BOF = {
    b"\x09\x00": "Excel 2.x (BIFF2)",
    b"\x09\x02": "Excel 3.0 (BIFF3)",
    b"\x09\x04": "Excel 4.0 (BIFF4)",
    b"\x09\x08": "Excel 5 à 2003 (BIFF) sans son enveloppe OLE",
}

_EXTENSIONS = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xltx": "xlsx",
    ".xltm": "xlsx",
    ".xls": "xls",
    ".xlt": "xls",
    ".ods": "ods",
    ".ots": "ods",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}

# Members never parsed as XML by spreadsheet readers: not inflated by the scan.
_BINARY_SUFFIXES = {
    ".bin", ".bmp", ".emf", ".gif", ".ico", ".jfif", ".jpeg", ".jpg", ".mp3", ".mp4",
    ".odg", ".pdf", ".png", ".svm", ".tif", ".tiff", ".wav", ".wdp", ".webp", ".wmf",
}  # fmt: skip

_READ_ERRORS: tuple[type[BaseException], ...] = (
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
_UNKNOWN_ERROR = "#ERREUR"

# XML byte patterns. ``_NS`` is an optional namespace prefix ("x:").
_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_HOSTILE_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})")
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
_ESCAPES = re.compile(rb"&#?[A-Za-z0-9]{1,32};|_x[0-9A-Fa-f]{4}_")
_CONTINUATION = bytes(range(0x80, 0xC0))
_FIRST, _SECOND = itemgetter(0), itemgetter(1)

_ODS_TOKEN = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>"
)
_ODS_COLS = re.compile(rb"number-columns-repeated\s*=\s*[\"']([0-9]+)")
_ODS_ROWS = re.compile(rb"number-rows-repeated\s*=\s*[\"']([0-9]+)")
_ODS_NAME = re.compile(rb"table:name\s*=\s*[\"']([^\"']*)")
_ODS_TEXT = re.compile(rb"\s*<text:p(?:\s[^>]*)?>([^<]{0,40})<")

_XML_ENCODINGS = re.compile(
    r"(utf-?8|utf-?16(le|be)?|(us-)?ascii|iso-?8859-[0-9]{1,2}|latin-?[0-9]|"
    r"(windows|cp)-?125[0-8])",
    re.IGNORECASE,
)


class _Refused(Exception):
    """Raised deep in a scan: the file must not be parsed."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


# --------------------------------------------------------------------------- small helpers


def _fr_int(value: int) -> str:
    """1000 -> '1 000' (French thousands separator, as in the issue catalogue)."""
    return f"{value:,}".replace(",", " ")


def _fr_size(size: int) -> str:
    if size >= 1024**3:
        text = f"{size / 1024**3:.1f} Go"
    elif size >= 1024**2:
        text = f"{size / 1024**2:.1f} Mo"
    else:
        text = f"{_fr_int(size)} octets"
    return text.replace(".", ",")


def _col_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper()[:6]:
        number = number * 26 + (byte - 64)
    return number if len(letters) <= 6 else 10**9


def _col_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _int(digits: bytes) -> int:
    """Parse a decimal attribute without letting a giant number cost anything."""
    return int(digits) if len(digits) <= 12 else 10**12


def _chars(text: bytes) -> int:
    """Characters in XML text bytes (UTF-8 code points, entities and _xHHHH_ count as one)."""
    count = len(text.translate(None, _CONTINUATION))
    for match in _ESCAPES.finditer(text):
        count -= len(match.group()) - 1
    return count


def _hostile(file: str, reason: str, sheet: str | None = None) -> _Refused:
    return _Refused(make_issue("FILE_HOSTILE", file=file, sheet=sheet, reason=reason))


def _unreadable(file: str, reason: str) -> _Refused:
    return _Refused(make_issue("FILE_UNREADABLE", file=file, reason=reason))


def _error_literal(raw: bytes) -> str:
    """The error literal of an error cell, or a placeholder: never arbitrary cell text."""
    text = raw.decode("utf-8", "replace").strip()
    if text in _EXCEL_ERRORS or _ODS_ERROR.fullmatch(text):
        return text
    return _UNKNOWN_ERROR


def is_lock_file(path: Path) -> bool:
    """True for Excel (``~$name.xlsx``) and LibreOffice (``.~lock.name.xlsx#``) lock files."""
    name = Path(path).name
    return name.startswith("~$") or name.startswith(".~lock.")


# --------------------------------------------------------------------------- format sniffing


@dataclass
class _Detection:
    format: str
    fatal: Issue | None = None
    zip: zipfile.ZipFile | None = None
    ods_candidate: bool = False


def sniff_format(path: Path) -> str:
    """The format of ``path`` from its content: "xlsx", "xls", "ods", "csv" or "unknown".

    A password-protected xlsx (an OLE2 container holding ``EncryptedPackage``) is "xlsx"; a
    corrupt zip is named after the members its local headers show.
    """
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return "unknown"
        with path.open("rb") as fh:
            detection = _detect(fh, str(path), Limits())
            if detection.zip is not None:
                with detection.zip:
                    if detection.ods_candidate and not _read_mimetype(detection.zip):
                        return "unknown"
            return detection.format
    except OSError:
        return "unknown"


def _detect(fh: IO[bytes], file: str, limits: Limits) -> _Detection:
    head = fh.read(_HEAD)
    if not head:
        return _Detection(
            "unknown", make_issue("FILE_UNREADABLE", file=file, reason="fichier vide")
        )
    if head.startswith((_ZIP_MAGIC, _ZIP_EMPTY)):
        return _detect_zip(fh, head, file, limits)
    if head.startswith(_OLE_MAGIC):
        return _detect_ole(fh, file)
    if head[:2] in _BIFF_BOF and head[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00", b"\x10\x00"):
        kind = _BIFF_BOF[head[:2]]
        return _Detection("unknown", make_issue("FILE_FORMAT_UNSUPPORTED", file=file, kind=kind))
    if _looks_like_csv(head):
        return _Detection("csv")
    return _Detection("unknown", make_issue("FILE_FORMAT_UNKNOWN", file=file))


def _looks_like_csv(head: bytes) -> bool:
    """Text: decodable, no NUL (except UTF-16 with a BOM), few control bytes, not markup."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")("replace")
        text = decoder.decode(head[: len(head) // 2 * 2])
        return "\x00" not in text and not _is_markup(text)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    if b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        text = head.decode("cp1252", "replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f") + text.count("\x7f")
    if controls > max(2, len(text) // 100):
        return False
    return not _is_markup(text)


def _is_markup(text: str) -> bool:
    """HTML pages or XML spreadsheets saved as .xls are text, but not csv."""
    start = text.lstrip("\ufeff \t\r\n")[:20].lower()
    return start.startswith(("<?xml", "<!doctype", "<html", "<table", "<!--", "<meta", "<head"))


def _guess_zip_kind(head: bytes) -> str:
    """For a zip we cannot open: name the format from the local headers at its start."""
    if b"mimetype" + _ODS_MIME in head:
        return "ods"
    if b"[Content_Types].xml" in head or b"xl/" in head:
        return "xlsx"
    return "unknown"


def _zip_directory(fh: IO[bytes], size: int) -> tuple[int, int, int]:
    """(declared entries, central directory start, end) from the end record, or BadZipFile."""
    tail_len = min(size, 22 + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(_ZIP_EMPTY)
    if pos < 0 or pos + 22 > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[pos : pos + 22])
    end_at = size - tail_len + pos
    locator = tail[pos - 20 : pos] if pos >= 20 else b""
    if locator.startswith(b"PK\x06\x07"):
        _, _, eocd64_at, _ = struct.unpack("<4sLQL", locator)
        if eocd64_at + 56 > size:
            raise zipfile.BadZipFile("bad zip64 end record")
        fh.seek(eocd64_at)
        record = fh.read(56)
        if not record.startswith(b"PK\x06\x06"):
            raise zipfile.BadZipFile("bad zip64 end record")
        entries, cd_size = struct.unpack("<QQ", record[32:48])
        end_at = eocd64_at
    start = end_at - cd_size
    if start < 0:
        raise zipfile.BadZipFile("central directory outside the file")
    return entries, start, end_at


def _count_central_entries(fh: IO[bytes], start: int, end: int, limit: int) -> int:
    """Walk the central directory headers; stop as soon as ``limit`` is exceeded."""
    fh.seek(start)
    data = fh.read(end - start)
    count = pos = 0
    while pos + 46 <= len(data) and data.startswith(b"PK\x01\x02", pos):
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
        count += 1
        if count > limit:
            break
    return count


def _detect_zip(fh: IO[bytes], head: bytes, file: str, limits: Limits) -> _Detection:
    fh.seek(0, 2)
    size = fh.tell()
    kind = _guess_zip_kind(head)
    try:
        entries, cd_start, cd_end = _zip_directory(fh, size)
        if cd_end - cd_start > _MAX_CENTRAL_DIR:
            reason = "archive zip suspecte : répertoire démesuré"
            return _Detection(kind, make_issue("FILE_HOSTILE", file=file, reason=reason))
        counted = _count_central_entries(fh, cd_start, cd_end, limits.max_entries)
        count = max(entries, counted)
        if count > limits.max_entries:
            reason = (
                f"archive zip suspecte : plus de {_fr_int(limits.max_entries)} fichiers"
                if counted > limits.max_entries
                else f"archive zip suspecte : {_fr_int(count)} fichiers"
            )
            return _Detection(kind, make_issue("FILE_HOSTILE", file=file, reason=reason))
        fh.seek(0)
        archive = zipfile.ZipFile(fh)
    except _READ_ERRORS:
        return _Detection(kind, make_issue("FILE_UNREADABLE", file=file, reason=_CORRUPT))
    names = {_part_name(n) for n in archive.namelist()}
    if "[Content_Types].xml" in names and _workbook_folder(names) is not None:
        return _Detection("xlsx", zip=archive)
    if "[Content_Types].xml" in names and "xl/workbook.bin" in names:
        archive.close()
        kind = "Excel binaire (.xlsb)"
        return _Detection("unknown", make_issue("FILE_FORMAT_UNSUPPORTED", file=file, kind=kind))
    if "mimetype" in names:
        return _Detection("ods", zip=archive, ods_candidate=True)
    archive.close()
    return _Detection("unknown", make_issue("FILE_FORMAT_UNKNOWN", file=file))


def _part_name(name: str) -> str:
    """A zip member's part name: some writers use backslashes or a leading slash."""
    return name.replace("\\", "/").lstrip("/")


def _workbook_folder(names: set[str]) -> str | None:
    """The folder of the workbook part: ``xl``, else the one folder holding a workbook.xml
    (a few writers use another name; the relationships inside it are relative)."""
    if "xl/workbook.xml" in names:
        return "xl"
    folders = {n[: -len("/workbook.xml")] for n in names if n.endswith("/workbook.xml")}
    folders = {f for f in folders if f and "/" not in f}
    return folders.pop() if len(folders) == 1 else None


def _read_mimetype(archive: zipfile.ZipFile) -> bool:
    """True when the ``mimetype`` member names an OpenDocument spreadsheet."""
    info = archive.getinfo("mimetype")
    if info.file_size > 256 or info.flag_bits & 0x1:
        return False
    try:
        with archive.open(info) as member:
            return member.read(257).strip() == _ODS_MIME
    except _READ_ERRORS:
        return False


# --------------------------------------------------------------------------- OLE2 (xls)


class _CfbError(Exception):
    pass


_END_OF_CHAIN = 0xFFFFFFFE
_ENCRYPTION_NAMES = ("EncryptedPackage", "EncryptionInfo")
_MAX_FAT_SECTORS = 1 << 16  # a FAT this size maps 4 GiB of 512-byte sectors
_MAX_DIR_SECTORS = 4096  # 16,384 directory entries at least
_MAX_OLE_SEARCH = 256 * 1024 * 1024  # bytes searched when the compound file is malformed


class _Cfb:
    """Just enough of a compound file to list its streams and read the start of one."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        fh.seek(0)
        header = fh.read(512)
        if len(header) < 512 or header[28:30] != b"\xfe\xff":
            raise _CfbError("bad header")
        shift = struct.unpack_from("<H", header, 30)[0]
        if shift not in (9, 12):
            raise _CfbError("bad sector size")
        self.fh, self.shift, self.sector = fh, shift, 1 << shift
        self.n_sectors = max(0, (size - self.sector) // self.sector) + 1
        n_fat, first_dir = struct.unpack_from("<LL", header, 44)
        self.cutoff, self.first_minifat = struct.unpack_from("<LL", header, 56)
        first_difat, n_difat = struct.unpack_from("<LL", header, 68)
        if n_fat > min(self.n_sectors, _MAX_FAT_SECTORS) or n_difat > self.n_sectors:
            raise _CfbError("bad counts")
        self.per_sector = self.sector // 4
        fat = [s for s in struct.unpack_from("<109L", header, 76) if s < _END_OF_CHAIN]
        sid, seen = first_difat, 0
        while sid < _END_OF_CHAIN and seen < n_difat and len(fat) < n_fat:
            words = struct.unpack(f"<{self.per_sector}L", self.read_sector(sid))
            fat.extend(s for s in words[:-1] if s < _END_OF_CHAIN)
            sid, seen = words[-1], seen + 1
        self.fat_sectors = fat[:n_fat]
        self.entries = self._directory(first_dir)

    def read_sector(self, sid: int) -> bytes:
        if sid >= self.n_sectors:
            raise _CfbError("sector out of range")
        self.fh.seek((sid + 1) * self.sector)
        data = self.fh.read(self.sector)
        if len(data) < self.sector:
            raise _CfbError("short sector")
        return data

    def next_sector(self, sid: int) -> int:
        """The FAT entry of ``sid``, read lazily (the FAT itself may be large)."""
        index, slot = divmod(sid, self.per_sector)
        if index >= len(self.fat_sectors):
            raise _CfbError("sector outside the FAT")
        entry: int = struct.unpack_from("<L", self.read_sector(self.fat_sectors[index]), slot * 4)[
            0
        ]
        return entry

    def chain(self, sid: int, count: int) -> list[int]:
        """The first ``count`` sectors of the chain starting at ``sid``."""
        out: list[int] = []
        while sid < _END_OF_CHAIN and len(out) < count:
            out.append(sid)
            sid = self.next_sector(sid)
        return out

    def _directory(self, first_dir: int) -> list[tuple[str, int, int, int]]:
        """Directory entries (name, start sector, stream size, type)."""
        entries: list[tuple[str, int, int, int]] = []
        sid, visited = first_dir, set[int]()
        while sid < _END_OF_CHAIN:
            if sid in visited or len(visited) >= _MAX_DIR_SECTORS:
                raise _CfbError("bad directory chain")
            visited.add(sid)
            data = self.read_sector(sid)
            for offset in range(0, self.sector, 128):
                raw = data[offset : offset + 128]
                name_len = min(struct.unpack_from("<H", raw, 64)[0], 64)
                if raw[66] == 0 or name_len < 2:
                    continue
                name = raw[: name_len - 2].decode("utf-16-le", "replace")
                start, size = struct.unpack_from("<LQ", raw, 116)
                size = size & 0xFFFFFFFF if self.shift == 9 else size
                entries.append((name, start, size, raw[66]))
            sid = self.next_sector(sid)
        if not entries:
            raise _CfbError("empty directory")
        return entries

    def head(self, start: int, size: int, length: int) -> bytes:
        """The first ``length`` bytes of a stream, from the sectors or the mini stream."""
        length = min(length, size)
        if size >= self.cutoff:
            sids = self.chain(start, -(-length // self.sector))
            return b"".join(self.read_sector(s) for s in sids)[:length]
        root = next((e for e in self.entries if e[3] == 5), None)
        if root is None:
            raise _CfbError("no root entry")
        minifat: dict[int, bytes] = {}
        minifat_chain = self.chain(self.first_minifat, _MAX_DIR_SECTORS)
        container = self.chain(root[1], _MAX_DIR_SECTORS)
        out, sid = b"", start
        while sid < _END_OF_CHAIN and len(out) < length:
            index, slot = divmod(sid * 64, self.sector)
            if index >= len(container):
                raise _CfbError("mini sector out of range")
            out += self.read_sector(container[index])[slot : slot + 64]
            page, entry = divmod(sid, self.per_sector)
            if page >= len(minifat_chain):
                raise _CfbError("mini sector outside the mini FAT")
            if page not in minifat:
                minifat[page] = self.read_sector(minifat_chain[page])
            sid = struct.unpack_from("<L", minifat[page], entry * 4)[0]
        return out[:length]


def _xls_has_filepass(cfb: _Cfb, start: int, stream_size: int) -> bool:
    """Look for a FILEPASS record right after the BOF at the start of the Workbook stream
    (in the sectors, or in the mini stream when the stream is small)."""
    data = cfb.head(start, stream_size, 512)
    pos = 0
    while pos + 4 <= len(data):
        record, length = struct.unpack_from("<HH", data, pos)
        if record == 0x002F:
            return True
        if record == 0x000A or (pos == 0 and record not in (0x0809, 0x0409, 0x0209, 0x0009)):
            return False
        pos += 4 + length
    return False


def _file_contains(fh: IO[bytes], needles: Iterable[bytes], limit: int) -> bool:
    """Streaming byte search over the first ``limit`` bytes (across chunk boundaries too)."""
    needles = list(needles)
    keep = max(len(n) for n in needles) - 1
    fh.seek(0)
    tail = b""
    while fh.tell() < limit and (chunk := fh.read(_CHUNK)):
        window = tail + chunk
        if any(n in window for n in needles):
            return True
        tail = window[-keep:]
    return False


def _detect_ole(fh: IO[bytes], file: str) -> _Detection:
    encrypted = make_issue("FILE_ENCRYPTED", file=file)
    fh.seek(0, 2)
    size = fh.tell()
    try:
        cfb = _Cfb(fh, size)
        entries = cfb.entries
    except (_CfbError, struct.error, OSError, IndexError):
        # Not a well-formed compound file: fall back on a byte search of the stream names.
        needles = [n.encode("utf-16-le") for n in _ENCRYPTION_NAMES]
        if _file_contains(fh, needles, _MAX_OLE_SEARCH):
            return _Detection("xlsx", encrypted)
        return _Detection("xls")
    names = {entry[0] for entry in entries}
    if names & set(_ENCRYPTION_NAMES):
        return _Detection("xlsx", encrypted)
    for name, start, stream_size, _ in entries:
        if name.lower() in ("workbook", "book"):  # "BOOK" too: names are case-insensitive
            try:
                if _xls_has_filepass(cfb, start, stream_size):
                    return _Detection("xls", encrypted)
            except (_CfbError, struct.error, OSError):
                pass
            return _Detection("xls")
    return _Detection("unknown", make_issue("FILE_FORMAT_UNKNOWN", file=file))


# --------------------------------------------------------------------------- XML streaming


_CORRUPT = "archive zip tronquée ou corrompue"
_OVERSIZED = "archive zip suspecte : taille décompressée supérieure à l'annonce"


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, budget: list[int]
) -> Iterator[bytes]:
    """Inflate one member in chunks from the raw compressed bytes, trusting no declared size.

    zipfile stops at the declared size, but other readers inflate the whole compressed stream:
    a member that inflates to more than it declares (or past the shared budget) is refused.
    """
    fh = archive.fp
    if fh is None:  # pragma: no cover - the archive is open while we scan
        raise _unreadable(file, _CORRUPT)
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or not local.startswith(_ZIP_MAGIC):
        raise _unreadable(file, _CORRUPT)
    name_len, extra_len = struct.unpack_from("<HH", local, 26)
    position = info.header_offset + 30 + name_len + extra_len
    left = info.compress_size
    produced = 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    step = _CHUNK if inflater is None else _DEFLATED_READ
    pending = b""
    while True:
        if not pending:
            if left <= 0:
                break
            fh.seek(position)
            pending = fh.read(min(step, left))
            if not pending:
                raise _unreadable(file, _CORRUPT)
            position += len(pending)
            left -= len(pending)
        if inflater is None:
            out, pending = pending, b""
        else:
            out = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
        produced += len(out)
        budget[0] -= len(out)
        if produced > info.file_size or budget[0] < 0:
            raise _hostile(file, _OVERSIZED)
        if out:
            yield out
        if inflater is not None and inflater.eof:
            break
    if produced != info.file_size or (inflater is not None and not inflater.eof):
        raise _unreadable(file, _CORRUPT)


_DECLARED = re.compile(r"^(\ufeff?\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*[\"'])([^\"']{0,40})")


def utf16_encoding(start: bytes) -> str | None:
    """The UTF-16 codec of an XML part that starts with ``start`` (None: not UTF-16)."""
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in start[:2]:
        big_endian = start[:2] == codecs.BOM_UTF16_BE or start[:1] == b"\x00"
        return "utf-16-be" if big_endian else "utf-16-le"
    return None


def declared_utf8(text: str) -> str:
    """XML text transcoded to UTF-8, its declaration saying so (it said UTF-16): otherwise
    an XML parser given the bytes believes the declaration and fails."""
    return _DECLARED.sub(r"\g<1>UTF-8", text, count=1)


def _as_utf8(chunks: Iterator[bytes], file: str) -> Iterator[bytes]:
    """Transcode UTF-16 XML to UTF-8 on the fly; refuse encodings a byte scan cannot see."""
    first = next(chunks, b"")
    encoding = utf16_encoding(first)
    if encoding is not None:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
        head = decoder.decode(first)
        while len(head) < 256:  # the whole declaration, however small the chunks
            chunk = next(chunks, None)
            if chunk is None:
                break
            head += decoder.decode(chunk)
        yield declared_utf8(head).encode("utf-8")
        for chunk in chunks:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
        return
    declared = _XML_DECL_ENCODING.match(first.removeprefix(codecs.BOM_UTF8).lstrip())
    if declared and not _XML_ENCODINGS.fullmatch(declared.group(1).decode("ascii")):
        raise _hostile(file, "encodage XML inattendu")
    yield first
    yield from chunks


def _segments(chunks: Iterable[bytes], strict: bool, file: str) -> Iterator[bytes]:
    """Regroup chunks so that no tag is split: each segment ends just before a '<'.

    A run without '<' longer than ``_MAX_CARRY`` is refused in cell data (``strict``: no cell
    text is that long); elsewhere (e.g. base64 in customXml) it is passed on in pieces, which
    cannot split ``<!DOCTYPE`` since a piece only ever starts a new run at a '<'.
    """
    carry = b""
    for chunk in chunks:
        at = chunk.rfind(b"<")
        if at > 0 or (at == 0 and carry):  # the usual case, with a single copy
            yield b"".join((carry, memoryview(chunk)[:at])) if carry else chunk[:at]
            carry = chunk[at:]
            continue
        buf = carry + chunk if carry else chunk
        cut = buf.rfind(b"<")
        if cut <= 0:
            if len(buf) <= _MAX_CARRY:
                carry = buf
                continue
            if strict:
                raise _hostile(file, "texte de cellule démesuré")
            yield buf
            carry = b""
            continue
        yield buf[:cut]
        carry = buf[cut:]
    if carry:
        yield carry


class _XmlScan:
    """Scan one XML member: hostile markup always; long text nodes when ``strict``."""

    def __init__(
        self,
        file: str,
        limits: Limits,
        sheet: str | None = None,
        strict: bool = False,
        keep: bool = False,
    ) -> None:
        self.file = file
        self.limits = limits
        self.sheet = sheet
        self.strict = strict
        self.keep = keep
        self.kept: list[bytes] = []
        self.kept_size = 0
        self.block = max(1, (limits.max_cell_chars + 2) // 2)

    def run(self, chunks: Iterator[bytes]) -> None:
        for segment in _segments(_as_utf8(chunks, self.file), self.strict, self.file):
            self.feed(segment)
        self.close()

    def feed(self, segment: bytes) -> None:
        # DOCTYPE, ENTITY and CDATA all start with '<!': a segment without '!' (found at memchr
        # speed) has none of them, and skips both searches.
        declarations = b"!" in segment
        match = _HOSTILE_MARKUP.search(segment) if declarations else None
        if match:
            word = match.group(1).decode("ascii").upper()
            raise _hostile(self.file, f"entités XML interdites ({word})", self.sheet)
        if self.strict:
            self.check_text(segment, cdata=declarations)
        if self.keep:
            self.kept_size += len(segment)
            if self.kept_size > _MAX_SMALL_PART:
                raise _hostile(self.file, "partie XML démesurée")
            self.kept.append(segment)

    def close(self) -> None:
        """Called after the last segment."""

    def check_text(self, segment: bytes, cdata: bool = True) -> None:
        """Refuse a text node longer than ``max_cell_chars`` (cheap: aligned blocks first).

        ``cdata=False`` tells that ``segment`` holds no '!', hence no CDATA section.
        """
        limit, block, size = self.limits.max_cell_chars, self.block, len(segment)
        if size > limit:
            pos = 0
            while pos < size:
                if segment.find(b"<", pos, pos + block) >= 0:
                    pos += block
                    continue
                # A block without '<': measure the run of text around it.
                start = segment.rfind(b"<", 0, pos)
                end = segment.find(b"<", pos + block)
                end = size if end < 0 else end
                closing = segment.find(b">", start, end) if start >= 0 else -1
                text_at = closing + 1 if closing >= 0 else (0 if start < 0 else end)
                if end - text_at > limit and segment[text_at:end].strip():
                    length = _chars(segment[text_at:end])
                    if length > limit:
                        self.too_long(length, segment, max(start, 0))
                pos = end
        start = segment.find(b"<![CDATA[") if cdata else -1
        while start >= 0:  # CDATA may hold '<': measured apart (never written by Excel)
            end = segment.find(b"]]>", start)
            end = size if end < 0 else end
            if end - start - 9 > limit:
                length = _chars(segment[start + 9 : end]) + sum(
                    len(m.group()) - 1 for m in _ESCAPES.finditer(segment, start + 9, end)
                )
                if length > limit:
                    self.too_long(length, segment, start)
            start = segment.find(b"<![CDATA[", end)

    def too_long(self, length: int, segment: bytes, at: int) -> None:
        raise _Refused(
            make_issue("VALUE_TOO_LONG", file=self.file, sheet=self.sheet, length=_fr_int(length))
        )

    def text(self) -> bytes:
        return b"".join(self.kept)


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
    letters = _up_to(_col_letters(cols).encode("ascii"), _LETTERS, _LETTERS, 3)
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


class _SheetScan(_XmlScan):
    """Worksheet XML: used and declared range, formulas without value, error cells.

    The used range is found by :meth:`exact_area`, or much faster by :meth:`bounded_area` when
    ``fast``; then ``max_row`` may be an upper bound only (``row_exact`` False): a range check
    that fails on it raises :class:`_Rescan`, and the sheet is scanned again, exactly.
    """

    def __init__(
        self, file: str, limits: Limits, sheet: str, found: _Found, fast: bool = True
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
        row, col = int(ref.group(2)), _col_number(ref.group(1))
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
            self.max_col = max(self.max_col, _col_number(max(c for c in cols if len(c) == widest)))
        if not exact:
            self.walk_cells(segment)  # cells without (or with odd) references
        elif refs:
            self.row_cursor, self.col_cursor = int(refs[-1][1]), _col_number(refs[-1][0])
        if self.max_row > before:
            self.row_exact = True  # above any bound: the row of a cell

    def check_dimension(self, segment: bytes) -> None:
        match = _DIMENSION.search(segment)
        if not match or not self.limits.check_dimension:
            return
        end = _RANGE_END.search(match.group(1))
        if not end:
            return
        rows, cols = _int(end.group(2)), _col_number(end.group(1))
        if rows * cols > self.limits.max_cells:
            ref = f"{_col_letters(cols)}{rows}"
            raise _hostile(self.file, f"plage déclarée démesurée ({ref})", self.sheet)

    def walk_cells(self, segment: bytes) -> None:
        """Slow path: follow row and cell tags, placing cells that carry no usable ``r``."""
        for match in _ROW_OR_CELL.finditer(segment):
            if match.group(1) == b"row":
                row = _ATTR_ROW.search(match.group(2))
                self.row_cursor = _int(row.group(1)) if row else self.row_cursor + 1
                self.col_cursor = 0
                continue
            refs = _ATTR_R.findall(match.group(2))
            if refs:
                self.row_cursor = max(_int(r) for _, r in refs)
                self.col_cursor = max(_col_number(c) for c, _ in refs)
            else:
                self.col_cursor += 1
            self.max_row = max(self.max_row, self.row_cursor or 1)
            self.max_col = max(self.max_col, self.col_cursor)

    def check_area(self) -> None:
        if self.max_row * self.max_col > self.limits.max_cells:
            if not self.row_exact:
                raise _Rescan  # the rows are only bounded: the true range may be fine
            ref = f"{_col_letters(min(self.max_col, 10**6))}{min(self.max_row, 10**12)}"
            raise _hostile(self.file, f"plage démesurée ({ref})", self.sheet)

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
            literal = _error_literal(value.group(1)) if value else _UNKNOWN_ERROR
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
        params: dict[str, Any] = {"length": _fr_int(length)}
        if cell:
            params["cell"] = cell
        raise _Refused(
            make_issue("VALUE_TOO_LONG", file=self.file, sheet=self.sheet, row=row, **params)
        )


class _OdsScan(_XmlScan):
    """ODS content.xml: repeated rows and columns that carry content, formulas, errors."""

    def __init__(self, file: str, limits: Limits, found: _Found) -> None:
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
                    self.rows_repeated = _int(repeat.group(1)) if repeat else 1
                    self.col = self.row_width = 0
                    self.row_has_content = False
                    if empty:
                        self.end_row()
                continue
            if closing:
                continue
            repeat = _ODS_COLS.search(attrs)
            width = _int(repeat.group(1)) if repeat else 1
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
                raise _hostile(
                    self.file,
                    f"plage démesurée ({_fr_int(self.max_row)} lignes × "
                    f"{_fr_int(self.max_col)} colonnes)",
                    self.sheet,
                )
        self.row += self.rows_repeated
        self.rows_repeated = 1
        self.row_has_content = False

    def check_cell(self, attrs: bytes, segment: bytes, end: int) -> None:
        if b"table:formula" not in attrs and b"error" not in attrs:
            return
        cell = f"{_col_letters(self.col + 1)}{self.row + 1}"
        if b'value-type="error"' in attrs or b"value-type='error'" in attrs:
            text = _ODS_TEXT.match(segment, end)
            literal = _error_literal(text.group(1)) if text else _UNKNOWN_ERROR
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


class _Found:
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


# --------------------------------------------------------------------------- zip containers


def _check_bomb(infos: list[zipfile.ZipInfo], file: str, limits: Limits) -> None:
    """Refuse from the central directory alone, before inflating a single byte."""
    if len(infos) > limits.max_entries:
        raise _hostile(file, f"archive zip suspecte : {_fr_int(len(infos))} fichiers")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _hostile(file, "archive zip suspecte : fichiers en double")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise _hostile(file, f"archive zip suspecte : {_fr_size(total)} une fois décompressée")
    for info in infos:
        if info.file_size > _RATIO_FLOOR:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise _hostile(
                    file, f"archive zip suspecte : taux de compression {_fr_int(int(ratio))}:1"
                )


def _check_encrypted(info: zipfile.ZipInfo, file: str) -> None:
    if info.flag_bits & 0x1:
        raise _Refused(make_issue("FILE_ENCRYPTED", file=file))


def _check_method(info: zipfile.ZipInfo, file: str) -> None:
    if info.compress_type not in _METHODS:
        raise _unreadable(file, "méthode de compression non prise en charge")


# What Excel and LibreOffice write; spreadsheet readers often handle nothing else.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _scanned(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Members a reader might parse as XML: all but binary media that do not look like XML."""
    if info.is_dir() or info.file_size == 0:
        return False
    if posixpath.splitext(info.filename.lower())[1] not in _BINARY_SUFFIXES:
        return True
    if info.compress_type not in _METHODS:
        return False  # an image we could not peek at: no reader parses it either
    with archive.open(info) as member:  # a few bytes only: the declared size was checked
        start = member.read(64).lstrip(b" \t\r\n")
    return start.startswith((b"<", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_small_xml(data: bytes, file: str, part: str) -> Any:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except Exception as exc:  # ParseError and defusedxml's refusals alike
        raise _unreadable(file, f"classeur illisible ({part})") from exc


def _workbook_sheets(
    workbook: bytes, rels: bytes | None, file: str, folder: str = "xl"
) -> tuple[list[SheetInfo], bool]:
    """Sheets (name, member, hidden) and the date1904 flag of an xlsx workbook."""
    root = _parse_small_xml(workbook, file, f"{folder}/workbook.xml")
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in _parse_small_xml(rels, file, f"{folder}/_rels/workbook.xml.rels").iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
                target = rel.get("Target").replace("\\", "/")
                path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
                targets[rel.get("Id")] = posixpath.normpath(path)
    date1904 = False
    sheets: list[SheetInfo] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "workbookPr":
            date1904 = str(element.get("date1904", "")).strip().lower() in ("1", "true")
        elif name == "sheet":
            rid = next(
                (
                    v
                    for k, v in element.attrib.items()
                    if k.endswith("}id") and "relationships" in k
                ),
                None,
            )
            sheets.append(
                SheetInfo(
                    name=element.get("name") or "?",
                    part=targets.get(rid) if rid else None,
                    hidden=element.get("state") in ("hidden", "veryHidden"),
                )
            )
    return sheets, date1904


def _scan_sheet(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    file: str,
    limits: Limits,
    sheet: str,
    found: _Found,
    budget: list[int],
) -> None:
    """Scan a worksheet quickly; again with the exact scanner if the quick one cannot decide."""
    before = budget[0], len(found.issues), found.suppressed
    try:
        _SheetScan(file, limits, sheet, found).run(_inflate(archive, info, file, budget))
    except _Rescan:
        budget[0], found.suppressed = before[0], before[2]
        del found.issues[before[1] :]
        scan = _SheetScan(file, limits, sheet, found, fast=False)
        scan.run(_inflate(archive, info, file, budget))


def _scan_xlsx(
    archive: zipfile.ZipFile, file: str, limits: Limits, result: Preflight, found: _Found
) -> None:
    infos = archive.infolist()
    budget = [limits.max_uncompressed]
    by_name = {_part_name(i.filename): i for i in infos}
    folder = _workbook_folder(set(by_name)) or "xl"

    def read_small(name: str) -> bytes | None:
        info = by_name.get(name)
        if info is None:
            return None
        _check_encrypted(info, file)
        _check_method(info, file)
        scan = _XmlScan(file, limits, keep=True)
        scan.run(_inflate(archive, info, file, budget))
        return scan.text()

    done = {f"{folder}/_rels/workbook.xml.rels", f"{folder}/workbook.xml"}
    rels = read_small(f"{folder}/_rels/workbook.xml.rels")
    workbook = read_small(f"{folder}/workbook.xml") or b""
    result.sheets, result.date1904 = _workbook_sheets(workbook, rels, file, folder)
    sheet_names = {s.part: s.name for s in result.sheets if s.part}
    for info in infos:
        part = _part_name(info.filename)
        if part in done:
            continue
        _check_encrypted(info, file)
        if part not in sheet_names and not _scanned(archive, info):
            continue
        _check_method(info, file)
        lower = part.lower()
        if part in sheet_names or (
            lower.startswith(f"{folder.lower()}/worksheets/") and lower.endswith(".xml")
        ):
            name = sheet_names.get(part) or posixpath.basename(part)
            _scan_sheet(archive, info, file, limits, name, found, budget)
        else:
            strict = lower.startswith(f"{folder.lower()}/") and lower.endswith("sharedstrings.xml")
            _XmlScan(file, limits, strict=strict).run(_inflate(archive, info, file, budget))
    order = {s.name: i for i, s in enumerate(result.sheets)}
    found.issues.sort(key=lambda i: (order.get(i.sheet or "", len(order)), i.row or 0))


def _scan_ods(
    archive: zipfile.ZipFile, file: str, limits: Limits, result: Preflight, found: _Found
) -> None:
    infos = archive.infolist()
    budget = [limits.max_uncompressed]
    manifest = next((i for i in infos if i.filename == "META-INF/manifest.xml"), None)
    if manifest is not None:
        _check_encrypted(manifest, file)
        _check_method(manifest, file)
        scan = _XmlScan(file, limits, keep=True)
        scan.run(_inflate(archive, manifest, file, budget))
        if b"encryption-data" in scan.text():
            raise _Refused(make_issue("FILE_ENCRYPTED", file=file))
    for info in infos:
        if info is manifest:
            continue
        _check_encrypted(info, file)
        if not _scanned(archive, info):
            continue
        _check_method(info, file)
        if info.filename == "content.xml":
            content = _OdsScan(file, limits, found)
            content.run(_inflate(archive, info, file, budget))
            result.sheets = [SheetInfo(name=n) for n in content.names]
        else:
            _XmlScan(file, limits).run(_inflate(archive, info, file, budget))


# --------------------------------------------------------------------------- entry point


def preflight(path: Path, limits: Limits = Limits()) -> Preflight:
    """Check ``path`` before parsing: format from content, bombs, hostile XML, huge ranges.

    Never raises for a bad file: every problem is reported as an issue. ``fatal`` non-empty
    means the file must not be parsed (a lock file gets FILE_LOCK_SKIPPED there, a warning).
    """
    path = Path(path)
    file = str(path)

    def unreadable(reason: str) -> Preflight:
        return Preflight("unknown", fatal=[make_issue("FILE_UNREADABLE", file=file, reason=reason)])

    if is_lock_file(path):
        return Preflight("unknown", fatal=[make_issue("FILE_LOCK_SKIPPED", file=file)])
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            return unreadable("le chemin désigne un dossier")
        if not stat.S_ISREG(mode):  # a pipe or a device would block or never end
            return unreadable("ce n'est pas un fichier ordinaire")
        with path.open("rb") as fh:
            result = _preflight_open(fh, file, limits)
    except FileNotFoundError:
        return Preflight("unknown", fatal=[make_issue("FILE_NOT_FOUND", file=file)])
    except PermissionError:
        return unreadable("accès refusé")
    except OSError:
        return unreadable("erreur de lecture")
    except Exception:  # a file our checks cannot handle is not handed to a parser either
        return unreadable("vérification de sécurité impossible")
    expected = _EXTENSIONS.get(path.suffix.lower())
    if result.format != "unknown" and expected is not None and expected != result.format:
        result.issues.insert(
            0,
            make_issue(
                "FILE_EXTENSION_MISMATCH",
                file=file,
                extension=path.suffix.lower(),
                detected=result.format,
            ),
        )
    return result


def _preflight_open(fh: IO[bytes], file: str, limits: Limits) -> Preflight:
    detection = _detect(fh, file, limits)
    result = Preflight(detection.format)
    if detection.fatal is not None:
        result.fatal.append(detection.fatal)
        return result
    archive = detection.zip
    if archive is None:
        return result
    found = _Found(limits.max_issues)
    try:
        with archive:
            _check_bomb(archive.infolist(), file, limits)
            if detection.ods_candidate:
                if not _read_mimetype(archive):
                    result.format = "unknown"
                    result.fatal.append(make_issue("FILE_FORMAT_UNKNOWN", file=file))
                    return result
                _scan_ods(archive, file, limits, result, found)
            else:
                _scan_xlsx(archive, file, limits, result, found)
    except _Refused as refused:
        result.fatal.append(refused.issue)
    except _READ_ERRORS:
        result.fatal.append(make_issue("FILE_UNREADABLE", file=file, reason=_CORRUPT))
    result.issues.extend(found.issues)
    result.suppressed = found.suppressed
    return result
