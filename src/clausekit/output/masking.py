"""Small-count masking with secondary suppression, for reports that leave the team.

A report run with ``--mask-below K`` shows every count in ``1..K-1`` as the string ``"<K"``
(*primary suppression*) and hides enough other cells (*secondary suppression*) that no masked
cell can be worked out from the row and column totals.

Choices, documented once here:

* **Zero stays 0.** A zero is a structural fact ("no contract in this territory") and does not
  point at a person; masking zeros would also make every sparse table unreadable. Consequence
  for ``K = 2``: a primary ``"<2"`` can only be 1. Use ``K >= 3`` when that matters.
* **Every protected cell reads ``"<K"``**, primary or secondary (the API contract). A secondary
  cell may therefore hold a value ``>= K``: ``"<K"`` means "masked", not a bound, and the report
  legend should say so.
* **Totals are relations even when not shown.** Each row and each column is an additive relation
  (sum of cells = total). When the table shows no total for a relation, the total is assumed
  to be published elsewhere (e.g. the JSON totals), i.e. *known to the reader*: conservative.
* **Secondary suppression, phase 1 (the simple rule).** Relations are visited in a fixed order
  (rows top to bottom, then columns left to right, repeated until nothing changes). A relation
  with exactly one masked cell gets one more: its smallest non-zero unmasked cell (ties: first
  by position), or its total when only the total is left. Afterwards every relation has 0 or
  at least 2 masked cells.
* **Phase 2 (why the simple rule is not enough).** Think of the table as a bipartite graph:
  one node per relation (row nodes, column nodes, plus a node for the total row and one for the
  total column), one edge per cell (a row total joins its row to the total-column node, and so
  on). The relations are then the node equations of that graph, and a masked cell is uniquely
  determined by the published cells and totals exactly when its edge is a *bridge* of the
  subgraph of masked edges (it lies on no cycle of masked cells). The simple rule only removes
  bridges that end in a node of degree 1; e.g. two masked rectangles joined by one masked cell
  keep every relation at >= 2 masked cells, yet the joining cell is the difference of sums of
  published totals. Phase 2 therefore finds the bridges (Tarjan, linear time), takes the first
  in cell order and masks the cheapest path (Dijkstra: least sum of values, then fewest new
  cells) of non-zero unmasked cells that closes a cycle through it; phases 1 and 2 alternate
  until no fixable bridge remains. A 1 000 x 20 table takes a fraction of a second.
* **Why a cycle is enough, also for integer, non-negative guesses.** Moving along a cycle of
  masked cells by +1/-1 (alternately, in the graph's orientation) keeps every relation true.
  Every masked cell is >= 1 (primary cells are 1..K-1; secondary cells are chosen non-zero), so
  a step of 1 in one of the two directions never makes a cell negative: each masked cell has at
  least two values consistent with everything published.
* **Limits.** A cell that is a bridge even when every non-zero cell is masked (e.g. the only
  cell of a column whose total is published elsewhere) cannot be protected by this table and is
  left as is. Consistency of the totals with the cells is not checked. Knowledge from other
  tables built from the same people (differencing across reports) is out of scope.

The whole procedure is deterministic: same table, same masks.
"""

from __future__ import annotations

import heapq
import math
import numbers
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

import pandas as pd

from clausekit.errors import Issue
from clausekit.rules import metrics

__all__ = ["MAX_K", "deidentify", "mask_counts", "mask_records"]

MAX_K = 1000
"""Largest accepted threshold (a larger one is surely a typing mistake)."""

Cell = tuple[int, int]  # (row position in the table, position in ``columns``)


@dataclass(frozen=True)
class _Relation:
    """One additive relation: ``sum(members) == total``; ``total`` is None when not shown."""

    members: tuple[Cell, ...]
    total: Cell | None


