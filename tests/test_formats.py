"""Formats met in the wild, end to end: ``check``, ``consolidate`` and the CLI.

Every export is built here, in temporary folders, from synthetic data. Each test states the
exact outcome the user must get: issue code, file, sheet, spreadsheet row, column as written,
value (never a personal one), typed values read, exit code and files written.

Reading an xlsx costs a child process, so most workbook cases live as sheets of a few
workbooks read once per module (``zoo``); csv cases are cheap and built per test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.consolidate import CheckResult, check, consolidate
from clausekit.errors import Issue
from clausekit.pipeline.validate import Validated

from .conftest import CONTRACT_HEADER, OPERATION_HEADER, PARTICIPANT_HEADER

runner = CliRunner()

# Personal data written in the exports below: none of it may appear in an issue.
NAMES = ("Zébulonne", "Quasimodo", "Ophélixa", "Barnabéus", "Gédéonie", "Eulalinde")
BIRTH_TEXT = ("01/02/1990", "31/02/1990")


# --------------------------------------------------------------------------- helpers


def find(
    result: CheckResult,
    code: str | None = None,
    *,
    file: str | None = None,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> list[Issue]:
    """Issues matching every given criterion (``file`` is the file name)."""
    return [
        i
        for i in result.issues
        if (code is None or i.code == code)
        and (file is None or (i.file is not None and Path(i.file).name == file))
        and (sheet is None or i.sheet == sheet)
        and (row is None or i.row == row)
        and (column is None or i.column == column)
    ]


def only(result: CheckResult, code: str, **where: Any) -> Issue:
    found = find(result, code, **where)
    assert len(found) == 1, (code, where, [(i.code, i.row, i.column) for i in found])
    return found[0]


def rows_of(result: CheckResult, code: str, **where: Any) -> list[int]:
    return sorted(i.row for i in find(result, code, **where) if i.row is not None)


def params(issue: Issue) -> dict[str, str]:
    return dict(issue.params)


def validated(result: CheckResult, file: str, sheet: str | None) -> Validated:
    found = [
        v
        for v in result.validated
        if Path(v.recognised.raw.file).name == file and v.recognised.raw.sheet == sheet
    ]
    assert len(found) == 1, (file, sheet, [(v.recognised.raw.sheet) for v in result.validated])
    return found[0]


def table(result: CheckResult, file: str, sheet: str | None, kind: str) -> pd.DataFrame:
    return validated(result, file, sheet).tables[kind]


def source(result: CheckResult, file: str, sheet: str | None) -> dict[str, Any]:
    found = [
        s for s in result.sources if Path(s["file"]).name == file and s["sheet"] == (sheet or "")
    ]
    assert len(found) == 1, (file, sheet)
    return found[0]


def counts(result: CheckResult, file: str, sheet: str | None) -> tuple[int, int, int, int]:
    s = source(result, file, sheet)
    return s["rows_read"], s["rows_accepted"], s["rows_rejected"], s["rows_skipped"]


def rejected_rows(result: CheckResult, file: str, sheet: str | None) -> list[int]:
    rej = result.rejects
    mask = rej["file"].map(lambda f: Path(f).name == file) & (rej["sheet"] == (sheet or ""))
    return sorted(int(r) for r in rej.loc[mask, "row"])


def column(frame: pd.DataFrame, name: str) -> dict[int, Any]:
    """{spreadsheet row: value} with missing values as None."""
    return {int(k): (None if pd.isna(v) else v) for k, v in frame[name].items()}


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def put(ws: Any, row: int, values: list[Any]) -> None:
    """Write ``values`` on spreadsheet row ``row`` (None cells are left absent)."""
    for col, value in enumerate(values, start=1):
        if value is not None:
            ws.cell(row=row, column=col, value=value)


def sheet_rows(ws: Any, rows: list[list[Any] | None], start: int = 1) -> None:
    for offset, values in enumerate(rows):
        if values is not None:
            put(ws, start + offset, values)


def contract(pid: Any = "P1", hours: Any = "7", **over: Any) -> list[Any]:
    """A contract row in CONTRACT_HEADER order."""
    row = {
        "pid": pid,
        "contrat": "C1",
        "op": "OP1",
        "ent": "Bâtir SA",
        "type": "CDD",
        "debut": "01/01/2025",
        "fin": None,
        "mois": "01/2025",
        "hours": hours,
    }
    row.update(over)
    return list(row.values())


# --------------------------------------------------------------------------- the zoo


def build_formats(path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)

    ws = wb.create_sheet("Titre")  # title block above the header
    sheet_rows(
        ws,
        [
            ["Extraction ABC Clauses du 01/07/2025"],
            ["Territoire : Lens-Liévin"],
            None,
            CONTRACT_HEADER,
            contract("P1", "151,67", fin="31/03/2025"),
            contract("P2", "douze", debut="01/02/2025", mois="02/2025"),
        ],
    )

    ws = wb.create_sheet("Fusion")  # merged, two-row header
    sheet_rows(
        ws,
        [
            [
                "N° participant",
                "N° contrat",
                "Opération",
                "Date de",
                None,
                "Heures réalisées",
                "Mois",
            ],
            [None, None, None, "début", "fin", None, None],
            ["P1", "C1", "OP1", "01/01/2025", "31/01/2025", "7,5", "01/2025"],
            ["P2", "C2", "OP1", "01/02/2025", "28/02/2025", "8", "02/2025"],
        ],
    )
    for ref in ("A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2", "G1:G2"):
        ws.merge_cells(ref)

    # kinds come from the columns, not from the sheet names
    ws = wb.create_sheet("Feuil1")
    sheet_rows(
        ws,
        [
            OPERATION_HEADER,
            ["OP1", "Tramway", "Ville de Lens", "L2112-2", "12\u202f000"],
            ["OP2", "Piscine", "SIA Habitat", "critère social", "1 500,5"],
        ],
    )
    ws = wb.create_sheet("Contrats")
    sheet_rows(ws, [PARTICIPANT_HEADER, ["P9", NAMES[0], NAMES[1], "01/01/1990", "BRSA"]])
    ws = wb.create_sheet("Données")
    sheet_rows(ws, [CONTRACT_HEADER, contract("P9")])

    ws = wb.create_sheet("Masquée")
    sheet_rows(ws, [CONTRACT_HEADER, contract("HID1")])
    ws.sheet_state = "hidden"
    ws = wb.create_sheet("TrèsMasquée")
    sheet_rows(ws, [PARTICIPANT_HEADER, ["HID2", NAMES[2], NAMES[3], "01/01/1990", "BRSA"]])
    ws.sheet_state = "veryHidden"

    ws = wb.create_sheet("Vides")  # blank rows, total rows, trailing non-data
    sheet_rows(
        ws,
        [
            CONTRACT_HEADER,
            contract("P1", "7"),
            None,
            contract("P2", "7"),
            ["  ", None, None, None, None, None, None, None, "\u00a0"],
            contract("P3", "x"),
            ["Sous-total", None, None, None, None, None, None, None, "14"],
            [None, None, "Total général", None, None, None, None, None, "14"],
        ],
    )
    ws.cell(row=40, column=1, value="")
    ws.cell(row=60, column=2, value=" ")
    ws.cell(row=500, column=1).font = Font(bold=True)

    ws = wb.create_sheet("Dates")
    sheet_rows(
        ws,
        [
            CONTRACT_HEADER,
            contract(debut=dt.date(2025, 1, 31), mois="janv.-25"),
            contract(debut=45000, mois="01/2025"),
            contract(debut="31/12/2025", mois="févr.-25"),
            contract(debut="05/01/2025", mois="Janvier 2025"),
            contract(debut=45000.75, mois=dt.date(2025, 3, 1)),
            contract(debut="2025-06-30", mois="2025-06"),
            contract(debut=60),
            contract(debut=0),
            contract(debut="12/31/2025"),
            contract(debut="01/08/2025", mois="août-25"),
            contract(debut="01/09/2025", mois="13/2025"),
        ],
    )

    ws = wb.create_sheet("Heures")
    hours = [
        "1 234,5",
        "1\u00a0234,5",
        "1\u202f234,5",
        "7:30",
        "7h30",
        151.67,
        "151:40",
        "1 23,4",
        "1 234.5",
    ]
    sheet_rows(ws, [CONTRACT_HEADER, *(contract(hours=h) for h in hours)])

    ws = wb.create_sheet("HeureExcel")  # "7:30" typed in Excel becomes a time cell
    sheet_rows(
        ws,
        [
            CONTRACT_HEADER,
            contract(hours=dt.time(7, 30)),
            contract(hours=dt.timedelta(hours=151, minutes=40)),
        ],
    )

    ws = wb.create_sheet("Booléens")
    sheet_rows(
        ws,
        [
            ["N° participant", "Nom", "Résident QPV", "BRSA", "Jeune ASE"],
            ["B1", NAMES[0], "Oui", "Non", "X"],
            ["B2", NAMES[0], "Non", "Oui", None],
            ["B3", NAMES[0], "X", 1, "Vrai"],
            ["B4", NAMES[0], 1, True, "non"],
            ["B5", NAMES[0], "Vrai", "vrai ", 0],
            ["B6", NAMES[0], None, False, "FAUX"],
            ["B7", NAMES[0], "peut-être", "Oui", "Oui"],
        ],
    )

    ws = wb.create_sheet("Identité")
    sheet_rows(
        ws,
        [
            ["N° participant", "Nom", "Prénom", "Date de naissance", "Code postal", "Public"],
            ["00123", "NA", NAMES[0], BIRTH_TEXT[0], "06000", "BRSA"],
            [456, "NULL", NAMES[1], dt.date(2001, 4, 3), 62300, "-26 ans"],
            ["0042", "None", NAMES[2], 59, "02100", None],
            ["P5", "nan", NAMES[3], 61, "2A004", "ASE, DELD"],
            ["P6", NAMES[4], NAMES[5], 60, "59000", None],
            ["P7", NAMES[5], NAMES[4], 0, "59000", None],
            ["P8", NAMES[1], NAMES[0], BIRTH_TEXT[1], "59000", None],
        ],
    )

    ws = wb.create_sheet("Inconnues")
    sheet_rows(ws, [[*CONTRACT_HEADER, "Commentaire interne", "Colonne 12"], contract()])

    ws = wb.create_sheet("Manque")
    sheet_rows(
        ws,
        [
            ["N° contrat", "Opération", "Heures réalisées", "Mois", "ID du benef"],
            ["C1", "OP1", "7", "01/2025", "B1"],
            ["C2", "OP1", "8", "02/2025", "B2"],
        ],
    )

    ws = wb.create_sheet("Doublons")
    sheet_rows(ws, [[*CONTRACT_HEADER, "heures réalisées"], [*contract(hours="7"), "8"]])

    ws = wb.create_sheet("Contrôles")
    sheet_rows(
        ws,
        [
            CONTRACT_HEADER,
            contract("P1", "7", fin="31/01/2025"),
            contract("P1", "abc"),
            contract("P1", "-5"),
            contract("P1", "20000"),
            contract(None, "abc"),
            contract("P1", "7", debut="01/02/2025", fin="01/01/2025"),
            contract("P1", "7", debut="32/01/2025"),
            contract("P1", "7", debut="01/01/1985"),
        ],
    )
    wb.save(path)


def build_mac(path: Path) -> None:
    """A workbook in the 1904 date system (Excel for Mac)."""
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Mac"
    sheet_rows(
        ws,
        [
            CONTRACT_HEADER,
            contract("M1", debut=dt.date(2025, 1, 31), fin=45000, mois=dt.date(2025, 1, 1)),
        ],
    )
    ws = wb.create_sheet("MacP")
    sheet_rows(
        ws,
        [
            PARTICIPANT_HEADER,
            ["M1", NAMES[0], NAMES[1], 0, "BRSA"],
            ["M2", NAMES[2], NAMES[3], dt.date(1980, 5, 17), None],
        ],
    )
    wb.save(path)


def build_errors(path: Path) -> None:
    """Excel error cells and a formula saved without its cached value."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Erreurs"
    sheet_rows(
        ws,
        [
            CONTRACT_HEADER,
            contract("E1", "7"),
            contract("E2", "#N/A"),
            contract("E3", "7", debut="#DIV/0!"),
            contract("E4", "=SUM(1,2)"),
        ],
    )
    wb.save(path)


