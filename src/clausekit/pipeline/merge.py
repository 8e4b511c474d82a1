"""Stage 4 — merge: stack the accepted rows of every territory with their provenance,
assign territories, identify people across territories and build the three tables the
indicators need: ``people``, ``lines`` (hours) and ``operations``.

People are identified by a keyed hash (HMAC-SHA256) of normalised name, first name and birth
date; names are dropped as soon as the key is made. Within a territory, the ABC participant id
identifies a person.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from clausekit.errors import Issue, make_issue
from clausekit.options import CORES
from clausekit.parse import normalise_text
from clausekit.pipeline.exportdate import ExportDate, export_date
from clausekit.pipeline.identity import format_dates, local_key, person_keys
from clausekit.pipeline.plausible import age_on as age_on  # indicators' ages
from clausekit.pipeline.plausible import check_birth_dates, check_month_hours
from clausekit.pipeline.reconcile import (
    Forecasts,
    Superseded,
    align_zeros,
    at_row,
    canonical_ids,
    codes_of,
    distinct_rows,
    earliest,
    export_ranks,
    first_of_each,
    line_people,
    newest_only,
    positions_in,
    shared_operations,
    sheet_forecasts,
    take,
)
from clausekit.pipeline.validate import Validated
from clausekit.rules.exits import UNRECOGNISED, ContractRules, contract_family, load_contract_rules
from clausekit.rules.schemas import Spec

PROVENANCE_TEXT = ("_file", "_sheet", "_territory_hint")
LINE_COLUMNS = (
    "territory",
    "person_key",
    "contract_key",
    "operation_id",
    "month",
    "hours",
    "work",
    "company",
    "date_debut",
    "date_fin",
    "duree_mois",
    "situation_sortie",
    "type_employeur",
    "modalite",
    "contract_type",
    "type_contrat",
)


@dataclass
class Dataset:
    people: pd.DataFrame  # index person_key: birth_date, first names dropped, pub_* flags
    lines: pd.DataFrame  # one row per hours line; contract_key, company: integer codes (-1: none)
    operations: pd.DataFrame  # one row per (territory, operation_id)
    issues: list[Issue] = field(default_factory=list)
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)  # possible duplicate people
    # the same flags as each territory recorded them: index (territory, person_key)
    people_by_territory: pd.DataFrame = field(default_factory=pd.DataFrame)
    # forecast hours as the exports give them: territory, operation_id, contract (-1: the
    # operation's own), hours; and the level read per (file, sheet)
    forecast_items: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast_levels: dict[tuple[str, str], str] = field(default_factory=dict)
    export_dates: dict[str, ExportDate] = field(default_factory=dict)
    superseded: Superseded = field(default_factory=Superseded)


NUMERIC_COLUMNS = ("heures_realisees", "heures_prevues", "duree_mois")


def _empty_column(name: str, index: pd.Index) -> pd.Series:
    """An all-missing column typed like the column it stands for (joins need equal types)."""
    if name.startswith("date"):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
    if name in NUMERIC_COLUMNS:
        return pd.Series(float("nan"), index=index, dtype="float64")
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.nulls(len(index), pa.string())), index=index)


def _only(frame: pd.DataFrame, keep: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """The rows of ``keep``, renumbered; the frame itself when it keeps them all (no copy)."""
    return frame if keep.all() else frame[keep].reset_index(drop=True)


def _stack(validated: list[Validated], kind: str) -> pd.DataFrame:
    """The rows of every sheet's ``kind`` table, with the sheet's number (``_sheet_no``)."""
    numbers = [n for n, v in enumerate(validated) if kind in v.tables and len(v.tables[kind])]
    if not numbers:
        return pd.DataFrame()
    frames = [validated[n].tables[kind] for n in numbers]
    stacked = pd.concat(frames, ignore_index=True)
    stacked["_sheet_no"] = np.repeat(np.array(numbers, dtype=np.int64), [len(f) for f in frames])
    return stacked


def _territory(frame: pd.DataFrame, territories: dict[str, str] | None) -> pd.Series:
    """Territory column > config (by file) > folder/file name."""
    hint = frame["_territory_hint"]
    if territories:
        hint = frame["_file"].map(territories).fillna(hint)
    if "territoire" in frame:
        return frame["territoire"].fillna(hint).astype("string")
    return hint.astype("string")


def _company_codes(lines: pd.DataFrame) -> npt.NDArray[np.int64]:
    """The company of each line as an integer (-1: unknown): its SIRET, else its normalised
    name; a SIRET and a name written the same are the same company."""
    siret, sirets = pd.factorize(lines["siret"].astype("string"), use_na_sentinel=True)
    name, names = pd.factorize(lines["entreprise"].astype("string"), use_na_sentinel=True)
    values = pd.concat(
        [
            pd.Series(sirets, dtype="string"),
            normalise_text(pd.Series(names, dtype="string")),
        ],
        ignore_index=True,
    )
    value_codes, _ = pd.factorize(values.mask(values == ""), use_na_sentinel=True)
    by_siret = np.append(value_codes[: len(sirets)], -1)[siret]  # code -1 takes the last: -1
    by_name = np.append(value_codes[len(sirets) :], -1)[name]
    return np.where(siret >= 0, by_siret, by_name).astype(np.int64)


LINE_FILL = (
    "contrat_id",
    "operation_id",
    "entreprise",
    "siret",
    "type_contrat",
    "date_debut",
    "date_fin",
    "mois",
    "heures_realisees",
    "situation_sortie",
    "type_employeur",
    "modalite",
    "duree_mois",
)
OPERATION_FILL = ("operation_libelle", "donneur_ordre", "type_clause", "heures_prevues")


@dataclass
class _Inputs:
    """The accepted rows of every sheet, stacked per table, with their territory."""

    parts: pd.DataFrame
    lines: pd.DataFrame
    ops_rows: pd.DataFrame
    ranks: dict[str, int]  # file -> order of its export date (oldest first)
    superseded: Superseded = field(default_factory=Superseded)
    issues: list[Issue] = field(default_factory=list)


def export_dates(validated: list[Validated]) -> dict[str, ExportDate]:
    """The date of each file's export (name, else title rows, else modification time)."""
    dates: dict[str, ExportDate] = {}
    for v in validated:
        rec = v.recognised
        source = rec.raw.source
        found = export_date(source.path, source.display, rec.extraction_date)
        if source.display not in dates or (
            dates[source.display].how == "modification" and found.how != "modification"
        ):
            dates[source.display] = found
    return dates


