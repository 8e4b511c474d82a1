"""Stage 4a — reconcile the exports of a territory before they are merged.

- **Successive exports are not added**: the same line (territory, contract, month),
  participant or operation met in several exports counts once, from the newest export
  (:mod:`clausekit.pipeline.exportdate` dates them).
- **Ids that lost their leading zeros** (``00000181`` in one table, ``181`` in another, as
  Excel does) are the same id within a territory.
- **Forecast hours at the level the export gives them**: repeated per operation (counted once
  per operation) or per contract (an operation's forecast is the sum of its contracts').

Everything here works on integer codes (no per-group Python loop over the rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clausekit.errors import Issue, make_issue
from clausekit.pipeline.exportdate import ExportDate
from clausekit.rules.labels import french_number

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

LEVEL_OPERATION = "operation"
LEVEL_CONTRACT = "contract"
LEVEL_CONFLICT = "conflict"


def codes_of(columns: Sequence[pd.Series]) -> Ints:
    """One integer per distinct combination of the columns' values (missing is a value)."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1  # code < span: the combined code is renumbered only when it could overflow
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        width = len(uniques) + 1
        if span * width >= 1 << 62:
            code, distinct = pd.factorize(code)
            span = len(distinct)
        code = code * width + codes
        span *= width
    code, _ = pd.factorize(code)  # numbered in the order they first appear
    return code.astype(np.int64, copy=False)


def positions_in(values: Any, reference: Any) -> Ints:
    """``pd.Index(reference).get_indexer(values)`` for text (``reference`` unique; -1 where
    absent, a missing value matching a missing one), looked up by Arrow: pandas would first
    turn every value of both into a Python string to hash it."""
    if not len(reference) or not len(values):  # (an empty index has no text type)
        return np.full(len(values), -1, dtype=np.int64)
    found = pc.index_in(_text_array(values), value_set=_text_array(reference), skip_nulls=False)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _text_array(values: Any) -> pa.Array:
    array = values.array if isinstance(values, pd.Index | pd.Series) else values
    out = pa.array(array, type=pa.string()) if not isinstance(array, pa.Array) else array
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def earliest(dates: npt.NDArray[np.datetime64], unit: Ints, n: int) -> npt.NDArray[np.datetime64]:
    """The earliest of ``dates`` (missing ones left out, NaT where none) of each of the ``n``
    units numbered by ``unit``: a ``groupby(unit).min()`` without the groupby."""
    latest = np.iinfo(np.int64).max
    least = np.full(n, latest, dtype=np.int64)
    present = ~np.isnat(dates)
    np.minimum.at(least, unit[present], dates[present].view(np.int64))
    out = least.view(dates.dtype).copy()
    out[least == latest] = np.datetime64("NaT")
    return out


def take(column: pd.Series, positions: Ints) -> pd.Series:
    """``column.iloc[positions]``, renumbered from 0. An Arrow column of several chunks (the
    sheets, stacked) is taken chunk by chunk: pyarrow's own take first concatenates every
    chunk, a copy of the whole column (176 MB of operation labels at 1M rows) for a few rows."""
    data = getattr(column.array, "_pa_array", None)
    if not isinstance(data, pa.ChunkedArray) or data.num_chunks <= 1:
        return column.iloc[positions].reset_index(drop=True)
    positions = np.asarray(positions, dtype=np.int64)
    starts = np.cumsum([0] + [len(c) for c in data.chunks])
    chunk = np.searchsorted(starts, positions, side="right") - 1
    order = np.argsort(chunk, kind="stable")
    bounds = np.searchsorted(chunk[order], np.arange(data.num_chunks + 1))
    pieces = [
        data.chunk(k).take(pa.array(positions[order[bounds[k] : bounds[k + 1]]] - starts[k]))
        for k in range(data.num_chunks)
        if bounds[k + 1] > bounds[k]
    ]
    taken = pa.concat_arrays(pieces) if pieces else pa.array([], type=data.type)
    if len(order) and (order[1:] < order[:-1]).any():  # back to the order asked
        taken = taken.take(pa.array(np.argsort(order, kind="stable")))
    return pd.Series(pd.arrays.ArrowExtensionArray(taken), name=column.name)


def take_rows(frame: pd.DataFrame, positions: Ints) -> pd.DataFrame:
    """``frame.iloc[positions]``, renumbered from 0, each column taken by :func:`take`."""
    columns = {c: take(frame[c], positions) for c in frame.columns}
    return pd.DataFrame(columns, columns=frame.columns)


