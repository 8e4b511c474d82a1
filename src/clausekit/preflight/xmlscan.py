"""XML members as byte streams: hostile markup, encodings, over-long texts, cell references.

Every XML member is scanned in segments that never split a tag (:func:`segments`): refused
when it holds ``<!DOCTYPE`` or ``<!ENTITY`` (billion laughs, external entities), an encoding a
byte scan cannot see, or (in cell data) a text node over Excel's 32,767 characters.
:class:`XmlScan` is the base of the worksheet and ods scanners.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

from clausekit.errors import make_issue
from clausekit.preflight.findings import Limits, Refused, fr_int, hostile

_MAX_CARRY = 1024 * 1024  # longest run without '<' kept whole when scanning XML
_MAX_SMALL_PART = 32 * 1024 * 1024  # workbook.xml, rels, manifest: read whole up to this

_HOSTILE_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})")
_ESCAPES = re.compile(rb"&#?[A-Za-z0-9]{1,32};|_x[0-9A-Fa-f]{4}_")
_CONTINUATION = bytes(range(0x80, 0xC0))
_XML_ENCODINGS = re.compile(
    r"(utf-?8|utf-?16(le|be)?|(us-)?ascii|iso-?8859-[0-9]{1,2}|latin-?[0-9]|"
    r"(windows|cp)-?125[0-8])",
    re.IGNORECASE,
)


def col_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper()[:6]:
        number = number * 26 + (byte - 64)
    return number if len(letters) <= 6 else 10**9


def col_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def attr_int(digits: bytes) -> int:
    """Parse a decimal attribute without letting a giant number cost anything."""
    return int(digits) if len(digits) <= 12 else 10**12


def _chars(text: bytes) -> int:
    """Characters in XML text bytes (UTF-8 code points, entities and _xHHHH_ count as one)."""
    count = len(text.translate(None, _CONTINUATION))
    for match in _ESCAPES.finditer(text):
        count -= len(match.group()) - 1
    return count


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
        raise hostile(file, "encodage XML inattendu")
    yield first
    yield from chunks


def segments(chunks: Iterable[bytes], strict: bool, file: str) -> Iterator[bytes]:
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
                raise hostile(file, "texte de cellule démesuré")
            yield buf
            carry = b""
            continue
        yield buf[:cut]
        carry = buf[cut:]
    if carry:
        yield carry


class XmlScan:
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
        for segment in segments(_as_utf8(chunks, self.file), self.strict, self.file):
            self.feed(segment)
        self.close()

    def feed(self, segment: bytes) -> None:
        # DOCTYPE, ENTITY and CDATA all start with '<!': a segment without '!' (found at memchr
        # speed) has none of them, and skips both searches.
        declarations = b"!" in segment
        match = _HOSTILE_MARKUP.search(segment) if declarations else None
        if match:
            word = match.group(1).decode("ascii").upper()
            raise hostile(self.file, f"entités XML interdites ({word})", self.sheet)
        if self.strict:
            self.check_text(segment, cdata=declarations)
        if self.keep:
            self.kept_size += len(segment)
            if self.kept_size > _MAX_SMALL_PART:
                raise hostile(self.file, "partie XML démesurée")
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
        raise Refused(
            make_issue("VALUE_TOO_LONG", file=self.file, sheet=self.sheet, length=fr_int(length))
        )

    def text(self) -> bytes:
        return b"".join(self.kept)