def merge(
    validated: list[Validated],
    spec: Spec,
    *,
    secret: bytes | None = None,
    territories: dict[str, str] | None = None,
    contract_rules: ContractRules | None = None,
    non_work_pattern: str | None = None,
    forecast_level: str = "auto",
) -> Dataset:
    """Merge all accepted rows into people, lines and operations, in named steps."""
    secret = secret or secrets.token_bytes(32)  # keys live only for this run by default
    dates = export_dates(validated)
    read_files = {f for v in validated for t in v.tables.values() for f in _files_of(t)}
    data = _Inputs(
        parts=_stack(validated, "participants"),
        lines=_stack(validated, "contrats"),
        ops_rows=_stack(validated, "operations"),
        ranks=export_ranks(dates),
    )
    _assign_territories(data, territories)
    _align_zeros(data)
    _prepare_lines(data)
    made = _in_two_threads(
        data, validated, spec, secret, contract_rules, non_work_pattern, forecast_level
    )
    forecasts, operations, (people, people_by_territory, duplicates), (lines, line_keys) = made
    if line_keys.hasnans:
        missing = line_keys.difference(people.index)
    else:  # as difference(): the keys (distinct) absent from people, sorted
        missing = line_keys[positions_in(line_keys, people.index) < 0].sort_values()
    people = _add_unlisted(people, missing, spec)
    _report_superseded(data, read_files)
    # only what the indicators use: names never leave this function, and a narrow frame
    # keeps a million lines small
    for column in [c for c in lines.columns if c not in LINE_COLUMNS]:
        del lines[column]  # in place: no copy of the columns kept
    return Dataset(
        people=people,
        lines=lines,
        operations=operations,
        issues=data.issues,
        duplicates=duplicates,
        people_by_territory=people_by_territory,
        forecast_items=forecasts.items,
        forecast_levels=forecasts.levels,
        export_dates=dates,
        superseded=data.superseded,
    )


