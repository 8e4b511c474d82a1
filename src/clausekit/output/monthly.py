"""The monthly follow-up as grids: for each programme, or each operation, its hours per month,
their cumulative and the share of its forecast the cumulative reaches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from clausekit.output.words import MONTH_SHORT, NOT_STATED, UNNAMED, hours_words
from clausekit.rules.programmes import OTHER_PROGRAMME

GRID_HOURS = "#,##0"
MONTHLY_NOTE = (
    "Cumul depuis le début de la période ; % : cumul des opérations dont les heures "
    "prévues sont connues, rapporté à ces heures. n.r. : non renseigné."
)


def monthly_grid(
    rows: list[dict[str, Any]],
    label_of: Callable[[dict[str, Any]], tuple[Any, ...]],
    sort_key: Callable[[tuple[Any, ...]], Any],
    label_columns: list[str],
) -> tuple[pd.DataFrame, list[str | None]]:
    """Groups × months: for each group its hours per month, their cumulative and the share
    of its forecast the cumulative reaches (« n.r. » without a forecast); a Total column."""
    months = sorted({r["month"] for r in rows})
    heads = [f"{MONTH_SHORT[int(m[5:]) - 1]} {m[:4]}" for m in months]
    groups: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(label_of(r), {})[r["month"]] = r
    records: list[list[Any]] = []
    formats: list[str | None] = []
    for key in sorted(groups, key=sort_key):
        per = groups[key]
        forecast = next(iter(per.values())).get("hours_forecast") or 0
        hours = [per[m]["hours_realised"] if m in per else 0.0 for m in months]
        cumulative = [per[m]["cumulative_hours"] if m in per else None for m in months]
        rates = [
            NOT_STATED
            if m not in per or per[m]["cumulative_rate"] is None
            else per[m]["cumulative_rate"]
            for m in months
        ]
        planned = f"{hours_words(forecast)} h" if forecast else "non renseignées"
        records += [
            [*key, "Heures réalisées", *hours, round(sum(hours), 2)],
            [*key, "Heures cumulées", *cumulative, None],
            [*key, f"% des heures prévues ({planned})", *rates, None],
        ]
        formats += [GRID_HOURS, GRID_HOURS, "0.0%"]
    frame = pd.DataFrame(records, columns=[*label_columns, "Indicateur", *heads, "Total"])
    return frame, formats


def programme_grid(
    source: dict[str, Any], rank: Callable[[Any], int]
) -> tuple[pd.DataFrame, list[str | None]]:
    """Programme × months, ERBM and CSNE first, « Autres » last."""
    return monthly_grid(
        source["monthly_by_programme"],
        lambda r: (r["programme"],),
        lambda k: (rank(k[0]), str(k[0])),
        ["Programme"],
    )


def operation_grid(
    source: dict[str, Any],
    rank: Callable[[Any], int],
    of_op: dict[tuple[Any, Any], str],
) -> tuple[pd.DataFrame, list[str | None]]:
    """Operation × months, under their programme (``of_op``) and territory."""

    def operation(r: dict[str, Any]) -> tuple[Any, ...]:
        programme = of_op.get((r["territory"], r["operation_id"]), OTHER_PROGRAMME)
        label = r["operation"] or r["operation_id"] or UNNAMED
        return (programme, r["territory"] or UNNAMED, label)

    return monthly_grid(
        source["monthly_by_operation"],
        operation,
        lambda k: (rank(k[0]), str(k[0]), str(k[1]), str(k[2])),
        ["Programme", "Territoire", "Opération"],
    )
