"""Contract durations, in months (float): written in a text, or between two dates.

* from the text (:data:`DURATION_UNITS`): "8 mois", "1 an", "1,5 an", "3 semaines", "15 jours",
  "six mois"; only the *first* mention counts ("CDD 6 mois renouvelable 6 mois" -> 6);
  rhythms such as "5 jours par semaine" are ignored; weeks and days are converted with the mean
  month length :data:`DAYS_PER_MONTH` (30.4375 days);
* from the dates (:func:`duration_from_dates`): calendar months, end date *inclusive*:
  2025-01-01 -> 2025-06-30 is exactly 6 months; 2025-01-01 -> 2025-06-29 is 5 + 29/30 months.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clausekit.parse import parse_dates, strip_accents

__all__ = ["DAYS_PER_MONTH", "DURATION_UNITS", "duration_from_dates", "text_duration"]

#: Mean length of a month in days (365.25 / 12), to convert weeks and days into months.
DAYS_PER_MONTH = 30.4375
#: Months per unit of a duration written in the text.
DURATION_UNITS: dict[str, float] = {
    "mois": 1.0,
    "an": 12.0,
    "ans": 12.0,
    "annee": 12.0,
    "annees": 12.0,
    "semaine": 7 / DAYS_PER_MONTH,
    "semaines": 7 / DAYS_PER_MONTH,
    "sem": 7 / DAYS_PER_MONTH,
    "jour": 1 / DAYS_PER_MONTH,
    "jours": 1 / DAYS_PER_MONTH,
}
_NUMBER_WORDS: dict[str, float] = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "dix huit": 18,
    "vingt quatre": 24,
    "trente six": 36,
}


_NUMBER = r"(?:(?<![\d.,])(?P<num>\d+(?:[.,]\d+)?)\s*|\b(?P<word>{words})\s+)".format(
    words="|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
)
_UNIT_WORDS = r"(?:mois|ans?|annees?|semaines?|sem|jours?)"
_DURATION = re.compile(
    _NUMBER
    + r"(?P<unit>"
    + _UNIT_WORDS
    + r")\b"
    # not a rhythm: "5 jours par semaine", "2 jours/mois"
    + r"(?!\s*(?:/|par|sur|a la|dans la|dans l)\s*"
    + _UNIT_WORDS
    + r"\b)"
)


def text_duration(text: str | None) -> float:
    """Months of the first duration written in ``text`` (NaN when there is none)."""
    if not text:
        return np.nan
    plain = strip_accents(text.lower()).replace("-", " ")
    match = _DURATION.search(plain)
    if match is None:
        return np.nan
    if match["num"] is not None:
        number = float(match["num"].replace(",", "."))
    else:
        number = _NUMBER_WORDS[" ".join(match["word"].split())]
    return number * DURATION_UNITS[match["unit"]]


def _as_days(values: pd.Series) -> npt.NDArray[np.datetime64]:
    """Dates as ``datetime64[D]`` (NaT where missing); text is parsed day first."""
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values, _bad = parse_dates(values.astype("string"))
    elif getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.to_numpy().astype("datetime64[D]")


def _anniversary(start: npt.NDArray[Any], months: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """``start`` plus ``months`` calendar months, the day clamped to the month's last day."""
    first = start.astype("datetime64[M]")
    day = (start - first.astype("datetime64[D]")).astype(np.int64)  # 0-based day of month
    month = first + months
    length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    return month.astype("datetime64[D]") + np.minimum(day, length - 1)


def duration_from_dates(start: pd.Series, end: pd.Series) -> pd.Series:
    """Contract length in calendar months, the end date being *inclusive*.

    Whole months are counted from ``start`` to the day after ``end`` (anniversary dates, the
    day clamped to the end of short months: 31 January + 1 month = 28/29 February), plus the
    rest as a fraction of the following month. So 2025-01-01 -> 2025-06-30 is 6.0 months,
    2025-01-01 -> 2025-06-29 is 5 + 29/30 months, 2025-01-15 -> 2025-02-14 is 1.0 month and a
    one-day contract is 1/31 of a month in January.

    Returns a float Series on the index of ``start``: NaN where a date is missing or
    unreadable, or where the end precedes the start (reported elsewhere as DATES_INVERTED).
    Text dates are parsed with :func:`clausekit.parse.parse_dates` (day first).
    """
    index = start.index if isinstance(start, pd.Series) else None
    s = _as_days(start)
    e_incl = _as_days(end)
    if len(s) != len(e_incl):
        raise ValueError("start et end doivent avoir la même longueur")
    ok = ~np.isnat(s) & ~np.isnat(e_incl)
    ok[ok] = e_incl[ok] >= s[ok]
    out = np.full(len(s), np.nan)
    if ok.any():
        s_ok = s[ok]
        e = e_incl[ok] + np.timedelta64(1, "D")  # exclusive end
        whole = (e.astype("datetime64[M]") - s_ok.astype("datetime64[M]")).astype(np.int64)
        whole = whole - (_anniversary(s_ok, whole) > e)
        lower = _anniversary(s_ok, whole)
        upper = _anniversary(s_ok, whole + 1)
        rest = (e - lower).astype(np.int64) / (upper - lower).astype(np.int64)
        out[ok] = whole + rest
    return pd.Series(out, index=index, name="duration_months", dtype=np.float64)
