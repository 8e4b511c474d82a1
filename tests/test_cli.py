"""The CLI as a user runs it on the bundled samples: outputs, exit codes, JSON = library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.consolidate import build_report, check
from clausekit.rules.schemas import load_spec, schemas_dir
from clausekit.rules.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(app, ["consolidate", str(SAMPLES), "-o", str(out)])
    return out, result


def test_consolidate_samples_writes_the_report(run: tuple[Path, object]) -> None:
    out, result = run
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert (out / "rapport.xlsx").is_file()
    assert (out / "rapport.json").is_file()
    assert (out / "rejets.csv").is_file()
    assert "Synthèse" in result.output  # type: ignore[attr-defined]
    assert "dont BRSA" in result.output  # type: ignore[attr-defined]


def test_samples_figures_match_the_generators_truth(run: tuple[Path, object]) -> None:
    """ATTENDU.json is computed by the generator from its own model, not by reading files."""
    out, _ = run
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    truth = json.loads((SAMPLES / "ATTENDU.json").read_text(encoding="utf-8"))
    keys = (
        "hours_forecast",
        "hours_realised",
        "participants",
        "participants_brsa",
        "participants_under_26",
        "participants_ase",
        "contracts",
        "operations",
    )
    assert {k: report["totals"][k] for k in keys} == {k: truth[k] for k in keys}
    by_territory = {t["territory"]: t for t in report["by_territory"]}
    assert set(by_territory) == set(truth["by_territory"])
    for territory, expected in truth["by_territory"].items():
        got = by_territory[territory]
        assert {k: got[k] for k in expected} == expected, territory


def test_json_validates_against_schema(run: tuple[Path, object]) -> None:
    out, _ = run
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    schema = json.loads((schemas_dir() / "rapport.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)


def test_cli_json_equals_library_result(run: tuple[Path, object]) -> None:
    out, _ = run
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    library, _ = build_report(check([SAMPLES]), spec=load_spec(), settings=Settings())
    assert report == json.loads(json.dumps(library, ensure_ascii=False))


def test_no_name_or_birth_date_in_any_output(run: tuple[Path, object]) -> None:
    out, result = run
    wb = load_workbook(next(SAMPLES.glob("Lens-Liévin/*.xlsx")), read_only=True)
    ws = wb["Participants"]
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    names = {str(r[1]) for r in rows if r[1]} | {str(r[2]) for r in rows if r[2]}
    births = {r[3].strftime("%d/%m/%Y") for r in rows if r[3]} | {
        r[3].strftime("%Y-%m-%d") for r in rows if r[3]
    }
    assert len(names) > 10 and len(births) > 10
    texts = [result.output]  # type: ignore[attr-defined]
    texts += [(out / n).read_text(encoding="utf-8-sig") for n in ("rapport.json", "rejets.csv")]
    xlsx = load_workbook(out / "rapport.xlsx", read_only=True)
    for sheet in xlsx.worksheets:
        for row in sheet.iter_rows(values_only=True):
            texts.append(" ".join(str(v) for v in row if v is not None))
    blob = "\n".join(texts)
    for secret in names | births:
        assert secret not in blob


def test_report_xlsx_has_one_sheet_per_table_and_native_charts(run: tuple[Path, object]) -> None:
    import zipfile

    out, _ = run
    wb = load_workbook(out / "rapport.xlsx")
    assert wb.sheetnames == [
        "Synthèse",
        "Par territoire",
        "Par programme",
        "Par donneur d'ordre",
        "Par opération",
        "Par type de clause",
        "Par modalité",
        "Par public",
        "Par type de contrat",
        "Sorties",
        "Suivi mensuel",
        "Mensuel programme",
        "Mensuel opération",
        "Mensuel territoire",
        "Mensuel donneur",
        "Qualité",
        "Colonnes ignorées",
        "Colonnes reconnues",
        "Doublons possibles",
        "Anomalies",
        "Rejets",
    ]
    ws = wb["Par territoire"]
    assert ws.freeze_panes == "A4"
    assert ws["A3"].value == "Territoire"
    assert ws["A3"].font.bold
    assert ws.auto_filter.ref == "A3:M6"  # not the total row (A7)
    assert ws["A7"].value == "Ensemble"
    assert ws.page_setup.orientation == "landscape"
    assert ws["B4"].number_format == "#,##0.00"
    # openpyxl does not load charts back: look for them in the package itself
    with zipfile.ZipFile(out / "rapport.xlsx") as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 3
        xml = " ".join(archive.read(n).decode() for n in charts)
    assert "lineChart>" in xml and "barChart>" in xml  # with or without a c: prefix


def test_rejected_rows_give_exit_1_and_rejets_csv(tmp_path: Path) -> None:
    data = tmp_path / "in"
    shutil.copytree(SAMPLES, data)
    from .conftest import CONTRACT_HEADER, PARTICIPANT_HEADER, write_xlsx

    write_xlsx(
        data / "Béthune" / "export.xlsx",
        {
            "Participants": [PARTICIPANT_HEADER, ["B1", "Nom", "Prénom", "01/02/1990", ""]],
            "Contrats": [
                CONTRACT_HEADER,
                ["B1", "C1", "OP", "E", "CDD", "01/01/2025", "", "01/2025", "douze"],
                ["B1", "C1", "OP", "E", "CDD", "01/01/2025", "", "02/2025", "12,5"],
            ],
        },
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(data), "-o", str(out)])
    assert result.exit_code == 1, result.output
    rejets = (out / "rejets.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rejets) == 2
    assert rejets[0] == "Fichier;Feuille;Ligne;Motifs"
    assert rejets[1].endswith(";Contrats;2;Heures réalisées : pas un nombre d'heures")
    strict = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "s"), "--strict"])
    assert strict.exit_code == 1
    assert not (tmp_path / "s" / "rapport.json").exists()


def test_bad_period_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["consolidate", str(SAMPLES), "-o", str(tmp_path), "--period", "2025-13"]
    )
    assert result.exit_code == 2
    assert "Mois « 2025-13 » invalide" in result.output


def test_no_readable_input_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "export.xlsx"
    bad.write_bytes(b"not a spreadsheet at all \x00\x01")
    result = runner.invoke(app, ["consolidate", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "Traceback" not in result.output


def test_validate_json_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(SAMPLES), "--format", "json"])
    payload = json.loads(result.stdout)
    assert result.exit_code == payload["exit_code"] == 0
    assert {s["kind"] for s in payload["sources"]} >= {"participants", "contrats", "operations"}


def test_every_command_has_help() -> None:
    """Each command's docstring is its help: a summary and an example (groups: each command)."""
    import typer

    def commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
        out = []
        for name, sub in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(sub, "commands") and sub.commands:
                assert sub.help, name
                out += commands(sub, f"{prefix}{name} ")
            else:
                out.append((prefix + name, sub))
        return out

    found = commands(typer.main.get_command(app))
    assert {name for name, _ in found} >= {
        "consolidate",
        "validate",
        "samples",
        "init",
        "config check",
        "history diff",
    }
    for name, sub in found:
        assert sub.help and "Exemple" in sub.help, name  # type: ignore[attr-defined]


