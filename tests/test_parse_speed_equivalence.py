"""The parsers work on each column's distinct values (:class:`clausekit.parse.Cells`) and
normalise ASCII text with Arrow kernels: a column must parse exactly as its cells one by one,
whatever the repeats, blanks, missing cells and Arrow layout of the column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausekit.parse import (
    Cells,
    excel_error_mask,
    is_filled,
    normalise_text,
    normalise_value,
    parse_bools,
    parse_category,
    parse_dates,
    parse_hours,
    parse_months,
    parse_numbers,
)
from clausekit.pipeline.read import RawSheet, Source
from clausekit.pipeline.recognise import recognise
from clausekit.rules.schemas import load_spec

NBSP = "\u00a0"
TRICKY = [
    # numbers and hours
    "1 234,5",
    f"1{NBSP}234,5",
    "1.234,5",
    "1.234",
    "1,2,3",
    "-3",
    "\u22123,5",
    "inf",
    "1e400",
    "7:30",
    "7h30",
    "7:60",
    "1899-12-31 07:30:00",
    # dates and months
    "2025-01-31 00:00:00",
    "31/12/2025",
    "31/02/2025",
    "31/12/25",
    "45000",
    "45000.5",
    "60",
    "9999-12-31",
    "01/2025",
    "13/2025",
    "janv.-25",
    "Février 2025",
    "août-25",
    # booleans, errors, blanks
    "Oui",
    " oui ",
    "X",
    "Non",
    "-",
    "#N/A",
    " #valeur! ",
    "Err:502",
    "",
    " ",
    "\t",
    NBSP,
    # text
    "Total",
    "TOTAL général",
    "Sous-total",
    "Œuvre",
    "l'ETTI",
    "ｔｏｔａｌ",
    "ﬁ",
    "İ",
]
CELL = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8), st.none())
COLUMN = st.lists(CELL, max_size=25)
ASCII = st.text(alphabet=st.characters(max_codepoint=127))
CATEGORIES = ["ETTI", "Intérim", " interim ", "Entreprise d'insertion"]

PARSERS: list[tuple[str, Callable[..., tuple[pd.Series, pd.Series]]]] = [
    ("numbers", parse_numbers),
    ("hours", parse_hours),
    ("dates", parse_dates),
    ("dates1904", lambda s: parse_dates(s, date1904=True)),
    ("months", parse_months),
    ("bools", parse_bools),
]


def same(a: Any, b: Any) -> bool:
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return bool(a == b)


def odd_layout(values: list[str | None]) -> pd.Series:
    """The same cells in an Arrow array whose first value does not start at the beginning of
    its data buffer (as in a sheet sliced below its header)."""
    whole = pa.array(["title of the sheet", *values], type=pa.string())
    validity = pa.array([v is not None for v in values], type=pa.bool_()).buffers()[1]
    offsets = whole.buffers()[1].slice(4)  # int32 offsets, from the second value on
    arr = pa.Array.from_buffers(pa.string(), len(values), [validity, offsets, whole.buffers()[2]])
    arr.validate(full=True)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=range(10, 10 + len(values)))


@pytest.mark.parametrize(("name", "parser"), PARSERS)
@settings(max_examples=60, deadline=None)
@given(values=COLUMN)
def test_a_column_parses_as_its_cells_one_by_one(
    name: str, parser: Callable[..., tuple[pd.Series, pd.Series]], values: list[str | None]
) -> None:
    column = pd.Series(values, dtype=object, index=range(5, 5 + len(values)), name="c")
    got, bad = parser(column)
    assert got.index.equals(column.index) and bad.index.equals(column.index)
    assert got.name == "c" and bad.dtype == bool
    for i, value in enumerate(values):
        one, one_bad = parser(pd.Series([value], dtype=object))
        assert got.dtype == one.dtype, name
        assert same(got.iloc[i], one.iloc[0]), (name, value)
        assert bool(bad.iloc[i]) == bool(one_bad.iloc[0]), (name, value)


@pytest.mark.parametrize(("name", "parser"), PARSERS)
@settings(max_examples=30, deadline=None)
@given(values=COLUMN)
def test_the_arrow_layout_of_a_column_does_not_matter(
    name: str, parser: Callable[..., tuple[pd.Series, pd.Series]], values: list[str | None]
) -> None:
    fresh = pd.Series(values, dtype="string[pyarrow]", index=range(10, 10 + len(values)))
    odd = odd_layout(values)
    for got, expected in zip(parser(odd), parser(fresh), strict=True):
        pd.testing.assert_series_equal(got, expected)
    pd.testing.assert_series_equal(normalise_text(odd), normalise_text(fresh))
    pd.testing.assert_series_equal(excel_error_mask(odd), excel_error_mask(fresh))
    assert (is_filled(odd) == is_filled(fresh)).all()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(CELL, ASCII), max_size=30))
def test_normalise_text_is_normalise_value_on_every_cell(values: list[str | None]) -> None:
    got = normalise_text(pd.Series(values, dtype=object))
    assert got.dtype == "string"
    for value, norm in zip(values, got, strict=True):
        if value is None:
            assert norm is pd.NA
        else:
            assert norm == normalise_value(value), value


def test_normalise_text_on_ascii_text_with_every_character() -> None:
    ascii_text = "".join(chr(c) for c in range(128))
    values = [ascii_text, ascii_text[::-1], "  A_b-C'd`e  ", "x\x7fy\x00z"]
    got = normalise_text(pd.Series(values)).tolist()
    assert got == [normalise_value(v) for v in values]


@settings(max_examples=100, deadline=None)
@given(values=COLUMN)
def test_is_filled_is_a_non_blank_stripped_cell(values: list[str | None]) -> None:
    column = pd.Series(values, dtype="string[pyarrow]")
    expected = (column.str.strip().str.len() > 0).fillna(False).astype(bool).to_numpy()
    assert (is_filled(column) == expected).all()


@settings(max_examples=60, deadline=None)
@given(values=COLUMN)
def test_blanking_cells_is_reading_them_missing(values: list[str | None]) -> None:
    column = pd.Series(values, dtype="string[pyarrow]")
    errors = excel_error_mask(column)
    blanked = column.mask(errors)
    cells = Cells(column).blank(errors.to_numpy())
    for parser in (parse_numbers, parse_hours, parse_dates, parse_months, parse_bools):
        for got, expected in zip(parser(cells), parser(blanked), strict=True):
            pd.testing.assert_series_equal(got, expected)


LOOKUP = {"etti": "ETTI", "entreprise d insertion": "EI", "interim": "ETT", "": "EMPTY"}


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(CELL, st.sampled_from(CATEGORIES)), max_size=25))
def test_parse_category_maps_the_normalised_text(values: list[str | None]) -> None:
    column = pd.Series(values, dtype=object)
    norm = normalise_text(column)
    expected = norm.map(LOOKUP, na_action="ignore").astype("string")
    got, unknown = parse_category(column, LOOKUP)
    pd.testing.assert_series_equal(got, expected)
    expected_unknown = (norm.notna() & (norm != "") & expected.isna()).fillna(False)
    assert (unknown.to_numpy() == expected_unknown.to_numpy(dtype=bool)).all()


def test_cells_keep_one_code_per_row_and_a_missing_value_last() -> None:
    column = pd.Series([" a", "a", None, "b ", "a"], index=[3, 4, 5, 6, 7], name="x")
    cells = Cells(column)
    assert len(cells) == 5 and cells.name == "x" and cells.index.equals(column.index)
    values = cells.values.to_pylist()
    assert values[-1] is None
    assert [values[c] for c in cells.codes] == ["a", "a", None, "b", "a"]
    assert np.array_equal(Cells([]).codes, np.array([], dtype=np.int32))


def test_recognise_finds_total_and_blank_rows_whatever_the_arrow_layout() -> None:
    rows = [
        ["N° participant", "N° contrat", "Heures réalisées"],
        ["P1", "C1", "7,5"],
        [" ", " ", None],
        ["TOTAL", None, "7,5"],
        ["ＴＯＴＡＬ", "Sous-total :", None],
        ["Totalement", "C2", "2"],
        ["sous-total", None, "9,5"],
    ]
    spec = load_spec()
    found = []
    for layout in (odd_layout, lambda values: pd.Series(values, dtype="string[pyarrow]")):
        columns = {}
        for position in range(3):
            column = layout([row[position] for row in rows])
            columns[position] = column.set_axis(range(1, len(rows) + 1))
        raw = RawSheet(Source(Path("export.csv"), "export.csv", "T"), None, pd.DataFrame(columns))
        rec = recognise(raw, spec)
        assert rec is not None
        found.append((rec.skipped, list(rec.data.index)))
    assert found[0] == found[1]
    assert found[0] == ({3: "ROW_BLANK", 4: "ROW_TOTAL", 5: "ROW_TOTAL", 7: "ROW_TOTAL"}, [2, 6])
