"""Strict, vectorised parsers for the values found in French spreadsheets.

Every cell reaches this module as text (the spreadsheet reader stringifies numbers as ``"7.5"``,
real date cells as ``"2025-01-31 00:00:00"`` and keeps typed text as typed). Each ``parse_*``
function takes a pandas Series of such strings (or the same column already encoded as
:class:`Cells`) and returns ``(values, bad)`` aligned on the input index:

* ``bad`` (numpy ``bool``) is True exactly where the stripped input is non-empty but could not
  be parsed;
* ``values`` is missing where the input is missing/blank and where ``bad`` is True.

A column is first reduced to its *distinct* values (:class:`Cells`), which repeat a lot in
practice; the common formats are handled there with Apache Arrow compute kernels (RE2 regular
expressions, casts), Python code only runs on the leftover values (month labels, accented
text), and the results are spread back to the rows.

Behaviour choices worth knowing:

* Numbers: ``"1.234"`` is read as 1.234 (the reader writes numbers with a dot decimal); dot
  thousands separators are only recognised with a comma decimal (``"1.234,5"``) or with at least
  two groups (``"1.234.567"``). Space-like thousands separators (space, U+00A0, U+202F) must
  group by exactly three digits (``"1 23,4"`` is rejected) and take a comma decimal only
  (``"1 234.5"`` is rejected). ``"inf"``, ``"nan"``, overflowing values and anything with a
  unit or trailing text are rejected.
* Dates: always day first for ``d/m/y`` text; year-first text (``"2025-01-31"``,
  ``"2025/01/31"``) is ISO order. Text years must lie in 1900..9999; a time part after a date is
  accepted and dropped. Results have second resolution (``datetime64[s]``) so that dates up to
  9999-12-31 fit.
* Months: a bare Excel serial is only accepted from 10000 (1927-05-18) on, because a small
  integer in a month column ("1", "12", "2025") is much more likely a month number or a year.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "EXCEL_ERRORS",
    "Cells",
    "excel_error_mask",
    "is_filled",
    "normalise_text",
    "normalise_value",
    "parse_bools",
    "parse_category",
    "parse_dates",
    "parse_hours",
    "parse_months",
    "parse_numbers",
    "strip_accents",
]

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


# ---------------------------------------------------------------------------------------------
# Numbers and hours
# ---------------------------------------------------------------------------------------------

_SPACES = " \u00a0\u202f"
# What the reader writes (Python/C float syntax, no inf/nan).
_RE_PLAIN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
# French typing: optional grouping by three with space-like separators or dots, comma decimal.
_RE_FRENCH = (
    "^[+\\-\u2212]?(?:[0-9]{1,3}(?:["
    + _SPACES
    + "][0-9]{3})+|[0-9]{1,3}(?:\\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?$"
)
_RE_HOURS = (
    r"^(?P<sign>[+\-]?)(?P<h>[0-9]{1,9})"
    r"(?:\s*[hH]\s*(?P<mh>[0-9]{2})?|:(?P<mc>[0-9]{2})(?::(?P<sc>[0-9]{2}))?)$"
)


def _numbers(arr: Any) -> tuple[FloatArray, BoolArray]:
    """Parse numbers; return (values with NaN where not ok, ok mask)."""
    plain = _match(arr, _RE_PLAIN)
    values: FloatArray = (
        pc.cast(pc.if_else(pa.array(plain), arr, None), pa.float64())
        .to_numpy(zero_copy_only=False)
        .astype(np.float64, copy=True)
    )
    french = _match(arr, _RE_FRENCH) & ~plain
    if french.any():
        idx = np.flatnonzero(french)
        sub = _take(arr, idx)
        sub = pc.replace_substring_regex(sub, "[" + _SPACES + ".]", "")
        sub = pc.replace_substring(sub, ",", ".")
        sub = pc.replace_substring(sub, "\u2212", "-")
        values[idx] = pc.cast(sub, pa.float64()).to_numpy(zero_copy_only=False)
    ok = (plain | french) & np.isfinite(values)
    values[~ok] = np.nan
    return values, ok


def parse_numbers(s: pd.Series | Cells) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written by the reader or typed the French way.

    Accepted: ``"1234"``, ``"1234.5"``, ``"-3"``, ``"+3"``, ``"1e3"`` (reader/C syntax, dot
    decimal); ``"1234,5"``, ``"1 234,5"`` with a space, no-break space (U+00A0) or narrow
    no-break space (U+202F) grouping by three, ``"1.234,5"`` and ``"1.234.567"`` (dot
    grouping). Rejected (``bad``): ``"1,2,3"``, ``"12abc"``, ``"1 23,4"`` (malformed
    grouping), ``"1 234.5"``, ``"inf"``, ``"nan"`` and values overflowing a float.

    Returns ``(values, bad)``: float64 values (NaN where empty or bad) and the bad mask.
    """
    cells = _cells(s)
    values, ok = _numbers(cells.values)
    return _result(values, _nonempty(cells.values) & ~ok, cells)


