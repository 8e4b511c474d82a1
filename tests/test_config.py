"""clausekit.toml: discovery, the starter template, validation messages, periods, secrets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from clausekit.errors import UsageError
from clausekit.parse import normalise_text
from clausekit.routine.config import (
    Config,
    find_config,
    init_template,
    not_work_pattern,
    parse_period,
    resolve_period,
    write_init,
)
from clausekit.routine.configfile import canonical_columns, check_config, load_config
from clausekit.rules.settings import DEFAULT_PROGRAMMES, Settings


def write(folder: Path, text: str, name: str = "clausekit.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- discovery


def test_find_config_precedence(tmp_path: Path) -> None:
    local = write(tmp_path, "")
    other = write(tmp_path, "", "autre.toml")
    third = write(tmp_path, "", "env.toml")
    env = {"CLAUSEKIT_CONFIG": "env.toml"}
    assert find_config(Path("autre.toml"), tmp_path, env) == other
    assert find_config(None, tmp_path, env) == third
    assert find_config(None, tmp_path, {}) == local
    assert find_config(None, tmp_path, {"CLAUSEKIT_CONFIG": "  "}) == local
    local.unlink()
    assert find_config(None, tmp_path, {}) is None


def test_find_config_missing_explicit_or_env(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as exc:
        find_config(Path("absent.toml"), tmp_path, {})
    assert str(exc.value) == (
        f"Fichier de configuration introuvable : {tmp_path / 'absent.toml'} (option --config). "
        "Vérifiez le chemin, ou créez le fichier avec clausekit init."
    )
    with pytest.raises(UsageError) as exc:
        find_config(None, tmp_path, {"CLAUSEKIT_CONFIG": "/nulle/part.toml"})
    assert str(exc.value) == (
        "Fichier de configuration introuvable : /nulle/part.toml (variable CLAUSEKIT_CONFIG). "
        "Corrigez la variable ou supprimez-la."
    )


def test_no_config_gives_the_defaults() -> None:
    config = load_config(None)
    assert config == Config()
    assert config.settings == Settings()
    assert config.period_rule == "tout"
    assert config.programmes == dict(DEFAULT_PROGRAMMES)


# --------------------------------------------------------------------------- template


def test_template_is_accepted_as_is(tmp_path: Path) -> None:
    path = write_init(tmp_path / "clausekit.toml")
    assert path.read_text(encoding="utf-8") == init_template()
    assert check_config(path) == []
    config = load_config(path)
    assert config.settings == Settings()
    assert config.non_work_contracts == ("stage", "PMSMP", "immersion", "mise en situation")
    assert config.output == tmp_path / "rapport"
    assert config.history == tmp_path / "historique.sqlite"
    assert config.period_rule == "tout"
    assert config.territories == ()
    assert config.secret_env == "CLAUSEKIT_SECRET"
    assert config.secret_file is None


def test_template_documents_every_key() -> None:
    text = init_template()
    for key in (
        "[rapport]",
        "heures_etp",
        "date_age",
        "debut_premier_contrat",
        "debut_periode",
        "age_limite",
        "heures_min_participant",
        "contrats_hors_travail",
        "[programmes]",
        "[sortie]",
        "[periode]",
        "dernier_mois_complet",
        "annee_en_cours",
        "[territoires.",
        "fichiers",
        "colonnes",
        "[historique]",
        "[colonnes]",
        "[pseudonymisation]",
        "variable_secret",
        "fichier_secret",
    ):
        assert key in text, key


def test_template_examples_are_valid_once_uncommented(tmp_path: Path) -> None:
    (tmp_path / "exports" / "Lens-Liévin").mkdir(parents=True)
    text = init_template()
    for line in (
        '# [territoires."Lens-Liévin"]',
        '# dossier = "exports/Lens-Liévin"',
        '# [territoires."Hénin-Carvin"]',
        '# fichiers = ["exports/henin_*.xlsx", "exports/henin_*.csv"]',
        '# [territoires."Hénin-Carvin".colonnes]',
        '# "Nb h. effectives" = "heures_realisees"',
        '# "Réf. salarié" = "participant"',
        '# "Nb h. effectives" = "heures réalisées"',
    ):
        assert line in text
        text = text.replace(line, line[2:], 1)
    config = load_config(write(tmp_path, text))
    assert config.warnings == ()
    assert [t.name for t in config.territories] == ["Lens-Liévin", "Hénin-Carvin"]
    assert config.columns == {"Nb h. effectives": "heures_realisees"}
    assert config.columns_for("Hénin-Carvin") == {
        "Nb h. effectives": "heures_realisees",
        "Réf. salarié": "participant_id",
    }
    assert config.columns_for("Lens-Liévin") == {"Nb h. effectives": "heures_realisees"}


def test_write_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = write(tmp_path, "# mes réglages\n")
    with pytest.raises(UsageError) as exc:
        write_init(path)
    assert str(exc.value) == (
        f"Le fichier {path} existe déjà : il n'a pas été modifié. Ajoutez --force pour le "
        "remplacer par le modèle."
    )
    assert path.read_text(encoding="utf-8") == "# mes réglages\n"
    write_init(path, force=True)
    assert path.read_text(encoding="utf-8") == init_template()


# --------------------------------------------------------------------------- a full config


FULL = """
[rapport]
heures_etp = 1600.5
date_age = "debut_periode"
age_limite = 30
heures_min_participant = 0
contrats_hors_travail = ["PMSMP", "Période d'immersion", "^stage"]

