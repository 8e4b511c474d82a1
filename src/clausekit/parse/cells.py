"""Columns as their distinct values (:class:`Cells`) and the Arrow plumbing every parser shares."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# ---------------------------------------------------------------------------------------------
# Arrow plumbing
# ---------------------------------------------------------------------------------------------


def _column(s: Any) -> Any:
    """Return the values of ``s`` as one Arrow string array, as read (missing cells are null)."""
    if not isinstance(s, pd.Series):  # tolerate lists/arrays from callers and tests
        s = pd.Series(s, dtype=object)
    dtype = s.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        s = s.astype("string[pyarrow]")
    arr = pa.array(s.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


class Cells:
    """A column of cells as its distinct values, stripped, and for every row the position of
    its value among them.

    Values repeat a lot in practice (months, dates, hours, Oui/Non), so the parsers work on
    the distinct values only and spread their results to the rows with ``result[codes]``.
    The last distinct value is always null: the missing cells point to it. Build it once per
    column to share it between several parsers (``excel_error_mask`` then ``parse_*``).
    """

    __slots__ = ("codes", "index", "name", "values")

    def __init__(self, s: Any) -> None:
        encoded = pc.dictionary_encode(_column(s))
        stripped = pc.utf8_trim_whitespace(encoded.dictionary)
        self.values: Any = pa.concat_arrays([stripped, pa.nulls(1, stripped.type)])
        self.codes: npt.NDArray[np.integer[Any]] = pc.fill_null(
            encoded.indices, len(stripped)
        ).to_numpy(zero_copy_only=False)
        self.index: pd.Index | None = s.index if isinstance(s, pd.Series) else None
        self.name: Any = s.name if isinstance(s, pd.Series) else None

    def __len__(self) -> int:
        return len(self.codes)

    def blank(self, mask: Any) -> Cells:
        """The same cells with those where ``mask`` is True emptied (made missing)."""
        out = object.__new__(Cells)
        out.values, out.index, out.name = self.values, self.index, self.name
        out.codes = np.where(np.asarray(mask, dtype=bool), len(self.values) - 1, self.codes)
        return out


def _cells(s: Any) -> Cells:
    return s if isinstance(s, Cells) else Cells(s)


def is_filled(s: pd.Series) -> BoolArray:
    """True where the cell holds something other than whitespace (numpy ``bool``)."""
    arr = _column(s)
    blank = pc.or_kleene(pc.equal(pc.binary_length(arr), 0), pc.utf8_is_space(arr))
    return ~_np_bool(pc.fill_null(blank, True))


def _np_bool(arr: Any) -> BoolArray:
    """Arrow boolean array (nulls count as False) to a numpy bool array."""
    out: BoolArray = pc.fill_null(arr, False).to_numpy(zero_copy_only=False)
    return out.astype(bool, copy=False)


def _nonempty(arr: Any) -> BoolArray:
    """True where the (already stripped) string is present and not empty."""
    return _np_bool(pc.greater(pc.utf8_length(arr), 0))


def _match(arr: Any, pattern: str) -> BoolArray:
    return _np_bool(pc.match_substring_regex(arr, pattern))


def _take(arr: Any, positions: IntArray) -> Any:
    """Rows of ``arr`` at sorted, distinct ``positions`` (no copy when all rows are taken)."""
    if len(positions) == len(arr):
        return arr
    return arr.take(pa.array(positions))


def _extract(arr: Any, pattern: str, names: tuple[str, ...]) -> tuple[IntArray, dict[str, Any]]:
    """Run an RE2 pattern with named groups over ``arr``.

    Returns the positions of the matching rows and, for those rows only (same order), the
    captured groups as Arrow string arrays. A cheap match pass selects the rows first, so the
    costlier extraction only runs where it succeeds.
    """
    positions: IntArray = np.flatnonzero(_match(arr, pattern)).astype(np.int64)
    if not positions.size:
        return positions, {}
    ex = pc.extract_regex(_take(arr, positions), pattern)
    return positions, {name: ex.field(name) for name in names}


def _ints(field: Any) -> IntArray:
    """Cast a captured digit group to int64 (an empty, optional group gives 0)."""
    filled = pc.if_else(pc.equal(field, ""), "0", field)
    out: IntArray = pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False)
    return out.astype(np.int64, copy=False)


def _like(values: Any, s: Any, dtype: Any = None) -> pd.Series:
    """Wrap ``values`` in a Series carrying the index and name of ``s``."""
    if isinstance(s, pd.Series | Cells) and s.index is not None:
        return pd.Series(values, index=s.index, name=s.name, dtype=dtype)
    return pd.Series(values, dtype=dtype)


def _result(values: Any, bad: BoolArray, cells: Cells) -> tuple[pd.Series, pd.Series]:
    """Spread per-distinct-value results to the rows of ``cells``."""
    codes = cells.codes
    return _like(values[codes], cells), _like(bad[codes], cells, dtype=bool)


ARROW_TEXT = pd.ArrowDtype(pa.string())


def as_text(s: pd.Series) -> pd.Series:
    """The column as Arrow-backed text, without a copy when it already is (the readers give
    Arrow strings); string methods then run in Arrow, not row by row in Python."""
    if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_string(s.dtype.pyarrow_dtype):
        return s
    return s.astype(ARROW_TEXT)
