"""clausekit inspect: what is understood of each sheet and column, never a cell's value; the
[colonnes] snippet it writes, and that snippet used by a run (figures counted by hand)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.errors import UsageError
from clausekit.inspect import describe_values, inspect_files, parse_maps

from .conftest import write_xlsx

runner = CliRunner()
D = dt.date


def _export(folder: Path) -> Path:
    """A territory's export with a title block, known headers, unknown ones and a total row."""
    return write_xlsx(
        folder / "Lens" / "export.xlsx",
        {
            "Heures": [
                ["Extraction du 01/07/2025"],
                [],
                ["Ref bénéf.", "N° contrat", "Opération", "Nb h", "Date de début", "Commentaire"],
                ["P1", "C1", "OP1", 12, D(2025, 1, 6), "ras"],
                ["P2", "C2", "OP1", "7,5", D(2025, 2, 1), None],
                ["TOTAL", None, None, 19.5, None, None],
            ],
            "Personnes": [
                ["Identifiant", "NOM", "Prénom", "Né(e) le", "Public"],
                ["P1", "Martin", "Alice", D(1990, 5, 1), "BRSA"],
                ["P2", "Durand", "Bob", D(2001, 3, 9), ""],
            ],
            "Notes": [["rien"], ["à voir"]],
        },
    )


def test_inspect_explains_every_sheet_and_column(tmp_path: Path, monkeypatch) -> None:
    _export(tmp_path / "ex")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["inspect", "ex"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Fichier ex/Lens/export.xlsx (territoire : Lens)\n"
        "  Feuille « Heures » : en-tête ligne 3, table : Contrats et heures, 2 ligne(s) de "
        "données.\n"
        "    A « Ref bénéf. » → non reconnue ; champs proches : participant_id (N° participant), "
        "contrat_id (N° contrat) ; valeurs : texte (2)\n"
        "    B « N° contrat » → contrat_id (N° contrat), par alias ; valeurs : texte (2)\n"
        "    C « Opération » → operation_id (Opération), par alias ; valeurs : texte (2)\n"
        "    D « Nb h » → non reconnue ; champs proches : heures_realisees (Heures réalisées), "
        "heures_prevues (Heures prévisionnelles), duree_mois (Durée (mois)) ; valeurs : nombres "
        "entiers (1), nombres décimaux (1)\n"
        "    E « Date de début » → date_debut (Date de début), par alias ; valeurs : dates (2)\n"
        "    F « Commentaire » → non reconnue ; champs proches : aucun ; valeurs : texte (1), "
        "vides (1)\n"
        "    Manque pour « Contrats et heures » : participant_id (N° participant).\n"
        "  Feuille « Personnes » : en-tête ligne 1, table : Participants, 2 ligne(s) de données.\n"
        "    A « Identifiant » → participant_id (N° participant), par alias ; valeurs : texte "
        "(2)\n"
        "    B « NOM » → nom (Nom), par normalisation ; valeurs : texte (2)\n"
        "    C « Prénom » → prenom (Prénom), par alias ; valeurs : texte (2)\n"
        "    D « Né(e) le » → date_naissance (Date de naissance), par alias ; valeurs : dates (2)\n"
        "    E « Public » → publics (Public), par alias ; valeurs : texte (1), vides (1)\n"
        "    « Participants » : utilisable.\n"
        "  Feuille « Notes » : aucune ligne d'en-tête trouvée dans les 30 premières lignes (il "
        "faut au moins deux colonnes reconnues sur une même ligne).\n"
    )
    for personal in ("Martin", "Alice", "Durand", "Bob", "1990", "2001", "ras", "BRSA", "P1"):
        assert personal not in result.stdout


def test_map_option_and_snippet(tmp_path: Path, monkeypatch) -> None:
    _export(tmp_path / "ex")
    monkeypatch.chdir(tmp_path)
    args = ["inspect", "ex", "--map", "Ref bénéf.=participant", "--config-snippet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (
        "    A « Ref bénéf. » → participant_id (N° participant), par correspondance --map ; "
        "valeurs : texte (2)\n    B « N° contrat »" in result.stdout
    )
    assert "    « Contrats et heures » : utilisable.\n" in result.stdout
    assert result.stdout.endswith(
        "À copier dans clausekit.toml :\n\n"
        "[colonnes]\n"
        '"Ref bénéf." = "participant_id"  # N° participant\n'
        '# "Nb h" = "heures_realisees"  # à confirmer : Heures réalisées\n'
        '# "Commentaire" : aucun champ proche\n'
    )


