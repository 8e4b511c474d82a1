"""Stage 5 — indicators: the Département's tables computed from the merged dataset.

Counting rules (DOMAIN.md §5): a person counts once in a total and once in each group of a
breakdown; forecast hours belong to the operation and are summed once per operation; realised
hours are summed from the hours lines of the period, by the month they were worked; "under 26"
means strictly younger than 26 on the start of the person's first contract in the period.

How: the period's lines are coded once as integers (``pipeline/counting.py``). Each table of
the report is one grouping of them, described as data in :data:`BREAKDOWNS` (and
:data:`MONTHLY` for the monthly follow-up); each row of a table has every metric of
``rules/metrics.py``. :func:`compute` is the sequence of steps.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clausekit.options import CORES
from clausekit.pipeline.counting import (
    AGE_PUBLIC,
    Bools,
    Flags,
    Floats,
    Groups,
    Ints,
    Lines,
    Operations,
    clause_groups,
    code_lines,
    drop_inactive,
    execution_modes,
    group_codes,
    operations_table,
    rate,
    statistics,
    unit_flags,
)
from clausekit.pipeline.merge import Dataset
from clausekit.pipeline.reconcile import positions_in
from clausekit.rules import metrics
from clausekit.rules.exits import (
    best_outcome,
    classify_exits,
    duration_from_dates,
    exit_summary,
    load_contract_rules,
)
from clausekit.rules.schemas import Spec
from clausekit.rules.settings import Settings

STAT_KEYS = metrics.KEYS  # the fields of a statistics row (the totals, a breakdown's row)
COUNT_KEYS = metrics.COUNTS  # the integer ones: people, contracts, operations, companies


@dataclass(frozen=True)
class Breakdown:
    """One table of the report: the lines grouped by a dimension, every metric per group."""

    key: str  # the report's field
    # where a line's group comes from: "total" (one group), "territory" (counted with each
    # territory's own records of its people), "operation" (columns of the operations table),
    # "clause" (each clause type of its operation), "line" (a column of the lines)
    by: str
    columns: tuple[str, ...] = ()  # the grouping columns
    # the rows' order: that of a vocabulary of schemas/ ("clause_types", "execution_modes"),
    # "hours" (most hours first), else by value
    order: str | None = None
    label: str | None = None  # a « label » column from this vocabulary ("contract_types")
    fields: tuple[str, ...] = metrics.KEYS  # the metrics shown
    keep_empty: bool = False  # with a period, a group with nothing in it stays
    with_contracts: bool = False  # only the groups that have a contract


TOTALS = Breakdown("totals", "total", keep_empty=True)
BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown("by_territory", "territory", ("territory",), keep_empty=True),
    Breakdown("by_donneur_ordre", "operation", ("donneur_ordre",)),
    Breakdown(
        "by_operation", "operation", ("territory", "operation_id", "operation", "donneur_ordre")
    ),
    Breakdown("by_clause_type", "clause", ("clause_type",), order="clause_types"),
    Breakdown("by_programme", "operation", ("programme",)),
    Breakdown(
        "by_execution_mode",
        "line",
        ("execution_mode",),
        order="execution_modes",
        fields=("hours_realised", "participants", "contracts"),
    ),
    Breakdown(
        "by_contract_type",
        "line",
        ("contract_type",),
        order="hours",
        label="contract_types",
        fields=("contracts", "hours_realised", "participants"),
        with_contracts=True,
    ),
)
# hours per month worked, active participants, the cumulative against the forecast
MONTHLY: tuple[Breakdown, ...] = (
    Breakdown("monthly", "total"),
    Breakdown("monthly_by_territory", "territory", ("territory",)),
    Breakdown("monthly_by_donneur_ordre", "operation", ("donneur_ordre",)),
    Breakdown("monthly_by_operation", "operation", ("territory", "operation_id", "operation")),
    Breakdown("monthly_by_programme", "operation", ("programme",)),
)
# the report's fields in the order of rapport.json
FIELDS = (
    "period",
    "totals",
    "by_territory",
    "by_donneur_ordre",
    "by_operation",
    "by_clause_type",
    "by_public",
    *(m.key for m in MONTHLY),
    "by_programme",
    "by_execution_mode",
    "by_contract_type",
    "exits",
    "quality",
)


def period_of(lines: pd.DataFrame, settings: Settings) -> tuple[str | None, str | None]:
    months = lines.loc[lines["hours"] > 0, "month"].dropna() if len(lines) else pd.Series()
    start = settings.period_start or (str(months.min()) if len(months) else None)
    end = settings.period_end or (str(months.max()) if len(months) else None)
    return start, end


def month_range(start: str | None, end: str | None) -> list[str]:
    """Every month from start to end inclusive ("YYYY-MM")."""
    if not start or not end:
        return []
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def compute(data: Dataset, spec: Spec, settings: Settings) -> dict[str, Any]:
    """The report's tables as plain JSON-ready data (see report-contract.md)."""
    start, end = period_of(data.lines, settings)
    months = month_range(start, end)
    coded = code_lines(data, _in_period(data.lines, settings, start, end), months)
    ops = operations_table(data, coded, spec, settings)
    worked, worked_hours = _worked(coded, settings)
    # Each table reads the coded lines and writes nothing shared: they are computed two at a
    # time (numpy, pandas and pyarrow release the GIL in their loops: 2.1 s -> 1.3 s at 1M);
    # those that need nobody's « dont » flags start while the flags are being read.
    with ThreadPoolExecutor(max_workers=CORES) as pool:
        running: dict[str, Future[Any]] = {
            "exits": pool.submit(_exits, coded, coded.persons[worked])
        }
        for m in MONTHLY:
            if m.by != "territory":
                groups = _shared_groups(coded, ops, m)
                running[m.key] = pool.submit(_monthly, coded, ops, groups, months)
        people = _people(data, coded, ops, months, settings, start)
        counted = _Counted(coded, ops, spec, settings, people)
        steps: dict[str, Callable[[], Any]] = {
            "totals": lambda: _records(_table(counted, TOTALS))[0],
            **{b.key: partial(_breakdown, counted, b) for b in BREAKDOWNS},
            "by_public": lambda: _by_public(people, spec, worked, worked_hours),
            **{m.key: partial(_monthly_of, counted, m, months) for m in MONTHLY},
            "quality": lambda: _quality(data, people, worked),
        }
        running |= {key: pool.submit(step) for key, step in steps.items() if key not in running}
        body: dict[str, Any] = {key: future.result() for key, future in running.items()}
    body["period"] = {"start": start, "end": end}
    return {key: body[key] for key in FIELDS}


