"""Missing is not zero (issue 12, point 4): a realisation rate is computed only over the
operations that have a stated forecast, and says so."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausekit.cli import app

from .conftest import territory_workbook

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
NARROW = "\u202f"


def forecast_in_one_territory_only(folder: Path) -> Path:
    """Territory A: OPA forecast 1000 h, realised 300 h in January and 200 h in February.
    Territory B: OPB, no forecast stated, realised 700 h in January."""
    territory_workbook(
        folder,
        "A",
        [["A1", "Nom", "Prénom", "01/02/1990", "BRSA"]],
        [
            ["A1", "C1", "OPA", "E1", "CDI", "01/01/2025", "", "01/2025", "300"],
            ["A1", "C1", "OPA", "E1", "CDI", "01/01/2025", "", "02/2025", "200"],
        ],
        [["OPA", "Voirie", "Ville d'Arras", "L2112-2", "1000"]],
    )
    territory_workbook(
        folder,
        "B",
        [["B1", "Nom", "Prénom", "01/02/1980", ""]],
        [["B1", "C2", "OPB", "E2", "CDD", "01/01/2025", "", "01/2025", "700"]],
        [["OPB", "École", "Ville de Béthune", "L2112-2", ""]],
    )
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("rates")
    data = forecast_in_one_territory_only(tmp / "in")
    out = tmp / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    return out, result.output


def test_the_total_rate_is_over_the_operations_with_a_forecast(run: tuple[Path, str]) -> None:
    out, _ = run
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    totals = report["totals"]
    # by hand: 300 + 200 + 700 = 1200 h realised; only A's 500 h have a forecast (1000 h)
    assert totals["hours_realised"] == 1200
    assert totals["hours_forecast"] == 1000
    assert totals["hours_realised_with_forecast"] == 500
    assert totals["realisation_rate"] == 0.5  # 500 / 1000, not 1200 / 1000
    territories = {t["territory"]: t for t in report["by_territory"]}
    assert territories["A"]["realisation_rate"] == 0.5
    assert territories["A"]["hours_realised_with_forecast"] == 500
    assert territories["B"]["realisation_rate"] is None  # no forecast: « n.r. »
    assert territories["B"]["hours_realised_with_forecast"] == 0
    assert territories["B"]["hours_realised"] == 700
    # both operations are « Autres » (no programme): the same 50 %
    (autres,) = report["by_programme"]
    assert autres["realisation_rate"] == 0.5
    # the monthly cumulative rate too: January 300 / 1000, February 500 / 1000
    monthly = {m["month"]: m for m in report["monthly"]}
    assert monthly["2025-01"]["cumulative_hours"] == 1000  # 300 + 700
    assert monthly["2025-01"]["cumulative_hours_with_forecast"] == 300
    assert monthly["2025-01"]["cumulative_rate"] == 0.3
    assert monthly["2025-02"]["cumulative_rate"] == 0.5


def test_the_bilan_says_what_the_rate_is_computed_over(run: tuple[Path, str]) -> None:
    out, _ = run
    page = html.unescape((out / "bilan.html").read_text(encoding="utf-8"))
    grid = re.search(r"<table>(.*?)</table>", page, flags=re.S)
    assert grid is not None
    row = re.search(r"<td>Taux de réalisation</td>(.*?)</tr>", grid.group(1), flags=re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells == [f"50,0{NARROW}%", f"50,0{NARROW}%", "n.r."]  # Total, A, B
    note = (
        "taux calculé sur les opérations dont les heures prévues sont connues "
        f"(ensemble : 500 h réalisées sur 1{NARROW}200)"
    )
    assert note in page
    first_page = page.split("</section>")[0]
    assert note in first_page


def test_the_workbook_and_the_terminal_say_it_too(run: tuple[Path, str]) -> None:
    from openpyxl import load_workbook

    out, output = run
    wb = load_workbook(out / "rapport.xlsx")
    summary = {row[0]: row[1:4] for row in wb["Synthèse"].iter_rows(values_only=True) if row[0]}
    assert summary["Taux de réalisation"] == (0.5, 0.5, "n.r.")
    texts = [str(c) for row in wb["Synthèse"].iter_rows(values_only=True) for c in row if c]
    assert any("500 h réalisées sur 1" in t and "heures prévues sont connues" in t for t in texts)
    territory = list(wb["Par territoire"].iter_rows(min_row=3, values_only=True))
    header = list(territory[0])
    column = header.index("Heures réalisées (opérations avec heures prévues)")
    by_name = {row[0]: row for row in territory[1:]}
    assert by_name["A"][column] == 500
    assert by_name["Ensemble"][column] == 500
    assert by_name["Ensemble"][header.index("Taux de réalisation")] == 0.5
    flat = " ".join(output.replace(NARROW, "_").split())  # the terminal wraps the note
    assert "heures prévues sont connues" in flat
    assert "500 h réalisées sur 1_200" in flat


DECLARED = """
[territoires."A"]
dossier = "exports/A"