[programmes]
ERBM = ["Maisons & Cités", "SIA Habitat"]
CSNE = ["Société du Canal Seine-Nord Europe"]

[sortie]
dossier = "sorties/bilan"

[periode]
regle = "2025-01:2025-06"

[territoires."Lens-Liévin"]
dossier = "exports/Lens-Liévin"

[territoires.Artois]
fichiers = ["depot/artois_*.xlsx", "depot/artois_*.csv"]

[territoires.Artois.colonnes]
"Nb h. effectives" = "heures_realisees"
"Réf. salarié" = "participant_id"

[historique]
base = "/var/lib/clausekit/historique.sqlite"

[pseudonymisation]
variable_secret = "MON_SECRET"
"""


@pytest.fixture
def full(tmp_path: Path) -> Path:
    lens = tmp_path / "exports" / "Lens-Liévin"
    (lens / "2025").mkdir(parents=True)
    (lens / "2025" / "juin.xlsx").write_bytes(b"x")
    (lens / "notes.txt.bak").write_bytes(b"x")
    depot = tmp_path / "depot"
    depot.mkdir()
    for name in ("artois_1.xlsx", "artois_2.csv", "autre.xlsx"):
        (depot / name).write_bytes(b"x")
    return write(tmp_path, FULL)


def test_full_config(full: Path) -> None:
    base = full.parent
    config = load_config(full)
    assert config.settings == Settings(
        etp_hours=1600.5,
        age_reference="period_start",
        age_limit=30,
        min_hours_participant=0.0,
        programmes=(
            ("ERBM", ("Maisons & Cités", "SIA Habitat")),
            ("CSNE", ("Société du Canal Seine-Nord Europe",)),
        ),
    )
    assert config.output == base / "sorties" / "bilan"
    assert config.history == Path("/var/lib/clausekit/historique.sqlite")
    assert config.period(date(2030, 1, 1)) == ("2025-01", "2025-06")
    assert config.settings_for(date(2030, 1, 1)).period_start == "2025-01"
    assert config.settings_for(date(2030, 1, 1)).period_end == "2025-06"
    assert config.inputs() == {
        "Lens-Liévin": [base / "exports" / "Lens-Liévin" / "2025" / "juin.xlsx"],
        "Artois": [base / "depot" / "artois_1.xlsx", base / "depot" / "artois_2.csv"],
    }
    assert config.territory_of(base / "exports" / "Lens-Liévin" / "x.xlsx") == "Lens-Liévin"
    assert config.territory_of(base / "depot" / "artois_9.xlsx") == "Artois"
    assert config.territory_of(base / "depot" / "autre.xlsx") is None
    assert config.columns_for("Artois") == {
        "Nb h. effectives": "heures_realisees",
        "Réf. salarié": "participant_id",
    }
    assert config.columns_for("Lens-Liévin") == {}
    assert config.secret({"MON_SECRET": " s3cret \n"}) == b"s3cret"
    assert config.secret({"CLAUSEKIT_SECRET": "autre"}) is None


def test_not_work_pattern_matches_normalised_contract_types() -> None:
    pattern = not_work_pattern(["PMSMP", "Période d'immersion", "^stage"])
    assert pattern == r"\b(?:pmsmp|periode\ d\ immersion)\b|(?i:^stage)"
    types = pd.Series(
        ["PMSMP", "Période d’immersion", "Stage de 3e", "CDD", "Contrat de stage", None],
        dtype="string",
    )
    matched = normalise_text(types).str.contains(pattern, regex=True).fillna(False)
    assert matched.tolist() == [True, True, True, False, False, False]
    assert not_work_pattern([]) == "(?!)"
    default = not_work_pattern(Config().non_work_contracts)
    assert default == r"\b(?:stage|pmsmp|immersion|mise\ en\ situation)\b"


# --------------------------------------------------------------------------- problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[raport]
x = 1

[rapport]
heure_etp = 1607
heures_etp = "1607"
age_limite = 26.5
date_age = "debut_period"
heures_min_participant = -1
contrats_hors_travail = "PMSMP"

[programmes]
ERBM = []

[sortie]
dossier = 12

[periode]
regle = "dernier_mois"

[territoires.Artois]
dossier = "exports/Artois"
fichier = ["a.xlsx"]

[territoires.Artois.colonnes]
"Nb h" = "heures_realises"

[colonnes]
"Réf" = "bénéficiaire"

[territoires.Vide]
""",
    )
    columns = ", ".join(canonical_columns())
    assert check_config(path) == [
        "« [raport] » : section inconnue. Vouliez-vous dire « [rapport] » ? Sections admises : "
        "[rapport], [programmes], [sortie], [periode], [colonnes], [territoires], [historique], "
        "[pseudonymisation].",
        "« rapport.heure_etp » : clé inconnue. Vouliez-vous dire « heures_etp » ? Clés admises "
        "dans [rapport] : heures_etp, date_age, age_limite, heures_min_participant, "
        "contrats_hors_travail, niveau_previsions.",
        "« rapport.heures_etp » : attendu un nombre supérieur à 0, trouvé '1607' (texte). "
        "Écrivez par exemple heures_etp = 1607.",
        "« rapport.heures_min_participant » : attendu un nombre supérieur ou égal à 0, trouvé -1 "
        "(nombre). Écrivez par exemple heures_min_participant = 1.",
        "« rapport.age_limite » : attendu un nombre entier d'années entre 1 et 99, trouvé 26.5. "
        "Écrivez par exemple age_limite = 26.",
        "« rapport.date_age » : valeur 'debut_period' inconnue. Vouliez-vous dire "
        "« debut_periode » ? Valeurs admises : debut_premier_contrat, debut_periode.",
        "« programmes.ERBM » : attendu une liste non vide de donneurs d'ordre, trouvé []. "
        'Écrivez par exemple ERBM = ["Maisons & Cités", "SIA Habitat"].',
        "« sortie.dossier » : attendu un texte non vide entre guillemets, trouvé 12 (nombre). "
        'Écrivez par exemple dossier = "rapport".',
        "« periode.regle » : règle « dernier_mois » inconnue. Vouliez-vous dire "
        "« dernier_mois_complet » ? Valeurs admises : dernier_mois_complet, annee_en_cours, "
        "tout, ou une période explicite AAAA-MM:AAAA-MM (ex. 2025-01:2025-06).",
        "« colonnes » : « bénéficiaire » (en-tête « Réf ») n'est pas un champ connu. Champs "
        f"connus (nom ou libellé français) : {columns}.",
        "« territoires.Artois.fichier » : clé inconnue. Vouliez-vous dire « fichiers » ? Clés "
        "admises dans [territoires.Artois] : dossier, fichiers, colonnes.",
        f"« territoires.Artois.dossier » : dossier introuvable : {tmp_path / 'exports/Artois'}. "
        "Créez-le ou corrigez le chemin (un chemin relatif part du dossier de clausekit.toml).",
        "« territoires.Artois.colonnes » : « heures_realises » (en-tête « Nb h ») n'est pas un "
        "champ connu. Vouliez-vous dire « heures_realisees » ? Champs connus (nom ou libellé "
        f"français) : {columns}.",
        "« territoires.Vide » : aucune entrée : indiquez le dossier des exports (dossier = "
        '"exports/Vide") ou des motifs de fichiers (fichiers = ["exports/Vide_*.xlsx"]).',
    ]
    with pytest.raises(UsageError) as exc:
        load_config(path)
    message = str(exc.value)
    assert message.startswith(f"Configuration {path} invalide (14 problème(s)) :\n- « [raport] »")
    assert message.count("\n- ") == 14


