"""The schema files a user edits: a typo is a located French message, exit 2, never a KeyError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.rules import schemas as spec_module
from clausekit.rules.schemas import SchemaError, load_spec, schemas_dir


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_the_bundled_schemas_load() -> None:
    spec = load_spec()
    assert set(spec.tables) == {"participants", "contrats", "operations"}


def test_a_mistyped_key_is_named_with_the_closest_one(tmp_path: Path) -> None:
    folder = broken_copy(
        tmp_path, "participants.toml", 'name = "participant_id"', 'nane = "participant_id"'
    )
    with pytest.raises(SchemaError) as caught:
        load_spec(folder)
    assert caught.value.problems == [
        "« participants.toml [[columns]] n° 1.nane » : clé inconnue. Vouliez-vous dire « name » ? "
        "Clés admises : name, label, type, required, not_null, personal, aliases, values, min, "
        "max.",
        "« participants.toml [[columns]] n° 1.name » : clé obligatoire absente.",
        # and what follows from it: the signature names a column no longer declared
        "« participants.toml.signature.all » : colonne « participant_id » inconnue.",
    ]


def test_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "contrats.toml", 'type = "hours"', 'type = "heures"')
    path = folder / "publics.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("\naliases =", "\nalias =", 1), "utf-8"
    )
    with pytest.raises(SchemaError) as caught:
        load_spec(folder)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("« contrats.toml [[columns]] n° ")
    assert "type « heures » inconnu. Vouliez-vous dire « hours » ?" in problems[0]
    assert problems[1].startswith("« publics.toml [categories.")
    assert "clé inconnue. Vouliez-vous dire « aliases » ?" in problems[1]


def test_a_toml_syntax_error_is_french_with_its_line(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "operations.toml", 'kind = "operations"', "kind = operations")
    with pytest.raises(SchemaError) as caught:
        load_spec(folder)
    [problem] = caught.value.problems
    assert problem.startswith("Syntaxe TOML invalide dans operations.toml, ligne ")
    assert "valeur invalide" in problem


def test_the_command_says_it_in_french_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = broken_copy(tmp_path, "participants.toml", 'type = "id"', "type = 12")
    monkeypatch.setattr(spec_module, "schemas_dir", lambda: folder)
    load_spec.cache_clear()
    try:
        result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    finally:
        load_spec.cache_clear()
    assert result.exit_code == 2, result.output
    assert (
        "« participants.toml [[columns]] n° 1.type » : attendu un texte entre guillemets, "
        "trouvé 12." in " ".join(result.output.split())
    )
    assert "Traceback" not in result.output and "KeyError" not in result.output


def test_a_schema_saved_in_latin1_is_a_french_message_not_an_internal_error(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), folder)
    path = folder / "publics.toml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    with pytest.raises(SchemaError) as caught:
        load_spec(folder)
    assert caught.value.problems == [
        f"{path} n'est pas encodé en UTF-8 : enregistrez-le en UTF-8 "
        "(Bloc-notes : Enregistrer sous > Encodage UTF-8)."
    ]


def test_the_exit_rules_read_by_the_same_strict_loader(tmp_path: Path) -> None:
    from clausekit.errors import UsageError
    from clausekit.rules.exits import load_exit_rules

    source = (schemas_dir() / "exits.toml").read_text(encoding="utf-8")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(source.encode("latin-1", errors="replace"))
    with pytest.raises(UsageError) as caught:
        load_exit_rules(latin)
    assert str(caught.value) == (
        f"{latin} n'est pas encodé en UTF-8 : enregistrez-le en UTF-8 "
        "(Bloc-notes : Enregistrer sous > Encodage UTF-8)."
    )
    missing = tmp_path / "absent.toml"
    with pytest.raises(UsageError) as caught:
        load_exit_rules(missing)
    assert str(caught.value) == f"Fichier de règles introuvable : {missing}."
    mistyped = tmp_path / "mistyped.toml"
    mistyped.write_text(source.replace("min_months = 6", "min_month = 6", 1), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_exit_rules(mistyped)
    assert "champ inconnu « min_month ». Vouliez-vous dire « min_months » ?" in str(caught.value)