_PeopleTables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]  # people, by territory, dups


def _in_two_threads(
    data: _Inputs,
    validated: list[Validated],
    spec: Spec,
    secret: bytes,
    contract_rules: ContractRules | None,
    non_work_pattern: str | None,
    forecast_level: str,
) -> tuple[Forecasts, pd.DataFrame, _PeopleTables, tuple[pd.DataFrame, pd.Index]]:
    """The forecasts and operations, the people and the lines, from the prepared inputs."""
    # The operations (forecast level of each sheet, read before any line is set aside) need
    # nothing of the people: made in a second thread, on their own tables, while this one
    # does the people and the lines (numpy, pandas and pyarrow release the GIL in their
    # loops); issues and replaced rows then put in the order of a run in series.
    side = _Inputs(
        parts=pd.DataFrame(),
        lines=data.lines[[c for c in FORECAST_LINE_COLUMNS if c in data.lines]],
        ops_rows=data.ops_rows,
        ranks=data.ranks,
    )
    start = len(data.issues)
    with ThreadPoolExecutor(max_workers=CORES) as pool:
        made = pool.submit(_forecasts_and_operations, side, forecast_level)
        _keep_newest(data)
        data.issues += check_birth_dates(data.parts, data.lines, validated)
        data.issues += check_month_hours(data.lines, validated)
        people, people_by_territory, duplicates = _people(data, spec, secret)
        before_lines = len(data.issues) - start
        lines, line_keys = _finish_lines(data, people, spec, contract_rules, non_work_pattern)
        forecasts, operations = made.result()
    own, cut = data.issues[start:], before_lines
    data.issues[start:] = [*forecasts.issues, *own[:cut], *side.issues, *own[cut:]]
    data.ops_rows = side.ops_rows
    data.superseded.absorb(side.superseded)
    return forecasts, operations, (people, people_by_territory, duplicates), (lines, line_keys)


# what the forecast levels read of the hours lines: each operation row's contract
FORECAST_LINE_COLUMNS = ("_sheet_no", "_file", "_sheet", "_row", "contract_key")


def _forecasts_and_operations(side: _Inputs, forecast_level: str) -> tuple[Forecasts, pd.DataFrame]:
    """Each sheet's forecast level and items, then one row per operation (``side``'s issues
    and replaced rows are its own)."""
    forecasts = sheet_forecasts(side.lines, side.ops_rows, side.ranks, forecast_level)
    return forecasts, _operations(side, forecasts)


def _report_superseded(data: _Inputs, read_files: set[str]) -> None:
    """Exports none of whose rows is left are set aside; the others that lost rows to a newer
    export say how many (EXPORT_ROWS_SUPERSEDED)."""
    left = {f for frame in (data.lines, data.parts, data.ops_rows) for f in _files_of(frame)}
    data.superseded.emptied = set(data.superseded.by) & (read_files - left)
    data.issues += [
        make_issue("EXPORT_ROWS_SUPERSEDED", file=file, count=n, newer=data.superseded.by[file])
        for file, n in data.superseded.per_file().items()
        if file not in data.superseded.emptied
    ]


def _files_of(frame: pd.DataFrame) -> set[str]:
    """The files the rows of ``frame`` come from: one look per sheet where the rows carry
    their sheet's number (a sheet's rows all come from its file), not a pass over every row."""
    if "_file" not in frame:
        return set()
    if "_sheet_no" in frame:  # stacked sheet after sheet: the first row of each run
        number = frame["_sheet_no"].to_numpy()
        first = np.flatnonzero(np.r_[True, number[1:] != number[:-1]][: len(number)])
        return {str(f) for f in frame["_file"].iloc[first]}
    if not len(frame):
        return set()
    files = frame["_file"]
    if (files.iloc[0] == files).all():  # one sheet's table
        return {str(files.iloc[0])}
    return {str(f) for f in files.unique()}