def test_empty_programmes_section_means_no_programme(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[programmes]\n")).programmes == {}
    assert load_config(write(tmp_path, "[rapport]\n")).programmes == dict(DEFAULT_PROGRAMMES)


def test_a_single_text_is_accepted_as_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, '[rapport]\ncontrats_hors_travail = "PMSMP"\n')
    assert load_config(path).non_work_contracts == ("PMSMP",)


def test_bad_regex_and_explicit_period(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[rapport]\ncontrats_hors_travail = ["(stage"]\n[periode]\nregle = "2025-13"\n',
    )
    assert check_config(path) == [
        "« rapport.contrats_hors_travail » : expression régulière « (stage » invalide (missing ), "
        'unterminated subpattern at position 0). Écrivez un simple libellé (ex. "PMSMP") ou '
        "corrigez l'expression.",
        "« periode.regle » : Mois « 2025-13 » invalide : le mois va de 01 à 12.",
    ]


def test_toml_syntax_error_is_located_and_said_in_french(tmp_path: Path) -> None:
    path = write(tmp_path, "[rapport]\nheures_etp = 1607\ndate_age = debut_periode\n")
    assert check_config(path) == [
        "Syntaxe TOML invalide dans clausekit.toml, ligne 3, colonne 12 : valeur invalide : un "
        'texte s\'écrit entre guillemets droits ("…").'
    ]
    path = write(tmp_path, '[sortie]\ndossier = "rapport\n')
    assert check_config(path) == [
        "Syntaxe TOML invalide dans clausekit.toml, ligne 2, colonne 19 : caractère interdit "
        "dans un texte (retour à la ligne, tabulation…)."
    ]
    path = write(tmp_path, '[colonnes]\nNb h. effectives = "heures réalisées"\n')
    assert check_config(path) == [
        "Syntaxe TOML invalide dans clausekit.toml, ligne 2, colonne 4 : « = » attendu après la "
        "clé (clé = valeur)."
    ]
    path = write(tmp_path, '[sortie]\ndossier = "a"\n[sortie]\n')
    assert check_config(path) == [
        "Syntaxe TOML invalide dans clausekit.toml, ligne 3, colonne 8 : section déclarée deux "
        "fois : regroupez ses clés sous une seule en-tête."
    ]