def parse_hours(s: pd.Series | Cells) -> tuple[pd.Series, pd.Series]:
    """Parse durations in hours.

    Accepts everything :func:`parse_numbers` accepts (decimal hours) plus ``"7:30"`` (7.5),
    ``"7:30:00"``, ``"7h30"``, ``"7 h 30"``, ``"7h"`` (7.0), ``"151:40"`` and a leading sign.
    Minutes (and seconds) must have two digits and be below 60: ``"7:60"`` and ``"7h5"`` are bad.

    Returns ``(values, bad)``: float64 hours (NaN where empty or bad) and the bad mask.
    """
    cells = _cells(s)
    arr = cells.values
    values, ok = _numbers(arr)
    todo = np.flatnonzero(~ok & _nonempty(arr))
    if todo.size:
        sub = _take(arr, todo)
        pos, g = _extract(sub, _RE_HOURS, ("sign", "h", "mh", "mc", "sc"))
        if pos.size:
            hours = _ints(g["h"])
            minutes = _ints(g["mh"]) + _ints(g["mc"])  # at most one of them is set
            seconds = _ints(g["sc"])
            good = (minutes < 60) & (seconds < 60)
            sign = np.where(_np_bool(pc.equal(g["sign"], "-")), -1.0, 1.0)
            parsed = sign * (hours + minutes / 60.0 + seconds / 3600.0)
            rows = todo[pos[good]]
            values[rows] = parsed[good]
            ok[rows] = True
    left = np.flatnonzero(~ok & _nonempty(arr))
    if left.size:  # durations typed in Excel are time cells: "1899-12-31 07:30:00"
        texts = pd.Series(_take(arr, left).to_pylist())
        durations = texts.map(_duration_cell)
        found = durations.notna().to_numpy()
        values[left[found]] = durations[found].to_numpy(dtype=float)
        ok[left[found]] = True
    return _result(values, _nonempty(arr) & ~ok, cells)


_RE_TIME_CELL = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_TIME_EPOCHS = (("1899-12-31", "1900-02-28"), ("1904-01-01", "1904-02-28"))


def _duration_cell(text: object) -> float | None:
    """Hours of an Excel time/duration cell as the reader renders it (date part = whole days
    since the epoch: 1899-12-31 for 0 in the 1900 system, 1904-01-01 in the 1904 one)."""
    match = _RE_TIME_CELL.match(str(text).strip())
    if not match:
        return None
    day, hh, mm, ss = match.groups()
    for epoch, last in _TIME_EPOCHS:
        if epoch <= day <= last:
            base = epoch
            days = (np.datetime64(day) - np.datetime64(base)).astype(int)
            return float(days * 24 + int(hh) + int(mm) / 60 + int(ss or 0) / 3600)
    return None


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


_EPOCH_1900 = _day("1899-12-30")  # serial 61 and above: 1899-12-30 + serial
_EPOCH_1900_EARLY = _day("1899-12-31")  # serials 1..59: 1899-12-31 + serial
_EPOCH_1904 = _day("1904-01-01")
_MAX_DAY = _day("9999-12-31")
_MIN_YEAR, _MAX_YEAR = 1900, 9999

_RE_TIME = r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?"
_RE_ISO = (
    r"^(?P<y>[0-9]{4})(?P<s1>[-/])(?P<m>[0-9]{1,2})(?P<s2>[-/])(?P<d>[0-9]{1,2})"
    r"(?:(?:T|\s+)" + _RE_TIME + r")?$"
)
_RE_DMY = (
    r"^(?P<d>[0-9]{1,2})(?P<s1>[/.-])(?P<m>[0-9]{1,2})(?P<s2>[/.-])(?P<y>[0-9]{4}|[0-9]{2})"
    r"(?:\s+" + _RE_TIME + r")?$"
)
# Integer part only: fractional serials carry a time of day, which is dropped.
_RE_SERIAL = r"^(?P<i>[0-9]{1,9})(?:\.[0-9]*)?$"


def _two_digit_year(y: IntArray, width: IntArray) -> IntArray:
    """Expand two-digit years: 00-69 -> 2000s, 70-99 -> 1900s (``width`` = digits typed)."""
    expanded = np.where(y < 70, 2000 + y, 1900 + y)
    out: IntArray = np.where(width == 2, expanded, y)
    return out


