"""Zip containers (xlsx, ods): the central directory, bomb checks, and bounded inflating.

A zip is judged from its central directory before a single byte is inflated (member count,
declared total size, compression ratio); then each member is inflated in small chunks from
the raw compressed bytes, trusting no declared size (:func:`inflate`).
"""

from __future__ import annotations

import codecs
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from clausekit.errors import make_issue
from clausekit.preflight.findings import (
    CORRUPT,
    Limits,
    Refused,
    fr_int,
    fr_size,
    hostile,
    unreadable,
)

CHUNK = 128 * 1024  # bytes inflated per read (small buffers: reused, not faulted in anew)
_DEFLATED_READ = 32 * 1024  # compressed bytes read at once (zlib copies what a call leaves)
MAX_CENTRAL_DIR = 32 * 1024 * 1024  # central directory bytes we agree to read
_RATIO_FLOOR = 1024 * 1024  # members smaller than this are not ratio-checked
ZIP_MAGIC = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"

# Members never parsed as XML by spreadsheet readers: not inflated by the scan.
_BINARY_SUFFIXES = {
    ".bin", ".bmp", ".emf", ".gif", ".ico", ".jfif", ".jpeg", ".jpg", ".mp3", ".mp4",
    ".odg", ".pdf", ".png", ".svm", ".tif", ".tiff", ".wav", ".wdp", ".webp", ".wmf",
}  # fmt: skip

_OVERSIZED = "archive zip suspecte : taille décompressée supérieure à l'annonce"


def zip_directory(fh: IO[bytes], size: int) -> tuple[int, int, int]:
    """(declared entries, central directory start, end) from the end record, or BadZipFile."""
    tail_len = min(size, 22 + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(ZIP_EMPTY)
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


def count_central_entries(fh: IO[bytes], start: int, end: int, limit: int) -> int:
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


def check_bomb(infos: list[zipfile.ZipInfo], file: str, limits: Limits) -> None:
    """Refuse from the central directory alone, before inflating a single byte."""
    if len(infos) > limits.max_entries:
        raise hostile(file, f"archive zip suspecte : {fr_int(len(infos))} fichiers")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise hostile(file, "archive zip suspecte : fichiers en double")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise hostile(file, f"archive zip suspecte : {fr_size(total)} une fois décompressée")
    for info in infos:
        if info.file_size > _RATIO_FLOOR:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise hostile(
                    file, f"archive zip suspecte : taux de compression {fr_int(int(ratio))}:1"
                )


def check_encrypted(info: zipfile.ZipInfo, file: str) -> None:
    if info.flag_bits & 0x1:
        raise Refused(make_issue("FILE_ENCRYPTED", file=file))


def check_method(info: zipfile.ZipInfo, file: str) -> None:
    if info.compress_type not in _METHODS:
        raise unreadable(file, "méthode de compression non prise en charge")


# What Excel and LibreOffice write; spreadsheet readers often handle nothing else.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def scanned(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
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


def inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, budget: list[int]
) -> Iterator[bytes]:
    """Inflate one member in chunks from the raw compressed bytes, trusting no declared size.

    zipfile stops at the declared size, but other readers inflate the whole compressed stream:
    a member that inflates to more than it declares (or past the shared budget) is refused.
    """
    fh = archive.fp
    if fh is None:  # pragma: no cover - the archive is open while we scan
        raise unreadable(file, CORRUPT)
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or not local.startswith(ZIP_MAGIC):
        raise unreadable(file, CORRUPT)
    name_len, extra_len = struct.unpack_from("<HH", local, 26)
    position = info.header_offset + 30 + name_len + extra_len
    left = info.compress_size
    produced = 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    step = CHUNK if inflater is None else _DEFLATED_READ
    pending = b""
    while True:
        if not pending:
            if left <= 0:
                break
            fh.seek(position)
            pending = fh.read(min(step, left))
            if not pending:
                raise unreadable(file, CORRUPT)
            position += len(pending)
            left -= len(pending)
        if inflater is None:
            out, pending = pending, b""
        else:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
        produced += len(out)
        budget[0] -= len(out)
        if produced > info.file_size or budget[0] < 0:
            raise hostile(file, _OVERSIZED)
        if out:
            yield out
        if inflater is not None and inflater.eof:
            break
    if produced != info.file_size or (inflater is not None and not inflater.eof):
        raise unreadable(file, CORRUPT)
