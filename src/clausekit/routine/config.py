"""The configuration file ``clausekit.toml``: discovery, validation and the settings it holds.

Every rule of DOMAIN.md that users may change lives here: the counting settings
(:class:`clausekit.rules.settings.Settings`), contract types that are not work, programme groupings
of contracting authorities, the output folder, the period rule for unattended runs, the
territories and their input files, the history database and where the pseudonymisation secret
comes from. A secret is never read from the file itself.

:func:`check_config` returns every problem at once; :func:`load_config` raises one
:class:`UsageError` listing them all.
"""

from __future__ import annotations

import fnmatch
import glob
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path, PurePath
from typing import Any, TypeVar

from clausekit.errors import UsageError
from clausekit.rules.settings import AGE_REFERENCES, DEFAULT_NON_WORK, DEFAULT_PROGRAMMES, Settings
from clausekit.rules.tomlfile import did_you_mean as _did_you_mean
from clausekit.rules.tomlfile import toml_problem as _toml_problem

CONFIG_NAME = "clausekit.toml"
ENV_CONFIG = "CLAUSEKIT_CONFIG"
DEFAULT_SECRET_ENV = "CLAUSEKIT_SECRET"

# Period rules of [periode] regle. "derniere_mois_complet" is accepted as a synonym of
# "dernier_mois_complet" (the spelling first documented).
RULE_LAST_MONTH = "dernier_mois_complet"
RULE_YEAR_TO_DATE = "annee_en_cours"
RULE_ALL = "tout"
PERIOD_RULES = (RULE_LAST_MONTH, RULE_YEAR_TO_DATE, RULE_ALL)
_RULE_SYNONYMS = {"derniere_mois_complet": RULE_LAST_MONTH}


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
_REGEX_CHARS = frozenset("\\^$.|?*+()[]{}")


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Territory:
    """A territory's inputs: a folder (read recursively), glob patterns, or both."""

    name: str
    base: Path  # folder of the config file: relative patterns start here
    folder: Path | None = None
    patterns: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)  # header as exported -> canonical

    def files(self) -> list[Path]:
        """The spreadsheet files of this territory, sorted, without duplicates."""
        from clausekit.preflight.sniff import SPREADSHEET_SUFFIXES

        found: set[Path] = set()
        if self.folder is not None and self.folder.is_dir():
            found.update(p for p in self.folder.rglob("*") if p.is_file())
        for pattern in self.patterns:
            found.update(Path(p) for p in glob.glob(self._absolute(pattern), recursive=True))
        return sorted(p for p in found if p.is_file() and p.suffix.lower() in SPREADSHEET_SUFFIXES)

    def owns(self, path: Path) -> bool:
        """True when ``path`` lies in this territory's folder or matches one of its patterns."""
        path = Path(path).absolute()
        if self.folder is not None and path.is_relative_to(self.folder.absolute()):
            return True
        return any(fnmatch.fnmatch(str(path), self._absolute(p)) for p in self.patterns)

    def _absolute(self, pattern: str) -> str:
        return str(Path(pattern) if Path(pattern).is_absolute() else self.base / pattern)