def test_snippet_to_config_to_consolidate(tmp_path: Path, monkeypatch) -> None:
    _export(tmp_path / "ex")
    monkeypatch.chdir(tmp_path)
    args = ["inspect", "ex", "-m", "Ref bénéf.=participant", "-m", "Nb h=heures réalisées"]
    result = runner.invoke(app, [*args, "--config-snippet", "-f", "json"])
    assert result.exit_code == 0, result.output
    snippet = result.stdout[result.stdout.index("[colonnes]") :]
    assert snippet == (
        "[colonnes]\n"
        '"Ref bénéf." = "participant_id"  # N° participant\n'
        '"Nb h" = "heures_realisees"  # Heures réalisées\n'
        '# "Commentaire" : aucun champ proche\n'
    )
    (tmp_path / "clausekit.toml").write_text(snippet, encoding="utf-8")
    assert runner.invoke(app, ["config", "check"]).exit_code == 0
    again = runner.invoke(app, ["inspect", "ex"])
    assert "    D « Nb h » → heures_realisees (Heures réalisées), par correspondance de " in (
        again.stdout
    )
    done = runner.invoke(app, ["consolidate", "ex", "-q", "-f", "json"])
    assert done.exit_code == 1, done.output  # the « Notes » sheet is no table: said, code 1
    report = json.loads((tmp_path / "rapport" / "rapport.json").read_text(encoding="utf-8"))
    totals = report["totals"]
    assert totals["hours_realised"] == 19.5  # 12 + 7,5 (the TOTAL row is not counted)
    assert totals["participants"] == 2  # P1 and P2, each over 1 hour
    assert totals["participants_brsa"] == 1  # P1
    assert totals["participants_under_26"] == 1  # P2: born 9/3/2001, 23 on 1/2/2025


def test_json_output_is_the_library_result(tmp_path: Path, monkeypatch) -> None:
    _export(tmp_path / "ex")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["inspect", "ex", "-f", "json"])
    assert result.exit_code == 0
    library = json.loads(json.dumps([r.to_dict() for r in inspect_files([Path("ex")])]))
    assert json.loads(result.stdout) == library
    sheets = {s["sheet"]: s for s in library[0]["sheets"]}
    assert sheets["Personnes"]["usable"] is True
    assert sheets["Heures"]["missing"] == {"contrats": ["participant_id"]}
    assert sheets["Notes"]["header_row"] is None


def test_csv_and_unreadable_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "h.csv").write_text("Identifiant;Heures réalisées;Mois\nP1;3;01/2025\n", "utf-8")
    (tmp_path / "casse.xlsx").write_bytes(b"PK\x03\x04 pas un classeur")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["inspect", "h.csv", "casse.xlsx"])
    assert result.exit_code == 3
    assert result.stdout.startswith(
        "Fichier h.csv (territoire : h)\n"
        "  Contenu : en-tête ligne 1, table : Contrats et heures, 1 ligne(s) de données.\n"
        "    A « Identifiant » → participant_id (N° participant), par alias ; valeurs : texte (1)\n"
        "    B « Heures réalisées » → heures_realisees (Heures réalisées), par alias ; valeurs : "
        "nombres entiers (1)\n"
        "    C « Mois » → mois (Mois), par alias ; valeurs : mois (1)\n"
        "    « Contrats et heures » : utilisable.\n"
        "Fichier casse.xlsx (territoire : casse)\n"
    )


def test_map_errors() -> None:
    assert parse_maps(["Nb h. = heures réalisées", "a=b=N° contrat"]) == {
        "Nb h.": "heures_realisees",
        "a=b": "contrat_id",
    }
    with pytest.raises(UsageError) as exc:
        parse_maps(["Ref bénéf."])
    assert str(exc.value) == (
        "--map « Ref bénéf. » : écrivez l'en-tête du fichier, le signe = et le champ, par "
        'exemple --map "Ref bénéf.=participant".'
    )
    result = runner.invoke(app, ["inspect", ".", "--map", "Ref=bénéficiaire"])
    assert result.exit_code == 2
    assert "« bénéficiaire » n'est pas un champ connu" in result.output


def test_describe_values_gives_kinds_and_counts_only() -> None:
    values = ["2025-01-06 00:00:00", "31/12/2025", "7:30", "1899-12-31 07:30:00", "12", "1 234,5"]
    values += ["janv.-25", "01/2025", "Oui", "x", "Martin", None, "  "]
    assert describe_values(values, 14) == (
        "dates (2), heures (h:mm) (2), mois (2), Oui/Non (2), nombres entiers (1), nombres "
        "décimaux (1), texte (1), vides (3)"
    )
    assert describe_values([None, ""], 2) == "vide"


def test_a_word_and_a_number_is_a_month_only_when_the_word_names_a_month() -> None:
    values = ["Article 14", "Lot 12", "juin 2025", "Sept.-24", "Février 2025"]
    assert describe_values(values, 5) == "mois (3), texte (2)"