def _as_count(value: object, column: Hashable, row: int) -> int:
    """Return ``value`` as a non-negative ``int`` or raise ``ValueError`` (never quoting it)."""
    where = f"column {column!r}, row {row}"
    if isinstance(value, bool):
        raise ValueError(f"count expected, got a boolean ({where})")
    if isinstance(value, numbers.Integral):
        count = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(float(value)):
        as_float = float(value)
        if not as_float.is_integer():
            raise ValueError(f"whole count expected, got a fraction ({where})")
        count = int(as_float)
    else:
        kind = "a missing value" if _is_missing(value) else f"a {type(value).__name__}"
        raise ValueError(f"count expected, got {kind} ({where})")
    if count < 0:
        raise ValueError(f"counts must not be negative ({where})")
    return count


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like values have no single truth value
        return False


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError("k must be an integer")
    if k > MAX_K:
        raise ValueError(f"k must be at most {MAX_K}, got {k}")


class _Masker:
    """The suppression state of one table: values, masks, relations and the cell graph."""

    def __init__(
        self,
        values: list[list[int]],
        k: int,
        total_row: int | None,
        total_col: int | None,
    ) -> None:
        self.values = values
        self.n_rows = len(values)
        self.n_cols = len(values[0]) if values else 0
        self.masked = [[1 <= v < k for v in row] for row in values]
        group_rows = [i for i in range(self.n_rows) if i != total_row]
        data_cols = [j for j in range(self.n_cols) if j != total_col]

        relations: list[_Relation] = []
        for i in range(self.n_rows):
            relations.append(
                _Relation(
                    members=tuple((i, j) for j in data_cols),
                    total=(i, total_col) if total_col is not None else None,
                )
            )
        for j in range(self.n_cols):
            relations.append(
                _Relation(
                    members=tuple((i, j) for i in group_rows),
                    total=(total_row, j) if total_row is not None else None,
                )
            )
        self.relations = relations

        # Graph: row nodes 0..n_rows-1 (the total row's node stands for "total row"), column
        # nodes n_rows..n_rows+n_cols-1. Hidden totals are known to the reader, so they are not
        # edges (not unknowns) at all.
        self.edges: dict[Cell, tuple[int, int]] = {
            (i, j): (i, self.n_rows + j) for i in range(self.n_rows) for j in range(self.n_cols)
        }
        self.adjacency: list[list[Cell]] = [[] for _ in range(self.n_rows + self.n_cols)]
        for cell, (a, b) in self.edges.items():
            self.adjacency[a].append(cell)
            self.adjacency[b].append(cell)

    # ------------------------------------------------------------------ phase 1

    def _is_masked(self, cell: Cell) -> bool:
        return self.masked[cell[0]][cell[1]]

    def _value(self, cell: Cell) -> int:
        return self.values[cell[0]][cell[1]]

    def simple_rule(self) -> bool:
        """Apply the one-masked-cell rule until stable; return whether anything was masked."""
        changed_any = False
        changed = True
        while changed:
            changed = False
            for relation in self.relations:
                cells = [*relation.members]
                if relation.total is not None:
                    cells.append(relation.total)
                if sum(self._is_masked(c) for c in cells) != 1:
                    continue
                candidates = [
                    (self._value(c), position, c)
                    for position, c in enumerate(relation.members)
                    if not self._is_masked(c) and self._value(c) > 0
                ]
                choice: Cell | None = None
                if candidates:
                    choice = min(candidates)[2]
                elif (
                    relation.total is not None
                    and not self._is_masked(relation.total)
                    and self._value(relation.total) > 0
                ):
                    choice = relation.total  # only the total is left
                if choice is not None:
                    self.masked[choice[0]][choice[1]] = True
                    changed = changed_any = True
        return changed_any

    # ------------------------------------------------------------------ phase 2

    def bridges(self) -> list[Cell]:
        """Masked cells lying on no cycle of masked cells (uniquely determined), in cell order.

        Tarjan's bridge-finding algorithm on the subgraph of masked cells, iterative.
        """
        n_nodes = len(self.adjacency)
        discovered = [-1] * n_nodes
        low = [0] * n_nodes
        clock = 0
        found: list[Cell] = []
        for root in range(n_nodes):
            if discovered[root] != -1:
                continue
            discovered[root] = low[root] = clock
            clock += 1
            stack: list[tuple[int, Cell | None, Iterator[Cell]]] = [
                (root, None, iter(self.adjacency[root]))
            ]
            while stack:
                node, via, pending = stack[-1]
                descended = False
                for cell in pending:
                    if cell == via or not self._is_masked(cell):
                        continue
                    a, b = self.edges[cell]
                    other = b if a == node else a
                    if discovered[other] == -1:
                        discovered[other] = low[other] = clock
                        clock += 1
                        stack.append((other, cell, iter(self.adjacency[other])))
                        descended = True
                        break
                    low[node] = min(low[node], discovered[other])
                if descended:
                    continue
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > discovered[parent]:
                        found.append(via)
        return sorted(found)

    def cheapest_cycle(self, bridge: Cell) -> list[Cell] | None:
        """New cells closing a cycle through ``bridge``, at least total value; None if none."""
        start, goal = self.edges[bridge]
        best: dict[int, tuple[int, int]] = {start: (0, 0)}
        via: dict[int, Cell] = {}
        heap: list[tuple[int, int, int]] = [(0, 0, start)]
        done: set[int] = set()
        while heap:
            cost, count, node = heapq.heappop(heap)
            if node in done:
                continue
            done.add(node)
            if node == goal:
                break
            for cell in self.adjacency[node]:
                if cell == bridge:
                    continue
                if self._is_masked(cell):
                    step = (0, 0)
                elif self._value(cell) > 0:
                    step = (self._value(cell), 1)
                else:
                    continue  # published zero: cannot be masked usefully
                a, b = self.edges[cell]
                other = b if a == node else a
                candidate = (cost + step[0], count + step[1])
                if other not in done and (other not in best or candidate < best[other]):
                    best[other] = candidate
                    via[other] = cell
                    heapq.heappush(heap, (*candidate, other))
        if goal not in done:
            return None
        path: list[Cell] = []
        node = goal
        while node != start:
            cell = via[node]
            if not self._is_masked(cell):
                path.append(cell)
            a, b = self.edges[cell]
            node = a if b == node else b
        return path

    def run(self) -> list[list[bool]]:
        """Run phases 1 and 2 to a fixed point and return the mask."""
        unfixable: set[Cell] = set()
        while True:
            self.simple_rule()
            pending = [c for c in self.bridges() if c not in unfixable]
            if not pending:
                return self.masked
            path = self.cheapest_cycle(pending[0])
            if path is None:
                unfixable.add(pending[0])
                continue
            for i, j in path:
                self.masked[i][j] = True