def _assign_territories(data: _Inputs, territories: dict[str, str] | None) -> None:
    if not len(data.lines):  # no hours at all: the same columns, no rows, so tables are empty
        text = pd.ArrowDtype(pa.string())
        data.lines = pd.DataFrame(
            {c: pd.Series(dtype=text) for c in ("participant_id", *PROVENANCE_TEXT)}
            | {"_row": pd.Series(dtype="int64")}
        )
    for frame in (data.parts, data.lines, data.ops_rows):
        if len(frame) or "_file" in frame:
            frame["territory"] = _territory(frame, territories)
    for col in LINE_FILL:
        if col not in data.lines:  # a column the export lacks: empty, with the dtype it would have
            data.lines[col] = _empty_column(col, data.lines.index)
    if len(data.ops_rows):
        for col in OPERATION_FILL:
            if col not in data.ops_rows:
                data.ops_rows[col] = _empty_column(col, data.ops_rows.index)


def _align_zeros(data: _Inputs) -> None:
    """Ids of the contracts written as the participants / operations tables write them when
    they differ only by leading zeros; one warning per file says how many."""
    for column, table, what in (
        ("participant_id", data.parts, "participants"),
        ("operation_id", data.ops_rows, "opérations"),
    ):
        data.issues += align_zeros(data.lines, column, table, what)


def _prepare_lines(data: _Inputs) -> None:
    """Month worked, hours and contract identity of each line."""
    lines = data.lines
    start_month = format_dates(lines["date_debut"], "%Y-%m")
    lines["month"] = lines["mois"].astype("string").fillna(start_month)
    lines["hours"] = pd.to_numeric(lines["heures_realisees"]).fillna(0.0).astype("float64")
    # a contract: its id within the territory, else its participant, operation and start
    # (those three coded only for the lines without an id)
    has_id = lines["contrat_id"].notna().to_numpy(dtype=bool)
    key = np.zeros(len(lines), dtype=np.int64)
    if has_id.any():
        key = codes_of([lines["territory"], canonical_ids(lines["contrat_id"])])
    without = np.flatnonzero(~has_id)
    if len(without):

        def part(column: str) -> pd.Series:
            return lines[column] if len(without) == len(lines) else take(lines[column], without)

        by_line = codes_of(
            [
                part("territory"),
                canonical_ids(part("participant_id")),
                canonical_ids(part("operation_id")),
                part("date_debut"),
            ]
        )
        key[without] = int(key.max(initial=0)) + 1 + by_line
    lines["contract_key"] = key


def _keep_newest(data: _Inputs) -> None:
    """Successive exports: each line (territory, contract, month), participant and operation
    row counts once, from the newest export that holds it."""
    lines = data.lines
    keep = newest_only([lines["contract_key"], lines["month"]], lines, data.ranks, data.superseded)
    data.lines = _only(lines, keep)
    parts = data.parts
    if len(parts):
        ids = canonical_ids(parts["participant_id"])
        keep = newest_only([parts["territory"], ids], parts, data.ranks, data.superseded)
        data.parts = _only(parts, keep)


