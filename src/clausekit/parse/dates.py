"""Dates (day first, ISO, Excel serials) and months (``janv. 2025``, ``01/2025``, serials)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clausekit.parse.cells import (
    BoolArray,
    Cells,
    IntArray,
    _cells,
    _extract,
    _ints,
    _like,
    _nonempty,
    _np_bool,
    _result,
    _take,
)
from clausekit.parse.text import _normalise

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
