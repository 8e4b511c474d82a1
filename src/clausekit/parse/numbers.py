"""Numbers and hours typed the French way (``1 234,5``, ``7h30``, ``151:40``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clausekit.parse.cells import (
    BoolArray,
    Cells,
    FloatArray,
    _cells,
    _extract,
    _ints,
    _match,
    _nonempty,
    _np_bool,
    _result,
    _take,
)

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
