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

from clausekit.parse.cells import ARROW_TEXT, Cells, as_text, is_filled
from clausekit.parse.dates import parse_dates, parse_months
from clausekit.parse.numbers import parse_hours, parse_numbers
from clausekit.parse.text import (
    EXCEL_ERRORS,
    excel_error_mask,
    normalise_text,
    normalise_value,
    parse_bools,
    parse_category,
    strip_accents,
)

__all__ = [
    "ARROW_TEXT",
    "EXCEL_ERRORS",
    "Cells",
    "as_text",
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
