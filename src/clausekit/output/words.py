"""The report's words in French: months and periods, hours, the marks of a figure not stated
or not available, and the notes that say what a rate is computed over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clausekit.rules.labels import french_number

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

MONTH_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)

NOT_AVAILABLE = "n.d."  # a share or rate that masked counts do not allow
NOT_STATED = "n.r."
NOT_STATED_NOTE = (
    "n.r. : non renseigné (aucune heure prévisionnelle déclarée, ou aucun participant) — "
    "jamais compté comme zéro."
)
UNNAMED = "(non renseigné)"
NO_USABLE_EXPORT = "aucun export exploitable"

FOOTNOTE_PEOPLE = (
    "Une personne compte une fois dans le total et une fois dans chaque ligne d'une "
    "répartition : la somme des lignes peut dépasser le total."
)

AGE_REFERENCE_LABELS = {
    "first_contract_start": "début du premier contrat de la période",
    "period_start": "début de la période",
}


def month_words(month: str) -> str:
    """« 2025-06 » in words: « juin 2025 »."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def period_words(period: dict[str, Any]) -> str:
    """The period in words: « janvier à décembre 2025 », « juin 2025 »,
    « novembre 2024 à février 2025 »."""
    start, end = period.get("start"), period.get("end")
    if not start or not end:
        return "période non déterminée (aucune heure réalisée)"
    if start == end:
        return month_words(start)
    if start[:4] == end[:4]:
        return f"{MONTHS[int(start[5:]) - 1]} à {month_words(end)}"
    return f"{month_words(start)} à {month_words(end)}"


def period_text(period: dict[str, Any]) -> str:
    if not period.get("start"):
        return "période non déterminée (aucune heure réalisée)"
    return f"période {period_words(period)}"


def hours_words(value: float) -> str:
    """Hours in French, without decimals: « 12 345 »."""
    return french_number(value)


def share(part: Any, whole: Any) -> float | str | None:
    """``part`` / ``whole``: None without participants, « n.d. » when a count is masked."""
    if isinstance(part, str) or isinstance(whole, str):
        return NOT_AVAILABLE
    if part is None or not whole:
        return None
    return part / whole


RATE_BASIS = "taux calculé sur les opérations dont les heures prévues sont connues"


def rate_basis(stats: dict[str, Any]) -> str | None:
    """« (x h réalisées sur y) » when some realised hours belong to operations without a
    forecast (they are left out of the rate); None when every hour has its forecast."""
    realised = stats.get("hours_realised")
    planned = stats.get("hours_realised_with_forecast")
    if realised is None or planned is None or planned >= realised:
        return None
    return f"{hours_words(planned)} h réalisées sur {hours_words(realised)}"


def rate_note(
    totals: dict[str, Any] | None,
    records: Sequence[dict[str, Any]] = (),
    *keys: str,
) -> str | None:
    """The note that says what the rates are computed over, for the total and for each
    group (``records``, named by the first of ``keys`` they hold) that has a rate and hours
    without a forecast; None when every realised hour has its forecast."""
    parts = []
    total = rate_basis(totals) if totals is not None else None
    if total is not None:
        parts.append(f"ensemble : {total}")
    for record in records:
        found = rate_basis(record)
        if found is not None and record.get("realisation_rate") is not None:
            name = next((record[k] for k in keys if k in record), None)
            parts.append(f"{name or UNNAMED} : {found}")
    if not parts:
        return None
    return f"Taux de réalisation : {RATE_BASIS} ({' ; '.join(parts)})."
