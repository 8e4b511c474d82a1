"""One table of French labels for every code a reader may meet.

The report (rapport.json) keeps stable codes for programs (``EXECUTION``, ``JEUNE_M26``,
``warning``, ``COLUMN_MISSING``…); everything a person reads (xlsx, csv, markdown, html,
terminal) shows the label found here instead. Clause types, execution modes, publics, table
kinds and contract types take their labels from ``schemas/``; the rest is declared below.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

SEVERITY = {"error": "erreur", "warning": "avertissement"}

# short French names of the catalogue's codes, as a reject reason reads them
# (« N° participant : colonne obligatoire absente »)
ISSUE = {
    "FILE_NOT_FOUND": "fichier introuvable",
    "FILE_UNREADABLE": "fichier illisible",
    "FILE_FORMAT_UNKNOWN": "format non reconnu",
    "FILE_EXTENSION_MISMATCH": "extension trompeuse",
    "FILE_ENCRYPTED": "classeur protégé par mot de passe",
    "FILE_HOSTILE": "fichier refusé par sécurité",
    "FILE_TOO_SLOW": "lecture trop longue",
    "FILE_LOCK_SKIPPED": "fichier de verrouillage ignoré",
    "FILE_DUPLICATE": "copie d'un autre fichier",
    "FILE_FORMAT_UNSUPPORTED": "format de classeur non pris en charge",
    "FILE_NO_TABLE": "aucune table reconnue",
    "NO_HOURS": "aucune heure réalisée",
    "NO_INPUT": "aucun export lisible",
    "SHEET_HIDDEN": "feuille masquée",
    "SHEET_NOT_RECOGNISED": "feuille non reconnue",
    "COLUMN_MISSING": "colonne obligatoire absente",
    "COLUMN_DUPLICATE": "en-tête en double",
    "COLUMN_AMBIGUOUS": "colonnes ambiguës",
    "COLUMN_UNMAPPED": "colonne non reconnue",
    "ROW_BLANK": "ligne vide",
    "ROW_TOTAL": "ligne de total",
    "VALUE_REQUIRED": "valeur obligatoire manquante",
    "VALUE_NOT_NUMBER": "pas un nombre",
    "VALUE_NOT_HOURS": "pas un nombre d'heures",
    "VALUE_NOT_DATE": "date non valide",
    "VALUE_NOT_MONTH": "mois non reconnu",
    "VALUE_NOT_BOOL": "pas une réponse Oui/Non",
    "VALUE_NOT_ALLOWED": "valeur non admise",
    "VALUE_OUT_OF_RANGE": "hors des bornes admises",
    "VALUE_EXCEL_ERROR": "erreur Excel dans la cellule",
    "VALUE_CATEGORY_UNKNOWN": "valeur inconnue",
    "VALUE_PUBLIC_UNKNOWN": "public non reconnu",
    "VALUE_FORMULA_NO_CACHE": "formule sans valeur calculée",
    "VALUE_TOO_LONG": "cellule trop longue",
    "CSV_RAGGED_ROW": "nombre de champs incorrect",
    "DATES_INVERTED": "date de fin avant la date de début",
    "ROW_NO_MONTH": "ligne d'heures sans mois",
    "PARTICIPANT_UNKNOWN": "participant absent de la table participants",
    "FORECAST_CONFLICT": "heures prévisionnelles incohérentes",
    "ID_ZEROS_MATCHED": "identifiants reconnus malgré des zéros perdus",
    "EXPORT_ROWS_SUPERSEDED": "lignes remplacées par un export plus récent",
    "HOURS_MONTH_IMPLAUSIBLE": "plus de 300 h en un mois pour un contrat",
    "BIRTH_DATE_IMPLAUSIBLE": "date de naissance invraisemblable",
    "OPERATION_MULTI_TERRITORY": "opération dans plusieurs territoires",
    "PARTICIPANT_DUPLICATE_ID": "identifiant de participant en double",
    "PERSON_DUPLICATE_SUSPECT": "doublon possible",
}
ISSUE_FALLBACK = "anomalie (voir la feuille Anomalies)"

# codes the indicators give to what the data did not say
UNRECOGNISED = {
    "clause_type": {"NON_RECONNU": "Type de clause non reconnu"},
    "execution_mode": {"NON_RENSEIGNE": "Modalité non renseignée"},
}

EXIT = {
    "durable": "Emplois durables",
    "transition": "Emplois de transition",
    "positive": "Sorties positives",
    "other": "Autres sorties",
    "unknown": "Sortie inconnue",
}

# acronyms that are French words as much as codes: a reader writes « BRSA », « CDD »
READABLE_CODES = frozenset({"BRSA", "ASE", "QPV", "TH", "DELD", "CDI", "CDD", "CDDI", "SIAE"})


@functools.cache
def _tables() -> dict[str, dict[str, str]]:
    from clausekit.rules.exits import load_contract_rules
    from clausekit.rules.schemas import load_spec

    spec = load_spec()
    rules = load_contract_rules()
    contract = {s.code: s.label for s in rules.subsidies}
    contract.update((f.code, f.label) for f in rules.families)
    contract["AUTRE"] = rules.label("AUTRE")
    return {
        "clause_type": {
            **{t.code: t.label for t in spec.clause_types},
            **UNRECOGNISED["clause_type"],
        },
        "execution_mode": {
            **{m.code: m.label for m in spec.execution_modes},
            **UNRECOGNISED["execution_mode"],
        },
        "public": {p.code: p.label for p in spec.publics},
        "kind": {kind: table.label for kind, table in spec.tables.items()},
        "contract_type": contract,
        "severity": dict(SEVERITY),
        "issue": dict(ISSUE),
        "exit": dict(EXIT),
    }


def vocabularies() -> Mapping[str, Mapping[str, str]]:
    """Every vocabulary: its codes and their French labels."""
    return _tables()


def label(vocabulary: str, code: Any) -> Any:
    """The French label of ``code`` (a value that is not a known code is returned as is)."""
    if not isinstance(code, str):
        return code
    table = _tables()[vocabulary]
    if vocabulary == "kind" and "+" in code:  # a sheet holding several tables
        return " + ".join(str(table.get(part, part)) for part in code.split("+"))
    if vocabulary == "issue":
        return table.get(code, ISSUE_FALLBACK)
    return table.get(code, code)


_REASON = re.compile(r"(?<= : )([A-Z][A-Z0-9_]+)(?=;|$)")


def reasons_text(reasons: Any) -> Any:
    """A reject reason in words: « N° participant : COLUMN_MISSING » becomes
    « N° participant : colonne obligatoire absente »."""
    if not isinstance(reasons, str):
        return reasons
    return _REASON.sub(lambda m: label("issue", m.group(1)), reasons)


def raw_codes() -> frozenset[str]:
    """The codes that must never reach a reader: every code whose label differs from it,
    except the acronyms that read as French words (BRSA, CDD…) and the table kinds
    (participants, contrats: French words already)."""
    codes = {
        code
        for name, table in _tables().items()
        if name not in ("severity", "exit", "kind")
        for code, text in table.items()
        if text != code and code not in READABLE_CODES
    }
    return frozenset(codes)


# ---------------------------------------------------------------------------------------------
# Numbers written the French way
# ---------------------------------------------------------------------------------------------

NARROW_NBSP = "\u202f"  # between thousands: « 1 234 » never breaks across lines


def french_number(value: float, decimals: int = 0, *, trim: bool = False) -> str:
    """``1234.5`` → ``« 1 234,50 »`` with ``decimals=2``: a narrow no-break space between
    thousands and a decimal comma; ``trim`` drops trailing zeros (``« 320,5 »``, ``« 1 234 »``)."""
    text = f"{value:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", NARROW_NBSP).replace(".", ",")