def test_readme_is_up_to_date() -> None:
    from clausekit.docs import render

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render(readme) == readme, "lancez `make docs`"


def test_csv_and_markdown_formats(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["consolidate", str(SAMPLES), "-o", str(out), "-f", "csv", "-f", "markdown"]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "rapport.xlsx").exists()  # only what was asked (+ rejets.csv)
    territory = (out / "tableaux" / "par_territoire.csv").read_text(encoding="utf-8-sig")
    assert territory.splitlines()[0].startswith("Territoire;Heures prévisionnelles;")
    markdown = (out / "rapport.md").read_text(encoding="utf-8")
    assert "## Par territoire" in markdown
    assert "| Taux de réalisation | " in markdown
    # French Excel reads the numbers: decimal comma, rates in %, no thousands separator
    rows = [line.split(";") for line in territory.splitlines()]
    assert rows[1][:5] == ["Artois", "16270,00", "15569,33", "15569,33", "95,7%"]
    bad = runner.invoke(app, ["consolidate", str(SAMPLES), "-o", str(out), "-f", "docx"])
    assert bad.exit_code == 2
    assert "Format « docx » inconnu" in bad.output


def test_mask_below_hides_small_counts_everywhere(tmp_path: Path) -> None:
    from clausekit.output.masking import PEOPLE_KEYS

    out = tmp_path / "out"
    result = runner.invoke(
        app, ["consolidate", str(SAMPLES), "-o", str(out), "--mask-below", "5", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    schema = json.loads((schemas_dir() / "rapport.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert report["settings"]["mask_below"] == 5
    seen_masked = 0
    for name, rows in report.items():
        if not (name.startswith("by_") or name.startswith("monthly")):
            continue
        for row in rows:
            for key in (*PEOPLE_KEYS, "active_participants"):
                value = row.get(key)
                if isinstance(value, int):
                    assert value == 0 or value >= 5, (name, key, value)
                elif value is not None:
                    assert value in ("<5", "n.d."), (name, key, value)
                    seen_masked += 1
    assert seen_masked > 0
    # the ASE column of the samples has 1..4 per territory: masked in the terminal too
    assert "<5" in result.output


def test_names_typed_in_the_wrong_cells_never_reach_an_output(tmp_path: Path) -> None:
    """A name in Civilité, in Public, a birth date in Public, a name as QPV answer: the cells
    are located in the issues, their text is never copied anywhere."""
    from .conftest import CONTRACT_HEADER, write_xlsx

    header = ["N° participant", "Nom", "Prénom", "Né(e) le", "Civilité", "Public", "Résident QPV"]
    write_xlsx(
        tmp_path / "in" / "Lens" / "export.xlsx",
        {
            "Participants": [
                header,
                [
                    "P1",
                    "DUPONTEL",
                    "Marie",
                    "31/02/1990",
                    "Mme DUPONTEL",
                    "RSA, DUPONTEL Marie",
                    "Oui",
                ],
                [
                    "P2",
                    "MARTINEZ",
                    "Jean",
                    "12/03/1988",
                    "M.",
                    "Jean MARTINEZ né le 12/03/1988",
                    "LEFEBVRE",
                ],
            ],
            "Contrats": [
                CONTRACT_HEADER,
                ["P1", "C1", "OP", "E", "CDD", "01/01/2025", "", "01/2025", 10],
                ["P2", "C2", "OP", "E", "CDD", "01/01/2025", "", "01/2025", 10],
            ],
        },
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["consolidate", str(tmp_path / "in"), "-o", str(out), "-f", "json,csv,markdown,xlsx"]
    )
    assert result.exit_code == 1
    texts = [result.output]
    for path in out.rglob("*"):
        if path.suffix in (".json", ".csv", ".md"):
            texts.append(path.read_text(encoding="utf-8-sig"))
    wb = load_workbook(out / "rapport.xlsx", read_only=True)
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            texts.append(" ".join(str(v) for v in row if v is not None))
    blob = "\n".join(texts)
    for secret in (
        "DUPONTEL",
        "Marie",
        "MARTINEZ",
        "Jean",
        "LEFEBVRE",
        "12/03/1988",
        "1988",
        "31/02/1990",
    ):
        assert secret not in blob, secret
    codes = {i["code"] for i in json.loads((out / "rapport.json").read_text())["issues"]}
    assert {
        "VALUE_NOT_DATE",
        "VALUE_CATEGORY_UNKNOWN",
        "VALUE_PUBLIC_UNKNOWN",
        "VALUE_NOT_BOOL",
    } <= codes


def test_command_exits_at_once_keeping_code_output_and_clean_up(tmp_path: Path):
    """The ``clausekit`` command skips the interpreter's teardown (cli.run) but keeps the exit
    code, what it printed and multiprocessing's clean-up (no pymp-* folder left behind)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}

    def clausekit(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "clausekit", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    done = clausekit("consolidate", str(SAMPLES), "-o", str(tmp_path / "out"))
    assert done.returncode == 0
    assert "rapport.xlsx" in done.stdout
    assert json.loads((tmp_path / "out" / "rapport.json").read_text())["totals"]["participants"]
    failed = clausekit("consolidate", str(tmp_path / "absent"), "-o", str(tmp_path / "x"))
    assert failed.returncode == 3
    assert f"{tmp_path / 'absent'} : Fichier ou dossier introuvable." in failed.stderr
    assert list(temp.iterdir()) == []
