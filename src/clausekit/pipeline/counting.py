"""The period's lines coded as integers, and the statistics of one grouping of them.

The lines of the period are coded once (one factorisation per column: person, contract,
company, operation, month). Every operation-level dimension (territory, contracting authority,
operation, programme, clause type) is then a small array over the operations, and each
statistic of a group is a few ``numpy.bincount`` over codes: no group-by on text, whatever the
size. The indicators (the next stage) say which groupings the report shows.
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
from clausekit.pipeline.reconcile import earliest
from clausekit.rules import metrics
from clausekit.rules.programmes import OTHER_PROGRAMME, programmes
from clausekit.rules.schemas import Spec
from clausekit.rules.settings import Settings

UNKNOWN = "(non renseigné)"
UNKNOWN_CLAUSE = "NON_RECONNU"
UNKNOWN_MODE = "NON_RENSEIGNE"
AGE_PUBLIC = "JEUNE_M26"  # the category decided by the age when it is known (else as declared)

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
    pairs, distinct = group_codes(lines[["modalite", "type_employeur"]].astype("string"), rows)
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
class Lines:
    """The period's work lines as integer codes (one factorisation per column)."""

    hours: Floats
    person: Ints  # 0 .. len(persons) - 1
    persons: pd.Index  # the person key of each code
    contract: Ints  # -1: missing
    company: Ints  # -1: missing
    op: Ints  # row of the operations table (Operations.frame)
    month: Ints  # position in the period's months, -1: none
    source: pd.DataFrame  # the merged lines, all of them
    rows: Ints  # the positions of these lines in ``source``

    def __len__(self) -> int:
        return len(self.hours)

    def column(self, name: str) -> npt.NDArray[Any]:
        return self.source[name].to_numpy()[self.rows]


@dataclass
class Operations:
    """Every operation: those of the operations sheets, then those met only in hours lines
    (no forecast). Operation-level dimensions are columns of ``frame``."""

    frame: pd.DataFrame  # territory, operation_id, operation, donneur_ordre, programme, ...
    forecast: Floats
    counted: Bools  # False for "no operation id": never counted as an operation
    clauses: list[list[str]]  # clause-type codes of each operation


