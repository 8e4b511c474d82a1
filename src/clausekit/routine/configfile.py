"""Reading and checking ``clausekit.toml``, key by key: every problem at once, each located by
its key (« rapport.heures_etp »), in French, with the value expected and « Vouliez-vous dire… »
for a mistyped name; the English keys of the first versions read with a warning.

:func:`check_config` returns every problem; :func:`load_config` raises one :class:`UsageError`
listing them all.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from clausekit.errors import UsageError
from clausekit.routine.config import (
    DEFAULT_SECRET_ENV,
    REGEX_CHARS,
    RULE_ALL,
    RULE_LAST_MONTH,
    Config,
    Territory,
    resolve_period,
    rule_name,
    user_path,
)
from clausekit.rules.settings import AGE_REFERENCES, DEFAULT_NON_WORK, Settings
from clausekit.rules.tomlfile import did_you_mean as _did_you_mean
from clausekit.rules.tomlfile import read_toml

# Allowed keys per section (the order is the one shown to the user).
SECTIONS: dict[str, tuple[str, ...]] = {
    "rapport": (
        "heures_etp",
        "date_age",
        "age_limite",
        "heures_min_participant",
        "contrats_hors_travail",
        "niveau_previsions",
    ),
    "programmes": (),  # free keys: programme names
    "sortie": ("dossier",),
    "periode": ("regle",),
    "colonnes": (),  # free keys: headers as exported, shared by every territory
    "territoires": (),  # free keys: territory names
    "historique": ("base",),
    "pseudonymisation": ("variable_secret", "fichier_secret"),
}
TERRITORY_KEYS = ("dossier", "fichiers", "colonnes")
# The English keys of the first versions: still read, with a warning naming the French one.
DEPRECATED_KEYS: dict[str, dict[str, str]] = {
    "rapport": {
        "etp_hours": "heures_etp",
        "age_reference": "date_age",
        "age_limit": "age_limite",
        "min_hours_participant": "heures_min_participant",
        "non_work_contracts": "contrats_hors_travail",
    },
    "pseudonymisation": {"secret_env": "variable_secret", "secret_file": "fichier_secret"},
}
# [rapport] date_age: the value written -> the setting (Settings.age_reference)
AGE_DATES = {"debut_premier_contrat": AGE_REFERENCES[0], "debut_periode": AGE_REFERENCES[1]}
DEPRECATED_AGE_DATES = {
    "first_contract_start": "debut_premier_contrat",
    "period_start": "debut_periode",
}
# Keys that would hold a secret: refused anywhere (except as a header under colonnes).
_SECRET_KEYS = frozenset({"secret", "cle_secrete", "mot_de_passe", "password"})
_RE_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def canonical_columns() -> tuple[str, ...]:
    """Every canonical column name of the schemas, sorted."""
    from clausekit.rules.schemas import load_spec

    names = {col.name for table in load_spec().tables.values() for col in table.columns}
    return tuple(sorted(names))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "booléen"
    if isinstance(value, int | float):
        return "nombre"
    if isinstance(value, str):
        return "texte"
    if isinstance(value, list):
        return "liste"
    if isinstance(value, dict):
        return "section"
    return type(value).__name__


class _Checker:
    """Walks the parsed TOML, collecting every problem and the values it accepts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"« {key} » : {text}")

    def number(
        self, table: dict[str, Any], section: str, key: str, *, minimum: float, strict: bool
    ) -> float | None:
        if key not in table:
            return None
        value = table[key]
        bad_type = isinstance(value, bool) or not isinstance(value, int | float)
        if bad_type or (value <= minimum if strict else value < minimum):
            bound = f"supérieur à {minimum:g}" if strict else f"supérieur ou égal à {minimum:g}"
            self.problem(
                f"{section}.{key}",
                f"attendu un nombre {bound}, trouvé {value!r} ({_type_name(value)}). "
                f"Écrivez par exemple {key} = {_EXAMPLES[key]}.",
            )
            return None
        return float(value)

    def text(self, table: dict[str, Any], key_path: str, key: str) -> str | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(
                key_path,
                f"attendu un texte non vide entre guillemets, trouvé {value!r} "
                f"({_type_name(value)}). Écrivez par exemple "
                f'{key} = "{_EXAMPLES.get(key_path, _EXAMPLES[key])}".',
            )
            return None
        return value.strip()

    def text_list(self, table: dict[str, Any], key_path: str, key: str) -> list[str] | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(
                key_path,
                f"attendu une liste de textes non vides, trouvé {value!r}. Écrivez par exemple "
                f"{key} = {_EXAMPLES[key]}.",
            )
            return None
        return [v.strip() for v in value]

    def unknown_keys(self, table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key in allowed or key.casefold() in _SECRET_KEYS:
                continue
            self.problem(
                f"{where}.{key}",
                f"clé inconnue.{_did_you_mean(key, allowed)} Clés admises dans [{where}] : "
                f"{', '.join(allowed)}.",
            )

    def relative_path(self, value: str) -> Path:
        return user_path(value, self.base)

    def warn(self, key: str, text: str) -> None:
        self.warnings.append(f"« {key} » : {text}")


_EXAMPLES = {
    "sortie.dossier": "rapport",
    "heures_etp": "1607",
    "age_limite": "26",
    "heures_min_participant": "1",
    "contrats_hors_travail": '["stage", "PMSMP"]',
    "dossier": "exports/Lens-Liévin",
    "fichiers": '["exports/lens_*.xlsx"]',
    "base": "historique.sqlite",
    "variable_secret": DEFAULT_SECRET_ENV,
    "fichier_secret": "/etc/clausekit/secret",
    "regle": RULE_LAST_MONTH,
    "date_age": "debut_premier_contrat",
}


# tomllib's messages (English), in words a user can act on
def _find_secrets(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys that look like a secret written in the file."""
    found = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if key != "colonnes":
                found.extend(_find_secrets(value, dotted + "."))
        elif key.casefold() in _SECRET_KEYS:
            found.append(dotted)
    return found


def _read_toml(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    return read_toml(path, "Fichier de configuration")


def _modernise(c: _Checker, data: dict[str, Any]) -> None:
    """Read the English keys of the first versions as their French names, with a warning."""
    for section, renamed in DEPRECATED_KEYS.items():
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for old, new in renamed.items():
            if old not in table:
                continue
            if new in table:
                c.problem(
                    f"{section}.{old}",
                    f"indiquée aussi sous son nom français « {new} » : gardez « {new} » seule.",
                )
                del table[old]
                continue
            table[new] = table.pop(old)
            c.warn(
                f"{section}.{old}",
                f"ancien nom anglais, lu comme « {section}.{new} » : renommez la clé (clausekit "
                "init écrit un modèle à jour).",
            )
    rapport = data.get("rapport")
    if isinstance(rapport, dict) and rapport.get("date_age") in DEPRECATED_AGE_DATES:
        old_value = rapport["date_age"]
        rapport["date_age"] = DEPRECATED_AGE_DATES[old_value]
        c.warn(
            "rapport.date_age",
            f"ancienne valeur anglaise « {old_value} », lue comme "
            f'« {rapport["date_age"]} » : écrivez date_age = "{rapport["date_age"]}".',
        )


def _parse(path: Path) -> tuple[Config | None, list[str], list[str]]:
    """The config, its problems and its warnings (the config is None when there are problems)."""
    data, problems = _read_toml(path)
    if data is None:
        return None, problems, []
    c = _Checker(path)
    _refuse_secrets(c, data)
    _check_sections(c, data)
    _modernise(c, data)
    config = _config(c, data)
    if c.problems:
        return None, c.problems, c.warnings
    return config, [], c.warnings


def _refuse_secrets(c: _Checker, data: dict[str, Any]) -> None:
    for key in _find_secrets(data):
        c.problem(
            key,
            "un secret ne doit jamais être écrit dans clausekit.toml. Supprimez cette ligne et "
            f"placez le secret dans la variable d'environnement {DEFAULT_SECRET_ENV} "
            "(ou dans un fichier désigné par pseudonymisation.fichier_secret).",
        )


def _check_sections(c: _Checker, data: dict[str, Any]) -> None:
    """Every top-level key is a known section, written as a section."""
    for key, value in data.items():
        if key in SECTIONS and not isinstance(value, dict):
            c.problem(key, f"attendu une section [{key}], trouvé une valeur ({_type_name(value)}).")
        elif key not in SECTIONS and key.casefold() not in _SECRET_KEYS:
            hint = _did_you_mean(key, tuple(SECTIONS), shape="[{}]")
            c.problems.append(
                f"« [{key}] » : section inconnue.{hint} Sections admises : "
                f"{', '.join(f'[{s}]' for s in SECTIONS)}."
            )


def _config(c: _Checker, data: dict[str, Any]) -> Config:
    """Each section read in turn (its problems collected in ``c``, in this order)."""

    def section(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        return value if isinstance(value, dict) else {}

    settings = _settings(c, section("rapport"))
    non_work = _non_work(c, section("rapport"))
    # No [programmes] section: the defaults; an empty one: no programme at all.
    if "programmes" in data:
        programmes = _programmes(c, section("programmes"))
        settings = replace(settings, programmes=tuple(programmes.items()))
    out_text = _single_key(c, section("sortie"), "sortie", "dossier")
    rule = _period_rule(c, section("periode"))
    shared_columns = _columns(c, section("colonnes"), "colonnes", "[colonnes]")
    territories = _territories(c, section("territoires"))
    history_text = _single_key(c, section("historique"), "historique", "base")
    secret_env, secret_file = _pseudonymisation(c, section("pseudonymisation"))
    return Config(
        path=c.path,
        settings=settings,
        non_work_contracts=tuple(non_work) if non_work is not None else DEFAULT_NON_WORK,
        output=c.relative_path(out_text) if out_text else None,
        period_rule=rule_name(rule),
        territories=territories,
        history=c.relative_path(history_text) if history_text else None,
        secret_env=secret_env,
        secret_file=secret_file,
        columns=shared_columns,
        warnings=tuple(c.warnings),
    )


def _single_key(c: _Checker, table: dict[str, Any], name: str, key: str) -> str | None:
    """A section of one text key ([sortie] dossier, [historique] base)."""
    c.unknown_keys(table, SECTIONS[name], name)
    return c.text(table, f"{name}.{key}", key)


def _non_work(c: _Checker, rapport: dict[str, Any]) -> list[str] | None:
    """[rapport] contrats_hors_travail: labels, or regular expressions that must compile."""
    non_work = c.text_list(rapport, "rapport.contrats_hors_travail", "contrats_hors_travail")
    for entry in non_work or ():
        if REGEX_CHARS.intersection(entry):
            try:
                re.compile(entry)
            except re.error as exc:
                c.problem(
                    "rapport.contrats_hors_travail",
                    f"expression régulière « {entry} » invalide ({exc}). Écrivez un simple "
                    'libellé (ex. "PMSMP") ou corrigez l\'expression.',
                )
    return non_work


def _period_rule(c: _Checker, periode: dict[str, Any]) -> str:
    """[periode] regle: a named rule or an explicit period (checked on a fixed day)."""
    c.unknown_keys(periode, SECTIONS["periode"], "periode")
    rule = c.text(periode, "periode.regle", "regle") or RULE_ALL
    try:
        resolve_period(rule, date(2000, 6, 15))
    except UsageError as exc:
        message = str(exc)
        c.problems.append(message if message.startswith("«") else f"« periode.regle » : {message}")
    return rule


def _settings(c: _Checker, rapport: dict[str, Any]) -> Settings:
    c.unknown_keys(rapport, SECTIONS["rapport"], "rapport")
    values: dict[str, Any] = {}
    etp = c.number(rapport, "rapport", "heures_etp", minimum=0, strict=True)
    if etp is not None:
        values["etp_hours"] = etp
    minimum = c.number(rapport, "rapport", "heures_min_participant", minimum=0, strict=False)
    if minimum is not None:
        values["min_hours_participant"] = minimum
    if "age_limite" in rapport:
        limit = rapport["age_limite"]
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 99:
            c.problem(
                "rapport.age_limite",
                f"attendu un nombre entier d'années entre 1 et 99, trouvé {limit!r}. "
                "Écrivez par exemple age_limite = 26.",
            )
        else:
            values["age_limit"] = limit
    if "niveau_previsions" in rapport:
        level = rapport["niveau_previsions"]
        choices = {"auto": "auto", "operation": "operation", "contrat": "contract"}
        if level not in choices:
            c.problem(
                "rapport.niveau_previsions",
                f"valeur inconnue {level!r} : choisissez « auto » (d'après les données), "
                "« operation » (une fois par opération) ou « contrat » (somme des contrats).",
            )
        else:
            values["forecast_level"] = choices[level]
    if "date_age" in rapport:
        ref = rapport["date_age"]
        if ref not in AGE_DATES:
            hint = _did_you_mean(str(ref), tuple(AGE_DATES))
            c.problem(
                "rapport.date_age",
                f"valeur {ref!r} inconnue.{hint} Valeurs admises : {', '.join(AGE_DATES)}.",
            )
        else:
            values["age_reference"] = AGE_DATES[ref]
    return Settings(**values)


def _programmes(c: _Checker, table: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, members in table.items():
        if name.casefold() in _SECRET_KEYS:
            continue
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(m, str) and m.strip() for m in members)
        ):
            c.problem(
                f"programmes.{name}",
                f"attendu une liste non vide de donneurs d'ordre, trouvé {members!r}. Écrivez "
                f'par exemple {name} = ["Maisons & Cités", "SIA Habitat"].',
            )
            continue
        out[name] = tuple(m.strip() for m in members)
    return out


def _columns(c: _Checker, raw: Any, where: str, header: str) -> dict[str, str]:
    """A mapping « header as exported » = « field »: the field by its canonical name
    (participant_id) or its French one (participant, « Heures réalisées »)."""
    from clausekit.rules.fields import resolve_field

    if not isinstance(raw, dict):
        c.problem(
            where,
            f"attendu une section {header} associant un en-tête à un champ, par exemple "
            '"Nb h. effectives" = "heures réalisées".',
        )
        return {}
    columns: dict[str, str] = {}
    for name, target in raw.items():
        canonical = resolve_field(target) if isinstance(target, str) else None
        if canonical is None:
            known = canonical_columns()
            hint = _did_you_mean(str(target), known)
            c.problem(
                where,
                f"« {target} » (en-tête « {name} ») n'est pas un champ connu.{hint} Champs "
                f"connus (nom ou libellé français) : {', '.join(known)}.",
            )
            continue
        columns[name] = canonical
    return columns


def _territories(c: _Checker, table: dict[str, Any]) -> tuple[Territory, ...]:
    out = []
    for name, spec in table.items():
        where = f"territoires.{name}"
        if not isinstance(spec, dict):
            c.problem(
                where,
                f'attendu une section [territoires."{name}"] avec dossier = "…" ou '
                f'fichiers = ["…"], trouvé {spec!r}.',
            )
            continue
        c.unknown_keys(spec, TERRITORY_KEYS, where)
        folder_text = c.text(spec, f"{where}.dossier", "dossier")
        patterns = c.text_list(spec, f"{where}.fichiers", "fichiers") or []
        if "dossier" not in spec and "fichiers" not in spec:
            c.problem(
                where,
                'aucune entrée : indiquez le dossier des exports (dossier = "exports/'
                f'{name}") ou des motifs de fichiers (fichiers = ["exports/{name}_*.xlsx"]).',
            )
        folder = c.relative_path(folder_text) if folder_text else None
        if folder is not None and not folder.is_dir():
            c.problem(
                f"{where}.dossier",
                f"dossier introuvable : {folder}. Créez-le ou corrigez le chemin (un chemin "
                "relatif part du dossier de clausekit.toml).",
            )
        columns = _columns(
            c, spec.get("colonnes", {}), f"{where}.colonnes", f'[territoires."{name}".colonnes]'
        )
        out.append(
            Territory(
                name=name, base=c.base, folder=folder, patterns=tuple(patterns), columns=columns
            )
        )
    return tuple(out)


def _pseudonymisation(c: _Checker, table: dict[str, Any]) -> tuple[str, Path | None]:
    c.unknown_keys(table, SECTIONS["pseudonymisation"], "pseudonymisation")
    env_name = c.text(table, "pseudonymisation.variable_secret", "variable_secret")
    if env_name is not None and not _RE_ENV_NAME.fullmatch(env_name):
        c.problem(
            "pseudonymisation.variable_secret",
            f"« {env_name} » n'est pas un nom de variable d'environnement (lettres, chiffres "
            f"et _ seulement). Indiquez le NOM de la variable, par exemple "
            f'variable_secret = "{DEFAULT_SECRET_ENV}", jamais le secret lui-même.',
        )
    file_text = c.text(table, "pseudonymisation.fichier_secret", "fichier_secret")
    if env_name is not None and file_text is not None:
        c.problem(
            "pseudonymisation",
            "variable_secret et fichier_secret sont tous deux indiqués : gardez l'un ou l'autre.",
        )
    secret_file = c.relative_path(file_text) if file_text else None
    if secret_file is not None:
        if secret_file.resolve() == c.path.resolve():
            c.problem(
                "pseudonymisation.fichier_secret",
                "le fichier secret ne peut pas être clausekit.toml lui-même. Placez le secret "
                "dans un fichier à part, lisible de vous seul.",
            )
        elif not secret_file.is_file():
            c.problem(
                "pseudonymisation.fichier_secret",
                f"fichier introuvable : {secret_file}. Créez-le (une phrase secrète sur une "
                "ligne) ou corrigez le chemin.",
            )
        else:
            repo = _git_root(secret_file)
            if repo is not None:
                c.problem(
                    "pseudonymisation.fichier_secret",
                    f"le fichier secret {secret_file} est dans un dépôt git ({repo}) : il "
                    "risquerait d'être versionné. Placez-le hors du dépôt, par exemple dans "
                    "~/.config/clausekit/secret.",
                )
    return env_name or DEFAULT_SECRET_ENV, secret_file


def _git_root(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            return parent
    return None


def check_config(path: Path) -> list[str]:
    """Every problem of the config file at ``path`` (an empty list when it is valid)."""
    return _parse(path)[1]


def review_config(path: Path) -> tuple[list[str], list[str]]:
    """Every problem and every warning (old English keys) of the config file at ``path``."""
    _, problems, warnings = _parse(path)
    return problems, warnings


def load_config(path: Path | None) -> Config:
    """The config at ``path``, or the defaults when ``path`` is None.

    Raises :class:`UsageError` listing every problem found.
    """
    if path is None:
        return Config()
    config, problems, _ = _parse(path)
    if config is None:
        listed = "\n".join(f"- {p}" for p in problems)
        raise UsageError(f"Configuration {path} invalide ({len(problems)} problème(s)) :\n{listed}")
    return config


__all__ = [
    "SECTIONS",
    "canonical_columns",
    "check_config",
    "load_config",
    "review_config",
]
