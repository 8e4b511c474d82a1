"""Tests for clausekit.parse: French value parsers.

Expected constants are computed by hand / with plain ``datetime`` arithmetic, never with the
parser itself, e.g. Excel serial 45000 = 1899-12-30 + 45000 days = 2023-03-15.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausekit.parse import (
    excel_error_mask,
    normalise_text,
    parse_bools,
    parse_dates,
    parse_hours,
    parse_months,
    parse_numbers,
)
from clausekit.rules.headers import normalise_label

NBSP = "\u00a0"
NNBSP = "\u202f"
INPUT_DTYPES = [object, "str", "string[pyarrow]"]


def one(parser: Any, text: Any, **kwargs: Any) -> tuple[Any, bool]:
    """Parse a single cell and return (value, bad)."""
    values, bad = parser(pd.Series([text], dtype=object), **kwargs)
    return values.iloc[0], bool(bad.iloc[0])


def is_missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


# ---------------------------------------------------------------------------------------------
# parse_numbers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", 1234.0),
        ("1234.5", 1234.5),
        ("7.5", 7.5),
        ("45000", 45000.0),
        ("0", 0.0),
        ("-3", -3.0),
        ("+3", 3.0),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ("1234,5", 1234.5),
        ("0,75", 0.75),
        ("1 234,5", 1234.5),
        (f"1{NBSP}234,5", 1234.5),
        (f"1{NNBSP}234,5", 1234.5),
        (f"12{NNBSP}345{NNBSP}678", 12345678.0),
        ("1 234", 1234.0),
        ("-1 234,25", -1234.25),
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("1.234", 1.234),  # dot decimal, as the reader writes numbers
        ("  42  ", 42.0),
        (f"{NBSP}42{NNBSP}", 42.0),
        ("\u22123,5", -3.5),  # typographic minus sign
    ],
)
def test_parse_numbers_accepts(text: str, expected: float) -> None:
    value, bad = one(parse_numbers, text)
    assert not bad
    assert value == expected


@pytest.mark.parametrize(
    "text",
    [
        "1,2,3",
        "12abc",
        "1 23,4",
        "12 34",
        "1 234.5",
        "1.23,4",
        "inf",
        "-inf",
        "Infinity",
        "nan",
        "NaN",
        "NA",
        "NULL",
        "None",
        "abc",
        "1e400",
        "12 €",
        "#N/A",
        "1,",
        ",5",
        "--3",
        "0x10",
        "1_000",
    ],
)
def test_parse_numbers_rejects(text: str) -> None:
    value, bad = one(parse_numbers, text)
    assert bad
    assert math.isnan(value)


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
def test_parse_numbers_empty_and_dtypes(dtype: Any) -> None:
    s = pd.Series(["1,5", None, "", "   ", NBSP, "x"], dtype=dtype, index=list("abcdef"))
    values, bad = parse_numbers(s)
    assert values.dtype == np.float64
    assert bad.dtype == bool
    assert list(values.index) == list("abcdef")
    assert list(bad.index) == list("abcdef")
    assert values["a"] == 1.5
    assert values[["b", "c", "d", "e", "f"]].isna().all()
    assert bad.tolist() == [False, False, False, False, False, True]


def test_parse_numbers_nan_input() -> None:
    values, bad = parse_numbers(pd.Series([np.nan, "2"], dtype=object))
    assert math.isnan(values.iloc[0])
    assert values.iloc[1] == 2.0
    assert bad.tolist() == [False, False]


def test_parse_numbers_empty_series() -> None:
    values, bad = parse_numbers(pd.Series([], dtype=object))
    assert len(values) == 0
    assert len(bad) == 0


# ---------------------------------------------------------------------------------------------
# parse_hours
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", 7.5),
        ("07:30", 7.5),
        ("7h30", 7.5),
        ("7H30", 7.5),
        ("7 h 30", 7.5),
        ("7h", 7.0),
        ("7 h", 7.0),
        ("151:40", 151 + 40 / 60),
        ("0:45", 0.75),
        ("0:00", 0.0),
        ("7:30:00", 7.5),
        ("1:00:36", 1.01),
        ("-0:30", -0.5),
        ("7.5", 7.5),
        ("7,5", 7.5),
        ("1 234,5", 1234.5),
        ("35", 35.0),
    ],
)
def test_parse_hours_accepts(text: str, expected: float) -> None:
    value, bad = one(parse_hours, text)
    assert not bad
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "text", ["7:60", "7:75", "7h60", "7h5", "7:5", "7:30:60", "7::30", "h30", "7h30m", "abc", ":30"]
)
def test_parse_hours_rejects(text: str) -> None:
    value, bad = one(parse_hours, text)
    assert bad
    assert math.isnan(value)


# ---------------------------------------------------------------------------------------------
# parse_dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-31", date(2025, 1, 31)),
        ("2025-01-31 00:00:00", date(2025, 1, 31)),
        ("2025-01-31 13:45:10", date(2025, 1, 31)),
        ("2025-01-31T00:00:00", date(2025, 1, 31)),
        ("2025/01/31", date(2025, 1, 31)),
        ("31/12/2025", date(2025, 12, 31)),
        ("1/2/2025", date(2025, 2, 1)),
        ("31-12-2025", date(2025, 12, 31)),
        ("31.12.2025", date(2025, 12, 31)),
        ("31/12/25", date(2025, 12, 31)),
        ("01/01/00", date(2000, 1, 1)),
        ("31/12/69", date(2069, 12, 31)),
        ("01/01/70", date(1970, 1, 1)),
        ("15/06/99", date(1999, 6, 15)),
        ("31/12/2025 14:30", date(2025, 12, 31)),
        ("29/02/2024", date(2024, 2, 29)),
        ("  31/12/2025 ", date(2025, 12, 31)),
        # Excel serials, 1900 system (1899-12-30 + serial from 61 on)
        ("45000", date(2023, 3, 15)),
        ("45000.0", date(2023, 3, 15)),
        ("45000.75", date(2023, 3, 15)),  # the time of day is dropped
        ("44927", date(2023, 1, 1)),
        ("45658", date(2025, 1, 1)),
        ("61", date(1900, 3, 1)),
        ("59", date(1900, 2, 28)),
        ("1", date(1900, 1, 1)),
        ("2958465", date(9999, 12, 31)),
    ],
)
def test_parse_dates_accepts(text: str, expected: date) -> None:
    value, bad = one(parse_dates, text)
    assert not bad
    assert value == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "text",
    [
        "60",  # fictitious 1900-02-29
        "60.5",
        "0",
        "0.5",
        "-1",
        "-45000",
        "2958466",  # after 9999-12-31
        "12/31/2025",  # month first
        "31/02/2025",
        "29/02/2025",
        "00/01/2025",
        "01/00/2025",
        "01/13/2025",
        "32/01/2025",
        "31/12-2025",  # mixed separators
        "2025-01/31",
        "31/12/225",
        "31/12/0202",  # year out of 1900..9999
        "2025-13-01",
        "2025-01",
        "01/2025",
        "janv.-25",
        "2025-01-31 25:00:00",
        "hier",
        "1e3",
        "NA",
    ],
)
def test_parse_dates_rejects(text: str) -> None:
    value, bad = one(parse_dates, text)
    assert bad
    assert pd.isna(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", date(1904, 1, 1)),
        ("1", date(1904, 1, 2)),
        ("60", date(1904, 3, 1)),
        ("1462", date(1908, 1, 2)),
        ("2957003", date(9999, 12, 31)),
        ("31/12/2025", date(2025, 12, 31)),
    ],
)
def test_parse_dates_1904(text: str, expected: date) -> None:
    value, bad = one(parse_dates, text, date1904=True)
    assert not bad
    assert value == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2957004", "-1"])
def test_parse_dates_1904_rejects(text: str) -> None:
    value, bad = one(parse_dates, text, date1904=True)
    assert bad
    assert pd.isna(value)


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
def test_parse_dates_dtype_and_midnight(dtype: Any) -> None:
    s = pd.Series(["2025-01-31 23:59:59", None, "", "x"], dtype=dtype, index=[10, 20, 30, 40])
    values, bad = parse_dates(s)
    assert pd.api.types.is_datetime64_dtype(values.dtype)
    assert list(values.index) == [10, 20, 30, 40]
    assert values[10] == pd.Timestamp("2025-01-31")
    assert values[[20, 30, 40]].isna().all()
    assert bad.tolist() == [False, False, False, True]


# ---------------------------------------------------------------------------------------------
# parse_months
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/2025", "2025-01"),
        ("1/2025", "2025-01"),
        ("12/2025", "2025-12"),
        ("2025-01", "2025-01"),
        ("2025/01", "2025-01"),
        ("janv.-25", "2025-01"),
        ("janv-25", "2025-01"),
        ("janv. 2025", "2025-01"),
        ("janvier 2025", "2025-01"),
        ("Janvier 2025", "2025-01"),
        ("JANVIER 2025", "2025-01"),
        ("févr.-25", "2025-02"),
        ("fév 2025", "2025-02"),
        ("Février 2024", "2024-02"),
        ("mars-25", "2025-03"),
        ("avr.-25", "2025-04"),
        ("mai-25", "2025-05"),
        ("juin-25", "2025-06"),
        ("juil.-25", "2025-07"),
        ("août-25", "2025-08"),
        ("aout 2025", "2025-08"),
        ("sept.-25", "2025-09"),
        ("oct.-25", "2025-10"),
        ("nov.-25", "2025-11"),
        ("déc.-25", "2025-12"),
        ("dec 2025", "2025-12"),
        ("janv.-99", "1999-01"),
        ("2025-01-01 00:00:00", "2025-01"),
        ("2025-03-31", "2025-03"),
        ("15/01/2025", "2025-01"),
        ("45000", "2023-03"),
        ("45000.0", "2023-03"),
    ],
)
def test_parse_months_accepts(text: str, expected: str) -> None:
    value, bad = one(parse_months, text)
    assert not bad
    assert value == expected


@pytest.mark.parametrize(
    "text",
    [
        "13/2025",
        "00/2025",
        "2025-13",
        "2025-00",
        "janvier",
        "juil",
        "jui 2025",
        "foo 2025",
        "31/02/2025",
        "60",
        "1",
        "12",
        "2025",
        "NA",
    ],
)
def test_parse_months_rejects(text: str) -> None:
    value, bad = one(parse_months, text)
    assert bad
    assert pd.isna(value)


def test_parse_months_1904_serial() -> None:
    # 1904-01-01 + 43538 days = 2023-03-15 (the 1900-system serial 45000 minus 1462)
    assert date(1904, 1, 1) + timedelta(days=43538) == date(2023, 3, 15)
    value, bad = one(parse_months, "43538", date1904=True)
    assert not bad
    assert value == "2023-03"


def test_parse_months_mixed_series() -> None:
    s = pd.Series(["janv.-25", None, "02/2025", "", "2025-03-01 00:00:00", "mois 13", "janv.-25"])
    values, bad = parse_months(s)
    assert values.tolist()[0] == "2025-01"
    assert values.tolist()[2] == "2025-02"
    assert values.tolist()[4] == "2025-03"
    assert values.tolist()[6] == "2025-01"
    assert values.isna().tolist() == [False, True, False, True, False, True, False]
    assert bad.tolist() == [False, False, False, False, False, True, False]


# ---------------------------------------------------------------------------------------------
# parse_bools
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Oui",
        "OUI",
        "o",
        "O",
        "x",
        "X",
        "1",
        "1.0",
        "vrai",
        "Vrai",
        "true",
        "True",
        "TRUE",
        "yes",
        "Yes",
        "y",
        "Y",
        " oui ",
    ],
)
def test_parse_bools_true(text: str) -> None:
    value, bad = one(parse_bools, text)
    assert not bad
    assert value is True or value == True  # noqa: E712 - numpy/pandas bool scalars


@pytest.mark.parametrize(
    "text",
    [
        "non",
        "Non",
        "NON",
        "n",
        "N",
        "0",
        "0.0",
        "faux",
        "Faux",
        "false",
        "False",
        "no",
        "No",
        "-",
        " - ",
        "Non ",
    ],
)
def test_parse_bools_false(text: str) -> None:
    value, bad = one(parse_bools, text)
    assert not bad
    assert value is False or value == False  # noqa: E712


@pytest.mark.parametrize("text", ["peut-être", "2", "ouiii", "nan", "NA", "--", "v"])
def test_parse_bools_rejects(text: str) -> None:
    value, bad = one(parse_bools, text)
    assert bad
    assert value is pd.NA


def test_parse_bools_dtype() -> None:
    s = pd.Series(["Oui", None, "", "Non", "??"], index=list("vwxyz"))
    values, bad = parse_bools(s)
    assert values.dtype == "boolean"
    assert list(values.index) == list("vwxyz")
    assert values.isna().tolist() == [False, True, True, False, True]
    assert bool(values["v"]) is True
    assert bool(values["y"]) is False
    assert bad.tolist() == [False, False, False, False, True]


# ---------------------------------------------------------------------------------------------
# normalise_text / normalise_label
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bénéficiaire du RSA", "beneficiaire du rsa"),
        ("  Aide   sociale à l'enfance ", "aide sociale a l enfance"),
        ("Aide sociale à l’enfance", "aide sociale a l enfance"),
        ("DE +12 mois", "de 12 mois"),
        ("Moins de 26 ans", "moins de 26 ans"),
        (f"Heures{NBSP}réalisées", "heures realisees"),
        ("ÉLÈVE Ç", "eleve c"),
        ("Main-d'œuvre", "main d oeuvre"),
        ("N° participant", "n participant"),
        ("NA", "na"),
        ("None", "none"),
        ("nan", "nan"),
        ("", ""),
    ],
)
def test_normalise_text(text: str, expected: str) -> None:
    assert normalise_text(pd.Series([text])).iloc[0] == expected


def test_normalise_text_keeps_missing_and_index() -> None:
    out = normalise_text(pd.Series(["Été", None, "Été"], index=[3, 2, 1]))
    assert list(out.index) == [3, 2, 1]
    assert out[3] == "ete"
    assert out[1] == "ete"
    assert pd.isna(out[2])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Heures réalisées (h)", "heures realisees"),
        ("Heures prévues (en heures)", "heures prevues"),
        ("Montant (€)", "montant"),
        ("Durée (mois)", "duree"),
        ("Résident QPV (Oui/Non)", "resident qpv"),
        ("Heures [h]", "heures"),
        ("Heures (01/2025)", "heures 01 2025"),  # digits carry meaning: kept
        ("Né(e) le", "ne e le"),
        ("Donneur d'ordre", "donneur d ordre"),
        ("N° contrat", "n contrat"),
        ("(h)", "h"),
        ("  Date de début  ", "date de debut"),
    ],
)
def test_normalise_label(text: str, expected: str) -> None:
    assert normalise_label(text) == expected


# ---------------------------------------------------------------------------------------------
# excel_error_mask
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
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
        " #n/a ",
        "#VALEUR!",
        "Err:502",
    ],
)
def test_excel_error_mask_true(text: str) -> None:
    assert excel_error_mask(pd.Series([text])).tolist() == [True]


@pytest.mark.parametrize("text", ["N/A", "#", "#N/A x", "NA", "0", "", None, "#HELLO!"])
def test_excel_error_mask_false(text: str | None) -> None:
    assert excel_error_mask(pd.Series([text], dtype=object)).tolist() == [False]


def test_excel_error_mask_index_and_dtype() -> None:
    out = excel_error_mask(pd.Series(["#REF!", "1"], index=["a", "b"]))
    assert out.dtype == bool
    assert out.to_dict() == {"a": True, "b": False}


# ---------------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------------

EXCEL_1900_EPOCH = date(1899, 12, 30)
EXCEL_1904_EPOCH = date(1904, 1, 1)


def french_number(x: float, decimals: int, sep: str) -> str:
    """Format like a French user would type: grouped thousands, comma decimal."""
    return f"{x:,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", sep)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
            st.integers(min_value=0, max_value=4),
            st.sampled_from([" ", NBSP, NNBSP, "", "."]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_property_french_numbers_round_trip(cells: list[tuple[float, int, str]]) -> None:
    texts, expected = [], []
    for x, decimals, sep in cells:
        if sep == "." and decimals == 0:
            sep = " "  # "1.234" alone is the reader's dot decimal, not a grouping
        texts.append(french_number(x, decimals, sep))
        expected.append(float(f"{x:.{decimals}f}"))
    values, bad = parse_numbers(pd.Series(texts))
    assert not bad.any(), texts
    assert values.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    days=st.lists(
        st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
        min_size=1,
        max_size=20,
    )
)
def test_property_dates_round_trip(days: list[date]) -> None:
    expected = np.array([np.datetime64(d.isoformat(), "s") for d in days])
    formats = [
        [f"{d.day:02d}/{d.month:02d}/{d.year:04d}" for d in days],
        [f"{d.day}.{d.month}.{d.year}" for d in days],
        [d.isoformat() for d in days],
        [f"{d.isoformat()} 00:00:00" for d in days],
        [str((d - EXCEL_1900_EPOCH).days) for d in days],
        [f"{(d - EXCEL_1900_EPOCH).days}.0" for d in days],
    ]
    for texts in formats:
        values, bad = parse_dates(pd.Series(texts))
        assert not bad.any(), texts
        assert (values.to_numpy() == expected).all(), texts
    serials_1904 = [str((d - EXCEL_1904_EPOCH).days) for d in days if d >= EXCEL_1904_EPOCH]
    if serials_1904:
        values, bad = parse_dates(pd.Series(serials_1904), date1904=True)
        assert not bad.any()
        kept = np.array([np.datetime64(d.isoformat(), "s") for d in days if d >= EXCEL_1904_EPOCH])
        assert (values.to_numpy() == kept).all()


CELL_ALPHABET = "0123456789 /.-:,+eEhHxjanvouiéfrs#" + NBSP + NNBSP + "\t"
cells_strategy = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.text(alphabet=CELL_ALPHABET, max_size=12),
    st.sampled_from(["", "  ", NBSP, "1 234,5", "7:30", "31/12/2025", "janv.-25", "oui", "60"]),
)


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or not cell.strip()


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(cells_strategy, max_size=30))
def test_property_bad_and_missing_are_consistent(cells: list[Any]) -> None:
    empty = np.array([_empty(c) for c in cells], dtype=bool)
    series = pd.Series(cells, dtype=object)
    for parser in (parse_numbers, parse_hours, parse_dates, parse_months, parse_bools):
        values, bad = parser(series)
        assert len(values) == len(bad) == len(cells)
        assert bad.dtype == bool
        bad_np = bad.to_numpy()
        assert not (bad_np & empty).any(), (parser.__name__, cells)
        missing = values.isna().to_numpy()
        assert (missing == (empty | bad_np)).all(), (parser.__name__, cells)


def test_outputs_keep_index_and_name() -> None:
    s = pd.Series(["1", "x", None], index=[7, 7, 9], name="heures")
    for parser in (parse_numbers, parse_hours, parse_dates, parse_months, parse_bools):
        values, bad = parser(s)
        assert list(values.index) == [7, 7, 9]
        assert list(bad.index) == [7, 7, 9]
        assert values.name == "heures"
    assert normalise_text(s).name == "heures"
    assert list(excel_error_mask(s).index) == [7, 7, 9]