def code_lines(data: Dataset, mask: Bools, months: list[str]) -> Lines:
    """Code the lines selected by ``mask`` (the operations are set by :func:`operations_table`)."""
    lines = data.lines
    rows = np.flatnonzero(mask)
    person, persons = _codes(lines["person_key"])
    contract = lines["contract_key"].to_numpy(dtype=np.int64)  # codes (merge)
    company = lines["company"].to_numpy(dtype=np.int64)  # codes, -1: unknown
    month_codes, month_values = _codes(lines["month"])
    position = np.append(pd.Index(months).get_indexer(month_values.astype(object)), -1)
    # persons of the selected lines only, renumbered
    used, person_codes = np.unique(person[rows], return_inverse=True)
    return Lines(
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


def operations_table(data: Dataset, coded: Lines, spec: Spec, settings: Settings) -> Operations:
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
    result = Operations(
        frame=table,
        forecast=forecast,
        counted=table["operation_id"].notna().to_numpy(dtype=bool),
        clauses=clauses,
    )
    if settings.period_start or settings.period_end:  # a period is a period
        active = np.bincount(coded.op, minlength=len(table)) > 0
        result = _only_active(result, active, coded)
    return result


def _forecasts(data: Dataset, coded: Lines, settings: Settings) -> Floats:
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


def _only_active(ops: Operations, keep: Bools, coded: Lines) -> Operations:
    """Only the operations of ``keep`` count: the others (no hours in the period) keep their
    row, so that their territory stays in the tables, but have no forecast and are not
    counted; the breakdowns by operation leave them out (:func:`drop_inactive`)."""
    return Operations(
        frame=ops.frame,
        forecast=np.where(keep, ops.forecast, 0.0),
        counted=ops.counted & keep,
        clauses=ops.clauses,
    )


def drop_inactive(table: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """With a period, the groups with nothing in it (no hours, operation or contract)."""
    if not (settings.period_start or settings.period_end):
        return table
    empty = (table["hours_realised"] == 0) & (table["operations"] == 0) & (table["contracts"] == 0)
    return table[~empty.to_numpy(dtype=bool)].reset_index(drop=True)


def group_codes(frame: pd.DataFrame, rows: Ints | None = None) -> tuple[Ints, pd.DataFrame]:
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
class Flags:
    """The « dont » flags of each unit (a person, or a territory × person pair): one array per
    public category of the metrics' « dont » lines (metrics.PUBLICS), and whether the age is
    known."""

    publics: dict[str, Bools]
    age_known: Bools

    def at(self, units: Ints) -> Flags:
        """The flags of the given units, in that order."""
        return Flags({c: f[units] for c, f in self.publics.items()}, self.age_known[units])


def unit_flags(
    units: pd.DataFrame,
    unit: Ints,
    coded: Lines,
    months: list[str],
    settings: Settings,
    start: str | None,
) -> Flags:
    """Flags of each unit (status at entry; age on the reference date). ``units``: one row per
    unit code with the pub_* flags and ``date_naissance``; ``unit``: the unit of each line."""
    age = age_on(
        units["date_naissance"].reset_index(drop=True),
        _age_reference(len(units), unit, coded, months, settings, start),
    )
    under = (age < settings.age_limit).fillna(False).to_numpy(dtype=bool)
    known = age.notna().to_numpy(dtype=bool)
    publics = {}
    for code in metrics.PUBLICS:
        declared = units[f"pub_{code}"].fillna(False).astype(bool).to_numpy()
        publics[code] = np.where(known, under, declared) if code == AGE_PUBLIC else declared
    return Flags(publics, age_known=known)


def _age_reference(
    n: int, unit: Ints, coded: Lines, months: list[str], settings: Settings, start: str | None
) -> pd.Series:
    """The date each of the ``n`` units' age is read on: the period's start, or the start of
    the unit's first contract in the period (else the first month it worked)."""
    if settings.age_reference == "period_start" and start:
        return pd.Series(pd.Timestamp(start + "-01"), index=range(n))
    worked = coded.hours > 0
    starts = np.asarray(coded.column("date_debut")[worked], dtype="datetime64[s]")
    # the earliest start of each unit's worked lines (NaT: none dated)
    reference = earliest(starts, unit[worked], n)
    # else the first month it worked
    dated = worked & (coded.month >= 0)
    first_month = np.full(n, len(months), dtype=np.int64)
    np.minimum.at(first_month, unit[dated], coded.month[dated])
    month_starts = np.array([m + "-01" for m in months], dtype="datetime64[s]")
    by_month = np.isnat(reference) & (first_month < len(months))
    reference[by_month] = month_starts[first_month[by_month]]
    return pd.Series(reference)


# --------------------------------------------------------------------------- tables


def rate(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


@dataclass
class Groups:
    """Where each counted row goes: a group per line row (``rows``: lines, repeated when a
    line counts in several groups; None: every line once) and per operation row."""

    keys: pd.DataFrame  # one row per group
    line_group: Ints
    rows: Ints | None = None
    op_group: Ints | None = None  # None: no forecast (line-level dimension)
    op_rows: Ints | None = None


def statistics(
    coded: Lines,
    ops: Operations,
    parts: Groups,
    flags_of: Callable[[Ints, Ints], Flags],
    settings: Settings,
) -> pd.DataFrame:
    """Every metric of the report (metrics.METRICS) for each group, in the table's order."""
    k = len(parts.keys)
    rows = parts.rows
    g = parts.line_group

    def take(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if rows is None else values[rows]

    hours, op = take(coded.hours), take(coded.op)
    counts = _people(g, take(coded.person), hours, k, len(coded.persons), flags_of, settings)
    active = hours > 0  # a contract with no hour in the period is not counted
    counts["contracts"] = _distinct_per_group(g[active], take(coded.contract)[active], k)
    counts["companies"] = _distinct_per_group(g[active], take(coded.company)[active], k)
    forecast, counts["operations"] = _operations_and_forecast(g, op, ops, parts, k)
    realised = np.bincount(g, weights=hours, minlength=k)
    # a rate is computed only over what has a forecast: the hours of operations without one
    # are not compared with the forecast of others; a line-level dimension has no forecast
    planned = ops.forecast[op] > 0
    realised_planned: Floats = np.zeros(k)
    if parts.op_group is not None:
        realised_planned = np.bincount(g[planned], weights=hours[planned], minlength=k).astype(
            np.float64
        )
    table = parts.keys.copy()
    table["hours_forecast"] = forecast.round(2)
    table["hours_realised"] = realised.round(2)
    table["hours_realised_with_forecast"] = realised_planned.round(2)
    table["realisation_rate"] = [
        rate(h, f) for h, f in zip(realised_planned, forecast, strict=True)
    ]
    table["etp"] = (realised / settings.etp_hours).round(2)
    for key in metrics.COUNTS:
        table[key] = counts[key].astype(np.int64)
    return table[[*parts.keys.columns, *metrics.KEYS]]


def _people(
    g: Ints,
    person: Ints,
    hours: Floats,
    k: int,
    width: int,
    flags_of: Callable[[Ints, Ints], Flags],
    settings: Settings,
) -> dict[str, Ints]:
    """The people metrics of each group: who worked at least the minimum in the group (per
    group × person), and among them each « dont » line's category."""
    pair_codes, pairs = pd.factorize(g * width + person)
    per_pair = np.bincount(pair_codes, weights=hours, minlength=len(pairs))
    worked_pairs = np.asarray(pairs)[per_pair >= settings.min_hours_participant]
    pair_group, pair_person = worked_pairs // width, worked_pairs % width
    flags = flags_of(pair_group, pair_person)
    counts: dict[str, Ints] = {}
    for metric in metrics.METRICS:
        if metric.people:
            among = (
                pair_group if metric.public is None else pair_group[flags.publics[metric.public]]
            )
            counts[metric.key] = np.bincount(among, minlength=k)
    return counts


def _operations_and_forecast(
    g: Ints, op: Ints, ops: Operations, parts: Groups, k: int
) -> tuple[Floats, Ints]:
    """The forecast of each group (once per operation) and its number of operations: those of
    its lines, and those of its operation rows (an operation without hours still counts)."""
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
    return forecast, _distinct_per_group(np.concatenate(op_group), np.concatenate(op_item), k)


def clause_groups(coded: Lines, ops: Operations, spec: Spec) -> Groups:
    """A line counts under each clause type of its operation (a contract can combine several):
    operations and lines are repeated once per clause type."""
    sizes = np.array([len(c) for c in ops.clauses], dtype=np.int64)
    op_rows = np.repeat(np.arange(len(sizes)), sizes)
    labels = [code for codes in ops.clauses for code in codes]
    op_group, keys = group_codes(pd.DataFrame({"clause_type": pd.Series(labels, dtype="string")}))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else sizes
    per_line = sizes[coded.op]
    rows = np.repeat(np.arange(len(coded)), per_line)
    starts = np.repeat(np.cumsum(per_line) - per_line, per_line)
    within = np.arange(len(rows)) - starts
    line_group = op_group[offsets[coded.op[rows]] + within] if len(rows) else rows
    return Groups(keys, line_group, rows=rows, op_group=op_group, op_rows=op_rows)
