"""The registry of output formats: --format's choices and help, and the write loop, come from
one table (``output.writers.WRITERS``); a new format is one row."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.consolidate import consolidate
from clausekit.output import writers
from clausekit.output.pdf import find_browser
from clausekit.output.views import views
from clausekit.output.writers import WRITERS, Rendered, Stage, Writer, output_set

from .conftest import territory_workbook

runner = CliRunner()


def small_export(folder: Path) -> Path:
    """Artois: A1 works 100 h in January and 50 h in February on OP1 (400 h forecast); a third
    line of -5 h is rejected."""
    territory_workbook(
        folder,
        "Artois",
        [["A1", "Nom", "Prénom", "01/02/1990", "BRSA"]],
        [
            ["A1", "C1", "OP1", "E1", "CDI", "01/01/2025", "", "01/2025", "100"],
            ["A1", "C1", "OP1", "E1", "CDI", "01/01/2025", "", "02/2025", "50"],
            ["A1", "C1", "OP1", "E1", "CDI", "01/01/2025", "", "03/2025", "-5"],
        ],
        [["OP1", "Voirie", "Maisons & Cités", "L2112-2", "400"]],
    )
    return folder


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    folder = small_export(tmp_path_factory.mktemp("in"))
    result = consolidate([folder], tmp_path_factory.mktemp("run"), formats=())
    assert result.checked.rows_rejected == 1
    return Rendered(result.report, views(result.report, result.checked.rejects))


def test_format_choices_and_help_are_the_registry() -> None:
    result = runner.invoke(app, ["consolidate", "--help"], terminal_width=2000)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    listed = re.search(r"Sorties à écrire, répétable : (.*?)\. Par défaut", text)
    assert listed is not None, text
    shown = [item.split(" (")[0] for item in listed.group(1).split(" ; ")]
    assert shown == ["json", "xlsx", "markdown", "csv", "pdf"]
    assert shown == [w.name for w in WRITERS]
    for writer in WRITERS:  # each row's file and French help are what --help says
        assert f"{writer.name} ({writer.file}, {writer.help})" in text
    assert "Par défaut : xlsx et json ; bilan.html et rejets.csv sont toujours écrits." in text


def test_an_unknown_format_lists_the_registry(tmp_path: Path) -> None:
    result = runner.invoke(app, ["consolidate", str(tmp_path), "-f", "docx"])
    assert result.exit_code == 2
    assert "Format « docx » inconnu : choisissez parmi json, xlsx, markdown, csv, pdf." in (
        " ".join(result.output.split())
    )


def write_one(writer: Writer, rendered: Rendered, folder: Path) -> list[str]:
    folder.mkdir(exist_ok=True)  # as the run makes it
    with output_set(folder) as stage:
        return writer.write(rendered, stage)


def by_name(name: str) -> Writer:
    return next(w for w in WRITERS if w.name == name)


def test_json_writes_the_report(rendered: Rendered, tmp_path: Path) -> None:
    assert write_one(by_name("json"), rendered, tmp_path) == ["rapport.json"]
    report = json.loads((tmp_path / "rapport.json").read_text(encoding="utf-8"))
    assert report["totals"]["hours_realised"] == 150.0  # 100 + 50; the -5 h line is rejected


def test_xlsx_writes_one_sheet_per_view(rendered: Rendered, tmp_path: Path) -> None:
    assert write_one(by_name("xlsx"), rendered, tmp_path) == ["rapport.xlsx"]
    book = openpyxl.load_workbook(tmp_path / "rapport.xlsx")
    assert book.sheetnames == [t.name[:31] for t in rendered.tables]
    assert book.sheetnames[0] == "Synthèse" and book.sheetnames[-1] == "Rejets"


def test_markdown_writes_every_table(rendered: Rendered, tmp_path: Path) -> None:
    assert write_one(by_name("markdown"), rendered, tmp_path) == ["rapport.md"]
    text = (tmp_path / "rapport.md").read_text(encoding="utf-8")
    assert text.startswith("## Bilan des clauses d'insertion — période janvier à février 2025")
    assert text.count("\n## ") == len(rendered.tables) - 1


def test_csv_writes_the_tables_of_figures_not_the_detail(
    rendered: Rendered, tmp_path: Path
) -> None:
    names = write_one(by_name("csv"), rendered, tmp_path)
    assert "tableaux/synthese.csv" in names and "tableaux/par_territoire.csv" in names
    assert "tableaux/rejets.csv" not in names  # the rejected rows: rejets.csv, whole
    assert len(names) == len(rendered.tables) - 1
    assert all((tmp_path / n).is_file() for n in names)
    text = (tmp_path / "tableaux" / "synthese.csv").read_text(encoding="utf-8-sig")
    rows = {r[0]: r[1] for r in csv.reader(io.StringIO(text), delimiter=";") if r}
    assert rows["Heures réalisées"] == "150,00"  # French Excel's decimal comma


def test_pdf_prints_the_bilan(rendered: Rendered, tmp_path: Path) -> None:
    if find_browser() is None or shutil.which("pdfinfo") is None:
        pytest.skip("no Chromium-family browser on this machine")
    assert write_one(by_name("pdf"), rendered, tmp_path) == ["bilan.pdf"]
    assert (tmp_path / "bilan.pdf").read_bytes().startswith(b"%PDF")


def test_every_row_writes_the_file_it_names(rendered: Rendered, tmp_path: Path) -> None:
    for writer in WRITERS:
        if writer.name == "pdf" and find_browser() is None:
            continue
        names = write_one(writer, rendered, tmp_path / writer.name)
        assert names and all(n.startswith(writer.file) for n in names), (writer.name, names)
        assert all((tmp_path / writer.name / n).stat().st_size > 0 for n in names)


def test_a_new_row_is_a_new_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A format added to the table is accepted by --format and written by the run, with no
    other change."""

    def sheet_list(rendered: Rendered, stage: Stage) -> list[str]:
        stage("feuilles.txt").write_text(
            "\n".join(t.name for t in rendered.tables), encoding="utf-8"
        )
        return ["feuilles.txt"]

    row = Writer("feuilles", "feuilles.txt", sheet_list, "la liste des feuilles")
    monkeypatch.setattr(writers, "WRITERS", (*WRITERS, row))
    data, out = small_export(tmp_path / "in"), tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out), "-f", "feuilles"])
    assert result.exit_code == 1, result.output  # a rejected row: written, with warnings
    listed = (out / "feuilles.txt").read_text(encoding="utf-8").split("\n")
    assert listed[:2] == ["Synthèse", "Par territoire"] and listed[-1] == "Rejets"
    assert sorted(p.name for p in out.iterdir()) == ["bilan.html", "feuilles.txt", "rejets.csv"]


def test_the_views_say_which_is_the_front_page_and_which_the_detail(rendered: Rendered) -> None:
    kinds = [(t.name, t.kind) for t in rendered.tables if t.kind != "table"]
    assert kinds == [("Synthèse", "summary"), ("Rejets", "detail")]


def test_who_reads_a_view_is_a_field_of_the_view(rendered: Rendered) -> None:
    """The shared report never holds the team-only list; the team annex holds the row-level
    sheets, chosen by their audience, not by their names."""
    from clausekit.output.views import public_views, team_views

    report = rendered.report
    assert {v.name for v in rendered.tables if v.audience == "team"} == {"Doublons possibles"}
    assert "Doublons possibles" not in [v.name for v in public_views(report)]
    rejects = next(v for v in rendered.tables if v.name == "Rejets").frame
    annex = [v.name for v in team_views(report, rejects)]
    assert annex == [
        "À lire",
        "Qualité",
        "Colonnes ignorées",
        "Doublons possibles",
        "Anomalies",
        "Rejets",
    ]
