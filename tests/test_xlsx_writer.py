"""rapport.xlsx as a user opens it: every sheet, cell, number format, width, frozen header,
filter, print setup and chart of the report's views, re-read with openpyxl (a different library
from the one that writes it)."""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from clausekit.consolidate import consolidate
from clausekit.output.views import Chart, View, views
from clausekit.output.xlsx import write_xlsx

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
FORMULA_LIKE = ["=SUM(A1:A3)", "+33 6 12", "-1+1", "@SUM(1)", "\tcmd", '=HYPERLINK("x")']


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[View], Path]:
    """The samples' views with some rejected rows (formula-like text among them), written."""
    out = tmp_path_factory.mktemp("xlsx")
    result = consolidate([SAMPLES], out / "run", formats=("xlsx",))
    # consolidate wrote exactly its views: the same bytes again from them
    again = out / "again.xlsx"
    write_xlsx(views(result.report, result.checked.rejects), again)
    assert again.read_bytes() == (out / "run" / "rapport.xlsx").read_bytes()

    n = len(FORMULA_LIKE)
    rejects = pd.DataFrame(
        {
            "file": [f"/exports/{t}" for t in FORMULA_LIKE],
            "sheet": FORMULA_LIKE,
            "row": list(range(5, 5 + n)),
            "reasons": [f"heures : NEGATIVE; {t}" for t in FORMULA_LIKE],
        }
    )
    tables = views(result.report, rejects)
    target = out / "rapport.xlsx"
    write_xlsx(tables, target)
    return tables, target