def test_missing_file(tmp_path: Path) -> None:
    assert check_config(tmp_path / "absent.toml") == [
        f"Fichier de configuration introuvable : {tmp_path / 'absent.toml'}."
    ]


# --------------------------------------------------------------------------- secrets

SECRET_REFUSED = (
    "un secret ne doit jamais être écrit dans clausekit.toml. Supprimez cette ligne et placez le "
    "secret dans la variable d'environnement CLAUSEKIT_SECRET (ou dans un fichier désigné par "
    "pseudonymisation.fichier_secret)."
)


def test_secret_in_the_toml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'secret = "abc"\n[pseudonymisation]\nsecret = "s3cret-value"\n')
    problems = check_config(path)
    assert problems == [
        f"« secret » : {SECRET_REFUSED}",
        f"« pseudonymisation.secret » : {SECRET_REFUSED}",
    ]
    with pytest.raises(UsageError) as exc:
        load_config(path)
    assert "s3cret-value" not in str(exc.value)


def test_fichier_secret(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    secret = tmp_path / "secret"
    secret.write_bytes(b"une phrase secrete assez longue\n")
    path = write(folder, '[pseudonymisation]\nfichier_secret = "../secret"\n')
    config = load_config(path)
    assert config.secret_file == folder / ".." / "secret"
    assert config.secret({"CLAUSEKIT_SECRET": "ignorée"}) == b"une phrase secrete assez longue"
    secret.write_bytes(b"\n")
    with pytest.raises(UsageError) as exc:
        config.secret({})
    assert str(exc.value) == (
        f"Le fichier secret {folder / '..' / 'secret'} est vide : écrivez-y une phrase secrète "
        "d'au moins 16 caractères."
    )


def test_fichier_secret_problems(tmp_path: Path) -> None:
    itself = write(tmp_path, '[pseudonymisation]\nfichier_secret = "clausekit.toml"\n')
    assert check_config(itself) == [
        "« pseudonymisation.fichier_secret » : le fichier secret ne peut pas être clausekit.toml "
        "lui-même. Placez le secret dans un fichier à part, lisible de vous seul."
    ]
    missing = write(tmp_path, '[pseudonymisation]\nfichier_secret = "absent"\n', "b.toml")
    assert check_config(missing) == [
        f"« pseudonymisation.fichier_secret » : fichier introuvable : {tmp_path / 'absent'}. "
        "Créez-le (une phrase secrète sur une ligne) ou corrigez le chemin."
    ]
    repo = tmp_path / "depot"
    (repo / ".git").mkdir(parents=True)
    (repo / "cles").mkdir()
    (repo / "cles" / "secret").write_text("abc", encoding="utf-8")
    in_git = write(tmp_path, '[pseudonymisation]\nfichier_secret = "depot/cles/secret"\n', "c.toml")
    assert check_config(in_git) == [
        f"« pseudonymisation.fichier_secret » : le fichier secret {repo / 'cles' / 'secret'} est "
        f"dans un dépôt git ({repo.resolve()}) : il risquerait d'être versionné. Placez-le hors "
        "du dépôt, par exemple dans ~/.config/clausekit/secret."
    ]
    both = write(
        tmp_path,
        '[pseudonymisation]\nvariable_secret = "X"\nfichier_secret = "/etc/passwd"\n',
        "d.toml",
    )
    assert check_config(both) == [
        "« pseudonymisation » : variable_secret et fichier_secret sont tous deux indiqués : "
        "gardez l'un ou l'autre."
    ]


def test_variable_secret_must_be_a_variable_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[pseudonymisation]\nvariable_secret = "k8J d9-s!"\n')
    assert check_config(path) == [
        "« pseudonymisation.variable_secret » : « k8J d9-s! » n'est pas un nom de variable "
        "d'environnement (lettres, chiffres et _ seulement). Indiquez le NOM de la variable, par "
        'exemple variable_secret = "CLAUSEKIT_SECRET", jamais le secret lui-même.'
    ]


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("rule", "today", "expected"),
    [
        ("tout", date(2025, 7, 3), (None, None)),
        ("dernier_mois_complet", date(2025, 7, 3), ("2025-06", "2025-06")),
        ("dernier_mois_complet", date(2025, 7, 31), ("2025-06", "2025-06")),
        ("derniere_mois_complet", date(2025, 1, 1), ("2024-12", "2024-12")),
        ("annee_en_cours", date(2025, 7, 3), ("2025-01", "2025-06")),
        ("annee_en_cours", date(2025, 2, 28), ("2025-01", "2025-01")),
        ("annee_en_cours", date(2025, 1, 15), ("2024-01", "2024-12")),
        ("2025-01:2025-06", date(2030, 1, 1), ("2025-01", "2025-06")),
        (" 2025-03 ", date(2030, 1, 1), ("2025-03", "2025-03")),
    ],
)
def test_resolve_period(rule: str, today: date, expected: tuple[str | None, str | None]) -> None:
    assert resolve_period(rule, today) == expected


