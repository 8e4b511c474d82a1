"""A month read against its year: when the period asked starts after January (a monthly
run, ``dernier_mois_complet``), the report also carries the cumulative since January of the
same year, computed by the same indicators over the longer period (``year_to_date``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from clausekit.pipeline.indicators import compute
from clausekit.pipeline.merge import Dataset
from clausekit.rules.schemas import Spec
from clausekit.rules.settings import Settings

# what the cumulative carries: the grid of page 1, the forecast against realised, the
# monthly follow-up of the programmes
KEYS = (
    "period",
    "totals",
    "by_territory",
    "by_programme",
    "by_donneur_ordre",
    "by_operation",
    "monthly",
    "monthly_by_programme",
    "monthly_by_operation",
)


def year_to_date(
    data: Dataset, spec: Spec, settings: Settings, period: dict[str, Any]
) -> dict[str, Any] | None:
    """The cumulative since January of the period's year, or None when the period already
    starts in January or was not asked (the data's own period)."""
    start = period.get("start")
    if not settings.period_start or not start or start.endswith("-01"):
        return None
    body = compute(data, spec, replace(settings, period_start=f"{start[:4]}-01"))
    return {key: body[key] for key in KEYS}