def _breakdown(counted: _Counted, breakdown: Breakdown) -> list[dict[str, Any]]:
    return _records(_table(counted, breakdown))


def _monthly_of(counted: _Counted, breakdown: Breakdown, months: list[str]) -> list[dict[str, Any]]:
    return _monthly(counted.coded, counted.ops, _groups(counted, breakdown), months)


def _in_period(
    lines: pd.DataFrame, settings: Settings, start: str | None, end: str | None
) -> Bools:
    """The work lines of the period; with no period asked, hours without a month count."""
    mask = lines["work"].to_numpy(dtype=bool, copy=True)
    if len(lines) and start and end:
        month = lines["month"]
        inside = ((month >= start) & (month <= end)).fillna(False).astype(bool)
        if not (settings.period_start or settings.period_end):
            inside |= month.isna()
        mask &= inside.to_numpy(dtype=bool)
    return mask


# --------------------------------------------------------------------------- people


@dataclass
class _People:
    """The people's « dont » flags: over the whole dataset, and as each territory recorded
    them (a territory × person pair, found in ``local_pairs``)."""

    units: pd.DataFrame  # data.people, one row per person code
    flags: Flags
    local: Flags
    local_pairs: pd.Index  # territory code × number of persons + person code
    territory: Groups  # the lines and operations by territory (the local pairs' codes)


def _people(
    data: Dataset,
    coded: Lines,
    ops: Operations,
    months: list[str],
    settings: Settings,
    start: str | None,
) -> _People:
    persons = coded.persons
    at = positions_in(persons, data.people.index)
    if (at < 0).any():  # (every person of the lines is one of the people)
        units = data.people.reindex(persons)
    else:  # as reindex(), the keys looked up by Arrow
        units = data.people.iloc[at].set_axis(persons)
    flags = unit_flags(units, coded.person, coded, months, settings, start)
    territory_of_op, territories = group_codes(ops.frame[["territory"]])
    line_territory = territory_of_op[coded.op]
    local_codes, pairs = pd.factorize(line_territory * len(persons) + coded.person)
    pairs = np.asarray(pairs)
    local_units = _local_records(data.people_by_territory, territories["territory"], persons)
    local_units = local_units.reset_index(drop=True).reindex(_positions(local_units, pairs))
    local_units = local_units.fillna(
        {c: False for c in local_units.columns if c.startswith("pub_")}
    )
    local = unit_flags(local_units, local_codes.astype(np.int64), coded, months, settings, start)
    territory = Groups(territories, line_territory, op_group=territory_of_op)
    return _People(units, flags, local, pd.Index(pairs), territory)


def _local_records(
    records: pd.DataFrame, territories: pd.Series, persons: pd.Index
) -> pd.DataFrame:
    """The records of the (territory, person) pairs met in the lines, with their pair code
    (territory code × number of persons + person code) as index."""
    territory = positions_in(records.index.get_level_values(0), pd.Index(territories))
    person = positions_in(records.index.get_level_values(1), persons)
    known = (territory >= 0) & (person >= 0)
    found = records[known]
    found.index = pd.Index(territory[known] * len(persons) + person[known])
    return found