def _ymd_to_days(y: IntArray, m: IntArray, d: IntArray) -> tuple[IntArray, BoolArray]:
    """Days since 1970-01-01 for calendar dates, with a validity mask (no roll-over)."""
    ok = (y >= _MIN_YEAR) & (y <= _MAX_YEAR) & (m >= 1) & (m <= 12) & (d >= 1)
    months = np.where(ok, (y - 1970) * 12 + (m - 1), 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    nxt = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= d <= nxt - first
    days: IntArray = np.where(ok, first + d - 1, 0)
    return days, ok


def _serial_to_days(serial: IntArray, date1904: bool) -> tuple[IntArray, BoolArray]:
    """Days since 1970-01-01 for non-negative integer Excel serials, with a validity mask."""
    if date1904:
        days = _EPOCH_1904 + serial
        ok = serial >= 0
    else:
        days = np.where(serial >= 61, _EPOCH_1900 + serial, _EPOCH_1900_EARLY + serial)
        ok = (serial >= 1) & (serial != 60)
    ok &= days <= _MAX_DAY
    out: IntArray = np.where(ok, days, 0)
    return out, ok


def _dates(arr: Any, date1904: bool, min_serial: int = 0) -> tuple[IntArray, BoolArray]:
    """Parse dates into days since 1970-01-01; return (days, ok mask)."""
    n = len(arr)
    days: IntArray = np.zeros(n, dtype=np.int64)
    ok: BoolArray = np.zeros(n, dtype=bool)
    todo = np.flatnonzero(_nonempty(arr))

    def attempt(
        pattern: str,
        names: tuple[str, ...],
        convert: Callable[[dict[str, Any]], tuple[IntArray, BoolArray]],
    ) -> None:
        nonlocal todo
        if not todo.size:
            return
        pos, groups = _extract(_take(arr, todo), pattern, names)
        if not pos.size:
            return
        sub_days, sub_ok = convert(groups)
        rows = todo[pos[sub_ok]]
        days[rows] = sub_days[sub_ok]
        ok[rows] = True
        todo = np.delete(todo, pos)  # patterns are disjoint: a matched row is settled

    def same_separators(groups: dict[str, Any]) -> BoolArray:
        return _np_bool(pc.equal(groups["s1"], groups["s2"]))

    def from_iso(g: dict[str, Any]) -> tuple[IntArray, BoolArray]:
        out, good = _ymd_to_days(_ints(g["y"]), _ints(g["m"]), _ints(g["d"]))
        return out, good & same_separators(g)

    def from_dmy(g: dict[str, Any]) -> tuple[IntArray, BoolArray]:
        width = pc.utf8_length(g["y"]).to_numpy(zero_copy_only=False).astype(np.int64)
        year = _two_digit_year(_ints(g["y"]), width)
        out, good = _ymd_to_days(year, _ints(g["m"]), _ints(g["d"]))
        return out, good & same_separators(g)

    def from_serial(g: dict[str, Any]) -> tuple[IntArray, BoolArray]:
        serial = _ints(g["i"])
        out, good = _serial_to_days(serial, date1904)
        return out, good & (serial >= min_serial)

    attempt(_RE_ISO, ("y", "m", "d", "s1", "s2"), from_iso)
    attempt(_RE_DMY, ("d", "m", "y", "s1", "s2"), from_dmy)
    attempt(_RE_SERIAL, ("i",), from_serial)
    return days, ok


def parse_dates(s: pd.Series | Cells, *, date1904: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse dates, always day first, into ``datetime64[s]`` values at midnight.

    Accepted: ISO text from date cells (``"2025-01-31"``, ``"2025-01-31 00:00:00"``, also
    ``"2025/01/31"``); French text ``"31/12/2025"``, ``"31-12-2025"``, ``"31.12.2025"`` and
    two-digit years ``"31/12/25"`` (00-69 -> 2000s, 70-99 -> 1900s), optionally followed by a
    time which is dropped; Excel serials as text (``"45000"``, ``"45000.0"``; a fraction, the
    time of day, is dropped).

    Serials in the 1900 system (default): 1..59 are 1900-01-01..1900-02-28, 60 (the fictitious
    1900-02-29), 0 and negatives are bad, 61 and above are 1899-12-30 + serial. With
    ``date1904=True`` the date is 1904-01-01 + serial (0 included). Anything after 9999-12-31,
    impossible dates (``"31/02/2025"``, ``"00/01/2025"``), month-first dates
    (``"12/31/2025"``), mixed separators and text years outside 1900..9999 are bad.

    Returns ``(values, bad)``: ``datetime64[s]`` values (NaT where empty or bad), bad mask.
    """
    cells = _cells(s)
    days, ok = _dates(cells.values, date1904)
    values = days.astype("datetime64[D]").astype("datetime64[s]")
    values[~ok] = np.datetime64("NaT")
    return _result(values, _nonempty(cells.values) & ~ok, cells)


# ---------------------------------------------------------------------------------------------
# Months
# ---------------------------------------------------------------------------------------------

_MONTH_NAMES: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "janvier janv jan january",
        "fevrier fevr fev feb february",
        "mars mar march",
        "avril avr apr april",
        "mai may",
        "juin jun june",
        "juillet juil jul july",
        "aout aou aug august",
        "septembre sept sep september",
        "octobre oct october",
        "novembre nov november",
        "decembre dec december",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTH_NAMES[_name] = _number

_RE_MONTH_LABEL = re.compile(r"([a-z]+) ?([0-9]{2}|[0-9]{4})")
_RE_MY = r"^(?P<m>[0-9]{1,2})[/.-](?P<y>[0-9]{4})$"
_RE_YM = r"^(?P<y>[0-9]{4})[/.-](?P<m>[0-9]{1,2})$"
_MIN_MONTH_SERIAL = 10_000  # 1927-05-18: smaller bare integers are month numbers or years


def _month_label(text: str | None) -> int | None:
    """Month label such as ``"janv.-25"`` or ``"Janvier 2025"`` -> months since 1970-01."""
    if text is None:
        return None
    match = _RE_MONTH_LABEL.fullmatch(_normalise(text))
    if match is None or match.group(1) not in _MONTH_NAMES:
        return None
    year = int(match.group(2))
    if len(match.group(2)) == 2:
        year += 2000 if year < 70 else 1900
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    return (year - 1970) * 12 + _MONTH_NAMES[match.group(1)] - 1


def parse_months(s: pd.Series | Cells, *, date1904: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse months into ``"YYYY-MM"`` strings.

    Accepted: ``"01/2025"``, ``"1/2025"``, ``"01-2025"``, ``"2025-01"``, ``"2025/01"``; month
    labels in French or English, abbreviated or not, case and accents ignored, with a two- or
    four-digit year (``"janv.-25"``, ``"janvier 2025"``, ``"févr.-25"``, ``"août-25"``,
    ``"dec 2025"``); and any full date :func:`parse_dates` accepts, which gives its month —
    except that bare Excel serials below 10000 (before 1927-05-18) are bad here, a small integer
    in a month column being far more likely a month number or a year. Month 13 is bad.

    Returns ``(values, bad)``: a ``string`` Series (``pd.NA`` where empty or bad), bad mask.
    """
    cells = _cells(s)
    arr = cells.values
    nonempty = _nonempty(arr)
    n = len(arr)
    months: IntArray = np.zeros(n, dtype=np.int64)  # months since 1970-01
    ok: BoolArray = np.zeros(n, dtype=bool)

    for pattern in (_RE_MY, _RE_YM):
        pos, g = _extract(arr, pattern, ("m", "y"))
        if pos.size:
            y, m = _ints(g["y"]), _ints(g["m"])
            good = (m >= 1) & (m <= 12) & (y >= _MIN_YEAR) & (y <= _MAX_YEAR)
            months[pos[good]] = (y[good] - 1970) * 12 + m[good] - 1
            ok[pos[good]] = True

    todo = np.flatnonzero(nonempty & ~ok)
    if todo.size:
        sub = _take(arr, todo)
        days, good = _dates(sub, date1904, min_serial=_MIN_MONTH_SERIAL)
        as_months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        months[todo[good]] = as_months[good]
        ok[todo[good]] = True

    todo = np.flatnonzero(nonempty & ~ok)
    if todo.size:
        parsed = [_month_label(u) for u in _take(arr, todo).to_pylist()]
        good = np.array([p is not None for p in parsed], dtype=bool)
        months[todo[good]] = [p for p in parsed if p is not None]
        ok[todo[good]] = True

    text = pa.array(np.datetime_as_string(months.astype("datetime64[M]"), unit="M"), mask=~ok)
    values = pd.array(text.take(pa.array(cells.codes)), dtype="string[pyarrow]")
    return _like(values, cells), _like((nonempty & ~ok)[cells.codes], cells, dtype=bool)


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


ARROW_TEXT = pd.ArrowDtype(pa.string())


def as_text(s: pd.Series) -> pd.Series:
    """The column as Arrow-backed text, without a copy when it already is (the readers give
    Arrow strings); string methods then run in Arrow, not row by row in Python."""
    if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_string(s.dtype.pyarrow_dtype):
        return s
    return s.astype(ARROW_TEXT)
