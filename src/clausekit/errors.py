"""Located issues, the catalogue of issue codes, library exceptions and exit codes.

Validation problems are data (:class:`Issue`), not exceptions. Exceptions are kept for what
stops a run: a usage or configuration mistake (:class:`UsageError`) or an input that cannot be
read at all (:class:`InputError`). The CLI maps each to a distinct exit code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any, Literal

Severity = Literal["error", "warning"]


class ExitCode(IntEnum):
    OK = 0
    DATA_ISSUES = 1  # report produced, but rows rejected or warnings
    USAGE = 2  # usage or configuration error
    UNREADABLE = 3  # an input could not be read at all
    INTERNAL = 4  # a bug in clausekit
    INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


# The exit categories: what each exit code tells the user (README « Codes de sortie »).
EXIT_CATEGORIES: dict[int, str] = {
    ExitCode.OK: "tout va bien",
    ExitCode.DATA_ISSUES: "rapport produit, mais des lignes ont été rejetées ou des "
    "avertissements changent les chiffres (codes marqués « code 1 » ci-dessous)",
    ExitCode.USAGE: "erreur d'utilisation ou de configuration (option invalide, période mal "
    "écrite), ou rapport impossible à écrire (`-o` désigne un fichier, dossier sans droit "
    "d'écriture, disque plein) : le rapport précédent reste intact ; ou sortie coupée "
    "(`… | head`) avant la fin",
    ExitCode.UNREADABLE: "un fichier n'a pas pu être lu du tout (illisible, protégé, dangereux) ; "
    "le rapport est produit avec les autres fichiers s'il y en a",
    ExitCode.INTERNAL: "erreur interne (un bogue de clausekit, pas une erreur de l'utilisateur) ; "
    "détail avec `--debug`",
    ExitCode.INTERRUPTED: "interrompu par Ctrl-C : les lecteurs sont arrêtés, le rapport précédent "
    "reste intact",
}


@dataclass(frozen=True)
class CodeInfo:
    severity: Severity
    template: str  # French message; fields in braces come from Issue.params
    hint: str  # how to fix it
    # what the code does to the exit: by default 1 for an error, 0 for a warning (informative);
    # 3 for a file not read at all, 1 for a warning that changes the figures
    exit: ExitCode | None = None

    @property
    def exit_effect(self) -> ExitCode:
        if self.exit is not None:
            return self.exit
        return ExitCode.DATA_ISSUES if self.severity == "error" else ExitCode.OK


# The catalogue: one entry per stable code. The README renders this table.
CATALOGUE: dict[str, CodeInfo] = {
    # --- files
    "FILE_NOT_FOUND": CodeInfo(
        "error", "Fichier ou dossier introuvable.", "Vérifiez le chemin.", exit=ExitCode.UNREADABLE
    ),
    "FILE_UNREADABLE": CodeInfo(
        "error",
        "Le fichier n'a pas pu être lu : {reason}.",
        "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau en .xlsx.",
        exit=ExitCode.UNREADABLE,
    ),
    "FILE_FORMAT_UNKNOWN": CodeInfo(
        "error",
        "Format non reconnu (le contenu n'est ni xlsx, ni xls, ni ods, ni csv).",
        "Exportez le fichier depuis ABC Clauses au format Excel (.xlsx) ou CSV.",
        exit=ExitCode.UNREADABLE,
    ),
    "FILE_FORMAT_UNSUPPORTED": CodeInfo(
        "error",
        "Classeur {kind} : ce format n'est pas lu par clausekit.",
        "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx.",
        exit=ExitCode.UNREADABLE,
    ),
    "FILE_EXTENSION_MISMATCH": CodeInfo(
        "warning",
        "L'extension « {extension} » ne correspond pas au contenu ({detected}) : "
        "le fichier est lu comme {detected}.",
        "Renommez le fichier avec la bonne extension.",
    ),
    "FILE_ENCRYPTED": CodeInfo(
        "error",
        "Le classeur est protégé par mot de passe.",
        "Enregistrez une copie sans mot de passe (Fichier > Informations > Protéger).",
        exit=ExitCode.UNREADABLE,
    ),
    "FILE_HOSTILE": CodeInfo(
        "error",
        "Fichier refusé par sécurité : {reason}.",
        "Ré-exportez le fichier depuis ABC Clauses ; ne transmettez pas ce fichier.",
        exit=ExitCode.UNREADABLE,
    ),
    "FILE_TOO_SLOW": CodeInfo(
        "error",
        "La lecture a dépassé {seconds} s ou la mémoire autorisée : fichier abandonné.",
        "Vérifiez que la feuille ne déclare pas une plage démesurée ; enregistrez-la à nouveau.",
        exit=ExitCode.UNREADABLE,
    ),
    "FILE_LOCK_SKIPPED": CodeInfo(
        "warning",
        "Fichier de verrouillage Excel ignoré.",
        "Rien à faire : ce fichier temporaire est créé par Excel pendant l'édition.",
    ),
    "FILE_DUPLICATE": CodeInfo(
        "warning",
        "Contenu identique à {other} : fichier ignoré (ses heures ne sont pas comptées deux fois).",
        "Supprimez la copie du dossier de dépôt.",
    ),
    "FILE_NO_TABLE": CodeInfo(
        "warning",
        "Aucune feuille du fichier n'a été reconnue comme table participants, contrats ou "
        "opérations{detail} : le fichier n'apporte aucune donnée.",
        "Vérifiez les en-têtes de colonnes (voir la liste des alias dans schemas/).",
        exit=ExitCode.DATA_ISSUES,
    ),
    "NO_HOURS": CodeInfo(
        "warning",
        "Aucune heure réalisée dans les données lues{where} : les tableaux sont vides.",
        "Ajoutez la table des contrats et des heures de chaque territoire, ou vérifiez la "
        "période demandée.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "NO_INPUT": CodeInfo(
        "error",
        "Aucun export lisible trouvé dans les chemins donnés.",
        "Indiquez des fichiers .xlsx, .xls, .ods ou .csv, ou un dossier qui en contient.",
    ),
    # --- sheets and columns
    "SHEET_HIDDEN": CodeInfo(
        "warning", "Feuille masquée ignorée.", "Affichez la feuille si elle doit être lue."
    ),
    "SHEET_NOT_RECOGNISED": CodeInfo(
        "warning",
        "Feuille non reconnue (aucun en-tête de table trouvé dans les {rows} premières lignes).",
        "Vérifiez la ligne d'en-tête ; la feuille est ignorée.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "COLUMN_MISSING": CodeInfo(
        "error",
        "Colonne obligatoire « {column_label} » absente. Colonnes trouvées : {found}. "
        "En-têtes acceptés : {aliases}.",
        "Renommez la colonne avec l'un des en-têtes acceptés ou ajoutez-la.",
    ),
    "COLUMN_DUPLICATE": CodeInfo(
        "error",
        "En-tête en double : « {column} » apparaît {count} fois (colonnes {letters}).",
        "Renommez ou supprimez l'une des colonnes ; aucune n'est lue.",
    ),
    "COLUMN_AMBIGUOUS": CodeInfo(
        "warning",
        "Plusieurs colonnes correspondent à « {column_label} » : {found} ; « {kept} » est "
        "retenue, les autres sont ignorées.",
        "Gardez une seule de ces colonnes, ou renommez celle qui a un autre sens.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "COLUMN_UNMAPPED": CodeInfo(
        "warning",
        "Colonne non reconnue, ignorée.",
        "Si elle est utile, ajoutez son en-tête aux alias dans schemas/ ou dans clausekit.toml.",
    ),
    # --- rows
    "ROW_BLANK": CodeInfo("warning", "Ligne vide ignorée.", "Rien à faire."),
    "ROW_TOTAL": CodeInfo(
        "warning", "Ligne de total ignorée.", "Rien à faire : les totaux sont recalculés."
    ),
    # --- cells
    "VALUE_REQUIRED": CodeInfo(
        "error", "Valeur obligatoire manquante.", "Renseignez la cellule dans ABC Clauses."
    ),
    "VALUE_NOT_NUMBER": CodeInfo(
        "error",
        "« {value} » n'est pas un nombre.",
        "Saisissez un nombre, par exemple 1 234,5.",
    ),
    "VALUE_NOT_HOURS": CodeInfo(
        "error",
        "« {value} » n'est pas un nombre d'heures.",
        "Saisissez un nombre d'heures, par exemple 151,67 ou 7:30.",
    ),
    "VALUE_NOT_DATE": CodeInfo(
        "error",
        "« {value} » n'est pas une date valide.",
        "Saisissez une date au format JJ/MM/AAAA, par exemple 31/12/2025.",
    ),
    "VALUE_NOT_MONTH": CodeInfo(
        "error",
        "« {value} » n'est pas un mois reconnu.",
        "Saisissez un mois comme 01/2025, janv.-25 ou 2025-01.",
    ),
    "VALUE_NOT_BOOL": CodeInfo(
        "error",
        "« {value} » n'est pas une réponse Oui/Non.",
        "Saisissez Oui ou Non (X, 1 et Vrai sont aussi acceptés).",
    ),
    "VALUE_NOT_ALLOWED": CodeInfo(
        "error",
        "« {value} » n'est pas une valeur admise. Valeurs admises : {allowed}.",
        "Corrigez la cellule avec l'une des valeurs admises.",
    ),
    "VALUE_OUT_OF_RANGE": CodeInfo(
        "error",
        "« {value} » est hors des bornes admises ({bounds}).",
        "Vérifiez la saisie.",
    ),
    "VALUE_EXCEL_ERROR": CodeInfo(
        "error",
        "La cellule contient une erreur Excel « {value} ».",
        "Corrigez la formule dans le fichier source.",
    ),
    "VALUE_CATEGORY_UNKNOWN": CodeInfo(
        "warning",
        "« {value} » n'est pas une valeur connue de « {column} » ({allowed}) : traitée comme "
        "non renseignée.",
        "Corrigez la cellule, ou ajoutez la valeur dans schemas/.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "VALUE_PUBLIC_UNKNOWN": CodeInfo(
        "warning",
        "Catégorie de public non reconnue dans la cellule : ignorée.",
        "Utilisez BRSA, -26 ans, ASE, DELD, TH, +50 ans ou QPV, ou ajoutez l'alias dans "
        "schemas/publics.toml.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "VALUE_FORMULA_NO_CACHE": CodeInfo(
        "error",
        "La cellule {cell} contient une formule sans valeur calculée.",
        "Ouvrez le fichier dans Excel ou LibreOffice, recalculez et enregistrez-le.",
    ),
    "VALUE_TOO_LONG": CodeInfo(
        "error",
        "Une cellule dépasse la limite Excel de 32 767 caractères ({length} caractères).",
        "Corrigez la cellule dans le fichier source.",
    ),
    "CSV_RAGGED_ROW": CodeInfo(
        "error",
        "La ligne a {found} champs au lieu de {expected}.",
        "Vérifiez les séparateurs et les guillemets de cette ligne du CSV.",
    ),
    "DATES_INVERTED": CodeInfo(
        "error",
        "La date de fin précède la date de début.",
        "Vérifiez les dates du contrat.",
    ),
    "ROW_NO_MONTH": CodeInfo(
        "warning",
        "{count} ligne(s) d'heures sans mois ni date de début (première : ligne {row_shown}) : "
        "comptées dans les totaux, absentes du suivi mensuel, et exclues quand une période "
        "est demandée.",
        "Renseignez le mois ou la date de début du contrat.",
        exit=ExitCode.DATA_ISSUES,
    ),
    # --- cross-table
    "PARTICIPANT_UNKNOWN": CodeInfo(
        "warning",
        "Le participant « {value} » des contrats est absent de la table participants : "
        "son âge et son statut sont inconnus.",
        "Ajoutez la table participants de ce territoire à l'export.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "FORECAST_CONFLICT": CodeInfo(
        "warning",
        "Heures prévisionnelles incohérentes pour l'opération « {value} » : {count} valeurs "
        "différentes, de {low} à {high} h, ni répétées par opération ni par contrat : la plus "
        "grande est retenue.",
        "Harmonisez les heures prévisionnelles de l'opération dans ABC Clauses, ou fixez le "
        "niveau des heures prévues dans clausekit.toml ([rapport] niveau_previsions).",
        exit=ExitCode.DATA_ISSUES,
    ),
    "ID_ZEROS_MATCHED": CodeInfo(
        "warning",
        "{count} identifiant(s) de {what} reconnus malgré des zéros en tête perdus "
        "(ex. 00000181 et 181, comme le fait Excel).",
        "Rien à faire si ce sont les mêmes ; sinon, enregistrez la colonne au format texte.",
    ),
    "EXPORT_ROWS_SUPERSEDED": CodeInfo(
        "warning",
        "{count} ligne(s) de ce fichier figurent aussi dans un export plus récent du même "
        "territoire ({newer}) : la version la plus récente est retenue, rien n'est compté "
        "deux fois.",
        "Rien à faire : vous pouvez retirer l'ancien export du dossier.",
    ),
    "HOURS_MONTH_IMPLAUSIBLE": CodeInfo(
        "warning",
        "{hours} h réalisées en {month} pour un même contrat ({rows} ligne(s) de ce mois, la "
        "première ici) : plus de 300 h dans un mois est invraisemblable. Les heures sont "
        "comptées telles quelles{more}.",
        "Vérifiez les heures de ce contrat dans ABC Clauses (un temps plein fait environ "
        "152 h par mois).",
    ),
    "BIRTH_DATE_IMPLAUSIBLE": CodeInfo(
        "error",
        "Date de naissance invraisemblable : {age} au premier contrat (attendu : de 15 à "
        "80 ans). La date est laissée vide ; la personne est gardée, d'âge inconnu.",
        "Corrigez la date de naissance dans ABC Clauses.",
    ),
    "OPERATION_MULTI_TERRITORY": CodeInfo(
        "warning",
        "L'opération « {value} » (même donneur d'ordre) figure dans plusieurs territoires "
        "({territories}) : ses heures prévisionnelles sont comptées une fois par territoire.",
        "Si c'est une seule opération, ne déclarez ses heures prévisionnelles que dans un "
        "territoire.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "PARTICIPANT_DUPLICATE_ID": CodeInfo(
        "warning",
        "Le participant « {value} » apparaît sur plusieurs lignes avec des identités différentes.",
        "Vérifiez les doublons dans ABC Clauses.",
        exit=ExitCode.DATA_ISSUES,
    ),
    "PERSON_DUPLICATE_SUSPECT": CodeInfo(
        "warning",
        "Doublon possible : la même personne semble avoir plusieurs identifiants ({value}).",
        "Vérifiez dans ABC Clauses si ces fiches désignent la même personne.",
        exit=ExitCode.DATA_ISSUES,
    ),
}


# Warnings that change the figures (exit code 1 when present); the others are informative.
WARNINGS_THAT_MATTER = frozenset(
    code
    for code, info in CATALOGUE.items()
    if info.severity == "warning" and info.exit_effect == ExitCode.DATA_ISSUES
)
# Errors that stop a file from being read at all (exit code 3).
UNREADABLE_CODES = frozenset(
    code for code, info in CATALOGUE.items() if info.exit_effect == ExitCode.UNREADABLE
)


def exit_effect(code: str) -> ExitCode:
    """What one catalogue code does to the exit code: 3 when a file could not be read, 1 for
    an error or a warning that changes the figures, 0 for an informative warning."""
    return CATALOGUE[code].exit_effect


def exit_code(issues: Iterable[Issue], *, unreadable: bool = False) -> ExitCode:
    """The one exit code of a run, from its issues (and whether a file was unreadable): the
    most serious effect wins (3, then 1, then 0)."""
    effects = {exit_effect(issue.code) for issue in issues}
    if unreadable or ExitCode.UNREADABLE in effects:
        return ExitCode.UNREADABLE
    return ExitCode.DATA_ISSUES if ExitCode.DATA_ISSUES in effects else ExitCode.OK


@dataclass(frozen=True)
class Issue:
    """One located problem. ``row`` is the spreadsheet row number the user sees (1-based)."""

    code: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    @property
    def message(self) -> str:
        info = CATALOGUE[self.code]
        # a value not copied (personal data possible) reads as « … »
        value = "…" if self.value is None else self.value
        fields: dict[str, Any] = {"value": value, "column": self.column or ""}
        fields.update(dict(self.params))
        return info.template.format(**fields)

    @property
    def hint(self) -> str:
        return CATALOGUE[self.code].hint

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["params"]
        data["severity"] = self.severity
        data["message"] = self.message
        return data


def make_issue(code: str, **kwargs: Any) -> Issue:
    """Build an issue; keyword arguments not among Issue's fields become message params."""
    fields = {k: kwargs.pop(k) for k in ("file", "sheet", "row", "column", "value") if k in kwargs}
    if code not in CATALOGUE:  # pragma: no cover - programming error
        raise KeyError(code)
    params = tuple(sorted((k, str(v)) for k, v in kwargs.items()))
    return Issue(code=code, params=params, **fields)


