"""bilan.html (and bilan.pdf): a self-contained document, its page 1 grid, its pages, masking,
and the real print by headless Chromium."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.output.pdf import NOT_FOUND, find_browser, html_to_pdf

from .conftest import territory_workbook

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
NARROW = "\u202f"


def two_territories(folder: Path) -> Path:
    """Artois: A1 (BRSA) 100 h in January and 50 h in February, A2 (ASE, born 2003, 21 at
    her first contract) 30 h in February, on OP1 (Maisons & Cités: ERBM, 400 h forecast).
    Béthune: B1 70 h in January on OP2, whose forecast is not stated."""
    territory_workbook(
        folder,
        "Artois",
        [
            ["A1", "Nom", "Prénom", "01/02/1990", "BRSA"],
            ["A2", "Nom", "Prénom", "01/02/2003", "ASE"],
        ],
        [
            ["A1", "C1", "OP1", "E1", "CDI", "01/01/2025", "", "01/2025", "100"],
            ["A1", "C1", "OP1", "E1", "CDI", "01/01/2025", "", "02/2025", "50"],
            ["A2", "C2", "OP1", "E2", "CDD", "01/02/2025", "", "02/2025", "30"],
        ],
        [["OP1", "Voirie", "Maisons & Cités", "L2112-2", "400"]],
    )
    territory_workbook(
        folder,
        "Béthune",
        [["B1", "Nom", "Prénom", "01/02/1980", ""]],
        [["B1", "C3", "OP2", "E3", "CDD", "01/01/2025", "", "01/2025", "70"]],
        [["OP2", "École", "Ville de Béthune", "critère social", ""]],
    )
    return folder


def tables(page: str) -> list[list[list[str]]]:
    """Every table of the document: rows of cell texts."""
    out = []
    for body in re.findall(r"<table[^>]*>(.*?)</table>", page, flags=re.S):
        rows = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
            rows.append([html.unescape(c) for c in cells])
        out.append(rows)
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bilan")
    data = two_territories(tmp / "in")
    out = tmp / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    return out


def test_every_run_writes_a_self_contained_bilan(small: Path) -> None:
    page = (small / "bilan.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for outside in ("<script", "<link", "src=", "url(", "@import", "http:", "https:"):
        assert outside not in lowered, outside
    assert "<svg" in page  # the charts are inline vector drawings
    assert "@page" in page and "counter(pages)" in page  # page x / y on every printed page
    assert "break-before: page" in page


def test_page_one_grid_is_indicators_by_territory_with_a_total(small: Path) -> None:
    page = (small / "bilan.html").read_text(encoding="utf-8")
    assert "janvier à février 2025" in page
    assert "Artois</b> — export du" in page and "Béthune</b> — export du" in page
    grid = {row[0]: row[1:] for row in tables(page)[0]}
    assert grid["Indicateur"] == ["Total", "Artois", "Béthune"]
    # by hand: 100 + 50 + 30 = 180 h in Artois, 70 h in Béthune
    assert grid["Heures réalisées"] == ["250", "180", "70"]
    assert grid["Heures prévisionnelles"] == ["400", "400", "n.r."]  # not stated ≠ 0
    assert grid["Taux de réalisation"][1:] == [f"45,0{NARROW}%", "n.r."]
    assert grid["Participants"] == ["3", "2", "1"]
    assert grid["dont BRSA"] == ["1", "1", "0"]
    assert grid["part des BRSA"] == [f"33,3{NARROW}%", f"50,0{NARROW}%", f"0,0{NARROW}%"]
    assert grid["dont moins de 26 ans"] == ["1", "1", "0"]
    assert grid["dont ASE"] == ["1", "1", "0"]


def test_the_pages_in_the_documents_order(small: Path) -> None:
    page = (small / "bilan.html").read_text(encoding="utf-8")
    titles = re.findall(r"<h[12]>(.*?)</h[12]>", page)
    assert [html.unescape(t) for t in titles] == [
        "Bilan des clauses sociales d'insertion",
        "Heures prévues et réalisées",
        "Typologie des clauses",
        "Sorties dynamiques",
        "Suivi mensuel des grands programmes",
        "Méthode et définitions",
        "Qualité des données",
    ]
    assert page.count("<section>") == 7
    assert "Clause d&#x27;exécution (L2112-2)" in page
    assert "Critère d&#x27;attribution (R2152-7)" in page


def test_monthly_follow_up_is_a_grid_of_months(small: Path) -> None:
    page = (small / "bilan.html").read_text(encoding="utf-8")
    erbm = next(t for t in tables(page) if t[0][:3] == ["", "janv.", "févr."])
    rows = {row[0]: row[1:] for row in erbm}
    assert rows["Heures réalisées"] == ["100", "80", "180"]  # January, February, total
    assert rows["Heures cumulées"][:2] == ["100", "180"]
    assert rows["% des heures prévues"][:2] == [f"25,0{NARROW}%", f"45,0{NARROW}%"]


def test_no_row_level_detail_in_the_bilan(small: Path) -> None:
    page = (small / "bilan.html").read_text(encoding="utf-8")
    for detail in ("Nom", "Prénom", "1990", "A1", "C1", "E1"):
        assert re.search(rf"\b{detail}\b", page) is None, detail


def test_the_masked_report_makes_the_masked_bilan(tmp_path: Path) -> None:
    data = two_territories(tmp_path / "in")
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out), "--mask-below", "3"])
    assert result.exit_code in (0, 1), result.output
    grid = {row[0]: row[1:] for row in tables((out / "bilan.html").read_text("utf-8"))[0]}
    assert grid["Participants"][2] == "<3"  # Béthune's one participant
    assert grid["dont BRSA"][1] == "<3"
    assert grid["part des BRSA"][1] == "n.d."  # no share worked out of a masked count


def test_no_browser_is_a_clear_french_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_browser({"PATH": str(tmp_path)}) is None
    monkeypatch.setenv("CLAUSEKIT_BROWSER", str(tmp_path / "nope"))
    from clausekit.errors import UsageError

    with pytest.raises(UsageError) as caught:
        html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert str(caught.value) == NOT_FOUND
    assert "Aucun navigateur Chromium, Chrome ou Edge trouvé" in NOT_FOUND


def test_pdf_without_a_browser_exits_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUSEKIT_BROWSER", str(tmp_path / "no-browser"))
    data = two_territories(tmp_path / "in")
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out), "-f", "pdf"])
    assert result.exit_code == 2
    assert "Aucun navigateur Chromium, Chrome ou Edge" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_windows_edge_is_found(tmp_path: Path) -> None:
    edge = tmp_path / "Microsoft" / "Edge" / "Application" / "msedge.exe"
    edge.parent.mkdir(parents=True)
    edge.write_bytes(b"")
    assert find_browser({"PATH": "", "ProgramFiles(x86)": str(tmp_path)}) == edge


# --------------------------------------------------------------------------- real Chromium


def need_browser() -> Path:
    browser = find_browser()
    missing = [t for t in ("pdftotext", "pdfinfo") if shutil.which(t) is None]
    if browser is None or missing:
        if os.environ.get("CI"):  # .ci/run installs them: never skipped there
            pytest.fail(f"CI without Chromium or poppler-utils ({missing})")
        pytest.skip("no Chromium-family browser or poppler-utils on this machine")
    return browser


def pdf_pages(pdf: Path) -> tuple[int, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    assert size is not None
    return pages, float(size.group(1))


def test_samples_print_to_a4_in_headless_chromium(tmp_path: Path) -> None:
    need_browser()
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(ROOT / "samples"), "-o", str(out), "-f", "pdf"])
    assert result.exit_code == 0, result.output
    pdf = out / "bilan.pdf"
    pages, width = pdf_pages(pdf)
    assert width == pytest.approx(595, abs=1)  # A4 portrait, in points
    assert 7 <= pages <= 14  # one part per page at least, the monthly grids on two or three
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for territory in ("Artois", "Hénin-Carvin", "Lens-Liévin"):
        assert territory in first
    for row in ("Heures réalisées", "Taux de réalisation", "dont BRSA", "part des ASE"):
        assert row in first
    # the grid's totals (golden report: 61 881,39 h, 91 participants) and page x / y
    assert re.search(r"Heures réalisées\s+61\s881\s+15\s569\s+21\s839\s+24\s473", first)
    assert "page 1 / " in first and "janvier à décembre 2025" in first
    # nothing overflows the page width: every word lies inside the page's right margin
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right and max(right) <= width - 30  # 13 mm margin ≈ 37 pt


def test_missing_is_not_zero_in_the_workbook(small: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(small / "rapport.xlsx")
    summary = {row[0]: row[1:4] for row in wb["Synthèse"].iter_rows(min_row=4, values_only=True)}
    assert summary["Heures prévisionnelles"] == (400, 400, "n.r.")  # Total, Artois, Béthune
    assert summary["Taux de réalisation"][2] == "n.r."
    rows = list(wb["Par territoire"].iter_rows(min_row=3, values_only=True))
    names = list(rows[0])
    wanted = [names.index(h) for h in ("Heures prévisionnelles", "Heures réalisées")]
    wanted.append(names.index("Taux de réalisation"))
    territory = {row[0]: tuple(row[i] for i in wanted) for row in rows[1:]}
    assert territory["Béthune"] == ("n.r.", 70, "n.r.")  # forecast, realised, rate
    assert territory["Artois"] == (400, 180, 0.45)
    notes = [c for row in wb["Par territoire"].iter_rows(values_only=True) for c in row if c]
    assert any("n.r. : non renseigné" in str(c) for c in notes)


def test_a_month_is_read_against_its_year(tmp_path: Path) -> None:
    data = two_territories(tmp_path / "in")
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out), "--period", "2025-02"])
    assert result.exit_code in (0, 1), result.output
    page = (out / "bilan.html").read_text(encoding="utf-8")
    assert "février 2025 — cumul depuis janvier" in page
    month, cumulative = ({row[0]: row[1:] for row in t} for t in tables(page)[:2])
    # February alone: A1 50 h + A2 30 h in Artois, none in Béthune; since January: 250 h
    assert month["Indicateur"] == ["Total", "Artois", "Béthune"]
    assert month["Heures réalisées"] == ["80", "80", "0"]
    assert cumulative["Indicateur"] == ["Total", "Artois", "Béthune"]
    assert cumulative["Heures réalisées"] == ["250", "180", "70"]
    assert cumulative["Taux de réalisation"][1] == f"45,0{NARROW}%"  # 180 / 400, cumulative
    assert "Taux de réalisation" not in month  # one month against a whole forecast: no
    erbm = next(t for t in tables(page) if t[0][:3] == ["", "janv.", "févr."])
    rows = {row[0]: row[1:] for row in erbm}
    assert rows["Heures réalisées"] == ["100", "80", "180"]  # the follow-up since January
    from openpyxl import load_workbook

    sheets = load_workbook(out / "rapport.xlsx").sheetnames
    assert sheets[:2] == ["Synthèse", "Cumul depuis janvier"]
    report = __import__("json").loads((out / "rapport.json").read_text(encoding="utf-8"))
    assert report["period"] == {"start": "2025-02", "end": "2025-02"}
    assert report["year_to_date"]["period"] == {"start": "2025-01", "end": "2025-02"}
    assert report["year_to_date"]["totals"]["hours_realised"] == 250.0


def test_the_title_counts_exports_and_territories_apart() -> None:
    """One export may hold several territories (a « Territoire » column): the title page
    counts the files and the territories separately, never the files as territories."""
    from clausekit.output.bilan import _sources_words

    one_file = {"export_nord": {"in/export_nord.xlsx"}}
    two = {"by_territory": [{"territory": "Lens-Liévin"}, {"territory": "Hénin-Carvin"}]}
    assert _sources_words(one_file, two) == "1 export ABC Clauses couvrant 2 territoires"
    three_files = {"Lens": {"a.xlsx", "a2.xlsx"}, "Artois": {"b.xlsx"}}
    both = {"by_territory": [{"territory": "Lens"}, {"territory": "Artois"}]}
    assert _sources_words(three_files, both) == "3 exports ABC Clauses couvrant 2 territoires"