def build_dimension(path: Path) -> None:
    """Three data rows, empty cells far below and a bogus (but not huge) declared range."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Dim"
    sheet_rows(ws, [CONTRACT_HEADER, contract("D1"), contract("D2"), contract("D3")])
    ws.cell(row=40, column=1, value="")
    ws.cell(row=5000, column=3).font = Font(bold=True)
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b"<dimension ref=")
                end = data.index(b"/>", start) + 2
                data = data[:start] + b'<dimension ref="A1:AZ100000"/>' + data[end:]
            zout.writestr(info, data)
    tmp.unlink()


@dataclass
class Zoo:
    root: Path
    result: CheckResult


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Zoo:
    root = tmp_path_factory.mktemp("zoo")
    build_formats(root / "formats.xlsx")
    build_mac(root / "mac.xlsx")
    build_errors(root / "erreurs.xlsx")
    build_dimension(root / "dimension.xlsx")
    return Zoo(root, check([root]))


F = "formats.xlsx"


# --------------------------------------------------------------------------- headers


def test_header_below_a_title_block(zoo: Zoo) -> None:
    r = zoo.result
    v = validated(r, F, "Titre")
    assert v.recognised.header_row == 4
    assert v.recognised.kinds == ["contrats"]
    issue = only(r, "VALUE_NOT_HOURS", file=F, sheet="Titre")
    assert (issue.row, issue.column, issue.value) == (6, "Heures réalisées", "douze")
    assert issue.severity == "error"
    assert "« douze » n'est pas un nombre d'heures" in issue.message
    assert [i.code for i in find(r, file=F, sheet="Titre")] == ["VALUE_NOT_HOURS"]
    assert column(table(r, F, "Titre", "contrats"), "heures_realisees") == {5: 151.67}
    assert counts(r, F, "Titre") == (2, 1, 1, 0)
    assert rejected_rows(r, F, "Titre") == [6]


def test_merged_two_row_header(zoo: Zoo) -> None:
    r = zoo.result
    v = validated(r, F, "Fusion")
    assert v.recognised.header_row == 2
    # "début" and "fin" are accepted headers on their own: the label is the cell as written
    assert v.recognised.labels["date_debut"] == "début"
    assert v.recognised.labels["date_fin"] == "fin"
    assert v.recognised.labels["participant_id"] == "N° participant"  # from the merged cell
    assert v.recognised.labels["heures_realisees"] == "Heures réalisées"
    t = table(r, F, "Fusion", "contrats")
    assert column(t, "participant_id") == {3: "P1", 4: "P2"}
    assert column(t, "date_debut") == {3: day("2025-01-01"), 4: day("2025-02-01")}
    assert column(t, "date_fin") == {3: day("2025-01-31"), 4: day("2025-02-28")}
    assert column(t, "heures_realisees") == {3: 7.5, 4: 8.0}
    assert find(r, file=F, sheet="Fusion") == []
    assert counts(r, F, "Fusion") == (2, 2, 0, 0)


def test_sheet_kind_comes_from_columns_not_sheet_name(zoo: Zoo) -> None:
    r = zoo.result
    assert validated(r, F, "Feuil1").recognised.kinds == ["operations"]
    assert validated(r, F, "Contrats").recognised.kinds == ["participants"]
    assert validated(r, F, "Données").recognised.kinds == ["contrats"]
    ops = table(r, F, "Feuil1", "operations")
    assert column(ops, "operation_id") == {2: "OP1", 3: "OP2"}
    assert column(ops, "heures_prevues") == {2: 12000.0, 3: 1500.5}
    assert column(table(r, F, "Contrats", "participants"), "participant_id") == {2: "P9"}


def test_hidden_sheets_are_ignored_with_a_warning(zoo: Zoo) -> None:
    r = zoo.result
    for name in ("Masquée", "TrèsMasquée"):
        issue = only(r, "SHEET_HIDDEN", file=F, sheet=name)
        assert issue.severity == "warning"
        assert issue.file == str(zoo.root / F)
        assert not [s for s in r.sources if s["sheet"] == name]
    ids = {
        pid
        for v in r.validated
        for frame in v.tables.values()
        if "participant_id" in frame
        for pid in frame["participant_id"].dropna()
    }
    assert not ids & {"HID1", "HID2"}


def test_unmapped_columns_are_listed(zoo: Zoo) -> None:
    r = zoo.result
    found = find(r, "COLUMN_UNMAPPED", file=F, sheet="Inconnues")
    assert [(i.row, i.column, i.severity) for i in found] == [
        (1, "Commentaire interne", "warning"),
        (1, "Colonne 12", "warning"),
    ]
    assert counts(r, F, "Inconnues") == (1, 1, 0, 0)


def test_required_column_missing_is_one_clear_error(zoo: Zoo) -> None:
    r = zoo.result
    issue = only(r, "COLUMN_MISSING", file=F, sheet="Manque")
    assert issue.severity == "error"
    assert (issue.row, issue.column) == (1, "N° participant")
    assert issue.file == str(zoo.root / F)
    for found in ("« N° contrat »", "« Heures réalisées »", "« ID du benef »"):
        assert found in issue.message
    assert "Colonne obligatoire « N° participant » absente" in issue.message
    assert "« No participant »" in issue.message  # an accepted header is named
    assert counts(r, F, "Manque") == (2, 0, 2, 0)
    assert rejected_rows(r, F, "Manque") == [2, 3]
    reasons = r.rejects.loc[r.rejects["sheet"] == "Manque", "reasons"].tolist()
    assert reasons == ["N° participant : COLUMN_MISSING"] * 2


def test_missing_column_names_the_closest_alias(zoo: Zoo) -> None:
    issue = only(zoo.result, "COLUMN_MISSING", file=F, sheet="Manque")
    assert "« ID bénéficiaire »" in issue.message


def test_duplicate_headers_are_an_error_never_renamed(zoo: Zoo) -> None:
    r = zoo.result
    issue = only(r, "COLUMN_DUPLICATE", file=F, sheet="Doublons")
    assert issue.severity == "error"
    assert (issue.row, issue.column) == (1, "Heures réalisées")
    assert params(issue) == {"count": "2", "letters": "I, J"}
    v = validated(r, F, "Doublons")
    assert "heures_realisees" not in v.recognised.columns
    assert "heures_realisees" not in v.tables["contrats"].columns
    assert not find(r, "COLUMN_AMBIGUOUS", file=F, sheet="Doublons")
    assert not find(r, "COLUMN_UNMAPPED", file=F, sheet="Doublons")


# --------------------------------------------------------------------------- rows


def test_blank_and_total_rows_are_skipped_with_a_warning(zoo: Zoo) -> None:
    r = zoo.result
    assert rows_of(r, "ROW_BLANK", file=F, sheet="Vides") == [3, 5]
    assert rows_of(r, "ROW_TOTAL", file=F, sheet="Vides") == [7, 8]
    assert all(i.severity == "warning" for i in find(r, "ROW_BLANK") + find(r, "ROW_TOTAL"))
    assert rows_of(r, "VALUE_NOT_HOURS", file=F, sheet="Vides") == [6]
    # trailing empty strings and styled cells (rows 40, 60, 500) are not data
    assert max(i.row or 0 for i in find(r, file=F, sheet="Vides")) == 8
    assert counts(r, F, "Vides") == (7, 2, 1, 4)
    assert column(table(r, F, "Vides", "contrats"), "participant_id") == {2: "P1", 4: "P2"}


def test_bogus_dimension_and_trailing_cells_are_not_data(zoo: Zoo) -> None:
    r = zoo.result
    assert find(r, file="dimension.xlsx") == []
    assert counts(r, "dimension.xlsx", "Dim") == (3, 3, 0, 0)
    t = table(r, "dimension.xlsx", "Dim", "contrats")
    assert column(t, "participant_id") == {2: "D1", 3: "D2", 4: "D3"}


def test_row_conservation_for_every_source(zoo: Zoo) -> None:
    assert zoo.result.sources
    for s in zoo.result.sources:
        assert s["rows_read"] == s["rows_accepted"] + s["rows_rejected"] + s["rows_skipped"], s


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


# --------------------------------------------------------------------------- csv


CSV_HEADER = ["N° participant", "N° contrat", "Opération", "Entreprise", "Heures réalisées"]
CSV_ROWS = [
    ["P1", "C1", "OP1", "Société Œuvre & Cie", "7,5"],
    ["00042", "C2", "OP1", "L'Atelier; du Nord", "1\u00a0234,5"],
    ["P3", "C3", "OP2", "Bâtir, Réparer", "12,25"],
]
CSV_HOURS = {2: 7.5, 3: 1234.5, 4: 12.25}


def csv_bytes(rows: list[list[str]], encoding: str, delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ";"),
        ("utf-8-sig", ","),
        ("utf-8-sig", ";"),
        ("cp1252", "\t"),
        ("cp1252", ";"),
        ("utf-16", ";"),
        ("utf-16", "\t"),
    ],
)
def test_csv_encoding_and_separator_detected(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([CSV_HEADER, *CSV_ROWS], encoding, delimiter))
    r = check([path])
    assert r.issues == []
    v = validated(r, "export.csv", None)
    assert v.recognised.kinds == ["contrats"]
    t = v.tables["contrats"]
    assert column(t, "participant_id") == {2: "P1", 3: "00042", 4: "P3"}
    assert column(t, "entreprise") == {2: CSV_ROWS[0][3], 3: CSV_ROWS[1][3], 4: CSV_ROWS[2][3]}
    assert column(t, "heures_realisees") == CSV_HOURS
    assert r.exit_code() == 0


def test_csv_narrow_no_break_space_in_utf8(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [CSV_HEADER, ["P1", "C1", "OP1", "E", "1\u202f234,5"], ["P2", "C2", "OP1", "E", "2 000"]]
    path.write_bytes(csv_bytes(rows, "utf-8-sig", ";"))
    r = check([path])
    assert column(table(r, "export.csv", None, "contrats"), "heures_realisees") == {
        2: 1234.5,
        3: 2000.0,
    }


def test_csv_quoted_newlines_keep_record_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [
        CSV_HEADER,
        ["P1", "C1", "OP1", "Société\ndu canal", "7,5"],
        ["P2", "C2", "OP1", "E", "douze"],
    ]
    path.write_bytes(csv_bytes(rows, "utf-8", ","))
    r = check([path])
    issue = only(r, "VALUE_NOT_HOURS", file="export.csv")
    assert (issue.sheet, issue.row, issue.column, issue.value) == (
        None,
        3,
        "Heures réalisées",
        "douze",
    )
    assert column(table(r, "export.csv", None, "contrats"), "entreprise") == {
        2: "Société\ndu canal"
    }
    assert counts(r, "export.csv", None) == (2, 1, 1, 0)


def ragged(tmp_path: Path) -> CheckResult:
    path = tmp_path / "export.csv"
    path.write_text(
        "N° participant;N° contrat;Heures réalisées\n"
        "P1;C1;7,5\n"
        "P2;C2;12,25;perdu\n"
        "P3;C3\n"
        "P4;C4;8\n",
        encoding="utf-8",
    )
    return check([path])


def test_csv_ragged_rows_are_reported(tmp_path: Path) -> None:
    r = ragged(tmp_path)
    found = [(i.row, params(i)) for i in find(r, "CSV_RAGGED_ROW", file="export.csv")]
    assert found == [(3, {"found": "4", "expected": "3"}), (4, {"found": "2", "expected": "3"})]
    assert all(i.severity == "error" for i in find(r, "CSV_RAGGED_ROW"))
    assert r.exit_code() == 1


def test_csv_ragged_rows_are_rejected(tmp_path: Path) -> None:
    r = ragged(tmp_path)
    assert rejected_rows(r, "export.csv", None) == [3, 4]
    assert counts(r, "export.csv", None) == (4, 2, 2, 0)


def test_csv_excel_error_literals_reject_the_row(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "N° participant;N° contrat;Date de début;Heures réalisées\n"
        "P1;C1;01/01/2025;7\n"
        "P2;C2;01/01/2025;#N/A\n"
        "P3;C3;#DIV/0!;7\n",
        encoding="utf-8",
    )
    r = check([path])
    found = sorted((i.row, i.column, i.value) for i in find(r, "VALUE_EXCEL_ERROR"))
    assert found == [(3, "Heures réalisées", "#N/A"), (4, "Date de début", "#DIV/0!")]
    assert not find(r, "VALUE_NOT_HOURS") and not find(r, "VALUE_NOT_DATE")
    assert rejected_rows(r, "export.csv", None) == [3, 4]


def test_csv_na_strings_and_leading_zeros_are_data(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(
        "N° participant;Nom;Prénom;Code postal\n"
        f"00123;NA;{NAMES[0]};06000\n"
        f"P2;NULL;{NAMES[1]};62300\n"
        f"P3;None;{NAMES[2]};02100\n"
        f"P4;nan;{NAMES[3]};59000\n",
        encoding="utf-8",
    )
    r = check([path])
    t = table(r, "participants.csv", None, "participants")
    assert list(column(t, "nom").items())[:4] == [(2, "NA"), (3, "NULL"), (4, "None"), (5, "nan")]
    assert column(t, "participant_id") == {2: "00123", 3: "P2", 4: "P3", 5: "P4"}
    assert column(t, "code_postal") == {2: "06000", 3: "62300", 4: "02100", 5: "59000"}
    assert r.issues == []


# --------------------------------------------------------------------------- property


GOOD_SEPARATORS = ("", " ", "\u00a0", "\u202f")
BAD_NUMBERS = ("abc", "1,2,3", "12h5", "1 23,4", "7:60", "--1", "1 234.5", "12 heures")
ROW = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 9999), st.sampled_from(GOOD_SEPARATORS)),
    st.tuples(st.just("bad"), st.sampled_from(BAD_NUMBERS)),
    st.tuples(st.just("blank")),
)


def french(number: int, separator: str) -> str:
    text = f"{number:,}".replace(",", separator)
    return text + ",5"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, max_size=25), total=st.booleans(), trailing=st.integers(0, 3))
def test_row_conservation_property(rows: list[tuple[Any, ...]], total: bool, trailing: int) -> None:
    lines = [["N° participant", "N° contrat", "Heures réalisées"]]
    for i, row in enumerate(rows):
        if row[0] == "good":
            lines.append([f"P{i}", f"C{i}", french(row[1], row[2])])
        elif row[0] == "bad":
            lines.append([f"P{i}", f"C{i}", row[1]])
        else:
            lines.append(["", "", ""])
    if total:
        lines.append(["TOTAL", "", "123"])
    text = "\n".join(";".join(line) for line in lines) + "\n" * (trailing + 1)

    kinds = [row[0] for row in rows] + (["total"] if total else [])
    nonblank = [n for n, k in enumerate(kinds) if k != "blank"]
    read = nonblank[-1] + 1 if nonblank else 0  # trailing blank rows are not read
    seen = kinds[:read]
    expected_rejected = [n + 2 for n, k in enumerate(seen) if k == "bad"]
    expected_blank = [n + 2 for n, k in enumerate(seen) if k == "blank"]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_text(text, encoding="utf-8")
        r = check([path])
    s = source(r, "export.csv", None)
    assert s["rows_read"] == s["rows_accepted"] + s["rows_rejected"] + s["rows_skipped"]
    assert s["rows_read"] == read
    assert s["rows_accepted"] == seen.count("good")
    assert s["rows_rejected"] == seen.count("bad")
    assert s["rows_skipped"] == seen.count("blank") + seen.count("total")
    assert rejected_rows(r, "export.csv", None) == expected_rejected
    assert rows_of(r, "ROW_BLANK") == expected_blank
    assert rows_of(r, "ROW_TOTAL") == ([read + 1] if total else [])
    t = table(r, "export.csv", None, "contrats")
    expected_hours = {n + 2: row[1] + 0.5 for n, row in enumerate(rows[:read]) if row[0] == "good"}
    assert column(t, "heures_realisees") == expected_hours


TEXT = st.text(
    alphabet="abcdeéèàçôœŒ ABCXYZ0123456789;,'\"-&\n",
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() != "" and not s.strip().lower().startswith("total"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(TEXT, min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([";", ",", "\t"]),
)
def test_csv_text_round_trips_whatever_the_encoding_and_separator(
    names: list[str], encoding: str, delimiter: str
) -> None:
    rows = [CSV_HEADER] + [
        [f"P{i}", f"C{i}", "OP1", name, f"{i},5"] for i, name in enumerate(names)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(csv_bytes(rows, encoding, delimiter))
        r = check([path])
    t = table(r, "export.csv", None, "contrats")
    assert column(t, "entreprise") == {i + 2: name.strip() for i, name in enumerate(names)}
    assert column(t, "heures_realisees") == {i + 2: i + 0.5 for i in range(len(names))}
    assert not find(r, "CSV_RAGGED_ROW")


# --------------------------------------------------------------------------- runs


PARTICIPANTS = [PARTICIPANT_HEADER, ["P1", NAMES[0], NAMES[1], "01/02/1990", "BRSA"]]
OPERATIONS = [OPERATION_HEADER, ["OP1", "Tramway", "Ville de Lens", "L2112-2", "1 000"]]


def csv_territory(folder: Path, contracts: list[list[Any]], **extra: list[list[Any]]) -> Path:
    """participants.csv, contrats.csv and operations.csv of one territory."""
    territory = folder / "Lens"
    territory.mkdir(parents=True, exist_ok=True)
    tables = {
        "participants": extra.get("participants", PARTICIPANTS),
        "contrats": [CONTRACT_HEADER, *contracts],
        "operations": extra.get("operations", OPERATIONS),
    }
    for name, rows in tables.items():
        text = [["" if v is None else str(v) for v in row] for row in rows]
        (territory / f"{name}.csv").write_bytes(csv_bytes(text, "utf-8-sig", ";"))
    return folder


GOOD = contract("P1", "151,67", fin="31/03/2025")


def test_exit_0_on_clean_input(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD])
    assert check([data]).exit_code() == 0
    out = tmp_path / "out"
    result = consolidate([data], out)
    assert int(result.exit_code) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "bilan.html",
        "rapport.json",
        "rapport.xlsx",
        "rejets.csv",
    ]
    assert (out / "rejets.csv").read_text(encoding="utf-8-sig") == "Fichier;Feuille;Ligne;Motifs\n"
    cli = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "cli")])
    assert cli.exit_code == 0, cli.output
    assert runner.invoke(app, ["validate", str(data)]).exit_code == 0


def test_exit_1_when_rows_are_rejected_and_rejets_csv_lists_them(tmp_path: Path) -> None:
    data = csv_territory(
        tmp_path / "in",
        [GOOD, contract("P1", "douze", mois="02/2025"), contract("P1", "7", debut="32/01/2025")],
    )
    out = tmp_path / "out"
    result = consolidate([data], out)
    assert int(result.exit_code) == 1
    assert (out / "rapport.json").is_file() and (out / "rapport.xlsx").is_file()
    contrats = str(data / "Lens" / "contrats.csv")
    assert (out / "rejets.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "Fichier;Feuille;Ligne;Motifs",
        f"{contrats};;3;Heures réalisées : pas un nombre d'heures",
        f"{contrats};;4;Date de début : date non valide",
    ]
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    src = next(s for s in report["sources"] if s["kind"] == "contrats")
    assert (src["rows_read"], src["rows_accepted"], src["rows_rejected"]) == (3, 1, 2)
    cli = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "cli")])
    assert cli.exit_code == 1, cli.output
    assert "Traceback" not in cli.output


def test_exit_1_on_a_warning_that_matters(tmp_path: Path) -> None:
    participants = [PARTICIPANT_HEADER, ["P1", NAMES[0], NAMES[1], "01/02/1990", "Martien"]]
    data = csv_territory(tmp_path / "in", [GOOD], participants=participants)
    r = check([data])
    issue = only(r, "VALUE_PUBLIC_UNKNOWN")
    assert (issue.row, issue.column, issue.value) == (2, "Public", None)  # never copied
    assert r.rows_rejected == 0
    assert r.exit_code() == 1


def test_informative_warnings_keep_exit_0(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD, [None] * 9, GOOD])
    r = check([data])
    assert [(i.code, i.row) for i in r.issues] == [("ROW_BLANK", 3)]
    assert r.exit_code() == 0


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "{data}", "--format", "xml"],
        ["consolidate", "{data}", "--period", "2025-13"],
        ["consolidate", "{data}", "--nope"],
        ["validate"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    data = csv_territory(tmp_path / "in", [GOOD])
    argv = [a.replace("{data}", str(data)) for a in args]
    if argv[0] == "consolidate":
        argv += ["-o", str(tmp_path / "o")]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_strict_makes_rejected_rows_fatal(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD, contract("P1", "douze", mois="02/2025")])
    out = tmp_path / "out"
    result = consolidate([data], out, strict=True)
    assert int(result.exit_code) == 1
    assert result.outputs == []
    assert not out.exists()
    cli = runner.invoke(app, ["consolidate", str(data), "-o", str(out), "--strict"])
    assert cli.exit_code == 1
    assert "Mode strict" in cli.output
    assert not out.exists()
    clean = csv_territory(tmp_path / "clean", [GOOD])
    ok = runner.invoke(app, ["consolidate", str(clean), "-o", str(out), "--strict"])
    assert ok.exit_code == 0, ok.output
    assert (out / "rapport.json").is_file()


def test_cli_json_issues_equal_the_library(tmp_path: Path) -> None:
    data = csv_territory(tmp_path / "in", [GOOD, contract("P1", "douze", mois="02/2025")])
    result = runner.invoke(app, ["validate", str(data), "--format", "json"])
    payload = json.loads(result.stdout)
    library = check([data])
    assert result.exit_code == payload["exit_code"] == int(library.exit_code()) == 1
    assert payload["valid"] is False
    assert payload["issues"] == [i.to_dict() for i in library.issues]
    issue = next(i for i in payload["issues"] if i["code"] == "VALUE_NOT_HOURS")
    assert issue == {
        "code": "VALUE_NOT_HOURS",
        "file": str(data / "Lens" / "contrats.csv"),
        "sheet": None,
        "row": 3,
        "column": "Heures réalisées",
        "value": "douze",
        "severity": "error",
        "message": "« douze » n'est pas un nombre d'heures.",
    }


def test_float_results_are_finite(zoo: Zoo) -> None:
    for v in zoo.result.validated:
        for frame in v.tables.values():
            for name in frame.columns:
                if frame[name].dtype == "float64":
                    assert all(math.isfinite(x) for x in frame[name].dropna()), name


def test_utf16_csv_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(csv_bytes([CSV_HEADER, *CSV_ROWS], "utf-16", ";"))
    r = check([path])
    assert r.issues == []
    assert column(table(r, "export.txt", None, "contrats"), "heures_realisees") == CSV_HOURS