def _people(
    data: _Inputs, spec: Spec, secret: bytes
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """People (keyed hash, flags over all territories), the flags each territory recorded,
    and the possible duplicates (one key, several ids)."""
    pub_cols = [f"pub_{c}" for c in spec.public_codes]
    parts = data.parts
    if not len(parts):
        people = pd.DataFrame(columns=[*pub_cols, "date_naissance", "listed"])
        people_by_territory = pd.DataFrame(
            columns=[*pub_cols, "date_naissance"],
            index=pd.MultiIndex.from_tuples([], names=["territory", "person_key"]),
        )
        return people, people_by_territory, pd.DataFrame(columns=["ids", "territories"])
    for col in ("date_naissance", *pub_cols):
        if col not in parts:
            parts[col] = pd.NaT if col == "date_naissance" else False
    # a denormalised sheet repeats its participant on every hours line: one row per distinct
    # record is enough for everything below (first rows kept, in order)
    parts = data.parts = distinct_rows(parts, [*PERSON_RECORD, *pub_cols])
    parts["person_key"] = person_keys(parts, secret).fillna(local_key(parts))
    # within a territory the id identifies the person: first identity wins
    ident = parts.drop_duplicates(["territory", "participant_id"], keep="first")
    data.issues += duplicate_ids(parts)
    people, people_by_territory = _flags(parts, pub_cols)
    # possible duplicates for review: one key, several ids
    id_counts = ident.groupby("person_key")["participant_id"].nunique()
    several = ident[ident["person_key"].isin(id_counts.index[id_counts > 1])]
    duplicates = pd.DataFrame(
        {
            "ids": _sorted_lists(several, "participant_id"),
            "territories": _sorted_lists(several, "territory"),
        }
    )
    alone = duplicates[duplicates["territories"].map(len) == 1]
    for ids, territories in zip(alone["ids"][:1000], alone["territories"][:1000], strict=True):
        data.issues.append(
            make_issue(
                "PERSON_DUPLICATE_SUSPECT", value=", ".join(ids), file=None, sheet=territories[0]
            )
        )
    return people, people_by_territory, duplicates


def duplicate_ids(parts: pd.DataFrame) -> list[Issue]:
    """PARTICIPANT_DUPLICATE_ID for each (territory, id) that names several persons (keys), at
    its first row, in the order of territory then id (1 000 at most): a ``groupby().nunique()``
    on integer codes."""
    pair = codes_of([parts["territory"], parts["participant_id"]])  # by first appearance
    keys, _ = pd.factorize(parts["person_key"])
    # a row without territory, id or key names nobody (groupby leaves it out)
    counted = (keys >= 0) & parts[["territory", "participant_id"]].notna().all(axis=1).to_numpy()
    width = int(keys.max(initial=0)) + 1
    distinct = np.unique(pair[counted] * width + keys[counted])  # (pair, key) once each
    several = np.flatnonzero(
        np.bincount(distinct // width, minlength=int(pair.max(initial=0)) + 1) > 1
    )
    if not len(several):
        return []
    _, first_row = np.unique(pair, return_index=True)  # the first row of each pair's code
    firsts = parts.iloc[first_row[several]].sort_values(["territory", "participant_id"])
    return [
        at_row("PARTICIPANT_DUPLICATE_ID", first, value=str(first["participant_id"]))
        for _, first in firsts.head(1000).iterrows()
    ]


PERSON_RECORD = ("territory", "participant_id", "nom", "prenom", "date_naissance", "_file")


def _flags(parts: pd.DataFrame, pub_cols: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each person's flags (any record) and earliest birth date, over all territories and
    per territory: index person_key, and (territory, person_key), sorted."""
    key, keys = pd.factorize(parts["person_key"], sort=True)
    where, territories = pd.factorize(parts["territory"], sort=True)
    values = parts[[*pub_cols, "date_naissance"]].reset_index(drop=True)

    def reduce(group: npt.NDArray[np.int64]) -> pd.DataFrame:
        """``values.groupby(group)``: any flag, earliest birth date (sorted by group)."""
        groups, dense = np.unique(group, return_inverse=True)
        reduced: dict[str, Any] = {
            c: np.bincount(dense, values[c].to_numpy(bool, na_value=False), len(groups)) > 0
            for c in pub_cols
        }
        births = values["date_naissance"].to_numpy()
        reduced["date_naissance"] = earliest(births, dense, len(groups))
        return pd.DataFrame(reduced, index=groups)

    people = reduce(key)
    people.index = pd.Index(keys, name="person_key")[people.index]
    people["listed"] = True
    local_rows = np.flatnonzero(where >= 0)  # a row without territory has no local record
    pair = where[local_rows] * len(keys) + key[local_rows]
    values = values.iloc[local_rows]
    local = reduce(pair)
    local.index = pd.MultiIndex.from_arrays(
        [
            pd.Index(territories)[local.index // len(keys)],
            pd.Index(keys)[local.index % len(keys)],
        ],
        names=["territory", "person_key"],
    )
    return people, local


def _sorted_lists(frame: pd.DataFrame, column: str) -> pd.Series:
    """The distinct values of ``column`` of each person key, sorted, as lists."""
    pairs = frame[["person_key", column]].astype("string").drop_duplicates()
    pairs = pairs.sort_values(["person_key", column])
    return pairs.groupby("person_key", sort=True)[column].agg(list)


def _operations(data: _Inputs, forecasts: Forecasts) -> pd.DataFrame:
    """One row per (territory, operation): its label, contracting authority and clause type
    from the newest export that has it, its forecast summed over its items."""
    rows = data.ops_rows
    columns = ["territory", "operation_id", "operation_libelle", "donneur_ordre", "type_clause"]
    if not len(rows):
        return pd.DataFrame(columns=[*columns, "hours_forecast"])
    keep = newest_only(
        [rows["territory"], canonical_ids(rows["operation_id"])],
        rows,
        data.ranks,
        data.superseded,
    )
    rows = data.ops_rows = rows if keep.all() else rows[keep]
    operations = first_of_each(rows, ["territory", "operation_id"], columns[2:])
    items = forecasts.items
    forecast = items.groupby(["territory", "operation_id"])["hours"].sum(min_count=1)
    where = pd.MultiIndex.from_frame(operations[["territory", "operation_id"]])
    operations["hours_forecast"] = forecast.reindex(where).to_numpy()
    data.issues.extend(shared_operations(operations))
    return operations


def _finish_lines(
    data: _Inputs,
    people: pd.DataFrame,
    spec: Spec,
    contract_rules: ContractRules | None,
    non_work_pattern: str | None,
) -> tuple[pd.DataFrame, pd.Index]:
    """Person key, contract family, work or not and company code of each line; and the
    distinct person keys of the lines."""
    lines, parts = data.lines, data.parts
    first_lines = None
    if len(parts):
        person_key, unknown, first_lines = line_people(lines, parts)
    else:
        person_key = pd.Series(pd.NA, index=lines.index, dtype="string")
        unknown = np.ones(len(lines), dtype=bool)
    if unknown.any() and len(parts):
        firsts = lines[unknown].drop_duplicates(["territory", "participant_id"])
        for _, row in firsts.head(1000).iterrows():
            data.issues.append(at_row("PARTICIPANT_UNKNOWN", row, value=str(row["participant_id"])))
    if unknown.any():
        person_key[unknown] = local_key(lines[unknown])
    lines["person_key"] = person_key.astype("string")
    rules = contract_rules or load_contract_rules()
    kinds, distinct_kinds = pd.factorize(lines["type_contrat"].astype("string"))
    kind_values = pd.Series(distinct_kinds, dtype="string")
    family = contract_family(kind_values, rules)["family"].fillna(UNRECOGNISED)
    work = ~family.isin(rules.non_work_families).to_numpy(dtype=bool)
    if non_work_pattern:  # the config's extra non-work contract types
        extra = normalise_text(kind_values).str.contains(non_work_pattern, regex=True)
        work &= ~extra.fillna(False).to_numpy(dtype=bool)
    # decided once per distinct text; lines without a contract type: unrecognised, work
    family_codes, families = pd.factorize(pd.concat([family, pd.Series([UNRECOGNISED])]))
    lines["contract_type"] = pd.Categorical.from_codes(
        family_codes[kinds], categories=families.astype(str)
    )
    lines["work"] = np.append(work, UNRECOGNISED not in rules.non_work_families)[kinds]
    lines["company"] = _company_codes(lines)
    keys = lines["person_key"] if first_lines is None else take(lines["person_key"], first_lines)
    return lines, pd.Index(keys.unique())


def _add_unlisted(people: pd.DataFrame, missing: pd.Index, spec: Spec) -> pd.DataFrame:
    """People who appear only in contracts still exist, with unknown age and status."""
    pub_cols = [f"pub_{c}" for c in spec.public_codes]
    if len(missing):
        unlisted = pd.DataFrame(False, index=missing, columns=[*pub_cols, "listed"])
        unlisted.insert(
            len(pub_cols), "date_naissance", pd.Series(pd.NaT, index=missing, dtype="datetime64[s]")
        )
        people = pd.concat([people, unlisted]) if len(people) else unlisted
    people.index.name = "person_key"
    return people