@dataclass(frozen=True)
class Config:
    """A loaded ``clausekit.toml`` (or the defaults when ``path`` is None)."""

    path: Path | None = None
    settings: Settings = field(default_factory=Settings)
    non_work_contracts: tuple[str, ...] = DEFAULT_NON_WORK
    output: Path | None = None
    period_rule: str = RULE_ALL
    territories: tuple[Territory, ...] = ()
    history: Path | None = None
    secret_env: str = DEFAULT_SECRET_ENV
    secret_file: Path | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # [colonnes]: every territory
    warnings: tuple[str, ...] = ()  # what was read but should be written otherwise

    def secret(self, env: Mapping[str, str]) -> bytes | None:
        """The pseudonymisation secret: from ``secret_file`` if set, else from the variable."""
        if self.secret_file is not None:
            try:
                value = self.secret_file.read_bytes().strip()
            except OSError as exc:
                raise UsageError(
                    f"Fichier secret illisible : {self.secret_file} ({exc.strerror}). "
                    "Vérifiez pseudonymisation.fichier_secret dans clausekit.toml."
                ) from None
            if not value:
                raise UsageError(
                    f"Le fichier secret {self.secret_file} est vide : écrivez-y une phrase "
                    "secrète d'au moins 16 caractères."
                )
            return value
        value_text = env.get(self.secret_env, "").strip()
        return value_text.encode("utf-8") if value_text else None

    def period(self, today: date) -> tuple[str | None, str | None]:
        """The period to report on ``today`` under the configured rule."""
        return resolve_period(self.period_rule, today)

    def settings_for(self, today: date) -> Settings:
        """The report settings with the period of the configured rule filled in."""
        start, end = self.period(today)
        return replace(self.settings, period_start=start, period_end=end)

    @property
    def not_work_pattern(self) -> str:
        """A regex over normalised contract types (see ``merge``) for non-work contracts."""
        return not_work_pattern(self.non_work_contracts)

    def inputs(self) -> dict[str, list[Path]]:
        """The files of each configured territory."""
        return {t.name: t.files() for t in self.territories}

    def territory_of(self, path: Path) -> str | None:
        """The configured territory that owns ``path``, if any (first one declared wins)."""
        for territory in self.territories:
            if territory.owns(path):
                return territory.name
        return None

    def columns_for(self, territory: str | None) -> Mapping[str, str]:
        """The header mapping of a territory: the shared ``[colonnes]``, overridden header by
        header by the territory's own ``colonnes`` (the shared one alone for any other)."""
        for t in self.territories:
            if t.name == territory:
                return {**self.columns, **t.columns}
        return dict(self.columns)

    @property
    def programmes(self) -> dict[str, tuple[str, ...]]:
        """Programme name -> contracting authorities (from the settings)."""
        return dict(self.settings.programmes)


def not_work_pattern(entries: tuple[str, ...] | list[str]) -> str:
    """One regex from labels and regexes, to match normalised contract types.

    A label (no regex metacharacter) is normalised like the data (lowercase, no accents,
    punctuation as spaces) and matched as whole words; any other entry is used as a regex,
    case-insensitive, over the normalised text.
    An empty list gives a pattern that never matches.
    """
    import pandas as pd

    from clausekit.parse import normalise_text

    labels = [e for e in entries if not _REGEX_CHARS.intersection(e)]
    regexes = [e for e in entries if _REGEX_CHARS.intersection(e)]
    alternatives = [f"(?i:{r})" for r in regexes]
    if labels:
        normalised = normalise_text(pd.Series(labels, dtype="string"))
        words = [re.escape(str(n)) for n in normalised if isinstance(n, str) and n]
        alternatives.insert(0, rf"\b(?:{'|'.join(words)})\b")
    return "|".join(alternatives) if alternatives else r"(?!)"


# --------------------------------------------------------------------------- discovery


def find_config(explicit: Path | None, cwd: Path, env: Mapping[str, str]) -> Path | None:
    """The config file to use: ``--config`` > ``$CLAUSEKIT_CONFIG`` > ``./clausekit.toml``."""
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        if not path.is_file():
            raise UsageError(
                f"Fichier de configuration introuvable : {path} (option --config). "
                "Vérifiez le chemin, ou créez le fichier avec clausekit init."
            )
        return path
    from_env = env.get(ENV_CONFIG, "").strip()
    if from_env:
        path = Path(from_env)
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            raise UsageError(
                f"Fichier de configuration introuvable : {path} (variable {ENV_CONFIG}). "
                f"Corrigez la variable ou supprimez-la."
            )
        return path
    local = cwd / CONFIG_NAME
    return local if local.is_file() else None


# --------------------------------------------------------------------------- periods


