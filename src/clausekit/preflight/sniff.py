"""Format sniffing: the format of a file from its content, never from its extension.

Also the names of the files a folder's reading picks up (:data:`SPREADSHEET_SUFFIXES`), the
extension each format is expected under (:data:`EXTENSIONS`), and Excel or LibreOffice lock
files, which are never read (:func:`is_lock_file`).
"""

from __future__ import annotations

import codecs
import stat
import zipfile
from pathlib import Path
from typing import IO

from clausekit.errors import make_issue
from clausekit.preflight.containers import (
    MAX_CENTRAL_DIR,
    ZIP_EMPTY,
    ZIP_MAGIC,
    count_central_entries,
    zip_directory,
)
from clausekit.preflight.findings import CORRUPT, READ_ERRORS, Detection, Limits, fr_int
from clausekit.preflight.ole import detect_ole

# The file names a folder's reading picks up (the content decides the format afterwards).
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv"}

_HEAD = 64 * 1024  # bytes sniffed at the start of a file
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# BOF record of a bare BIFF stream (no OLE container): Excel 2.x to 4.0, or 5+ saved bare
_BIFF_BOF = {
    b"\x09\x00": "Excel 2.x (BIFF2)",
    b"\x09\x02": "Excel 3.0 (BIFF3)",
    b"\x09\x04": "Excel 4.0 (BIFF4)",
    b"\x09\x08": "Excel 5 à 2003 (BIFF) sans son enveloppe OLE",
}

EXTENSIONS = {
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


def is_lock_file(path: Path) -> bool:
    """True for Excel (``~$name.xlsx``) and LibreOffice (``.~lock.name.xlsx#``) lock files."""
    name = Path(path).name
    return name.startswith("~$") or name.startswith(".~lock.")


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
            detection = detect(fh, str(path), Limits())
            if detection.zip is not None:
                with detection.zip:
                    if detection.ods_candidate and not read_mimetype(detection.zip):
                        return "unknown"
            return detection.format
    except OSError:
        return "unknown"


def detect(fh: IO[bytes], file: str, limits: Limits) -> Detection:
    head = fh.read(_HEAD)
    if not head:
        return Detection("unknown", make_issue("FILE_UNREADABLE", file=file, reason="fichier vide"))
    if head.startswith((ZIP_MAGIC, ZIP_EMPTY)):
        return _detect_zip(fh, head, file, limits)
    if head.startswith(_OLE_MAGIC):
        return detect_ole(fh, file)
    if head[:2] in _BIFF_BOF and head[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00", b"\x10\x00"):
        kind = _BIFF_BOF[head[:2]]
        return Detection("unknown", make_issue("FILE_FORMAT_UNSUPPORTED", file=file, kind=kind))
    if _looks_like_csv(head):
        return Detection("csv")
    return Detection("unknown", make_issue("FILE_FORMAT_UNKNOWN", file=file))


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


def _detect_zip(fh: IO[bytes], head: bytes, file: str, limits: Limits) -> Detection:
    fh.seek(0, 2)
    size = fh.tell()
    kind = _guess_zip_kind(head)
    try:
        entries, cd_start, cd_end = zip_directory(fh, size)
        if cd_end - cd_start > MAX_CENTRAL_DIR:
            reason = "archive zip suspecte : répertoire démesuré"
            return Detection(kind, make_issue("FILE_HOSTILE", file=file, reason=reason))
        counted = count_central_entries(fh, cd_start, cd_end, limits.max_entries)
        count = max(entries, counted)
        if count > limits.max_entries:
            reason = (
                f"archive zip suspecte : plus de {fr_int(limits.max_entries)} fichiers"
                if counted > limits.max_entries
                else f"archive zip suspecte : {fr_int(count)} fichiers"
            )
            return Detection(kind, make_issue("FILE_HOSTILE", file=file, reason=reason))
        fh.seek(0)
        archive = zipfile.ZipFile(fh)
    except READ_ERRORS:
        return Detection(kind, make_issue("FILE_UNREADABLE", file=file, reason=CORRUPT))
    names = {part_name(n) for n in archive.namelist()}
    if "[Content_Types].xml" in names and workbook_folder(names) is not None:
        return Detection("xlsx", zip=archive)
    if "[Content_Types].xml" in names and "xl/workbook.bin" in names:
        archive.close()
        kind = "Excel binaire (.xlsb)"
        return Detection("unknown", make_issue("FILE_FORMAT_UNSUPPORTED", file=file, kind=kind))
    if "mimetype" in names:
        return Detection("ods", zip=archive, ods_candidate=True)
    archive.close()
    return Detection("unknown", make_issue("FILE_FORMAT_UNKNOWN", file=file))


def part_name(name: str) -> str:
    """A zip member's part name: some writers use backslashes or a leading slash."""
    return name.replace("\\", "/").lstrip("/")


def workbook_folder(names: set[str]) -> str | None:
    """The folder of the workbook part: ``xl``, else the one folder holding a workbook.xml
    (a few writers use another name; the relationships inside it are relative)."""
    if "xl/workbook.xml" in names:
        return "xl"
    folders = {n[: -len("/workbook.xml")] for n in names if n.endswith("/workbook.xml")}
    folders = {f for f in folders if f and "/" not in f}
    return folders.pop() if len(folders) == 1 else None


def read_mimetype(archive: zipfile.ZipFile) -> bool:
    """True when the ``mimetype`` member names an OpenDocument spreadsheet."""
    info = archive.getinfo("mimetype")
    if info.file_size > 256 or info.flag_bits & 0x1:
        return False
    try:
        with archive.open(info) as member:
            return member.read(257).strip() == _ODS_MIME
    except READ_ERRORS:
        return False
