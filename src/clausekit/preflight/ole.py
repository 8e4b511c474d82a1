"""OLE2 compound files: a legacy ``xls``, a password-protected xlsx, or an encrypted ``xls``.

Just enough of the compound file format to list its streams and read the start of one: a file
holding ``EncryptedPackage`` is an encrypted xlsx; an ``xls`` whose Workbook stream starts with
a ``FILEPASS`` record is encrypted too.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import IO

from clausekit.errors import make_issue
from clausekit.preflight.containers import CHUNK
from clausekit.preflight.findings import Detection


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
    while fh.tell() < limit and (chunk := fh.read(CHUNK)):
        window = tail + chunk
        if any(n in window for n in needles):
            return True
        tail = window[-keep:]
    return False


def detect_ole(fh: IO[bytes], file: str) -> Detection:
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
            return Detection("xlsx", encrypted)
        return Detection("xls")
    names = {entry[0] for entry in entries}
    if names & set(_ENCRYPTION_NAMES):
        return Detection("xlsx", encrypted)
    for name, start, stream_size, _ in entries:
        if name.lower() in ("workbook", "book"):  # "BOOK" too: names are case-insensitive
            try:
                if _xls_has_filepass(cfb, start, stream_size):
                    return Detection("xls", encrypted)
            except (_CfbError, struct.error, OSError):
                pass
            return Detection("xls")
    return Detection("unknown", make_issue("FILE_FORMAT_UNKNOWN", file=file))
