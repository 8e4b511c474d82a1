"""The configuration ``clausekit.toml`` as the rest of clausekit sees it: :class:`Config` and its
:class:`Territory` entries, where the file is found, the period rules, the contract types that
are not work, and the starter file that ``clausekit init`` writes.

Every rule of DOMAIN.md that users may change lives in a :class:`Config`: the counting settings
(:class:`clausekit.rules.settings.Settings`), contract types that are not work, programme
groupings of contracting authorities, the output folder, the period rule for unattended runs,
the territories and their input files, the history database and where the pseudonymisation
secret comes from. A secret is never read from the file itself. How the file is read and
checked, key by key: :mod:`clausekit.routine.configfile`.
"""

from __future__ import annotations

import fnmatch
import glob
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path, PurePath
from typing import TypeVar

from clausekit.errors import UsageError
from clausekit.rules.settings import DEFAULT_NON_WORK, DEFAULT_PROGRAMMES, Settings
from clausekit.rules.tomlfile import did_you_mean as _did_you_mean

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

REGEX_CHARS = frozenset("\\^$.|?*+()[]{}")


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

    labels = [e for e in entries if not REGEX_CHARS.intersection(e)]
    regexes = [e for e in entries if REGEX_CHARS.intersection(e)]
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


def rule_name(rule: str) -> str:
    """A period rule under its one name (« derniere_mois_complet » is « dernier_mois_complet »)."""
    return _RULE_SYNONYMS.get(rule.strip(), rule.strip())


def resolve_period(rule: str, today: date) -> tuple[str | None, str | None]:
    """The (start, end) months of a period rule on ``today``; (None, None) for "tout".

    ``dernier_mois_complet``: the month before today's. ``annee_en_cours``: January to the
    last complete month, of that month's year (in January: the whole previous year).
    Anything else must be an explicit period such as ``2025-01:2025-06``.
    """
    rule = rule_name(rule)
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
    "find_config",
    "init_template",
    "not_work_pattern",
    "parse_period",
    "resolve_period",
    "rule_name",
    "user_path",
    "write_init",
]
