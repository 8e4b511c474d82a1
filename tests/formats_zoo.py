"""The workbooks of the format tests (« the zoo »): every xlsx case lives as a sheet of a few
workbooks, read once per test session (reading an xlsx costs a child process)."""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from clausekit.consolidate import CheckResult

from .conftest import CONTRACT_HEADER, OPERATION_HEADER, PARTICIPANT_HEADER
from .formats_helpers import BIRTH_TEXT, NAMES, contract, sheet_rows

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


F = "formats.xlsx"
