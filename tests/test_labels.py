"""French words only: no raw code and no English severity reaches what a person reads."""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.errors import CATALOGUE
from clausekit.rules import labels

from .conftest import CONTRACT_HEADER, OPERATION_HEADER, PARTICIPANT_HEADER, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
runner = CliRunner()

# the codes issue 12 saw reach a reader, named by hand (not taken from the code under test)
SEEN_IN_THE_WILD = {
    "EXECUTION",
    "CRITERE",
    "RESERVE",
    "MARCHE_INSERTION",
    "EMBAUCHE_DIRECTE",
    "MISE_A_DISPOSITION",
    "NON_RENSEIGNE",
    "JEUNE_M26",
    "SENIOR_50",
    "INTERIM",
    "CUI_CIE",
    "COLUMN_MISSING",
    "VALUE_NOT_HOURS",
    "SHEET_HIDDEN",
    "ROW_TOTAL",
}
ENGLISH = {"error", "warning"}


def test_every_catalogue_code_has_a_short_french_name() -> None:
    assert set(CATALOGUE) <= set(labels.ISSUE)


def test_reject_reasons_read_in_words() -> None:
    assert (
        labels.reasons_text("N° participant : COLUMN_MISSING; Heures réalisées : VALUE_NOT_HOURS")
        == "N° participant : colonne obligatoire absente; Heures réalisées : pas un nombre "
        "d'heures"
    )
    assert labels.reasons_text("Date de début : SOMETHING_NEW") == (
        "Date de début : anomalie (voir la feuille Anomalies)"
    )


def test_labels_come_from_one_table() -> None:
    assert labels.label("clause_type", "EXECUTION") == "Clause d'exécution (L2112-2)"
    assert labels.label("public", "JEUNE_M26") == "Jeunes de moins de 26 ans"
    assert labels.label("severity", "warning") == "avertissement"
    assert labels.label("kind", "participants+contrats") == "Participants + Contrats et heures"
    assert labels.label("contract_type", "INTERIM") == "Intérim"
    assert labels.raw_codes() >= SEEN_IN_THE_WILD


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples plus a territory with a rejected row, a sheet without its id column, an
    unrecognised clause type and a contract without execution mode: every output written."""
    tmp = tmp_path_factory.mktemp("labels")
    data = tmp / "in"
    shutil.copytree(SAMPLES, data)
    write_xlsx(
        data / "Béthune" / "export.xlsx",
        {
            "Participants": [PARTICIPANT_HEADER, ["B1", "Nom", "Prénom", "01/02/1990", "Senior"]],
            "Contrats": [
                CONTRACT_HEADER,
                ["B1", "C1", "OPB", "E", "Intérim", "01/01/2025", "", "01/2025", "douze"],
                ["B1", "C1", "OPB", "E", "CUI-CIE", "01/01/2025", "", "02/2025", "12,5"],
            ],
            "Opérations": [OPERATION_HEADER, ["OPB", "Voirie", "Ville", "bidule", "100"]],
            "Manque": [
                ["Nom", "Prénom", "Date de naissance", "Public"],
                ["Nom", "Prénom", "01/02/1990", "BRSA"],
            ],
        },
    )
    out = tmp / "out"
    result = runner.invoke(
        app, ["consolidate", str(data), "-o", str(out), "-f", "xlsx,json,csv,markdown"]
    )
    assert result.exit_code == 1, result.output
    (out / "terminal.txt").write_text(result.output, encoding="utf-8")
    return out


def texts(out: Path) -> dict[str, list[str]]:
    """Every piece of text a person reads, by file."""
    found: dict[str, list[str]] = {}
    workbook = load_workbook(out / "rapport.xlsx", read_only=True)
    for ws in workbook.worksheets:
        cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        found[f"rapport.xlsx!{ws.title}"] = cells
    for path in [out / "rejets.csv", *sorted((out / "tableaux").glob("*.csv"))]:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            found[path.name] = [cell for row in csv.reader(fh, delimiter=";") for cell in row]
    found["rapport.md"] = (out / "rapport.md").read_text(encoding="utf-8").splitlines()
    found["terminal"] = (out / "terminal.txt").read_text(encoding="utf-8").splitlines()
    page = out / "bilan.html"
    if page.exists():
        body = re.sub(r"<style>.*?</style>", " ", page.read_text(encoding="utf-8"), flags=re.S)
        found["bilan.html"] = [html.unescape(t) for t in re.split(r"<[^>]+>", body)]
    return found


def test_no_raw_code_or_english_severity_reaches_an_output(outputs: Path) -> None:
    forbidden = labels.raw_codes() | SEEN_IN_THE_WILD
    seen = texts(outputs)
    assert "rapport.xlsx!Rejets" in seen and "bilan.html" in seen
    leaks = []
    for where, cells in seen.items():
        for cell in cells:
            words = set(re.findall(r"[A-Za-z0-9_]+", cell))
            bad = (words & forbidden) | (words & ENGLISH)
            if bad:
                leaks.append((where, cell[:80], sorted(bad)))
    assert leaks == []


def test_the_readable_labels_are_there(outputs: Path) -> None:
    seen = texts(outputs)
    clause = seen["rapport.xlsx!Par type de clause"]
    assert "Clause d'exécution (L2112-2)" in clause
    assert "Type de clause non reconnu" in clause
    assert "Ensemble" in clause
    assert "Modalité non renseignée" in seen["rapport.xlsx!Par modalité"]
    assert "avertissement" in seen["rapport.xlsx!Anomalies"]
    assert "erreur" in seen["rapport.xlsx!Anomalies"]
    assert seen["rejets.csv"][:4] == ["Fichier", "Feuille", "Ligne", "Motifs"]
    reasons = seen["rapport.xlsx!Rejets"]
    assert "Heures réalisées : pas un nombre d'heures" in reasons
    assert any(r.endswith(" : colonne obligatoire absente") for r in reasons)
    contract = seen["rapport.xlsx!Par type de contrat"]
    assert contract[0] == "Contrats et heures par type de contrat"
    assert contract[1] == "Type de contrat"  # the label column's heading
    assert "Intérim" in contract


# --------------------------------------------------------------------------- Click in French


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], "--help  Afficher ce message et quitter."),
        (["samples"], "Erreur : Argument manquant : « directory »."),
        (["consolidate", "--bogus"], "Erreur : Option inconnue : --bogus"),
        (["consolidate", "-o"], "Erreur : L'option « -o » attend une valeur."),
        (["nope"], "Erreur : Commande inconnue : « nope »."),
        (["init", "a", "b"], "Erreur : Argument(s) en trop : b"),
        (
            ["consolidate", "--mask-below", "x"],
            "Erreur : Valeur invalide pour « --mask-below » : un nombre entier est attendu",
        ),
    ],
)
def test_click_speaks_french(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert expected in result.output
    for english in ("Show this message", "Usage:", "Error:", "Missing", "No such", "Try '"):
        assert english not in result.output


def test_every_help_page_is_in_french() -> None:
    for args in (
        [],
        ["consolidate"],
        ["validate"],
        ["samples"],
        ["init"],
        ["config"],
        ["history"],
        ["history", "diff"],
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0
        assert "Afficher ce message et quitter." in result.output
        assert "Utilisation : clausekit" in result.output
        for english in ("Show this message", "Usage:", "[default:", "[required]", "<int"):
            assert english not in result.output, (args, english)