def parse_period(text: str) -> tuple[str, str]:
    """``"2025-01:2025-06"`` or ``"2025-03"`` -> (start, end); :class:`UsageError` if invalid."""
    match = re.fullmatch(r"(\d{4}-\d{2})(?::(\d{4}-\d{2}))?", text.strip())
    if not match:
        raise UsageError(
            f"Période « {text} » invalide : attendu AAAA-MM ou AAAA-MM:AAAA-MM "
            "(ex. 2025-01:2025-06)."
        )
    start, end = match.group(1), match.group(2) or match.group(1)
    for month in (start, end):
        if not 1 <= int(month[5:]) <= 12:
            raise UsageError(f"Mois « {month} » invalide : le mois va de 01 à 12.")
    if end < start:
        raise UsageError(f"Période « {text} » : la fin précède le début.")
    return start, end


def resolve_period(rule: str, today: date) -> tuple[str | None, str | None]:
    """The (start, end) months of a period rule on ``today``; (None, None) for "tout".

    ``dernier_mois_complet``: the month before today's. ``annee_en_cours``: January to the
    last complete month, of that month's year (in January: the whole previous year).
    Anything else must be an explicit period such as ``2025-01:2025-06``.
    """
    rule = _RULE_SYNONYMS.get(rule.strip(), rule.strip())
    if rule == RULE_ALL:
        return None, None
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    last = f"{year:04d}-{month:02d}"
    if rule == RULE_LAST_MONTH:
        return last, last
    if rule == RULE_YEAR_TO_DATE:
        return f"{year:04d}-01", last
    if not re.fullmatch(r"[\d\s:-]+", rule):
        raise UsageError(_period_rule_problem(rule))
    return parse_period(rule)


def _period_rule_problem(rule: str) -> str:
    suggestion = _did_you_mean(rule, PERIOD_RULES)
    return (
        f"« periode.regle » : règle « {rule} » inconnue.{suggestion} Valeurs admises : "
        f"{', '.join(PERIOD_RULES)}, ou une période explicite AAAA-MM:AAAA-MM "
        "(ex. 2025-01:2025-06)."
    )


# --------------------------------------------------------------------------- loading


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


P = TypeVar("P", bound=PurePath)


