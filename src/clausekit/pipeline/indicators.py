"""Stage 5 — indicators: the Département's tables computed from the merged dataset.

Counting rules (DOMAIN.md §5): a person counts once in a total and once in each group of a
breakdown; forecast hours belong to the operation and are summed once per operation; realised
hours are summed from the hours lines of the period, by the month they were worked; "under 26"
means strictly younger than 26 on the start of the person's first contract in the period.

How: the lines of the period are coded once as integers (one factorisation per column: person,
contract, company, operation, month). Every operation-level dimension (territory, contracting
authority, operation, programme, clause type) is then a small array over the operations, and
each table is a few ``numpy.bincount`` over codes: no group-by on text, whatever the size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clausekit.parse import normalise_text
from clausekit.pipeline.merge import Dataset, age_on
from clausekit.rules.exits import (
    best_outcome,
    classify_exits,
    duration_from_dates,
    exit_summary,
    load_contract_rules,
)
from clausekit.rules.schemas import Spec
from clausekit.rules.settings import Settings

UNKNOWN = "(non renseigné)"
UNKNOWN_CLAUSE = "NON_RECONNU"
UNKNOWN_MODE = "NON_RENSEIGNE"
OTHER_PROGRAMME = "Autres"
STAT_KEYS = (
    "hours_forecast",
    "hours_realised",
    "hours_realised_with_forecast",  # realised on the operations that have a forecast
    "realisation_rate",  # hours_realised_with_forecast / hours_forecast
    "etp",
    "participants",
    "participants_brsa",
    "participants_under_26",
    "participants_ase",
    "contracts",
    "operations",
    "companies",
)
COUNT_KEYS = STAT_KEYS[5:]  # the integer ones: people, contracts, operations, companies

_BITMAP_CELLS = 1 << 26  # distinct counts use a table of seen pairs up to this size (64 MiB)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------- labels


def clause_codes(labels: pd.Series, spec: Spec) -> pd.Series:
    """Clause-type codes (a list per label) recognised from free text by schemas/ patterns."""
    norm = normalise_text(labels.astype("string"))
    compiled = [(t.code, [re.compile(p) for p in t.patterns]) for t in spec.clause_types]
    decoded: dict[Any, list[str]] = {}
    for text in norm.dropna().unique():
        codes = [code for code, pats in compiled if any(p.search(str(text)) for p in pats)]
        decoded[text] = codes or [UNKNOWN_CLAUSE]
    return norm.map(
        lambda t: decoded.get(t, [UNKNOWN_CLAUSE]) if isinstance(t, str) else [UNKNOWN_CLAUSE]
    )


def execution_modes(lines: pd.DataFrame, spec: Spec, rows: Ints | None = None) -> pd.Series:
    """How each line (of ``rows``) carried the clause out: from « Modalité » text, else the
    employer type. Decided once per distinct (modality, employer type) pair."""
    pairs, distinct = _group(lines[["modalite", "type_employeur"]].astype("string"), rows)
    text = normalise_text(distinct["modalite"])
    compiled = [(m.code, [re.compile(p) for p in m.patterns]) for m in spec.execution_modes]
    employer = {e: m.code for m in spec.execution_modes for e in m.employers}
    modes = []
    for value, kind in zip(text, distinct["type_employeur"], strict=True):
        found = None
        if isinstance(value, str):
            found = next(
                (code for code, pats in compiled if any(p.search(value) for p in pats)), None
            )
        if found is None and isinstance(kind, str):
            found = employer.get(kind)
        modes.append(found or UNKNOWN_MODE)
    return pd.Series(np.asarray(modes, dtype=object)[pairs], dtype="string")


def programmes(donneurs: pd.Series, settings: Settings) -> pd.Series:
    """Programme of each contracting authority (settings.programmes), else « Autres »."""
    norm = normalise_text(donneurs.astype("string")).fillna("")
    out = pd.Series(OTHER_PROGRAMME, index=donneurs.index, dtype="string")
    for name, members in reversed(settings.programmes):
        for member in members:
            needle = normalise_text(pd.Series([member])).iloc[0]
            hit = norm.str.contains(rf"\b{re.escape(needle)}\b", regex=True)
            out = out.mask(hit, name)
    return out


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


# --------------------------------------------------------------------------- coding


def _codes(values: pd.Series | npt.NDArray[Any]) -> tuple[Ints, pd.Index]:
    """Integer code of each value (-1: missing) and the distinct values."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def _distinct_per_group(group: Ints, item: Ints, n_groups: int) -> Ints:
    """Number of distinct ``item`` codes (>= 0) in each group."""
    keep = item >= 0
    width = int(item.max(initial=0)) + 1
    pairs = group[keep] * width + item[keep]
    if n_groups * width <= _BITMAP_CELLS:  # a table of seen pairs: no hashing
        seen = np.zeros(n_groups * width, dtype=bool)
        seen[pairs] = True
        return seen.reshape(n_groups, width).sum(axis=1).astype(np.int64)
    return np.bincount(pd.unique(pairs) // width, minlength=n_groups).astype(np.int64)


@dataclass
class _Lines:
    """The period's work lines as integer codes (one factorisation per column)."""

    hours: Floats
    person: Ints  # 0 .. len(persons) - 1
    persons: pd.Index  # the person key of each code
    contract: Ints  # -1: missing
    company: Ints  # -1: missing
    op: Ints  # row of the operations table (_Operations.frame)
    month: Ints  # position in the period's months, -1: none
    source: pd.DataFrame  # the merged lines, all of them
    rows: Ints  # the positions of these lines in ``source``

    def __len__(self) -> int:
        return len(self.hours)

    def column(self, name: str) -> npt.NDArray[Any]:
        return self.source[name].to_numpy()[self.rows]


@dataclass
class _Operations:
    """Every operation: those of the operations sheets, then those met only in hours lines
    (no forecast). Operation-level dimensions are columns of ``frame``."""

    frame: pd.DataFrame  # territory, operation_id, operation, donneur_ordre, programme, ...
    forecast: Floats
    counted: Bools  # False for "no operation id": never counted as an operation
    clauses: list[list[str]]  # clause-type codes of each operation


def _code_lines(data: Dataset, mask: Bools, months: list[str]) -> _Lines:
    """Code the lines selected by ``mask`` (the operations are set by :func:`_operations`)."""
    lines = data.lines
    rows = np.flatnonzero(mask)
    person, persons = _codes(lines["person_key"])
    contract = lines["contract_key"].to_numpy(dtype=np.int64)  # codes (merge)
    company = lines["company"].to_numpy(dtype=np.int64)  # codes, -1: unknown
    month_codes, month_values = _codes(lines["month"])
    position = np.append(pd.Index(months).get_indexer(month_values.astype(object)), -1)
    # persons of the selected lines only, renumbered
    used, person_codes = np.unique(person[rows], return_inverse=True)
    return _Lines(
        hours=lines["hours"].to_numpy(dtype=np.float64)[rows],
        person=person_codes.astype(np.int64).reshape(-1),
        persons=persons[used],
        contract=contract[rows],
        company=company[rows],
        op=np.zeros(len(rows), dtype=np.int64),
        month=position[month_codes[rows]].astype(np.int64),
        source=lines,
        rows=rows,
    )


def _operations(data: Dataset, coded: _Lines, spec: Spec, settings: Settings) -> _Operations:
    """The operations table (sheets first, then operations met only in lines) and the row of
    each line's operation in it (set on ``coded.op``)."""
    ops = data.operations
    both = pd.concat(
        [
            ops[["territory", "operation_id"]].astype("string"),
            coded.source[["territory", "operation_id"]].astype("string"),
        ],
        ignore_index=True,
    )
    territory, _ = pd.factorize(both["territory"], use_na_sentinel=False)
    operation, operation_ids = pd.factorize(both["operation_id"], use_na_sentinel=False)
    key = territory.astype(np.int64) * (len(operation_ids) + 1) + operation
    op_key, line_key = key[: len(ops)], key[len(ops) :][coded.rows]
    position = pd.Index(op_key).get_indexer(line_key)  # sheet operations are unique
    missing = position < 0
    extra_codes, _ = pd.factorize(line_key[missing])
    _, first = np.unique(extra_codes, return_index=True)
    position[missing] = len(ops) + extra_codes
    coded.op = position.astype(np.int64)
    extra = coded.source.iloc[coded.rows[np.flatnonzero(missing)[first]]]
    extra = extra[["territory", "operation_id"]].astype("string").reset_index(drop=True)

    def stacked(known: pd.Series, added: pd.Series | str) -> pd.Series:
        if isinstance(added, str):
            added = pd.Series(added, index=extra.index, dtype="string")
        return pd.concat([known.astype("string"), added.astype("string")], ignore_index=True)

    donneur = ops["donneur_ordre"].fillna(UNKNOWN).astype("string")
    table = pd.DataFrame(
        {
            "territory": stacked(ops["territory"], extra["territory"]),
            "operation_id": stacked(ops["operation_id"], extra["operation_id"]),
            "operation": stacked(
                ops["operation_libelle"].fillna(ops["operation_id"]),
                extra["operation_id"].fillna(UNKNOWN),
            ),
            "donneur_ordre": stacked(donneur, UNKNOWN),
            "programme": stacked(programmes(donneur, settings), OTHER_PROGRAMME),
        }
    )
    clauses = list(clause_codes(ops["type_clause"], spec)) + [[UNKNOWN_CLAUSE]] * len(extra)
    forecast = np.concatenate([_forecasts(data, coded, settings), np.zeros(len(extra))])
    result = _Operations(
        frame=table,
        forecast=forecast,
        counted=table["operation_id"].notna().to_numpy(dtype=bool),
        clauses=clauses,
    )
    if settings.period_start or settings.period_end:  # a period is a period
        active = np.bincount(coded.op, minlength=len(table)) > 0
        result = _only(result, active, coded)
    return result


def _forecasts(data: Dataset, coded: _Lines, settings: Settings) -> Floats:
    """The forecast of each sheet operation: its operation-level items, plus its contracts'
    items. With a period, only the contracts that have hours in it count."""
    ops = data.operations
    items = data.forecast_items
    if not len(items) or not len(ops):
        return np.nan_to_num(
            ops["hours_forecast"].to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0
        )
    keys = pd.MultiIndex.from_arrays(
        [ops["territory"].astype("string"), ops["operation_id"].astype("string")]
    )
    where = keys.get_indexer(
        pd.MultiIndex.from_arrays(
            [items["territory"].astype("string"), items["operation_id"].astype("string")]
        )
    )
    contract = items["contract"].to_numpy(dtype=np.int64)
    counts = where >= 0
    if settings.period_start or settings.period_end:
        worked = np.unique(coded.contract[coded.hours > 0])
        counts &= (contract < 0) | np.isin(contract, worked)
    hours = items["hours"].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.bincount(
        where[counts], weights=np.nan_to_num(hours[counts], nan=0.0), minlength=len(ops)
    ).astype(np.float64)


def _only(ops: _Operations, keep: Bools, coded: _Lines) -> _Operations:
    """Only the operations of ``keep`` count: the others (no hours in the period) keep their
    row, so that their territory stays in the tables, but have no forecast and are not
    counted; the breakdowns by operation leave them out (:func:`_drop_inactive`)."""
    return _Operations(
        frame=ops.frame,
        forecast=np.where(keep, ops.forecast, 0.0),
        counted=ops.counted & keep,
        clauses=ops.clauses,
    )


def _drop_inactive(table: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """With a period, the groups with nothing in it (no hours, operation or contract)."""
    if not (settings.period_start or settings.period_end):
        return table
    empty = (table["hours_realised"] == 0) & (table["operations"] == 0) & (table["contracts"] == 0)
    return table[~empty.to_numpy(dtype=bool)].reset_index(drop=True)


def _group(frame: pd.DataFrame, rows: Ints | None = None) -> tuple[Ints, pd.DataFrame]:
    """Group code of each row (of ``rows`` only, when given) by all the columns of ``frame``,
    numbered in the order of a sorted pandas group-by (by value, column after column, missing
    last), and the keys of each group."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        codes, uniques = pd.factorize(frame[column], sort=True, use_na_sentinel=True)
        codes = np.where(codes < 0, len(uniques), codes)  # missing sorts last
        combined = combined * (len(uniques) + 1) + codes
    if rows is not None:
        combined = combined[rows]
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    where = first if rows is None else rows[first]
    keys = frame.iloc[where].reset_index(drop=True)
    return inverse.astype(np.int64).reshape(-1), keys


# --------------------------------------------------------------------------- people


@dataclass
class _Flags:
    """BRSA / ASE / under-26 flags of each unit (a person, or a territory × person pair)."""

    brsa: Bools
    ase: Bools
    under_26: Bools
    age_known: Bools

    def at(self, units: Ints) -> _Flags:
        """The flags of the given units, in that order."""
        return _Flags(
            self.brsa[units], self.ase[units], self.under_26[units], self.age_known[units]
        )


def _flags(
    units: pd.DataFrame,
    unit: Ints,
    coded: _Lines,
    months: list[str],
    settings: Settings,
    start: str | None,
) -> _Flags:
    """Flags of each unit (status at entry; age on the reference date). ``units``: one row per
    unit code with the pub_* flags and ``date_naissance``; ``unit``: the unit of each line."""
    n = len(units)
    worked = coded.hours > 0
    first_month = (
        pd.Series(coded.month[worked & (coded.month >= 0)])
        .groupby(unit[worked & (coded.month >= 0)])
        .min()
    )
    starts = coded.column("date_debut")[worked]
    first_start = pd.Series(starts).groupby(unit[worked]).min()
    if settings.age_reference == "period_start" and start:
        ref = pd.Series(pd.Timestamp(start + "-01"), index=range(n))
    else:
        month_starts = pd.to_datetime(pd.Series(months, dtype=object) + "-01")
        by_month = pd.Series(
            month_starts.to_numpy()[first_month.to_numpy()], index=first_month.index
        )
        ref = first_start.reindex(range(n)).combine_first(by_month.reindex(range(n)))
    age = age_on(units["date_naissance"].reset_index(drop=True), ref.reset_index(drop=True))
    declared = units["pub_JEUNE_M26"].fillna(False).astype(bool).to_numpy()
    under = (age < settings.age_limit).fillna(False).to_numpy(dtype=bool)
    known = age.notna().to_numpy(dtype=bool)
    return _Flags(
        brsa=units["pub_BRSA"].fillna(False).astype(bool).to_numpy(),
        ase=units["pub_ASE"].fillna(False).astype(bool).to_numpy(),
        under_26=np.where(known, under, declared),
        age_known=known,
    )


# --------------------------------------------------------------------------- tables


def _rate(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


@dataclass
class _Breakdown:
    """Where each counted row goes: a group per line row (``rows``: lines, repeated when a
    line counts in several groups; None: every line once) and per operation row."""

    keys: pd.DataFrame  # one row per group
    line_group: Ints
    rows: Ints | None = None
    op_group: Ints | None = None  # None: no forecast (line-level dimension)
    op_rows: Ints | None = None


def _statistics(
    coded: _Lines,
    ops: _Operations,
    parts: _Breakdown,
    flags_of: Callable[[Ints, Ints], _Flags],
    settings: Settings,
) -> pd.DataFrame:
    """All the statistics of STAT_KEYS for each group."""
    k = len(parts.keys)
    rows = parts.rows
    g = parts.line_group

    def take(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if rows is None else values[rows]

    hours, person, op = take(coded.hours), take(coded.person), take(coded.op)
    realised = np.bincount(g, weights=hours, minlength=k)
    # a rate is computed only over what has a forecast: the hours of operations without one
    # are not compared with the forecast of others
    planned = ops.forecast[op] > 0
    realised_planned = np.bincount(g[planned], weights=hours[planned], minlength=k).astype(
        np.float64
    )
    # per group × person: who worked at least the minimum in the group
    width = len(coded.persons)
    pair_codes, pairs = pd.factorize(g * width + person)
    per_pair = np.bincount(pair_codes, weights=hours, minlength=len(pairs))
    worked = per_pair >= settings.min_hours_participant
    worked_pairs = np.asarray(pairs)[worked]
    pair_group, pair_person = worked_pairs // width, worked_pairs % width
    flags = flags_of(pair_group, pair_person)
    counts: dict[str, Ints] = {
        "participants": np.bincount(pair_group, minlength=k),
        "participants_brsa": np.bincount(pair_group[flags.brsa], minlength=k),
        "participants_under_26": np.bincount(pair_group[flags.under_26], minlength=k),
        "participants_ase": np.bincount(pair_group[flags.ase], minlength=k),
    }
    active = hours > 0  # a contract with no hour in the period is not counted
    counts["contracts"] = _distinct_per_group(g[active], take(coded.contract)[active], k)
    counts["companies"] = _distinct_per_group(g[active], take(coded.company)[active], k)
    counted = ops.counted[op]
    op_group = [g[counted]]
    op_item = [op[counted]]
    forecast: Floats = np.zeros(k)
    if parts.op_group is not None:
        op_rows = np.arange(len(ops.forecast)) if parts.op_rows is None else parts.op_rows
        forecast = np.bincount(parts.op_group, weights=ops.forecast[op_rows], minlength=k).astype(
            np.float64
        )
        keep = ops.counted[op_rows]
        op_group.append(parts.op_group[keep])
        op_item.append(op_rows[keep])
    counts["operations"] = _distinct_per_group(np.concatenate(op_group), np.concatenate(op_item), k)
    table = parts.keys.copy()
    table["hours_forecast"] = forecast.round(2)
    table["hours_realised"] = realised.round(2)
    if parts.op_group is None:  # a line-level dimension has no forecast
        realised_planned = np.zeros(k)
    table["hours_realised_with_forecast"] = realised_planned.round(2)
    table["realisation_rate"] = [
        _rate(h, f) for h, f in zip(realised_planned, forecast, strict=True)
    ]
    table["etp"] = (realised / settings.etp_hours).round(2)
    for key in COUNT_KEYS:
        table[key] = counts[key].astype(np.int64)
    return table[[*parts.keys.columns, *STAT_KEYS]]


def _monthly(
    coded: _Lines, ops: _Operations, parts: _Breakdown, months: list[str]
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
        _rate(c, f) for c, f in zip(planned_series.tolist(), group_forecast.tolist(), strict=True)
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


def _exits(coded: _Lines, worked: pd.Index) -> dict[str, Any]:
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


def compute(data: Dataset, spec: Spec, settings: Settings) -> dict[str, Any]:
    """The report's tables as plain JSON-ready data (see report-contract.md)."""
    lines = data.lines
    start, end = period_of(lines, settings)
    mask = lines["work"].to_numpy(dtype=bool, copy=True)
    if len(lines) and start and end:
        month = lines["month"]
        inside = ((month >= start) & (month <= end)).fillna(False).astype(bool)
        if not (settings.period_start or settings.period_end):
            inside |= month.isna()  # no period asked: hours without a month still count
        mask &= inside.to_numpy(dtype=bool)
    months = month_range(start, end)
    coded = _code_lines(data, mask, months)
    ops = _operations(data, coded, spec, settings)
    persons = coded.persons

    # people: flags over the whole dataset, and as each territory recorded them
    units = data.people.reindex(persons)
    person_flags = _flags(units, coded.person, coded, months, settings, start)
    territory_of_op, territories = _group(ops.frame[["territory"]])
    line_territory = territory_of_op[coded.op]
    local_codes, local_pairs = pd.factorize(line_territory * len(persons) + coded.person)
    local_pairs = np.asarray(local_pairs)
    local_index = pd.MultiIndex.from_arrays(
        [
            territories["territory"].to_numpy(dtype=object)[local_pairs // len(persons)],
            persons[local_pairs % len(persons)],
        ]
    )
    local_units = data.people_by_territory.reindex(local_index)
    local_units = local_units.fillna(
        {c: False for c in local_units.columns if c.startswith("pub_")}
    )
    local_flags = _flags(local_units, local_codes.astype(np.int64), coded, months, settings, start)
    local_lookup = pd.Index(local_pairs)

    def by_person(_group: Ints, person: Ints) -> _Flags:
        return person_flags.at(person)

    def by_territory_person(territory: Ints, person: Ints) -> _Flags:
        return local_flags.at(local_lookup.get_indexer(territory * len(persons) + person))

    def by_operation(columns: list[str]) -> _Breakdown:
        op_group, keys = _group(ops.frame[columns])
        return _Breakdown(keys, op_group[coded.op], op_group=op_group)

    def by_line(name: str, values: pd.Series, rows: Ints | None = None) -> _Breakdown:
        group, keys = _group(pd.DataFrame({name: values}), rows)
        return _Breakdown(keys, group)

    def table(
        parts: _Breakdown,
        flags: Callable[[Ints, Ints], _Flags] = by_person,
        keep_empty: bool = False,
    ) -> Any:
        """The statistics of each group; with a period, groups with nothing in it are left
        out, unless ``keep_empty`` (the total, and the territories of the data)."""
        found = _statistics(coded, ops, parts, flags, settings)
        return found if keep_empty else _drop_inactive(found, settings)

    everything = _Breakdown(
        pd.DataFrame({"_all": ["total"]}),
        np.zeros(len(coded), dtype=np.int64),
        op_group=np.zeros(len(ops.forecast), dtype=np.int64),
    )
    totals = table(everything, keep_empty=True)
    # the same territory codes as the local flags' pairs
    territory = _Breakdown(territories, line_territory, op_group=territory_of_op)
    by_territory = table(territory, by_territory_person, keep_empty=True)
    by_donneur = table(by_operation(["donneur_ordre"]))
    by_operation_table = table(
        by_operation(["territory", "operation_id", "operation", "donneur_ordre"])
    )
    by_clause = table(_clause_breakdown(coded, ops, spec))
    order = {t.code: i for i, t in enumerate(spec.clause_types)}
    by_clause = by_clause.sort_values("clause_type", key=lambda s: s.map(order).fillna(99))

    # by public: one entry per category met, always BRSA, JEUNE_M26, ASE
    per_person = np.bincount(coded.person, weights=coded.hours, minlength=len(persons))
    worked_mask = per_person >= settings.min_hours_participant
    worked = persons[worked_mask]
    flags = units[worked_mask].copy()
    flags["pub_JEUNE_M26"] = person_flags.under_26[worked_mask]
    worked_hours = per_person[worked_mask]
    by_public = []
    for cat in spec.publics:
        member = flags[f"pub_{cat.code}"].fillna(False).astype(bool).to_numpy()
        n = int(member.sum())
        if n or cat.code in ("BRSA", "JEUNE_M26", "ASE"):
            by_public.append(
                {
                    "public": cat.code,
                    "label": cat.label,
                    "participants": n,
                    "hours_realised": round(float(worked_hours[member].sum()), 2),
                }
            )

    total_monthly = _Breakdown(
        pd.DataFrame(index=range(1)), everything.line_group, op_group=everything.op_group
    )
    monthly = _monthly(coded, ops, total_monthly, months)
    monthly_by = {
        "territory": _monthly(coded, ops, territory, months),
        "donneur_ordre": _monthly(coded, ops, by_operation(["donneur_ordre"]), months),
        "operation": _monthly(
            coded, ops, by_operation(["territory", "operation_id", "operation"]), months
        ),
        "programme": _monthly(coded, ops, by_operation(["programme"]), months),
    }
    by_programme = table(by_operation(["programme"]))
    by_mode = table(by_line("execution_mode", execution_modes(coded.source, spec, coded.rows)))
    mode_order = {m.code: i for i, m in enumerate(spec.execution_modes)}
    by_mode = by_mode.sort_values("execution_mode", key=lambda s: s.map(mode_order).fillna(99))
    by_mode = by_mode[["execution_mode", "hours_realised", "participants", "contracts"]]
    contract_rules = load_contract_rules()
    by_contract = table(by_line("contract_type", coded.source["contract_type"], coded.rows))
    by_contract = by_contract[by_contract["contracts"] > 0].sort_values(
        ["hours_realised", "contract_type"], ascending=[False, True]
    )
    by_contract.insert(1, "label", by_contract["contract_type"].map(contract_rules.label))
    by_contract = by_contract[
        ["contract_type", "label", "contracts", "hours_realised", "participants"]
    ]
    exits = _exits(coded, worked)

    total = _records(totals.drop(columns=["_all"]))[0]
    return {
        "period": {"start": start, "end": end},
        "totals": total,
        "by_territory": _records(by_territory),
        "by_donneur_ordre": _records(by_donneur),
        "by_operation": _records(by_operation_table),
        "by_clause_type": _records(by_clause),
        "by_public": by_public,
        "monthly": monthly,
        "monthly_by_territory": monthly_by["territory"],
        "monthly_by_donneur_ordre": monthly_by["donneur_ordre"],
        "monthly_by_operation": monthly_by["operation"],
        "monthly_by_programme": monthly_by["programme"],
        "by_programme": _records(by_programme),
        "by_execution_mode": _records(by_mode),
        "by_contract_type": _records(by_contract),
        "exits": exits,
        "quality": {
            "participants_age_unknown": int((~person_flags.age_known[worked_mask]).sum()),
            "participants_status_unknown": int(
                (~units["listed"].fillna(False).astype(bool).to_numpy()[worked_mask]).sum()
            ),
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
        },
    }


def _clause_breakdown(coded: _Lines, ops: _Operations, spec: Spec) -> _Breakdown:
    """A line counts under each clause type of its operation (a contract can combine several):
    operations and lines are repeated once per clause type."""
    sizes = np.array([len(c) for c in ops.clauses], dtype=np.int64)
    op_rows = np.repeat(np.arange(len(sizes)), sizes)
    labels = [code for codes in ops.clauses for code in codes]
    op_group, keys = _group(pd.DataFrame({"clause_type": pd.Series(labels, dtype="string")}))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else sizes
    per_line = sizes[coded.op]
    rows = np.repeat(np.arange(len(coded)), per_line)
    starts = np.repeat(np.cumsum(per_line) - per_line, per_line)
    within = np.arange(len(rows)) - starts
    line_group = op_group[offsets[coded.op[rows]] + within] if len(rows) else rows
    return _Breakdown(keys, line_group, rows=rows, op_group=op_group, op_rows=op_rows)