def mask_counts(
    table: pd.DataFrame,
    columns: list[str],
    k: int,
    *,
    total_row: int | None = None,
    total_column: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mask small counts (1..k-1) and enough other cells that totals cannot reveal them.

    Args:
        table: one row per group (e.g. territory); other columns are left untouched.
        columns: the integer count columns to protect.
        k: threshold; counts in ``1..k-1`` are shown as ``f"<{k}"``. ``k <= 1`` masks nothing.
        total_row: positional index of the row holding the column totals, if any.
        total_column: the column (one of ``columns``) holding the row totals, if any.

    Returns:
        ``(masked, mask)``: a copy of ``table`` where every protected cell is the string
        ``f"<{k}"`` (the ``columns`` are of object dtype, unmasked cells are ``int``), and a
        boolean frame (same index, ``columns`` only) that is True where a cell is masked.
        With ``k <= 1`` the copy is returned unchanged and the mask is all False.

    Raises:
        ValueError: ``k > 1000``, a count that is negative, missing or not a whole number, an
            unknown or repeated column, a ``total_column`` outside ``columns`` or a
            ``total_row`` out of range.

    See the module docstring for the algorithm and its guarantees.
    """
    _check_k(k)
    total_row = _check_table(table, columns, total_row, total_column)
    n_rows = len(table)
    by_column = [
        [_as_count(v, col, i) for i, v in enumerate(table[col].tolist())] for col in columns
    ]
    mask_frame = pd.DataFrame(
        {col: [False] * n_rows for col in columns}, index=table.index, dtype=bool
    )
    masked_table = table.copy()
    if k <= 1 or n_rows == 0 or not columns:
        return masked_table, mask_frame

    values = [[by_column[j][i] for j in range(len(columns))] for i in range(n_rows)]
    total_col = columns.index(total_column) if total_column is not None else None
    mask = _Masker(values, k, total_row, total_col).run()
    _show(masked_table, mask_frame, columns, values, mask, f"<{k}")
    return masked_table, mask_frame


def _check_table(
    table: pd.DataFrame, columns: list[str], total_row: int | None, total_column: str | None
) -> int | None:
    """Raise ``ValueError`` for a call :func:`mask_counts` cannot honour; the total row's
    position counted from the top (a negative one counts from the bottom)."""
    if len(set(columns)) != len(columns):
        raise ValueError("columns must not repeat")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing!r}")
    if total_column is not None and total_column not in columns:
        raise ValueError(f"total_column {total_column!r} must be one of columns")
    n_rows = len(table)
    if total_row is None:
        return None
    if isinstance(total_row, bool) or not -n_rows <= total_row < n_rows:
        raise ValueError(f"total_row {total_row!r} is out of range for {n_rows} rows")
    return total_row % n_rows


def _show(
    masked_table: pd.DataFrame,
    mask_frame: pd.DataFrame,
    columns: list[str],
    values: list[list[int]],
    mask: list[list[bool]],
    label: str,
) -> None:
    """Write the masked cells as ``label`` into ``masked_table`` and the mask into
    ``mask_frame`` (both in place)."""
    index = masked_table.index
    for j, col in enumerate(columns):
        shown: list[Any] = [
            label if row_mask[j] else row[j] for row, row_mask in zip(values, mask, strict=True)
        ]
        masked_table[col] = pd.Series(shown, index=index, dtype=object)
        mask_frame[col] = pd.Series([row_mask[j] for row_mask in mask], index=index)


def mask_records(
    records: Sequence[dict[str, Any]], keys: list[str], k: int
) -> list[dict[str, Any]]:
    """Mask the count ``keys`` of JSON-like rows, row-wise and column-wise (no totals shown).

    Each record is a row and each key a column of a table passed to :func:`mask_counts` without
    ``total_row`` / ``total_column``: row and column totals are assumed published elsewhere.
    Returns new (shallow-copied) dicts where protected counts read ``f"<{k}"``; other keys are
    copied as they are. Every record must hold every key (ValueError otherwise).
    """
    _check_k(k)
    for position, record in enumerate(records):
        absent = [key for key in keys if key not in record]
        if absent:
            raise ValueError(f"record {position} lacks the count keys {absent!r}")
    copies = [dict(record) for record in records]
    if not records or not keys:
        return copies
    frame = pd.DataFrame({key: [record[key] for record in records] for key in keys}, dtype=object)
    masked, mask = mask_counts(frame, keys, k)
    for position, record in enumerate(copies):
        for key in keys:
            if bool(mask[key].iloc[position]):
                record[key] = masked[key].iloc[position]
    return copies


PEOPLE_KEYS = metrics.PEOPLE  # the report's metrics that count people (rules/metrics.py)
SECONDARY = "n.d."


def _label_secondary(
    records: list[dict[str, Any]], masked: list[dict[str, Any]], keys: tuple[str, ...], k: int
) -> list[dict[str, Any]]:
    """Primary cells read "<K"; secondary cells (real value >= K) read "n.d." so that "<K"
    is never a false statement."""
    out = []
    for original, row in zip(records, masked, strict=True):
        row = dict(row)
        for key in keys:
            if row.get(key) == f"<{k}" and int(original[key]) >= k:
                row[key] = SECONDARY
        out.append(row)
    return out


def mask_report(report: dict[str, Any], k: int) -> dict[str, Any]:
    """A copy of the report with every count of people masked below ``k`` (totals, every
    breakdown, public categories, exits, active participants per month), with secondary
    suppression inside each table. Hours, contracts and operations are not counts of people
    and stay as they are."""
    if k <= 1:
        return report
    out = dict(report)
    out["settings"] = {**report["settings"], "mask_below": k}

    def table(records: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        present = tuple(key for key in keys if records and key in records[0])
        if not present:
            return records
        # a declared territory without usable data has no counts (null): nothing to mask
        known = [i for i, r in enumerate(records) if all(r[key] is not None for key in present)]
        rows = [records[i] for i in known]
        masked = _label_secondary(rows, mask_records(rows, list(present), k), present, k)
        out = list(records)
        for i, row in zip(known, masked, strict=True):
            out[i] = row
        return out

    out["totals"] = table([report["totals"]], PEOPLE_KEYS)[0]
    for name, value in report.items():
        if name.startswith("by_") and isinstance(value, list):
            out[name] = table(value, PEOPLE_KEYS)
        elif name.startswith("monthly") and isinstance(value, list):
            out[name] = table(value, ("active_participants",))
    if "exits" in report:
        exits = report["exits"]
        keys = ("durable", "transition", "positive", "other", "unknown")
        masked = table([{key: exits[key] for key in keys}], keys)[0]
        out["exits"] = {**exits, **masked}
        if any(isinstance(masked[key], str) for key in keys):
            for rate in ("durable_rate", "transition_rate", "positive_rate", "dynamic_rate"):
                out["exits"][rate] = None
    if "year_to_date" in report:  # the cumulative since January, masked the same way
        cumulative = mask_report({**report["year_to_date"], "settings": report["settings"]}, k)
        cumulative.pop("settings")
        out["year_to_date"] = cumulative
    return out


def deidentify(report: dict[str, Any], issues: list[Issue]) -> dict[str, Any]:
    """The public copy of a masked report: no row-level identifier and no path.

    Files are named by their file name only; anomalies are counted by code, file, sheet and
    column, without row, value or ids; the list of possible duplicates (ABC Clauses ids) is
    left out. The detail stays in the team's annex (``annexe-equipe.xlsx``)."""
    paths = {i.file for i in issues if i.file}
    paths |= {s["file"] for s in report["sources"]}
    paths |= set((report.get("inputs") or {}).get("used") or [])
    paths |= {i["file"] for i in (report.get("inputs") or {}).get("ignored") or []}
    longest_first = sorted(paths, key=len, reverse=True)

    def strip(text: str) -> str:
        for path in longest_first:
            text = text.replace(path, PurePath(path).name)
        return text

    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for issue in issues:
        bare = replace(issue, row=None, value=None, file=_file_name(issue.file))
        message = strip(bare.message)
        key = (bare.code, bare.file, bare.sheet, bare.column, message)
        if key in grouped:
            grouped[key]["count"] += 1
        else:
            grouped[key] = {**bare.to_dict(), "message": message, "count": 1}
    out = dict(report)
    out["issues"] = list(grouped.values())
    out["sources"] = [{**s, "file": _file_name(s["file"])} for s in report["sources"]]
    for table in ("unmapped_columns", "column_matches"):
        out[table] = [{**c, "file": _file_name(c.get("file"))} for c in report.get(table, [])]
    if "inputs" in report:
        inputs = report["inputs"]
        out["inputs"] = {
            "used": [_file_name(f) for f in inputs.get("used", [])],
            "ignored": [
                {**i, "file": _file_name(i["file"]), "reason": strip(i["reason"])}
                for i in inputs.get("ignored", [])
            ],
        }
    if "quality" in report:
        out["quality"] = {k: v for k, v in report["quality"].items() if k != "duplicate_people"}
    return out


def _file_name(path: str | None) -> str | None:
    return PurePath(path).name if path else path
