"""Cell values met in the wild, through ``check``: dates (serials, day-first text, month
labels, the 1904 system), birth dates and privacy, identifiers kept as text, French numbers
and hours, booleans; and the checks on them (required, ranges, inverted dates, Excel error
cells), every problem reported in one pass.

The workbooks are the shared « zoo » (formats_zoo.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from .formats_helpers import (
    BIRTH_TEXT,
    NAMES,
    column,
    counts,
    day,
    find,
    only,
    params,
    rejected_rows,
    rows_of,
    table,
)
from .formats_zoo import F, Zoo

# --------------------------------------------------------------------------- values


def test_dates_serials_day_first_text_and_month_labels(zoo: Zoo) -> None:
    r = zoo.result
    t = table(r, F, "Dates", "contrats")
    assert column(t, "date_debut") == {
        2: day("2025-01-31"),
        3: day("2023-03-15"),  # serial 45000
        4: day("2025-12-31"),
        5: day("2025-01-05"),  # day first
        6: day("2023-03-15"),  # serial with a time of day
        7: day("2025-06-30"),
        11: day("2025-08-01"),
    }
    assert column(t, "mois") == {
        2: "2025-01",
        3: "2025-01",
        4: "2025-02",
        5: "2025-01",
        6: "2025-03",
        7: "2025-06",
        11: "2025-08",
    }
    bad = [(i.row, i.column, i.value) for i in find(r, "VALUE_NOT_DATE", file=F, sheet="Dates")]
    assert bad == [
        (8, "Date de début", "60"),  # 1900-02-29 does not exist
        (9, "Date de début", "0"),
        (10, "Date de début", "12/31/2025"),  # month first
    ]
    month = only(r, "VALUE_NOT_MONTH", file=F, sheet="Dates")
    assert (month.row, month.column, month.value) == (12, "Mois", "13/2025")
    assert counts(r, F, "Dates") == (11, 7, 4, 0)


def test_dates_in_the_1904_system(zoo: Zoo) -> None:
    r = zoo.result
    t = table(r, "mac.xlsx", "Mac", "contrats")
    assert column(t, "date_debut") == {2: day("2025-01-31")}
    assert column(t, "date_fin") == {2: pd.Timestamp(dt.date(1904, 1, 1) + dt.timedelta(45000))}
    assert column(t, "mois") == {2: "2025-01"}
    p = table(r, "mac.xlsx", "MacP", "participants")
    assert column(p, "date_naissance") == {2: day("1904-01-01"), 3: day("1980-05-17")}
    assert find(r, file="mac.xlsx") == []


def test_birth_date_serials_and_privacy(zoo: Zoo) -> None:
    r = zoo.result
    t = table(r, F, "Identité", "participants")
    assert column(t, "date_naissance") == {
        2: day("1990-02-01"),
        3: day("2001-04-03"),
        4: day("1900-02-28"),  # serial 59
        5: day("1900-03-01"),  # serial 61
        # a wrong birth date is a bad cell, not a lost person: reported, left blank, row kept
        6: None,
        7: None,
        8: None,
    }
    assert rejected_rows(r, F, "Identité") == []
    bad = find(r, "VALUE_NOT_DATE", file=F, sheet="Identité")
    assert [(i.row, i.column, i.value) for i in bad] == [
        (6, "Date de naissance", None),
        (7, "Date de naissance", None),
        (8, "Date de naissance", None),
    ]


def test_no_personal_data_in_any_issue(zoo: Zoo) -> None:
    for issue in zoo.result.issues:
        text = json.dumps(issue.to_dict(), ensure_ascii=False)
        for secret in (*NAMES, *BIRTH_TEXT):
            assert secret not in text, issue
    reasons = " ".join(zoo.result.rejects["reasons"])
    for secret in (*NAMES, *BIRTH_TEXT):
        assert secret not in reasons


def test_identifiers_and_postal_codes_stay_text(zoo: Zoo) -> None:
    t = table(zoo.result, F, "Identité", "participants")
    assert column(t, "participant_id") == {
        **{2: "00123", 3: "456", 4: "0042", 5: "P5"},
        **{6: "P6", 7: "P7", 8: "P8"},  # kept despite their wrong birth dates
    }
    assert column(t, "code_postal") == {
        **{2: "06000", 3: "62300", 4: "02100", 5: "2A004"},
        **{6: "59000", 7: "59000", 8: "59000"},
    }
    publics = t[["pub_BRSA", "pub_JEUNE_M26", "pub_ASE", "pub_DELD"]].astype(bool)
    assert publics.to_dict("index") == {
        2: {"pub_BRSA": True, "pub_JEUNE_M26": False, "pub_ASE": False, "pub_DELD": False},
        3: {"pub_BRSA": False, "pub_JEUNE_M26": True, "pub_ASE": False, "pub_DELD": False},
        4: {"pub_BRSA": False, "pub_JEUNE_M26": False, "pub_ASE": False, "pub_DELD": False},
        5: {"pub_BRSA": False, "pub_JEUNE_M26": False, "pub_ASE": True, "pub_DELD": True},
        **{
            row: {"pub_BRSA": False, "pub_JEUNE_M26": False, "pub_ASE": False, "pub_DELD": False}
            for row in (6, 7, 8)
        },
    }


def test_na_null_none_nan_surnames_are_data(zoo: Zoo) -> None:
    t = table(zoo.result, F, "Identité", "participants")
    assert list(column(t, "nom").items())[:4] == [(2, "NA"), (3, "NULL"), (4, "None"), (5, "nan")]
    assert not find(zoo.result, "VALUE_REQUIRED", file=F, sheet="Identité")


def test_french_numbers_and_hours(zoo: Zoo) -> None:
    r = zoo.result
    t = table(r, F, "Heures", "contrats")
    got = column(t, "heures_realisees")
    assert got == pytest.approx(
        {2: 1234.5, 3: 1234.5, 4: 1234.5, 5: 7.5, 6: 7.5, 7: 151.67, 8: 151 + 40 / 60}
    )
    bad = [(i.row, i.value) for i in find(r, "VALUE_NOT_HOURS", file=F, sheet="Heures")]
    assert bad == [(9, "1 23,4"), (10, "1 234.5")]
    assert counts(r, F, "Heures") == (9, 7, 2, 0)


def test_hours_typed_as_excel_time_cells(zoo: Zoo) -> None:
    r = zoo.result
    assert not find(r, "VALUE_NOT_HOURS", file=F, sheet="HeureExcel")
    got = column(table(r, F, "HeureExcel", "contrats"), "heures_realisees")
    assert got == pytest.approx({2: 7.5, 3: 151 + 40 / 60})


def test_booleans_oui_non_x_1_vrai(zoo: Zoo) -> None:
    r = zoo.result
    t = table(r, F, "Booléens", "participants")
    # row 8's wrong QPV answer is a bad cell: reported, left blank, the row kept
    assert column(t, "qpv") == {2: True, 3: False, 4: True, 5: True, 6: True, 7: None, 8: None}
    assert column(t, "pub_QPV") == {
        **{2: True, 3: False, 4: True, 5: True, 6: True, 7: False, 8: False}
    }
    assert column(t, "pub_BRSA") == {
        **{2: False, 3: True, 4: True, 5: True, 6: True, 7: False, 8: True}
    }
    assert column(t, "pub_ASE") == {
        **{2: True, 3: False, 4: True, 5: False, 6: False, 7: False, 8: True}
    }
    assert rejected_rows(r, F, "Booléens") == []
    bad = find(r, "VALUE_NOT_BOOL", file=F, sheet="Booléens", row=8)
    # a people sheet: the bad cell is located, its text is never copied (could be a name)
    assert {(i.column, i.value) for i in bad} == {("Résident QPV", None)}


def test_one_issue_per_bad_boolean_cell(zoo: Zoo) -> None:
    assert len(find(zoo.result, "VALUE_NOT_BOOL", file=F, sheet="Booléens", row=8)) == 1


# --------------------------------------------------------------------------- checks


def test_every_cell_problem_is_reported_in_one_pass(zoo: Zoo) -> None:
    r = zoo.result
    s = "Contrôles"
    hours = [(i.row, i.value) for i in find(r, "VALUE_NOT_HOURS", file=F, sheet=s)]
    assert hours == [(3, "abc"), (6, "abc")]
    required = only(r, "VALUE_REQUIRED", file=F, sheet=s)
    assert (required.row, required.column, required.value) == (6, "N° participant", None)
    date = only(r, "VALUE_NOT_DATE", file=F, sheet=s)
    assert (date.row, date.column, date.value) == (8, "Date de début", "32/01/2025")
    assert rows_of(r, "DATES_INVERTED", file=F, sheet=s)[:1] == [7]
    rej = r.rejects[r.rejects["sheet"] == s].set_index("row")["reasons"]
    assert set(rej[6].split("; ")) == {
        "N° participant : VALUE_REQUIRED",
        "Heures réalisées : VALUE_NOT_HOURS",
    }


def test_range_checks_are_not_hidden_by_coercion_failures(zoo: Zoo) -> None:
    r = zoo.result
    s = "Contrôles"
    out = [(i.row, i.column, i.value) for i in find(r, "VALUE_OUT_OF_RANGE", file=F, sheet=s)]
    assert out == [
        (4, "Heures réalisées", "-5"),
        (5, "Heures réalisées", "20000"),
        (9, "Date de début", "01/01/1985"),
    ]
    assert rejected_rows(r, F, s) == [3, 4, 5, 6, 7, 8, 9]
    assert counts(r, F, s) == (8, 1, 7, 0)


def test_inverted_dates_reported_once(zoo: Zoo) -> None:
    issue = only(zoo.result, "DATES_INVERTED", file=F, sheet="Contrôles")
    assert (issue.row, issue.column) == (7, "Date de fin")


def test_excel_error_cells_and_formulas_without_value_are_reported(zoo: Zoo) -> None:
    r = zoo.result
    f = "erreurs.xlsx"
    errors = [(i.row, i.value, params(i)["cell"]) for i in find(r, "VALUE_EXCEL_ERROR", file=f)]
    assert errors == [(3, "#N/A", "I3"), (4, "#DIV/0!", "F4")]
    formula = only(r, "VALUE_FORMULA_NO_CACHE", file=f)
    assert (formula.sheet, formula.row, params(formula)["cell"]) == ("Erreurs", 5, "I5")
    assert all(i.sheet == "Erreurs" and i.severity == "error" for i in find(r, file=f))


def test_excel_error_cells_reject_their_row_and_name_the_column(zoo: Zoo) -> None:
    r = zoo.result
    f = "erreurs.xlsx"
    located = {(i.code, i.row, i.column) for i in find(r, file=f)}
    assert located == {
        ("VALUE_EXCEL_ERROR", 3, "Heures réalisées"),
        ("VALUE_EXCEL_ERROR", 4, "Date de début"),
        ("VALUE_FORMULA_NO_CACHE", 5, "Heures réalisées"),
    }
    assert rejected_rows(r, f, "Erreurs") == [3, 4, 5]
    assert column(table(r, f, "Erreurs", "contrats"), "participant_id") == {2: "E1"}


def test_all_problems_of_all_files_in_one_run(zoo: Zoo) -> None:
    files = {Path(i.file).name for i in zoo.result.issues if i.severity == "error" and i.file}
    assert files == {"formats.xlsx", "erreurs.xlsx"}
    assert {Path(f).name for f in zoo.result.files} == {
        "formats.xlsx",
        "mac.xlsx",
        "erreurs.xlsx",
        "dimension.xlsx",
    }
    assert zoo.result.exit_code() == 1


def test_float_results_are_finite(zoo: Zoo) -> None:
    for v in zoo.result.validated:
        for frame in v.tables.values():
            for name in frame.columns:
                if frame[name].dtype == "float64":
                    assert all(math.isfinite(x) for x in frame[name].dropna()), name