def user_path(text: str, base: P) -> P:
    r"""A path written in clausekit.toml, read the way the system reads paths (that of
    ``base``): on Windows ``C:\Clauses``, ``C:/Clauses`` and ``\\serveur\partage`` are
    absolute, ``exports\Lens`` is relative. ``~`` is the user's folder; a relative path
    starts at ``base`` (the folder of clausekit.toml)."""
    path = type(base)(text)
    if isinstance(path, Path):
        path = path.expanduser()
    return path if path.is_absolute() else base / path


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
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), []
    except FileNotFoundError:
        return None, [f"Fichier de configuration introuvable : {path}."]
    except OSError as exc:
        return None, [f"Fichier de configuration illisible : {path} ({exc.strerror})."]
    except UnicodeDecodeError:
        return None, [
            f"{path} n'est pas encodé en UTF-8 : enregistrez-le en UTF-8 "
            "(Bloc-notes : Enregistrer sous > Encodage UTF-8)."
        ]
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_problem(path.name, str(exc))]


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
    for key in _find_secrets(data):
        c.problem(
            key,
            "un secret ne doit jamais être écrit dans clausekit.toml. Supprimez cette ligne et "
            f"placez le secret dans la variable d'environnement {DEFAULT_SECRET_ENV} "
            "(ou dans un fichier désigné par pseudonymisation.fichier_secret).",
        )
    for key, value in data.items():
        if key in SECTIONS and not isinstance(value, dict):
            c.problem(key, f"attendu une section [{key}], trouvé une valeur ({_type_name(value)}).")
        elif key not in SECTIONS and key.casefold() not in _SECRET_KEYS:
            hint = _did_you_mean(key, tuple(SECTIONS), shape="[{}]")
            c.problems.append(
                f"« [{key}] » : section inconnue.{hint} Sections admises : "
                f"{', '.join(f'[{s}]' for s in SECTIONS)}."
            )
    _modernise(c, data)

    def section(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        return value if isinstance(value, dict) else {}

    settings = _settings(c, section("rapport"))
    rapport = section("rapport")
    non_work = c.text_list(rapport, "rapport.contrats_hors_travail", "contrats_hors_travail")
    for entry in non_work or ():
        if _REGEX_CHARS.intersection(entry):
            try:
                re.compile(entry)
            except re.error as exc:
                c.problem(
                    "rapport.contrats_hors_travail",
                    f"expression régulière « {entry} » invalide ({exc}). Écrivez un simple "
                    'libellé (ex. "PMSMP") ou corrigez l\'expression.',
                )

    # No [programmes] section: the defaults; an empty one: no programme at all.
    programmes = _programmes(c, section("programmes")) if "programmes" in data else None

    sortie = section("sortie")
    c.unknown_keys(sortie, SECTIONS["sortie"], "sortie")
    out_text = c.text(sortie, "sortie.dossier", "dossier")

    periode = section("periode")
    c.unknown_keys(periode, SECTIONS["periode"], "periode")
    rule = c.text(periode, "periode.regle", "regle") or RULE_ALL
    try:
        resolve_period(rule, date(2000, 6, 15))
    except UsageError as exc:
        message = str(exc)
        c.problems.append(message if message.startswith("«") else f"« periode.regle » : {message}")

    shared_columns = _columns(c, section("colonnes"), "colonnes", "[colonnes]")
    territories = _territories(c, section("territoires"))

    historique = section("historique")
    c.unknown_keys(historique, SECTIONS["historique"], "historique")
    history_text = c.text(historique, "historique.base", "base")

    secret_env, secret_file = _pseudonymisation(c, section("pseudonymisation"))

    if c.problems:
        return None, c.problems, c.warnings
    if programmes is not None:
        settings = replace(settings, programmes=tuple(programmes.items()))
    config = Config(
        path=path,
        settings=settings,
        non_work_contracts=tuple(non_work) if non_work is not None else DEFAULT_NON_WORK,
        output=c.relative_path(out_text) if out_text else None,
        period_rule=_RULE_SYNONYMS.get(rule, rule),
        territories=territories,
        history=c.relative_path(history_text) if history_text else None,
        secret_env=secret_env,
        secret_file=secret_file,
        columns=shared_columns,
        warnings=tuple(c.warnings),
    )
    return config, [], c.warnings


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


# --------------------------------------------------------------------------- init


def init_template() -> str:
    """A commented starter ``clausekit.toml`` that :func:`load_config` accepts as is."""
    lines = []
    for name, members in DEFAULT_PROGRAMMES:
        quoted = ", ".join(f'"{m}"' for m in members)
        lines.append(f"{name} = [{quoted}]")
    return _TEMPLATE.replace("{programmes}", "\n".join(lines))


def write_init(path: Path, force: bool = False) -> Path:
    """Write the starter config at ``path``; refuse to overwrite an existing file unless forced."""
    if path.exists() and not force:
        raise UsageError(
            f"Le fichier {path} existe déjà : il n'a pas été modifié. Ajoutez --force pour "
            "le remplacer par le modèle."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(init_template(), encoding="utf-8")
    return path


_TEMPLATE = """\
# clausekit.toml — configuration de clausekit
#
# clausekit cherche ce fichier dans cet ordre : l'option --config (-c), la variable
# d'environnement CLAUSEKIT_CONFIG, puis clausekit.toml dans le dossier courant.
# Les chemins relatifs partent du dossier de ce fichier. Sous Windows, écrivez un chemin
# entre apostrophes ('C:\\Clauses\\exports') ou avec des barres obliques ("C:/Clauses/exports").
# Vérifiez ce fichier avec : clausekit config check
# Les textes s'écrivent entre guillemets droits ("…"), les listes entre crochets [ … ].

[rapport]
# Nombre d'heures d'un équivalent temps plein (ETP) : heures réalisées ÷ ce nombre.
heures_etp = 1607
# Date à laquelle l'âge est calculé pour « moins de 26 ans » :
#   "debut_premier_contrat" : début du premier contrat de la personne dans la période ;
#   "debut_periode"         : début de la période du rapport.
date_age = "debut_premier_contrat"
# Une personne compte parmi les jeunes si elle a strictement moins de cet âge.
age_limite = 26
# Heures réalisées minimales dans la période pour compter une personne comme participant.
heures_min_participant = 1
# Types de contrat qui ne sont pas du travail (leurs heures ne comptent pas) : libellés
# (majuscules et accents indifférents, mots entiers) ou expressions régulières, appliquées
# au texte mis en minuscules, sans accents ni ponctuation (ex. "^stage").
contrats_hors_travail = ["stage", "PMSMP", "immersion", "mise en situation"]
# Heures prévisionnelles : « auto » lit le niveau feuille par feuille (répétées par opération :
# comptées une fois ; différentes d'un contrat à l'autre : somme des contrats), « operation »
# ou « contrat » l'imposent.
niveau_previsions = "auto"

[programmes]
# Regroupements de donneurs d'ordre suivis ensemble (nom du programme = liste). Un donneur
# d'ordre appartient au premier programme dont un nom est contenu dans le sien (majuscules,
# accents et ponctuation indifférents).
{programmes}

[sortie]
# Dossier où écrire rapport.xlsx, rapport.json et rejets.csv.
dossier = "rapport"

[periode]
# Période du rapport quand l'option --period n'est pas donnée :
#   "tout"                 : toute la période couverte par les données ;
#   "dernier_mois_complet" : le mois précédant la date du jour (idéal pour un cron mensuel) ;
#   "annee_en_cours"       : de janvier au dernier mois complet (en janvier : l'année passée) ;
#   "2025-01:2025-06"      : une période fixe, de janvier à juin 2025.
regle = "tout"

[colonnes]
# En-têtes inhabituels, communs à tous les territoires : "en-tête du fichier" = "champ".
# Le champ s'écrit par son nom (participant_id, heures_realisees, date_debut…) ou en
# français (participant, "heures réalisées", "date de début"…). clausekit inspect FICHIER
# --config-snippet écrit ces lignes pour vous. Enlevez le # pour activer un exemple.
# "Nb h. effectives" = "heures réalisées"

# Territoires : une section par territoire, avec le dossier de ses exports (lu avec ses
# sous-dossiers) ou des motifs de fichiers. Enlevez les # pour activer un exemple.
#
# [territoires."Lens-Liévin"]
# dossier = "exports/Lens-Liévin"
#
# [territoires."Hénin-Carvin"]
# fichiers = ["exports/henin_*.xlsx", "exports/henin_*.csv"]
#
# En-têtes propres à ce territoire (ils remplacent, en-tête par en-tête, ceux de [colonnes]) :
# [territoires."Hénin-Carvin".colonnes]
# "Nb h. effectives" = "heures_realisees"
# "Réf. salarié" = "participant"

[historique]
# Base SQLite où sont gardés les totaux de chaque mois (jamais de nom ni d'identifiant),
# pour comparer un mois au précédent.
base = "historique.sqlite"

[pseudonymisation]
# Le secret qui sert à reconnaître une même personne d'un territoire à l'autre ne s'écrit
# JAMAIS ici. Indiquez le nom de la variable d'environnement qui le contient…
variable_secret = "CLAUSEKIT_SECRET"
# … ou, à la place, un fichier hors de tout dépôt git, lisible de vous seul :
# fichier_secret = "/etc/clausekit/secret"
"""


__all__ = [
    "CONFIG_NAME",
    "ENV_CONFIG",
    "PERIOD_RULES",
    "Config",
    "Territory",
    "canonical_columns",
    "check_config",
    "find_config",
    "init_template",
    "load_config",
    "not_work_pattern",
    "parse_period",
    "resolve_period",
    "review_config",
    "user_path",
    "write_init",
]
