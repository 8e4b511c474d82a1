"""Oui/Non cells, text folding (accents, apostrophes, case), categories and Excel error literals."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clausekit.parse.cells import Cells, _cells, _like, _match, _nonempty, _np_bool

# ---------------------------------------------------------------------------------------------
# Booleans
# ---------------------------------------------------------------------------------------------

_TRUE = frozenset({"oui", "o", "x", "1", "1.0", "1,0", "vrai", "true", "yes", "y"})
_FALSE = frozenset({"non", "n", "0", "0.0", "0,0", "faux", "false", "no", "-"})


def _bool_word(text: str | None) -> bool | None:
    if text is None:
        return None
    key = strip_accents(text.lower()).strip()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def parse_bools(s: pd.Series | Cells) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no cells into a pandas ``boolean`` Series.

    True: oui, o, x, 1, 1.0, vrai, true, yes, y. False: non, n, 0, 0.0, faux, false, no, "-".
    Case, accents and surrounding spaces are ignored (``"1,0"``/``"0,0"`` are accepted too).

    Returns ``(values, bad)``: ``boolean`` values (``pd.NA`` where empty or bad), bad mask.
    """
    cells = _cells(s)
    words = [_bool_word(u) for u in cells.values.to_pylist()]
    known = np.array([w is not None for w in words], dtype=bool)[cells.codes]
    data = np.array([w is True for w in words], dtype=bool)[cells.codes]
    values = pd.arrays.BooleanArray(data, ~known)
    bad = (_nonempty(cells.values)[cells.codes]) & ~known
    return _like(values, cells), _like(bad, cells, dtype=bool)


# ---------------------------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------------------------

_APOSTROPHES = frozenset("'’‘ʼ`´")
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}


def strip_accents(text: str) -> str:
    """``text`` without its accents (NFKD, combining marks dropped), nothing else changed."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def _char(ch: str) -> str:
    """Normalised form of one (decomposed, lowercased) character."""
    if ch in _LIGATURES:
        return _LIGATURES[ch]
    if ch in _APOSTROPHES:
        return " "
    category = unicodedata.category(ch)
    if category[0] == "M":  # combining marks (accents)
        return ""
    if category[0] in "PSZC":  # punctuation, symbols, separators, controls
        return " "
    return ch


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).lower()
    return " ".join("".join(map(_char, decomposed)).split())


@lru_cache(maxsize=16384)
def normalise_value(text: str) -> str:
    """Normalise one value exactly as :func:`normalise_text` does (cached: for labels, spec
    values and tokens, which come back again and again)."""
    return _normalise(text)


def _normalise_all(arr: Any) -> Any:
    """Normalised ``arr`` (large strings, nulls kept). ASCII text is done by Arrow kernels
    (there, normalising is lowercasing and turning every run of non-alphanumeric characters
    into one space, then stripping); only the other values go through Python."""
    lowered = pc.utf8_lower(arr.cast(pa.large_string()))
    out = pc.utf8_trim(pc.replace_substring_regex(lowered, "[^a-z0-9]+", " "), " ")
    other = pc.invert(pc.fill_null(pc.string_is_ascii(arr), True))
    if pc.any(other).as_py():
        texts = arr.filter(other).to_pylist()
        normalised = pa.array([_normalise(t) for t in texts], type=pa.large_string())
        out = pc.replace_with_mask(out, other, normalised)
    return out


def normalise_text(s: pd.Series | Cells) -> pd.Series:
    """Normalise free text for comparisons.

    Lowercase, strip accents (NFKD, combining marks dropped; œ/æ/ß spelled out), turn
    punctuation, symbols and apostrophes (' ’) into spaces, collapse whitespace and strip.
    Computed once per distinct value. Returns a ``string`` Series (``pd.NA`` where missing).
    """
    cells = _cells(s)
    normalised = _normalise_all(cells.values)
    values = pd.array(normalised.take(pa.array(cells.codes)), dtype="string[pyarrow]")
    return _like(values, cells)


def parse_category(s: pd.Series | Cells, lookup: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map cells to categories through ``lookup`` (normalised text -> category code).

    Returns ``(values, unknown)``: a ``string`` Series of codes (``pd.NA`` where missing or
    unknown) and the mask of the cells whose normalised text is not empty and not in
    ``lookup``.
    """
    cells = _cells(s)
    normalised = _normalise_all(cells.values).to_pylist()
    codes = [None if text is None else lookup.get(text) for text in normalised]
    unknown = np.array(
        [bool(text) and code is None for text, code in zip(normalised, codes, strict=True)],
        dtype=bool,
    )
    values = pd.array(pa.array(codes, type=pa.large_string()).take(pa.array(cells.codes)), "string")
    return _like(values, cells), _like(unknown[cells.codes], cells, dtype=bool)


# ---------------------------------------------------------------------------------------------
# Excel errors
# ---------------------------------------------------------------------------------------------

EXCEL_ERRORS: frozenset[str] = frozenset(
    {
        # Excel (as stored in files)
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#BLOCKED!",
        "#CONNECT!",
        "#FIELD!",
        "#UNKNOWN!",
        "#BUSY!",
        "#EXTERNAL!",
        "#PYTHON!",
        # French Excel display text (seen in CSV exports)
        "#VALEUR!",
        "#NOM?",
        "#NOMBRE!",
        "#NUL!",
        "#PROPAGATION!",
        "#OBTENTION_DONNEES",
        "#OBTENTION_DONNÉES",
    }
)


def excel_error_mask(s: pd.Series | Cells) -> pd.Series:
    """True where the value is a spreadsheet error literal (``#N/A``, ``#DIV/0!``, …).

    Covers the Excel codes (``#N/A #DIV/0! #VALUE! #REF! #NAME? #NUM! #NULL! #SPILL! #CALC!
    #GETTING_DATA`` and the newer ones), their French display forms (``#VALEUR!``, ``#NOM?``…)
    and LibreOffice's ``Err:502`` style. Case and surrounding spaces are ignored.
    """
    cells = _cells(s)
    arr = pc.utf8_upper(cells.values)
    known = _np_bool(pc.is_in(arr, value_set=pa.array(sorted(EXCEL_ERRORS), arr.type)))
    libre = _match(arr, r"^ERR:[0-9]{3}$")
    return _like((known | libre)[cells.codes], cells, dtype=bool)