def distinct_rows(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The first row of each distinct combination of ``columns`` (those it has), in order."""
    present = [c for c in columns if c in frame]
    flags = [c for c in present if frame[c].dtype == np.bool_]
    keys = [frame[c] for c in present if c not in flags]
    if flags:  # the boolean columns as the bits of one integer: one factorisation
        bits = np.zeros(len(frame), dtype=np.int64)
        for n, c in enumerate(flags):
            bits |= frame[c].to_numpy(dtype=np.int64) << n
        keys.append(pd.Series(bits, index=frame.index))
    _, first = np.unique(codes_of(keys), return_index=True)
    if len(first) == len(frame):
        return frame
    return take_rows(frame, np.sort(first))


def first_of_each(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """One row per distinct ``keys`` (rows with a missing key left out), sorted by them, with
    the first value present of each of ``columns`` — a sorted ``groupby(keys).first()``, on
    integer codes: the text is only read at the chosen rows."""
    valid = np.logical_and.reduce([frame[k].notna().to_numpy(dtype=bool) for k in keys])
    group = codes_of([frame[k] for k in keys])
    found, first = np.unique(group[valid], return_index=True)
    at = np.flatnonzero(valid)[first]
    table = pd.DataFrame({k: take(frame[k], at) for k in keys})
    for column in columns:
        has = valid & frame[column].notna().to_numpy(dtype=bool)
        present, first_present = np.unique(group[has], return_index=True)
        position = np.full(len(found), -1, dtype=np.int64)  # its row, -1: never present
        position[np.searchsorted(found, present)] = np.flatnonzero(has)[first_present]
        values = take(frame[column], np.maximum(position, 0))
        table[column] = values.where(pd.Series(position >= 0), None) if len(values) else values
    return table.sort_values(keys, kind="stable", ignore_index=True)


def canonical_ids(ids: pd.Series) -> pd.Series:
    """Ids as compared: an all-digit id without its leading zeros (``00181`` → ``181``)."""
    text = ids.astype("string")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)  # each distinct id once
    distinct = pd.Series(uniques, dtype="string")
    digits = distinct.str.fullmatch(r"\d+").fillna(False).astype(bool)
    if not digits.any():
        return text
    stripped = distinct.str.lstrip("0").mask(distinct.str.fullmatch(r"0+").fillna(False), "0")
    canonical = pa.array(distinct.mask(digits, stripped).array).take(
        pa.array(codes, mask=codes < 0)
    )
    return pd.Series(pd.arrays.ArrowExtensionArray(canonical), index=ids.index, dtype="string")


# --------------------------------------------------------------------------- newest export


@dataclass
class Superseded:
    """Rows of older exports replaced by the same rows of a newer one, per (file, sheet)."""

    # spreadsheet rows replaced (a row of a denormalised sheet is in several tables)
    replaced: dict[tuple[str, str], list[npt.NDArray[np.int64]]] = field(default_factory=dict)
    by: dict[str, str] = field(default_factory=dict)  # file -> the newer file (most rows)
    emptied: set[str] = field(default_factory=set)  # files none of whose rows is left

    def add(self, file: str, sheet: str, rows: npt.NDArray[np.int64], newer: str) -> None:
        self.replaced.setdefault((file, sheet), []).append(rows)
        self.by.setdefault(file, newer)

    @property
    def rows(self) -> dict[tuple[str, str], int]:
        """How many spreadsheet rows of each (file, sheet) were replaced."""
        return {key: len(np.unique(np.concatenate(parts))) for key, parts in self.replaced.items()}

    def absorb(self, other: Superseded) -> None:
        """Add the rows ``other`` recorded, as if they had been added here after these."""
        for key, rows in other.replaced.items():
            self.replaced.setdefault(key, []).extend(rows)
        for file, newer in other.by.items():
            self.by.setdefault(file, newer)

    def per_file(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (file, _), rows in sorted(self.rows.items()):
            out[file] = out.get(file, 0) + rows
        return out


def newest_only(
    keys: Sequence[pd.Series], frame: pd.DataFrame, ranks: dict[str, int], superseded: Superseded
) -> Bools:
    """Which rows of ``frame`` to keep: for each key, the rows of the newest export holding it
    (several rows of that export are all kept). The rows replaced go to ``superseded``."""
    n = len(frame)
    if n == 0 or len(set(ranks.values())) <= 1:
        return np.ones(n, dtype=bool)
    file_codes, file_names = pd.factorize(frame["_file"].astype("string"), use_na_sentinel=False)
    # each value of the first key column (the territory, the contract) in one export only:
    # so is every key, nothing to compare (the usual case: one export per territory)
    head, _ = pd.factorize(keys[0], use_na_sentinel=False)
    pair = head.astype(np.int64) * (len(file_names) + 1) + file_codes
    if len(pd.unique(pair)) == int(head.max(initial=-1)) + 1:
        return np.ones(n, dtype=bool)
    key = codes_of(list(keys))
    rank_of_file = np.array([ranks.get(str(f), -1) for f in file_names], dtype=np.int64)
    rank = rank_of_file[file_codes]
    best = np.full(int(key.max(initial=-1)) + 1, -1, dtype=np.int64)
    np.maximum.at(best, key, rank)
    keep = rank == best[key]
    if not keep.all():
        newest_file = {r: f for f, r in ranks.items()}
        lost = ~keep
        pairs = pd.DataFrame(
            {
                "file": frame["_file"].astype("string").to_numpy()[lost],
                "sheet": frame["_sheet"].astype("string").fillna("").to_numpy()[lost],
                "newer": best[key[lost]],
                "row": frame["_row"].to_numpy(dtype=np.int64)[lost],
            }
        )
        for (file, sheet), group in pairs.groupby(["file", "sheet"], sort=True):
            newer = int(group["newer"].value_counts().index[0])  # the file most rows went to
            superseded.add(str(file), str(sheet), group["row"].to_numpy(), newest_file[newer])
    return keep


def export_ranks(dates: dict[str, ExportDate]) -> dict[str, int]:
    """The order of the exports, oldest first (date, then modification time, then name)."""
    return {name: rank for rank, (name, _) in enumerate(sorted(dates.items(), key=lambda d: d[1]))}


# --------------------------------------------------------------------------- ids and zeros


def line_people(
    lines: pd.DataFrame, parts: pd.DataFrame
) -> tuple[pd.Series, npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """The person key of each hours line, from the participants sheet of its territory (the
    first row of its participant id), which lines have no such participant, and the first
    line of each (territory, participant id): the key of a line is the key of its pair."""
    both = [
        pd.concat([parts[c].astype("string"), lines[c].astype("string")], ignore_index=True)
        for c in ("territory", "participant_id")
    ]
    pair = codes_of(both)
    part_pair, line_pair = pair[: len(parts)], pair[len(parts) :]
    first_row = np.full(int(pair.max(initial=-1)) + 1, -1, dtype=np.int64)
    distinct, first = np.unique(part_pair, return_index=True)
    first_row[distinct] = first
    row = first_row[line_pair]
    unknown = row < 0
    keys = pa.array(parts["person_key"].astype("string").array).take(pa.array(row, mask=unknown))
    _, first_lines = np.unique(line_pair, return_index=True)
    return pd.Series(pd.arrays.ArrowExtensionArray(keys), index=lines.index), unknown, first_lines


def align_ids(
    territory: pd.Series,
    ids: pd.Series,
    ref_territory: pd.Series,
    ref_ids: pd.Series,
) -> tuple[pd.Series, Bools]:
    """``ids`` written as ``ref_ids`` writes them when they differ only by leading zeros
    (same territory), and which rows were matched that way."""
    own = pd.DataFrame({"t": territory.astype("string"), "i": ids.astype("string")})
    ref = pd.DataFrame({"t": ref_territory.astype("string"), "i": ref_ids.astype("string")})
    # the (territory, id) pairs as integers, the same in both tables (missing: -1)
    both = [pd.concat([own[c], ref[c]], ignore_index=True) for c in ("t", "i")]
    pair = np.where(both[0].notna() & both[1].notna(), codes_of(both), -1)
    own_pair, ref_pair = pair[: len(own)], pair[len(own) :]
    in_ref = np.zeros(int(pair.max(initial=-1)) + 2, dtype=bool)  # the last one: -1
    in_ref[ref_pair[ref_pair >= 0]] = True
    absent = (own_pair >= 0) & ~in_ref[own_pair]
    if not absent.any() or not (ref_pair >= 0).any():
        return ids, np.zeros(len(ids), dtype=bool)
    _, first = np.unique(own_pair[absent], return_index=True)
    rows = np.flatnonzero(absent)[np.sort(first)]
    missing = own.iloc[rows].assign(code=own_pair[rows])
    ref = ref.dropna().drop_duplicates()
    ref = ref.assign(c=canonical_ids(ref["i"]).to_numpy())
    ref = ref.drop_duplicates(["t", "c"])
    missing = missing.assign(c=canonical_ids(missing["i"]).to_numpy())
    found = missing.merge(ref, on=["t", "c"], suffixes=("", "_ref"))
    if not len(found):
        return ids, np.zeros(len(ids), dtype=bool)
    found_of = np.full(len(in_ref), -1, dtype=np.int64)  # pair code -> its row in found
    found_of[found["code"].to_numpy(dtype=np.int64)] = np.arange(len(found))
    position = found_of[own_pair]
    matched = position >= 0
    aligned = ids.astype("string").copy()
    aligned[matched] = found["i_ref"].to_numpy()[position[matched]]
    return aligned, matched


def align_zeros(lines: pd.DataFrame, column: str, table: pd.DataFrame, what: str) -> list[Issue]:
    """``lines[column]`` rewritten as ``table`` writes its ids when they differ only by leading
    zeros (same territory); the warnings, one per file. A line on a row the table also holds
    (a denormalised sheet) names the table's id in that very cell: only the others are
    compared."""
    if not len(table) or not len(lines):
        return []
    others = np.flatnonzero(~same_rows(lines, table))
    if not len(others):
        return []
    if len(others) == len(lines):
        aligned, matched = align_ids(
            lines["territory"], lines[column], table["territory"], table[column]
        )
    else:
        part, matched_part = align_ids(
            take(lines["territory"], others),
            take(lines[column], others),
            table["territory"],
            table[column],
        )
        if not matched_part.any():
            return []
        matched = np.zeros(len(lines), dtype=bool)
        matched[others] = matched_part
        aligned = lines[column].astype("string").copy()
        at = others[matched_part]
        aligned.iloc[at] = part.to_numpy(dtype=object)[matched_part]  # type: ignore[call-overload]
    if not matched.any():
        return []
    issues = zeros_issues(lines["_file"], matched, lines[column], what)
    lines[column] = aligned
    return issues


def zeros_issues(files: pd.Series, matched: Bools, ids: pd.Series, what: str) -> list[Issue]:
    """One warning per file: how many distinct ids were matched despite their leading zeros."""
    if not matched.any():
        return []
    frame = pd.DataFrame({"file": files[matched].astype("string"), "id": ids[matched]})
    counts = frame.drop_duplicates().groupby("file", sort=True)["id"].nunique()
    return [
        make_issue("ID_ZEROS_MATCHED", file=str(file), count=int(n), what=what)
        for file, n in counts.items()
    ]


# --------------------------------------------------------------------------- forecasts


@dataclass
class Forecasts:
    """Forecast hours as the exports give them: one item per operation (operation level) or
    per contract (contract level), each counted once."""

    items: pd.DataFrame  # territory, operation_id, contract (-1: operation level), hours, _file
    levels: dict[tuple[str, str], str]  # (file, sheet) -> level read
    issues: list[Issue] = field(default_factory=list)


def sheet_forecasts(
    lines: pd.DataFrame, rows: pd.DataFrame, ranks: dict[str, int], forced: str
) -> Forecasts:
    """Forecast items at the level each sheet gives them, the newest export's for each
    operation (or contract). ``lines``: the hours lines with their ``contract_key``;
    ``rows``: the operation rows; ``forced``: the configured level, or "auto"."""
    if not len(rows):
        columns = ("territory", "operation_id", "contract", "hours", "_file", "_sheet", "_row")
        empty = pd.DataFrame({c: [] for c in columns})
        types = {"contract": "int64", "hours": "float64", "_row": "int64"}
        return Forecasts(empty.astype(types), {})
    # the contract of each operation row, when its sheet also holds the contract lines
    if "_sheet_no" in lines and "_sheet_no" in rows:
        line_key, op_key, size = row_positions(lines, rows)
    else:  # lines: no rows
        row_key = codes_of(
            [
                pd.concat([f[c].astype("string") for f in (lines, rows)], ignore_index=True)
                for c in ("_file", "_sheet")
            ]
            + [pd.concat([lines["_row"], rows["_row"]], ignore_index=True)]
        )
        line_key, op_key = row_key[: len(lines)], row_key[len(lines) :]
        size = int(row_key.max(initial=-1)) + 1
    contract_of = np.full(size, -1, dtype=np.int64)
    contract_of[line_key] = lines["contract_key"].to_numpy(dtype=np.int64)
    found = forecast_items(rows, contract_of[op_key], None if forced == "auto" else forced)
    items = found.items
    op = codes_of([items["territory"], canonical_ids(items["operation_id"])])
    # an operation's forecast comes from the newest export that holds it, whatever the level
    # each export gives (an older export with one contract per operation reads as the
    # operation level); within that export, the operation level is the operation's own
    file_codes, files = pd.factorize(items["_file"].astype("string"), use_na_sentinel=False)
    rank = np.array([ranks.get(str(f), -1) for f in files], dtype=np.int64)[file_codes]
    newest = np.full(int(op.max(initial=-1)) + 1, -1, dtype=np.int64)
    np.maximum.at(newest, op, rank)
    in_newest = rank == newest[op]
    op_level = (items["contract"] < 0).to_numpy() & in_newest
    has_op_level = np.zeros(len(newest), dtype=bool)
    has_op_level[op[op_level]] = True
    found.items = items[in_newest & (op_level | ~has_op_level[op])].reset_index(drop=True)
    return found


def row_positions(lines: pd.DataFrame, rows: pd.DataFrame) -> tuple[Ints, Ints, int]:
    """The (sheet, spreadsheet row) of each line and operation row as one dense integer: the
    row plus the sheet's offset (the rows of the sheets before it, up to their largest), so
    that a line and an operation row of one spreadsheet row get the same position."""
    sheet = [f["_sheet_no"].to_numpy(dtype=np.int64) for f in (lines, rows)]
    row = [f["_row"].to_numpy(dtype=np.int64) for f in (lines, rows)]
    sheets = int(max((s.max(initial=-1) for s in sheet), default=-1)) + 1
    top = np.zeros(sheets, dtype=np.int64)
    for s, r in zip(sheet, row, strict=True):
        np.maximum.at(top, s, r)
    offset = np.concatenate([[0], np.cumsum(top + 1)[:-1]]).astype(np.int64)
    line_key, op_key = (offset[s] + r for s, r in zip(sheet, row, strict=True))
    return line_key, op_key, int((top + 1).sum())


def same_rows(lines: pd.DataFrame, table: pd.DataFrame) -> Bools:
    """Which lines sit on a spreadsheet row (sheet and row) that ``table`` also holds."""
    if not ("_sheet_no" in lines and "_sheet_no" in table):
        return np.zeros(len(lines), dtype=bool)
    line_key, table_key, size = row_positions(lines, table)
    held = np.zeros(size, dtype=bool)
    held[table_key] = True
    return held[line_key]


def forecast_items(rows: pd.DataFrame, contract: Ints, forced: str | None = None) -> Forecasts:
    """Decide, sheet by sheet, at which level the forecast column is given, and return the
    forecast items. ``rows``: operation rows with territory, operation_id, heures_prevues and
    provenance; ``contract``: the contract of each row (-1: the sheet has no contracts).

    Operation level: the values repeat on every row of an operation. Contract level: they
    differ between the contracts of an operation and repeat on each contract's rows. A sheet
    that fits neither reading raises FORECAST_CONFLICT (the largest value per operation)."""
    has = rows["heures_prevues"].notna().to_numpy(dtype=bool)
    # a sheet: its number when stacked (numbered in the same order), else its names
    sheet = codes_of(
        [rows["_sheet_no"]] if "_sheet_no" in rows else [rows["_file"], rows["_sheet"]]
    )
    op = codes_of([rows["territory"], rows["operation_id"]])
    value = rows["heures_prevues"].to_numpy(dtype=np.float64, na_value=np.nan)
    frame = pd.DataFrame({"sheet": sheet, "op": op, "contract": contract, "value": value})[has]
    varies_op = _sheets_varying(frame, ["sheet", "op"])
    with_contracts = frame[frame["contract"] >= 0]
    varies_contract = _sheets_varying(with_contracts, ["sheet", "op", "contract"])
    contracts_of = with_contracts.groupby("sheet")["contract"].size()
    levels: dict[int, str] = {}
    for s in np.unique(frame["sheet"]):
        if forced == LEVEL_OPERATION or (s not in varies_op and forced != LEVEL_CONTRACT):
            levels[s] = LEVEL_OPERATION if s not in varies_op else LEVEL_CONFLICT
        elif s in contracts_of.index and s not in varies_contract:
            levels[s] = LEVEL_CONTRACT
        else:
            levels[s] = LEVEL_CONFLICT
    level = frame["sheet"].map(levels)
    by_contract = frame[level == LEVEL_CONTRACT].drop_duplicates(["sheet", "op", "contract"])
    by_op = frame[level != LEVEL_CONTRACT]
    issues = _conflicts(rows, by_op[by_op["sheet"].map(levels) == LEVEL_CONFLICT])
    by_op = by_op.sort_values("value").drop_duplicates(["sheet", "op"], keep="last")
    chosen = pd.concat([by_op.assign(contract=-1), by_contract]).sort_index()
    taken = chosen.index.to_numpy() if len(chosen) else np.zeros(0, dtype=np.int64)
    distinct, first = np.unique(sheet, return_index=True)  # a sheet's name: at its first row
    files, sheets = rows["_file"].iloc[first].tolist(), rows["_sheet"].iloc[first].tolist()
    names = {s: (str(f), str(n)) for s, f, n in zip(distinct.tolist(), files, sheets, strict=True)}
    at = np.searchsorted(distinct, sheet[taken])  # the provenance from each item's sheet
    items = pd.DataFrame(  # not the long labels; the ids taken as they are (Arrow)
        {
            "territory": take(rows["territory"], taken),
            "operation_id": take(rows["operation_id"], taken),
            "contract": chosen["contract"].to_numpy(dtype=np.int64),
            "hours": chosen["value"].to_numpy(dtype=np.float64),
            "_file": pd.Series(np.asarray(files, dtype=object)[at], dtype="string"),
            "_sheet": pd.Series(np.asarray(sheets, dtype=object)[at], dtype="string"),
            "_row": rows["_row"].to_numpy(dtype=np.int64)[taken],
        }
    )
    named = {names[s]: lv for s, lv in levels.items()}
    return Forecasts(items, named, issues)


def _sheets_varying(frame: pd.DataFrame, keys: list[str]) -> Ints:
    """The sheets where a group of ``keys`` holds more than one value (its smallest and its
    largest differ), by integer codes."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64)
    group = codes_of([frame[k] for k in keys])
    value = frame["value"].to_numpy(dtype=np.float64)
    low = np.full(int(group.max()) + 1, np.inf)
    high = np.full(len(low), -np.inf)
    np.minimum.at(low, group, value)
    np.maximum.at(high, group, value)
    return np.unique(frame["sheet"].to_numpy(dtype=np.int64)[(low != high)[group]])


def _conflicts(rows: pd.DataFrame, frame: pd.DataFrame) -> list[Issue]:
    """One short FORECAST_CONFLICT per operation whose values fit neither reading: how many
    distinct values and their range, at the operation's first row."""
    if not len(frame):
        return []
    stats = frame.groupby(["sheet", "op"]).agg(
        n=("value", "nunique"), low=("value", "min"), high=("value", "max")
    )
    stats = stats[stats["n"] > 1]
    first = frame.reset_index().groupby(["sheet", "op"])["index"].min()
    issues = []
    for key, row in stats.iterrows():  # one per conflicting operation (a few at most)
        record = rows.iloc[int(first.at[key])]  # type: ignore[index,arg-type]
        issues.append(
            at_row(
                "FORECAST_CONFLICT",
                record,
                value=str(record["operation_id"]),
                count=int(row["n"]),
                low=hours_text(row["low"]),
                high=hours_text(row["high"]),
            )
        )
    return issues


def shared_operations(operations: pd.DataFrame) -> list[Issue]:
    """The same operation id and contracting authority in several territories: its forecast
    is counted once per territory; say so, the user decides whether that is one operation."""
    keyed = operations.assign(
        _who=operations["donneur_ordre"].astype("string").fillna(""),
    )
    spread = keyed.groupby(["operation_id", "_who"])["territory"].agg(lambda t: sorted(set(t)))
    return [
        make_issue(
            "OPERATION_MULTI_TERRITORY",
            value=str(key[0]),  # type: ignore[index]
            territories=", ".join(territories),
        )
        for key, territories in spread.items()
        if len(territories) > 1
    ]


def at_row(code: str, record: pd.Series, **params: Any) -> Issue:
    """An issue located at the source row a merged record came from (its provenance)."""
    return make_issue(
        code, file=record["_file"], sheet=record["_sheet"], row=int(record["_row"]), **params
    )


def hours_text(value: float) -> str:
    """320.5 -> '320,5'; 1234 -> '1 234' with a narrow no-break space, as in the catalogue."""
    return french_number(value, 2, trim=True)