def expected_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def same_cell(actual: Any, expected: Any) -> bool:
    """Numbers stay numbers (an integral float may come back as int), text stays text."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and actual == pytest.approx(expected, rel=1e-15)
    if isinstance(expected, datetime.date) and not isinstance(expected, datetime.datetime):
        return actual == datetime.datetime.combine(expected, datetime.time())
    return type(actual) is type(expected) and actual == expected


def expected_width(view: View, column: str) -> int:
    width = len(column)
    for value in view.frame[column].tolist():
        value = expected_value(value)
        if isinstance(value, str):
            width = max(width, min(len(value), 60))
        elif isinstance(value, float):
            width = max(width, len(f"{value:,.2f}"))
        elif value is not None:
            width = max(width, len(str(value)))
    return min(max(width + 2, 8), 60)


def column_widths(ws: Worksheet) -> dict[int, float]:
    out = {}
    for dim in ws.column_dimensions.values():
        if dim.customWidth:
            for i in range(dim.min, dim.max + 1):
                out[i] = dim.width
    return out


def check_sheet(ws: Worksheet, view: View) -> None:
    frame = view.frame
    columns = [str(c) for c in frame.columns]
    n = len(frame)
    assert ws["A1"].value == view.title
    assert ws["A1"].font.b and ws["A1"].font.sz == 13
    assert all(cell.value is None for cell in ws[2])
    for j, name in enumerate(columns, 1):
        cell = ws.cell(row=3, column=j)
        assert cell.value == name
        assert cell.font.b and cell.font.color.rgb.endswith("FFFFFF")
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith("1F4E78")
        assert cell.alignment.wrap_text and cell.alignment.vertical == "center"
    grid = list(ws.iter_rows(min_row=4, max_row=3 + n, max_col=len(columns)))
    for i, (row, cells) in enumerate(zip(frame.itertuples(index=False), grid, strict=True)):
        for j, (value, cell) in enumerate(zip(row, cells, strict=True)):
            expected = expected_value(value)
            where = f"{ws.title}!{cell.coordinate}"
            assert same_cell(cell.value, expected), (where, cell.value, expected)
            assert cell.data_type != "f", where  # never a live formula
            if view.row_formats is not None and j >= 1:
                number_format = view.row_formats[i] or "General"
            elif isinstance(expected, datetime.datetime):
                number_format = view.formats.get(columns[j], "yyyy-mm-dd h:mm:ss")
            elif isinstance(expected, datetime.date):
                number_format = view.formats.get(columns[j], "yyyy-mm-dd")
            else:
                number_format = view.formats.get(columns[j], "General")
            if expected is not None:
                assert cell.number_format == number_format, (where, i)
    below = list(ws.iter_rows(min_row=4 + n, values_only=True))
    if view.note:  # after a blank row (an empty table keeps the room of one row)
        note_row = 5 + max(n, 1)
        assert ws.cell(row=note_row, column=1).value == view.note
        assert ws.cell(row=note_row, column=1).font.i
        assert all(v is None for line in below[: note_row - 4 - n] for v in line)
        below = below[note_row - 3 - n :]
    assert all(v is None for line in below for v in line)
    widths = column_widths(ws)
    for j, name in enumerate(columns, 1):
        assert widths[j] == pytest.approx(expected_width(view, name), abs=1), (ws.title, name)
    assert ws.freeze_panes == "A4"
    filtered = n - 1 if view.total_row else n  # the total row stays out of the filter
    if filtered and columns:
        last = ws.cell(row=3, column=len(columns)).column_letter
        assert ws.auto_filter.ref == f"A3:{last}{3 + filtered}"
    else:
        assert ws.auto_filter.ref is None
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$3:$3"
    assert ws.oddFooter.center.text == "Page &P / &N"  # page x / y on every printed page
    margins = ws.page_margins
    assert (margins.left, margins.right, margins.top, margins.bottom) == (0.75, 0.75, 1, 1)


def test_every_sheet_shows_its_view(report: tuple[list[View], Path]) -> None:
    tables, path = report
    wb = load_workbook(path)
    assert wb.sheetnames == [v.name[:31] for v in tables]
    assert wb.sheetnames[0] == "Synthèse" and wb.active.title == "Synthèse"
    for view in tables:
        check_sheet(wb[view.name[:31]], view)
    rejects = wb["Rejets"]
    texts = {c.value for line in rejects.iter_rows(min_row=4) for c in line}
    assert set(FORMULA_LIKE) <= texts  # as typed, as text
    assert wb.properties.creator == "clausekit"
    assert wb.properties.created == datetime.datetime(2000, 1, 1)
    assert wb.properties.modified == datetime.datetime(2000, 1, 1)


def charts_by_sheet(path: Path) -> dict[str, tuple[str, str]]:
    """Sheet name -> (anchor drawing xml, chart xml), found through the package's relations."""
    found = {}
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        targets = {
            m["id"]: m["target"].split("/")[-1]
            for m in re.finditer(
                r'<Relationship (?=[^>]*Id="(?P<id>\w+)")'
                r'(?=[^>]*Target="(?P<target>[^"]+)")',
                rels,
            )
        }
        for name, rid in re.findall(r'<sheet name="([^"]+)"[^>]*r:id="(\w+)"', workbook):
            sheet_rels = f"xl/worksheets/_rels/{targets[rid]}.rels"
            if sheet_rels not in z.namelist():
                continue
            drawing = re.findall(r'Target="[^"]*/(drawing\d+\.xml)"', z.read(sheet_rels).decode())
            assert len(drawing) == 1
            drawing_rels = z.read(f"xl/drawings/_rels/{drawing[0]}.rels").decode()
            chart = re.findall(r'Target="[^"]*/(chart\d+\.xml)"', drawing_rels)
            assert len(chart) == 1
            found[name.replace("&apos;", "'")] = (
                z.read(f"xl/drawings/{drawing[0]}").decode(),
                z.read(f"xl/charts/{chart[0]}").decode(),
            )
    return found