def test_period_errors() -> None:
    with pytest.raises(UsageError) as exc:
        resolve_period("mois_dernier", date(2025, 7, 3))
    assert str(exc.value) == (
        "« periode.regle » : règle « mois_dernier » inconnue. Valeurs admises : "
        "dernier_mois_complet, annee_en_cours, tout, ou une période explicite AAAA-MM:AAAA-MM "
        "(ex. 2025-01:2025-06)."
    )
    with pytest.raises(UsageError) as exc:
        parse_period("2025-06:2025-01")
    assert str(exc.value) == "Période « 2025-06:2025-01 » : la fin précède le début."
    with pytest.raises(UsageError) as exc:
        parse_period("06/2025")
    assert str(exc.value) == (
        "Période « 06/2025 » invalide : attendu AAAA-MM ou AAAA-MM:AAAA-MM (ex. 2025-01:2025-06)."
    )


def test_derniere_spelling_is_stored_as_the_canonical_rule(tmp_path: Path) -> None:
    path = write(tmp_path, '[periode]\nregle = "derniere_mois_complet"\n')
    config = load_config(path)
    assert config.period_rule == "dernier_mois_complet"
    assert config.period(date(2025, 3, 10)) == ("2025-02", "2025-02")


# --------------------------------------------------------------------------- old English keys


