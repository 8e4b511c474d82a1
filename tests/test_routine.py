"""The monthly routine from a clausekit.toml: no paths, newest export wins, history, lock,
logs for cron, crash safety and deterministic outputs."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from clausekit.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

TERRITORIES = """
[territoires."Lens-Liévin"]
dossier = "exports/Lens-Liévin"

[territoires."Hénin-Carvin"]
dossier = "exports/Hénin-Carvin"

[territoires."Artois"]
fichiers = ["exports/Artois/*.xlsx"]
"""


@pytest.fixture
def routine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder: exports of three territories and a config made by `clausekit init`."""
    shutil.copytree(ROOT / "samples", tmp_path / "exports", ignore=shutil.ignore_patterns("*.json"))
    artois = tmp_path / "exports" / "Artois"
    # two drops of the Artois export: the newest (by the date in its name) wins
    (artois / "artois_extraction.xlsx").rename(artois / "artois_extraction_2025-02-15.xlsx")
    shutil.copy(
        artois / "artois_extraction_2025-02-15.xlsx", artois / "artois_extraction_2025-01-15.xlsx"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLAUSEKIT_SECRET", "une phrase secrète de test")
    monkeypatch.delenv("CLAUSEKIT_CONFIG", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    config = tmp_path / "clausekit.toml"
    config.write_text(config.read_text(encoding="utf-8") + TERRITORIES, encoding="utf-8")
    assert runner.invoke(app, ["config", "check"]).exit_code == 0
    return tmp_path


def test_consolidate_without_paths_uses_the_config(routine: Path) -> None:
    result = runner.invoke(app, ["consolidate", "--period", "2025-06", "-q"])
    assert result.exit_code == 0, result.output
    report = json.loads((routine / "rapport" / "rapport.json").read_text(encoding="utf-8"))
    assert sorted({s["territory"] for s in report["sources"]}) == [
        "Artois",
        "Hénin-Carvin",
        "Lens-Liévin",
    ]
    assert report["period"] == {"start": "2025-06", "end": "2025-06"}
    ignored = report["inputs"]["ignored"]
    assert [Path(i["file"]).name for i in ignored] == ["artois_extraction_2025-01-15.xlsx"]
    # a byte-identical copy: read once, under its newest name
    assert ignored[0]["reason"].startswith("contenu identique à ")
    assert ignored[0]["reason"].endswith("artois_extraction_2025-02-15.xlsx")
    used = [Path(f).name for f in report["inputs"]["used"]]
    assert "artois_extraction_2025-02-15.xlsx" in used
    assert "Fichiers écartés" in load_workbook(routine / "rapport" / "rapport.xlsx").sheetnames


def test_json_log_line_for_cron(routine: Path) -> None:
    result = runner.invoke(app, ["consolidate", "-q", "--log-format", "json"])
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    log = json.loads(lines[0])
    assert log["outcome"] == "ok" and log["exit_code"] == 0
    assert log["files"] == 3 and log["files_ignored"] == 1
    assert log["rows_read"] == log["rows_accepted"] + log["rows_rejected"] + log["rows_skipped"]
    assert log["seconds"] > 0 and log["report_written"] is True
    assert result.stdout == ""  # --quiet: nothing else


def test_history_replaces_a_rerun_month_and_diffs_months(routine: Path) -> None:
    for period in ("2025-05", "2025-06", "2025-06"):
        assert runner.invoke(app, ["consolidate", "--period", period, "-q"]).exit_code == 0
    with sqlite3.connect(routine / "historique.sqlite") as db:
        assert db.execute("SELECT period FROM runs ORDER BY period").fetchall() == [
            ("2025-05",),
            ("2025-06",),
        ]
        columns = {row[1] for row in db.execute("PRAGMA table_info(aggregates)")}
    assert not columns & {"nom", "prenom", "date_naissance", "participant_id"}
    listing = runner.invoke(app, ["history"])
    assert listing.exit_code == 0
    assert "2025-05" in listing.output and "2025-06" in listing.output
    diff = runner.invoke(app, ["history", "diff", "2025-05", "2025-06"])
    assert diff.exit_code == 0
    assert "Évolution 2025-05 → 2025-06" in diff.output
    assert "Heures réalisées" in diff.output
    sheets = load_workbook(routine / "rapport" / "rapport.xlsx").sheetnames
    assert sheets[:2] == ["Synthèse", "Évolution"]
    unknown = runner.invoke(app, ["history", "diff", "2024-01", "2025-06"])
    assert unknown.exit_code == 2
    assert "Aucun enregistrement pour la période 2024-01" in unknown.output


def test_crash_between_writes_leaves_report_and_history_intact(
    routine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["consolidate", "--period", "2025-05", "-q"]).exit_code == 0
    out = routine / "rapport"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    db_before = (routine / "historique.sqlite").read_bytes()

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the machine stops between the json and the xlsx

    monkeypatch.setattr("clausekit.output.xlsx.write_xlsx", crash)
    result = runner.invoke(app, ["consolidate", "--period", "2025-06", "-q"])
    assert result.exit_code != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert (routine / "historique.sqlite").read_bytes() == db_before


def test_non_tty_output_has_no_control_codes(routine: Path) -> None:
    result = runner.invoke(app, ["consolidate", "--period", "2025-06"])
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert "Synthèse — juin 2025" in result.output


def test_xlsx_content_is_identical_from_one_run_to_the_next(routine: Path) -> None:
    contents = []
    for name in ("a", "b"):
        assert runner.invoke(app, ["consolidate", "-o", name, "-q"]).exit_code == 0
        wb = load_workbook(routine / name / "rapport.xlsx")
        contents.append(
            {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
        )
        props = wb.properties
        assert (props.created.year, props.modified.year) == (2000, 2000)  # no run timestamp
    assert contents[0] == contents[1]


def test_no_paths_and_no_config_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLAUSEKIT_CONFIG", raising=False)
    result = runner.invoke(app, ["consolidate"])
    assert result.exit_code == 2
    assert "Aucun chemin donné et aucun territoire configuré" in result.output


def test_broken_config_lists_every_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clausekit.toml").write_text(
        '[rapport]\nheure_etp = 1607\n[periode]\nregle = "hier"\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 2
    assert "2 problème(s)" in result.output
    assert "heure_etp" in result.output and "heures_etp" in result.output
    assert "hier" in result.output


def test_per_territory_column_mapping_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import write_xlsx

    write_xlsx(
        tmp_path / "depot" / "bethune.xlsx",
        {"Heures": [["Réf. salarié", "Nb h. effectives", "N° contrat"], ["S1", 12, "C1"]]},
    )
    (tmp_path / "clausekit.toml").write_text(
        '[territoires."Béthune"]\ndossier = "depot"\n'
        '[territoires."Béthune".colonnes]\n'
        '"Nb h. effectives" = "heures_realisees"\n"Réf. salarié" = "participant_id"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["consolidate", "-q", "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "rapport" / "rapport.json").read_text(encoding="utf-8"))
    assert report["by_territory"][0]["territory"] == "Béthune"
    assert report["totals"]["hours_realised"] == 12.0
    assert report["unmapped_columns"] == []


def test_shared_mapping_for_every_territory_and_old_keys_warned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import write_xlsx

    header = ["Réf. salarié", "Nb h. effectives", "N° contrat"]
    write_xlsx(tmp_path / "lens" / "a.xlsx", {"Heures": [header, ["S1", 12, "C1"]]})
    write_xlsx(tmp_path / "artois" / "b.xlsx", {"Heures": [header, ["S2", "7,5", "C2"]]})
    write_xlsx(tmp_path / "autre" / "c.xlsx", {"Heures": [header, ["S3", 3, "C3"]]})
    (tmp_path / "conf.toml").write_text(
        '[rapport]\netp_hours = 1607\n[colonnes]\n"Nb h. effectives" = "heures réalisées"\n'
        '"Réf. salarié" = "participant"\n'
        '[territoires.Lens]\ndossier = "lens"\n[territoires.Artois]\ndossier = "artois"\n'
        '[territoires.Artois.colonnes]\n"N° contrat" = "contrat_id"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["config", "check", "-c", "conf.toml"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'conf.toml'} : configuration valide.\n"
    assert result.stderr == (
        "Avertissement (conf.toml) : « rapport.etp_hours » : ancien nom anglais, lu comme "
        "« rapport.heures_etp » : renommez la clé (clausekit init écrit un modèle à jour).\n"
    )
    result = runner.invoke(app, ["consolidate", "-c", "conf.toml", "-q", "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "rapport" / "rapport.json").read_text(encoding="utf-8"))
    hours = {t["territory"]: t["hours_realised"] for t in report["by_territory"]}
    assert hours == {"Artois": 7.5, "Lens": 12.0}  # Artois: its own mapping over the shared one
    assert report["totals"]["hours_realised"] == 19.5
    # a file given on the command line, of no configured territory: the shared mapping too
    args = ["consolidate", "autre", "-c", "conf.toml", "-q", "-f", "json", "-o", "r2"]
    assert runner.invoke(app, args).exit_code == 0
    report = json.loads((tmp_path / "r2" / "rapport.json").read_text(encoding="utf-8"))
    assert report["totals"]["hours_realised"] == 3.0
    assert report["unmapped_columns"] == []


def test_xlsx_rejects_sheet_is_capped_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from clausekit.output import views as report_module

    monkeypatch.setattr(report_module, "XLSX_DETAIL_ROWS", 2)
    golden = json.loads((ROOT / "tests" / "golden" / "rapport.json").read_text(encoding="utf-8"))
    rejects = pd.DataFrame(
        {"file": ["f"] * 3, "sheet": ["s"] * 3, "row": [2, 3, 4], "reasons": ["x"] * 3}
    )
    sheet = report_module.views(golden, rejects)[-1]
    assert sheet.name == "Rejets" and len(sheet.frame) == 2
    assert sheet.note is not None and "rejets.csv" in sheet.note and "sur 3" in sheet.note


def test_validate_without_paths_uses_the_config(routine: Path) -> None:
    result = runner.invoke(app, ["validate", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert sorted({s["territory"] for s in payload["sources"]}) == [
        "Artois",
        "Hénin-Carvin",
        "Lens-Liévin",
    ]