def test_charts_are_native_and_read_their_table(report: tuple[list[View], Path]) -> None:
    tables, path = report
    charts = charts_by_sheet(path)
    with_chart = [v for v in tables if v.chart is not None and len(v.frame)]
    assert sorted(charts) == sorted(v.name for v in with_chart)
    assert {"Par public", "Sorties", "Suivi mensuel"} <= set(charts)
    for view in with_chart:
        assert view.chart is not None
        drawing, xml = charts[view.name]
        columns = [str(c) for c in view.frame.columns]
        kind = re.findall(r"<(?:c:)?(lineChart|barChart)>", xml)
        assert kind == ["lineChart" if view.chart.kind == "line" else "barChart"]
        if view.chart.kind == "bar":
            assert re.search(r'<(?:c:)?barDir val="col"\s*/>', xml)
        refs = [re.sub(r"[$']", "", f) for f in re.findall(r"<(?:c:)?f>([^<]+)</", xml)]
        sheet = view.name
        last = 3 + len(view.frame)

        letter = {name: chr(ord("A") + i) for i, name in enumerate(columns)}
        x = letter[view.chart.x]
        expected = []
        for y in view.chart.ys:
            col = letter[y]
            expected += [
                f"{sheet}!{col}3",
                f"{sheet}!{x}4:{x}{last}",
                f"{sheet}!{col}4:{col}{last}",
            ]
        assert refs == expected
        titles = re.findall(r"<a:t>([^<]+)</a:t>", xml)
        assert titles == [view.chart.title, view.chart.y_title]
        # beside the table, level with its header
        anchor = re.search(
            r"<(?:xdr:)?from><(?:xdr:)?col>(\d+)</(?:xdr:)?col>.*?"
            r"<(?:xdr:)?row>(\d+)</",
            drawing,
        )
        assert anchor is not None and anchor.groups() == (str(len(columns) + 1), "2")


def test_odd_values_keep_their_type_and_formula_like_text_stays_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Texte": ["=1+1", "", None, "-x", "@A1"],
            "Masqué": pd.Series([3, "<5", 12, None, "n.d."], dtype=object),
            "Heures réalisées": [1.5, float("nan"), float("inf"), 2.0, 1e6],
            "Entier": pd.array([1, 2, None, 4, 5], dtype="Int64"),
            "Date": [datetime.date(2025, 1, 31), None, datetime.date(2024, 2, 29), None, None],
            "Oui": [True, False, True, False, True],
        }
    )
    view = View(
        "Divers",
        "=Titre piégé",
        frame,
        {"Heures réalisées": "#,##0.00"},
        "+note piégée",
        Chart("bar", "Heures", "Texte", ("Heures réalisées",), "Heures"),
    )
    empty = View("Vide", "Rien", pd.DataFrame(), {}, "aucune ligne")
    target = tmp_path / "divers.xlsx"
    write_xlsx([view, empty], target)
    wb = load_workbook(target)
    check_sheet(wb["Divers"], view)
    check_sheet(wb["Vide"], empty)
    for ws in wb.worksheets:
        for line in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in line)
    ws = wb["Divers"]
    assert ws["A1"].value == "=Titre piégé" and ws["A10"].value == "+note piégée"
    assert wb["Vide"]["A6"].value == "aucune ligne"
    assert [c.value for c in ws["C"][3:8]] == [1.5, None, None, 2, 1000000]
    assert ws["C4"].number_format == "#,##0.00"


def test_every_printed_page_is_headed_by_the_summary_views_title(tmp_path: Path) -> None:
    """The front page is the view of kind « summary », wherever it stands, never a name."""
    frame = pd.DataFrame({"a": [1]})
    first = View("Un", "Premier", frame, {})
    front = View("Deux", "Bilan & période", frame, {}, kind="summary")
    write_xlsx([first, front], tmp_path / "r.xlsx")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as book:
        headers = [
            re.findall(r"<oddHeader>(.*?)</oddHeader>", book.read(f"xl/worksheets/{s}").decode())
            for s in ("sheet1.xml", "sheet2.xml")
        ]
    # « & » doubled inside an Excel header (it starts a code there), then escaped in the XML
    assert headers == [
        ["&amp;LBilan &amp;&amp; période&amp;RUn"],
        ["&amp;LBilan &amp;&amp; période&amp;RDeux"],
    ]
    write_xlsx([first], tmp_path / "none.xlsx")  # no front page: no running title
    with zipfile.ZipFile(tmp_path / "none.xlsx") as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert re.findall(r"<oddHeader>(.*?)</oddHeader>", sheet) == ["&amp;L&amp;RUn"]


def test_the_same_views_give_the_same_bytes(
    report: tuple[list[View], Path], tmp_path: Path
) -> None:
    tables, path = report
    again = tmp_path / "again.xlsx"
    write_xlsx(tables, again)
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(again) as z:
        dates = {info.date_time for info in z.infolist()}
    assert len(dates) == 1 and min(dates)[0] <= 2000  # one fixed date, not the run's