def test_old_english_keys_are_read_with_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[rapport]\netp_hours = 1600\nage_reference = "period_start"\nage_limit = 30\n'
        'min_hours_participant = 2\nnon_work_contracts = ["PMSMP"]\n'
        '[pseudonymisation]\nsecret_env = "MON_SECRET"\n',
    )
    config = load_config(path)
    assert config.settings == Settings(
        etp_hours=1600.0, age_reference="period_start", age_limit=30, min_hours_participant=2.0
    )
    assert config.non_work_contracts == ("PMSMP",)
    assert config.secret_env == "MON_SECRET"
    renamed = (
        "« {} » : ancien nom anglais, lu comme « {} » : renommez la clé (clausekit init écrit "
        "un modèle à jour)."
    )
    assert config.warnings == (
        renamed.format("rapport.etp_hours", "rapport.heures_etp"),
        renamed.format("rapport.age_reference", "rapport.date_age"),
        renamed.format("rapport.age_limit", "rapport.age_limite"),
        renamed.format("rapport.min_hours_participant", "rapport.heures_min_participant"),
        renamed.format("rapport.non_work_contracts", "rapport.contrats_hors_travail"),
        renamed.format("pseudonymisation.secret_env", "pseudonymisation.variable_secret"),
        "« rapport.date_age » : ancienne valeur anglaise « period_start », lue comme "
        '« debut_periode » : écrivez date_age = "debut_periode".',
    )
    assert check_config(path) == []


def test_old_and_new_name_of_one_key_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "[rapport]\netp_hours = 1600\nheures_etp = 1607\n")
    assert check_config(path) == [
        "« rapport.etp_hours » : indiquée aussi sous son nom français « heures_etp » : gardez "
        "« heures_etp » seule."
    ]


# --------------------------------------------------------------------------- shared columns


def test_shared_columns_and_a_territory_overriding_them(tmp_path: Path) -> None:
    for name in ("Lens", "Artois", "Hénin"):
        (tmp_path / name).mkdir()
    path = write(
        tmp_path,
        """
[colonnes]
"Nb h" = "heures réalisées"
"Ref bénéf." = "participant"
"Code chantier" = "N° opération"

[territoires.Lens]
dossier = "Lens"

[territoires.Artois]
dossier = "Artois"
[territoires.Artois.colonnes]
"Nb h" = "heures_prevues"
"Date entrée" = "Date de début"

[territoires."Hénin"]
dossier = "Hénin"
""",
    )
    config = load_config(path)
    shared = {
        "Nb h": "heures_realisees",
        "Ref bénéf.": "participant_id",
        "Code chantier": "operation_id",
    }
    assert config.columns == shared
    assert config.columns_for("Lens") == shared
    assert config.columns_for("Hénin") == shared
    assert config.columns_for("Artois") == {
        "Nb h": "heures_prevues",
        "Ref bénéf.": "participant_id",
        "Code chantier": "operation_id",
        "Date entrée": "date_debut",
    }
    assert config.columns_for(None) == shared  # a file of no configured territory


def test_colonnes_must_be_a_section(tmp_path: Path) -> None:
    path = write(tmp_path, 'colonnes = "participant"\n')
    assert check_config(path) == [
        "« colonnes » : attendu une section [colonnes], trouvé une valeur (texte)."
    ]