[territoires."B"]
dossier = "exports/B"

[territoires."C"]
dossier = "exports/C"
"""


@pytest.fixture
def declared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three territories declared: A with a usable export (forecast_in_one_territory_only),
    B whose folder holds nothing, C whose only export is not a spreadsheet at all."""
    forecast_in_one_territory_only(tmp_path / "exports")
    shutil.rmtree(tmp_path / "exports" / "B")
    (tmp_path / "exports" / "B").mkdir()
    (tmp_path / "exports" / "C").mkdir()
    (tmp_path / "exports" / "C" / "export.xlsx").write_bytes(b"ceci n'est pas un classeur")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLAUSEKIT_CONFIG", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    config = tmp_path / "clausekit.toml"
    config.write_text(config.read_text(encoding="utf-8") + DECLARED, encoding="utf-8")
    return tmp_path


def test_a_declared_territory_without_usable_data_keeps_its_row(declared: Path) -> None:
    import jsonschema

    result = runner.invoke(app, ["consolidate", "-o", "out"])
    assert result.exit_code == 1, result.output  # C's file could not be used
    report = json.loads((declared / "out" / "rapport.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "schemas" / "rapport.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    status = {d["territory"]: (d["status"], d["files"]) for d in report["territories_declared"]}
    assert status == {"A": ("used", 1), "B": ("missing", 0), "C": ("unusable", 1)}
    rows = {t["territory"]: t for t in report["by_territory"]}
    assert list(rows) == ["A", "B", "C"]
    assert rows["A"]["usable_export"] is True and rows["A"]["hours_realised"] == 500
    for name in ("B", "C"):
        assert rows[name]["usable_export"] is False
        assert rows[name]["hours_realised"] is None  # not stated, never 0
        assert rows[name]["participants"] is None
    assert report["totals"]["hours_realised"] == 500  # A alone
    page = html.unescape((declared / "out" / "bilan.html").read_text(encoding="utf-8"))
    first = page.split("</section>")[0]
    assert "<b>B</b> — aucun export trouvé" in first
    assert "<b>C</b> — aucun export exploitable" in first
    grid = re.search(r"<table>(.*?)</table>", first, flags=re.S)
    assert grid is not None
    heads = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", grid.group(1))
    assert heads == [
        "Indicateur",
        "Total",
        "A",
        "B<br>aucun export<br>exploitable",
        "C<br>aucun export<br>exploitable",
    ]
    hours = re.search(r"<td>Heures réalisées</td>(.*?)</tr>", grid.group(1), flags=re.S)
    assert hours is not None
    assert re.findall(r"<td[^>]*>(.*?)</td>", hours.group(1)) == ["500", "500", "n.r.", "n.r."]


def test_the_workbook_keeps_the_declared_territory_row(declared: Path) -> None:
    from openpyxl import load_workbook

    runner.invoke(app, ["consolidate", "-o", "out"])
    wb = load_workbook(declared / "out" / "rapport.xlsx")
    rows = list(wb["Par territoire"].iter_rows(min_row=3, values_only=True))
    header = list(rows[0])
    by_name = {row[0]: row for row in rows[1:]}
    b = by_name["B (aucun export exploitable)"]
    assert b[header.index("Heures réalisées")] == "n.r."
    assert b[header.index("Participants")] == "n.r."
    assert by_name["Ensemble"][header.index("Heures réalisées")] == 500
    summary = [row for row in wb["Synthèse"].iter_rows(values_only=True)]
    assert summary[2][3:5] == ("B (aucun export exploitable)", "C (aucun export exploitable)")
    lacking = "Territoire déclaré sans donnée utilisable"
    texts = [str(row[1]) for row in summary if row[0] == lacking]
    assert texts == [
        "B : aucun export trouvé",
        "C : aucun export exploitable (fichier illisible ou sans ligne acceptée)",
    ]


def test_a_masked_report_keeps_the_declared_territory_row(declared: Path) -> None:
    result = runner.invoke(app, ["consolidate", "-o", "out", "--mask-below", "3"])
    assert result.exit_code == 1, result.output
    report = json.loads((declared / "out" / "rapport.json").read_text(encoding="utf-8"))
    rows = {t["territory"]: t for t in report["by_territory"]}
    assert rows["B"]["participants"] is None
    assert rows["A"]["participants"] == "<3"  # A1 alone: masked


def test_paths_given_declare_only_the_territories_they_take_in(declared: Path) -> None:
    runner.invoke(app, ["consolidate", "exports/A", "-o", "one"])
    report = json.loads((declared / "one" / "rapport.json").read_text(encoding="utf-8"))
    assert [d["territory"] for d in report["territories_declared"]] == ["A"]
    assert [t["territory"] for t in report["by_territory"]] == ["A"]
    runner.invoke(app, ["consolidate", "exports", "-o", "all"])
    report = json.loads((declared / "all" / "rapport.json").read_text(encoding="utf-8"))
    assert [d["territory"] for d in report["territories_declared"]] == ["A", "B", "C"]


def test_the_quality_box_gives_the_hours_of_the_rejected_rows(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    territory_workbook(
        tmp_path / "in",
        "A",
        [["A1", "Nom", "Prénom", "01/02/1990", "BRSA"]],
        [
            ["A1", "C1", "OPA", "E1", "CDI", "01/01/2025", "", "01/2025", "300"],
            ["", "C2", "OPA", "E1", "CDI", "01/01/2025", "", "01/2025", "40"],  # no person
            ["A1", "C3", "OPA", "E1", "CDI", "01/01/2025", "", "01/2025", "quarante"],
            ["A1", "C4", "OPA", "E1", "CDI", "32/13/2025", "", "01/2025", "25"],  # bad date
        ],
        [["OPA", "Voirie", "Ville d'Arras", "L2112-2", "1000"]],
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(tmp_path / "in"), "-o", str(out)])
    assert result.exit_code == 1, result.output
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    contracts = next(s for s in report["sources"] if s["sheet"] == "Contrats")
    assert contracts["rows_rejected"] == 3
    assert contracts["hours_rejected"] == 65  # 40 + 25; « quarante » cannot be read
    assert report["totals"]["hours_realised"] == 300
    page = html.unescape((out / "bilan.html").read_text(encoding="utf-8"))
    quality = page.split("Qualité des données")[-1]
    row = re.search(r"<td>A</td>(.*?)</tr>", quality, flags=re.S)
    assert row is not None
    # lines read (1 + 4 + 1), accepted, rejected, hours of the rejected, skipped, errors…
    assert re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))[:5] == ["6", "3", "3", "65", "0"]
    wb = load_workbook(out / "rapport.xlsx")
    rows = list(wb["Qualité"].iter_rows(min_row=3, values_only=True))
    header = list(rows[0])
    sheet = next(r for r in rows[1:] if r[header.index("Feuille")] == "Contrats")
    assert sheet[header.index("Heures des lignes rejetées")] == 65
    assert "3 rejetées (65 h non comptées)" in " ".join(result.output.split())
