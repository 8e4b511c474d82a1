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

One job a module: :mod:`~clausekit.preflight.sniff` (format from content, lock files),
:mod:`~clausekit.preflight.containers` (zip directory, bombs, bounded inflating),
:mod:`~clausekit.preflight.ole` (OLE2: xls or encrypted), :mod:`~clausekit.preflight.xmlscan`
(XML as a byte stream), :mod:`~clausekit.preflight.worksheet` (an xlsx sheet's range, formulas,
error cells), :mod:`~clausekit.preflight.xlsx` and :mod:`~clausekit.preflight.ods` (a package
member by member), :mod:`~clausekit.preflight.findings` (limits, outcome, refusals) and
:mod:`~clausekit.preflight.check` (the entry point). They import only the standard library,
defusedxml and :mod:`clausekit.errors`.
"""

from clausekit.preflight.check import preflight
from clausekit.preflight.findings import FORMATS, Limits, Preflight, SheetInfo
from clausekit.preflight.sniff import is_lock_file, sniff_format
from clausekit.preflight.xmlscan import declared_utf8, utf16_encoding

__all__ = [
    "FORMATS",
    "Limits",
    "Preflight",
    "SheetInfo",
    "declared_utf8",
    "is_lock_file",
    "preflight",
    "sniff_format",
    "utf16_encoding",
]