def _positions(records: pd.DataFrame, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The row of each pair in ``records`` (-1: none, a row of missing values)."""
    return records.index.get_indexer(pd.Index(pairs))


def _worked(coded: Lines, settings: Settings) -> tuple[Bools, Floats]:
    """Which persons worked (at least the minimum hours in the period), and their hours."""
    per_person = np.bincount(
        coded.person, weights=coded.hours, minlength=len(coded.persons)
    ).astype(np.float64, copy=False)
    worked = per_person >= settings.min_hours_participant
    return worked, per_person[worked]


def _by_public(people: _People, spec: Spec, worked: Bools, hours: Floats) -> list[dict[str, Any]]:
    """One entry per public category met, always those of the « dont » lines (BRSA,
    JEUNE_M26, ASE); under 26 as decided by the age."""
    flags = people.units[worked].copy()
    if AGE_PUBLIC in people.flags.publics:
        flags[f"pub_{AGE_PUBLIC}"] = people.flags.publics[AGE_PUBLIC][worked]
    out = []
    for cat in spec.publics:
        member = flags[f"pub_{cat.code}"].fillna(False).astype(bool).to_numpy()
        n = int(member.sum())
        if n or cat.code in metrics.PUBLICS:
            out.append(
                {
                    "public": cat.code,
                    "label": cat.label,
                    "participants": n,
                    "hours_realised": round(float(hours[member].sum()), 2),
                }
            )
    return out


def _quality(data: Dataset, people: _People, worked: Bools) -> dict[str, Any]:
    listed = people.units["listed"].fillna(False).astype(bool).to_numpy()
    return {
        "participants_age_unknown": int((~people.flags.age_known[worked]).sum()),
        "participants_status_unknown": int((~listed[worked]).sum()),
        "possible_duplicates": len(data.duplicates),
        # one key (same name, first name, birth date), several ABC ids: to review
        "duplicate_people": sorted(
            (
                {"territories": list(territories), "ids": list(ids)}
                for ids, territories in zip(
                    data.duplicates["ids"], data.duplicates["territories"], strict=True
                )
            ),
            key=lambda d: (d["territories"], d["ids"]),
        ),
    }


# --------------------------------------------------------------------------- tables


@dataclass
class _Counted:
    """What every table is computed from."""

    coded: Lines
    ops: Operations
    spec: Spec
    settings: Settings
    people: _People


def _groups(counted: _Counted, breakdown: Breakdown) -> Groups:
    """The group of each line (and operation) for ``breakdown``."""
    coded, ops = counted.coded, counted.ops
    if breakdown.by in ("total", "operation"):
        return _shared_groups(coded, ops, breakdown)
    if breakdown.by == "territory":
        return counted.people.territory
    if breakdown.by == "clause":
        return clause_groups(coded, ops, counted.spec)
    (name,) = breakdown.columns  # "line"
    if name == "execution_mode":  # decided for the period's lines only
        values, rows = execution_modes(coded.source, counted.spec, coded.rows), None
    else:
        values, rows = coded.source[name], coded.rows
    group, keys = group_codes(pd.DataFrame({name: values}), rows)
    return Groups(keys, group)


def _shared_groups(coded: Lines, ops: Operations, breakdown: Breakdown) -> Groups:
    """The groups of a breakdown by nothing ("total") or by columns of the operations."""
    if breakdown.by == "total":
        return Groups(
            pd.DataFrame(index=range(1)),
            np.zeros(len(coded), dtype=np.int64),
            op_group=np.zeros(len(ops.forecast), dtype=np.int64),
        )
    op_group, keys = group_codes(ops.frame[list(breakdown.columns)])
    return Groups(keys, op_group[coded.op], op_group=op_group)


def _flags_of(counted: _Counted, breakdown: Breakdown) -> Callable[[Ints, Ints], Flags]:
    """The flags of a (group, person) pair: a person's as each territory recorded them in
    the table by territory, else over the whole dataset."""
    people = counted.people
    width = len(counted.coded.persons)

    def by_person(_group: Ints, person: Ints) -> Flags:
        return people.flags.at(person)

    def by_territory_person(territory: Ints, person: Ints) -> Flags:
        return people.local.at(people.local_pairs.get_indexer(pd.Index(territory * width + person)))

    return by_territory_person if breakdown.by == "territory" else by_person


def _table(counted: _Counted, breakdown: Breakdown) -> pd.DataFrame:
    """The metrics of each group of ``breakdown``, its rows ordered and its columns chosen.
    With a period, groups with nothing in it are left out, unless ``keep_empty``."""
    groups = _groups(counted, breakdown)
    settings = counted.settings
    table = statistics(counted.coded, counted.ops, groups, _flags_of(counted, breakdown), settings)
    if not breakdown.keep_empty:
        table = drop_inactive(table, settings)
    if breakdown.with_contracts:
        table = table[table["contracts"] > 0]
    table = _ordered(table, breakdown, counted.spec)
    label = []
    if breakdown.label == "contract_types":
        label = ["label"]
        table.insert(
            len(breakdown.columns),
            "label",
            table[breakdown.columns[0]].map(load_contract_rules().label),
        )
    return table[[*breakdown.columns, *label, *breakdown.fields]]


def _ordered(table: pd.DataFrame, breakdown: Breakdown, spec: Spec) -> pd.DataFrame:
    if breakdown.order is None:
        return table
    column = breakdown.columns[0]
    if breakdown.order == "hours":
        return table.sort_values(["hours_realised", column], ascending=[False, True])
    rank = {item.code: i for i, item in enumerate(getattr(spec, breakdown.order))}
    return table.sort_values(column, key=lambda s: s.map(rank).fillna(99))


def _monthly(
    coded: Lines, ops: Operations, parts: Groups, months: list[str]
) -> list[dict[str, Any]]:
    """Hours per month worked, active participants and the cumulative series against the
    group's forecast (forecast hours once per operation), every month of the period shown."""
    if not months:
        return []
    k, m = len(parts.keys), len(months)
    g = parts.line_group
    dated = coded.month >= 0
    cell = g[dated] * m + coded.month[dated]
    hours = np.bincount(cell, weights=coded.hours[dated], minlength=k * m).reshape(k, m)
    active = dated & (coded.hours > 0)
    persons = len(coded.persons)
    seen = pd.unique((g[active] * m + coded.month[active]) * persons + coded.person[active])
    present_n = np.bincount(seen // persons, minlength=k * m).reshape(k, m)
    assert parts.op_group is not None
    forecast = np.bincount(parts.op_group, weights=ops.forecast, minlength=k)
    counted = np.bincount(parts.op_group, weights=ops.counted.astype(np.float64), minlength=k)
    present = (counted > 0) | (np.bincount(g, minlength=k) > 0)
    cumulative = hours.cumsum(axis=1)
    # the rate: only the hours of the operations that have a forecast, against it
    planned = dated & (ops.forecast[coded.op] > 0)
    planned_cell = g[planned] * m + coded.month[planned]
    cumulative_planned = (
        np.bincount(planned_cell, weights=coded.hours[planned], minlength=k * m)
        .reshape(k, m)
        .cumsum(axis=1)
    )
    groups = np.flatnonzero(present)
    columns: dict[str, list[Any]] = {
        str(c): [_value(v) for v in parts.keys[c].to_numpy(dtype=object)[groups].repeat(m)]
        for c in parts.keys.columns
    }
    columns["month"] = months * len(groups)
    columns["hours_realised"] = hours[groups].round(2).ravel().tolist()
    columns["active_participants"] = present_n[groups].ravel().tolist()
    columns["cumulative_hours"] = cumulative[groups].round(2).ravel().tolist()
    group_forecast = np.repeat(forecast[groups], m)
    columns["hours_forecast"] = group_forecast.round(2).tolist()
    planned_series = cumulative_planned[groups].ravel()
    columns["cumulative_hours_with_forecast"] = planned_series.round(2).tolist()
    columns["cumulative_rate"] = [
        rate(c, f) for c, f in zip(planned_series.tolist(), group_forecast.tolist(), strict=True)
    ]
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _value(value: Any) -> Any:
    """A JSON-ready scalar: numpy numbers as Python numbers, missing as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    names = [str(c) for c in table.columns]
    columns = [[_value(v) for v in table[c].to_numpy(dtype=object)] for c in table.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _exits(coded: Lines, worked: pd.Index) -> dict[str, Any]:
    """Dynamic exits (schemas/exits.toml): each person who worked counts once, with their
    best outcome; the duration comes from the exit text, else the « Durée » column, else the
    dates of the contract line that carries the exit. A line without an exit says nothing (a
    person without any exit is « unknown »), so only the lines with one are classified."""
    with_exit = coded.source["situation_sortie"].notna().to_numpy(dtype=bool)[coded.rows]
    lines = coded.source.iloc[coded.rows[with_exit]]
    frame = pd.DataFrame(
        {
            "situation": lines["situation_sortie"].astype("string"),
            "duration_months": pd.to_numeric(lines["duree_mois"], errors="coerce").fillna(
                duration_from_dates(lines["date_debut"], lines["date_fin"])
            ),
        },
        index=lines.index,
    )
    categories = classify_exits(frame)
    keys = pd.Series(coded.persons[coded.person[with_exit]], index=lines.index)
    best = best_outcome(keys, categories)
    summary = exit_summary(best, worked)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}