class ClausekitError(Exception):
    """Base class of the errors that stop a run."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(ClausekitError):
    """Bad options, paths or configuration."""

    exit_code = ExitCode.USAGE


class InputError(ClausekitError):
    """No input could be read at all."""

    exit_code = ExitCode.UNREADABLE


class NoTableError(ClausekitError):
    """Files were read, but none holds a table: nothing to report."""

    exit_code = ExitCode.DATA_ISSUES


class OutputError(UsageError):
    """The report cannot be written where asked (a file in the way, no permission, disk
    full): the user's to fix, the previous report is left whole."""


def output_error(exc: OSError, where: object) -> OutputError:
    """The French message of a failure to write the report in ``where``."""
    import errno

    code = exc.errno
    if isinstance(exc, (FileExistsError, NotADirectoryError)) or code in (
        errno.EEXIST,
        errno.ENOTDIR,
    ):
        text = (
            f"« {where} » n'est pas un dossier (un fichier porte ce nom) : indiquez un autre "
            "dossier de sortie avec -o."
        )
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        text = (
            f"Écriture refusée dans « {where} » (droits insuffisants) : indiquez avec -o un "
            "dossier où vous pouvez écrire."
        )
    elif code in (errno.ENOSPC, errno.EDQUOT):
        text = (
            f"Disque plein : le rapport n'a pas pu être écrit dans « {where} ». Libérez de la "
            "place puis relancez."
        )
    elif code == errno.EROFS:
        text = (
            f"« {where} » est sur un disque en lecture seule : indiquez un autre dossier avec -o."
        )
    else:
        text = f"Le rapport n'a pas pu être écrit dans « {where} » (erreur du système de fichiers)."
    return OutputError(f"{text} Le rapport précédent, s'il y en a un, est intact.")
