"""Monthly history: the report's aggregates kept in SQLite, to compare a month with another.

Only aggregates are stored (totals, per territory, per operation: hours and participant
counts), never a name, a participant id or a birth date. Recording a period again replaces its
previous record in one transaction: an error half-way leaves the database as it was. The schema
is versioned with ``PRAGMA user_version`` and upgraded by the ordered :data:`MIGRATIONS`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from clausekit.errors import UsageError
from clausekit.rules import metrics
from clausekit.rules.labels import french_number

# the metrics kept, in the order of their columns (rules/metrics.py, ``history``): adding one
# there needs a migration below that adds its column
METRICS = tuple(m.key for m in metrics.HISTORY)
HOURS = frozenset(key for key in METRICS if key in metrics.HOURS)
SCOPES = ("totals", "territory", "operation")  # display order

# One tuple of statements per schema version: MIGRATIONS[0] creates v1, MIGRATIONS[1] upgrades
# v1 to v2, ... Append new versions; never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            period TEXT PRIMARY KEY,
            recorded_at TEXT NOT NULL,
            inputs_hash TEXT NOT NULL
        )""",
        """CREATE TABLE aggregates (
            period TEXT NOT NULL,
            scope TEXT NOT NULL,
            territory TEXT NOT NULL DEFAULT '',
            operation_id TEXT NOT NULL DEFAULT '',
            operation TEXT NOT NULL DEFAULT '',
            donneur_ordre TEXT NOT NULL DEFAULT '',
            hours_realised REAL,
            hours_forecast REAL,
            participants INTEGER,
            participants_brsa INTEGER,
            participants_under_26 INTEGER,
            participants_ase INTEGER,
            PRIMARY KEY (period, scope, territory, operation_id, donneur_ordre)
        )""",
    ),
    (
        # v2: what produced the figures, to explain a change that is not in the data.
        "ALTER TABLE runs ADD COLUMN clausekit_version TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_RE_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])(:\d{4}-(0[1-9]|1[0-2]))?")
_KEY = ("scope", "territory", "operation_id", "donneur_ordre")
_COLUMNS = (*_KEY, "operation", *METRICS)


def period_key(report: dict[str, Any]) -> str:
    """The history key of a report: ``2025-06`` for one month, else ``2025-01:2025-06``."""
    period = report.get("period") or {}
    start, end = period.get("start"), period.get("end")
    if not start or not end:
        raise UsageError("Le rapport n'a pas de période : rien à enregistrer dans l'historique.")
    return str(start) if start == end else f"{start}:{end}"


def inputs_hash(paths: Sequence[Path]) -> str:
    """SHA-256 over the inputs' file names and contents, independent of their order and folder."""
    entries = []
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        entries.append((path.name, digest.hexdigest()))
    total = hashlib.sha256()
    for name, digest_hex in sorted(entries):
        total.update(f"{name}\0{digest_hex}\n".encode())
    return total.hexdigest()


def _number(value: Any, metric: str) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{metric}: nombre attendu, trouvé {type(value).__name__}")
    return round(float(value), 2) if metric in HOURS else int(value)


def _aggregate_rows(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows to store, in :data:`_COLUMNS` order: only keys and counts, nothing personal."""

    def row(scope: str, data: dict[str, Any], territory: str, op_id: str, label: str) -> tuple:
        values = tuple(_number(data.get(m), m) for m in METRICS)
        donneur = "" if scope != "operation" else str(data.get("donneur_ordre") or "")
        return (scope, territory, op_id, donneur, label, *values)

    rows = [row("totals", report.get("totals") or {}, "", "", "")]
    for t in report.get("by_territory") or ():
        rows.append(row("territory", t, str(t.get("territory") or ""), "", ""))
    for o in report.get("by_operation") or ():
        op_id = str(o.get("operation_id") or o.get("operation") or "")
        label = str(o.get("operation") or op_id)
        rows.append(row("operation", o, str(o.get("territory") or ""), op_id, label))
    return rows


def _insert_aggregates(conn: sqlite3.Connection, period: str, rows: list[tuple]) -> None:
    columns = ", ".join(("period", *_COLUMNS))
    marks = ", ".join("?" * (len(_COLUMNS) + 1))
    sql = f"INSERT OR REPLACE INTO aggregates ({columns}) VALUES ({marks})"
    for values in rows:
        conn.execute(sql, (period, *values))


class History:
    """The history database at ``path`` (created, or upgraded to the current schema)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise UsageError(f"{path} est un dossier : indiquez un fichier pour l'historique.")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise UsageError(
                f"{path} n'est pas une base d'historique clausekit lisible ({exc}). Indiquez "
                "un autre fichier dans [historique] base, ou déplacez celui-ci."
            ) from None
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @property
    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise UsageError(
                f"L'historique {self.path} a été écrit par une version plus récente de clausekit "
                f"(schéma v{current}, cette version lit jusqu'à v{SCHEMA_VERSION}). Mettez "
                "clausekit à jour."
            )
        for version in range(current, SCHEMA_VERSION):
            with self._transaction() as conn:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")

    # -- writing

    def record(
        self,
        period: str,
        inputs_hash: str,
        report: dict[str, Any],
        *,
        recorded_at: datetime | None = None,
    ) -> None:
        """Store the report's aggregates for ``period``, replacing any earlier record of it."""
        if not _RE_PERIOD.fullmatch(period):
            raise UsageError(
                f"Période « {period} » invalide pour l'historique : attendu AAAA-MM ou "
                "AAAA-MM:AAAA-MM."
            )
        rows = _aggregate_rows(report)
        when = recorded_at or datetime.now()
        stamp = (when if when.tzinfo else when.astimezone()).isoformat(timespec="seconds")
        settings = json.dumps(report.get("settings") or {}, ensure_ascii=False, sort_keys=True)
        version = str(report.get("clausekit_version") or "")
        with self._transaction() as conn:
            conn.execute("DELETE FROM aggregates WHERE period = ?", (period,))
            conn.execute("DELETE FROM runs WHERE period = ?", (period,))
            conn.execute(
                "INSERT INTO runs (period, recorded_at, inputs_hash, clausekit_version, settings)"
                " VALUES (?, ?, ?, ?, ?)",
                (period, stamp, inputs_hash, version, settings),
            )
            _insert_aggregates(conn, period, rows)

    # -- reading

    def months(self) -> list[dict[str, Any]]:
        """Every recorded period, oldest first, with its totals."""
        columns = ", ".join(f"a.{m}" for m in METRICS)
        cursor = self._conn.execute(
            "SELECT r.period, r.recorded_at, r.inputs_hash, r.clausekit_version, r.settings, "
            f"{columns} FROM runs r LEFT JOIN aggregates a "
            "ON a.period = r.period AND a.scope = 'totals' ORDER BY r.period"
        )
        return [
            {
                "period": period,
                "recorded_at": recorded_at,
                "inputs_hash": digest,
                "clausekit_version": version,
                "settings": json.loads(settings),
                "totals": dict(zip(METRICS, totals, strict=True)),
            }
            for period, recorded_at, digest, version, settings, *totals in cursor
        ]

    def periods(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT period FROM runs ORDER BY period")]

    def previous(self, period: str) -> str | None:
        """The latest recorded period before ``period`` (to compare a month with the last)."""
        row = self._conn.execute(
            "SELECT MAX(period) FROM runs WHERE period < ?", (period,)
        ).fetchone()
        return row[0] if row and row[0] else None

    def _rows(self, period: str) -> dict[tuple[str, ...], dict[str, Any]]:
        cursor = self._conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM aggregates WHERE period = ?", (period,)
        )
        out: dict[tuple[str, ...], dict[str, Any]] = {}
        for values in cursor:
            record = dict(zip(_COLUMNS, values, strict=True))
            out[tuple(record[k] for k in _KEY)] = record
        return out

    def diff(self, a: str, b: str) -> list[dict[str, Any]]:
        """What changed from period ``a`` to period ``b``: one row per entity and metric.

        ``status`` is "changed", "added" (only in ``b``) or "removed" (only in ``a``);
        ``delta`` is ``value_b - value_a`` when both are known. Unchanged values are left out.
        """
        known = self.periods()
        for period in (a, b):
            if period not in known:
                listed = ", ".join(known) if known else "aucune"
                raise UsageError(
                    f"Aucun enregistrement pour la période {period} dans l'historique "
                    f"{self.path}. Périodes enregistrées : {listed}."
                )
        return _diff(self._rows(a), self._rows(b))

    def preview(
        self, period: str, report: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """The diff from the latest recorded period before ``period`` to ``report``, without
        writing anything (so that a failed run leaves the database as it was)."""
        previous = self.previous(period)
        if previous is None:
            return None
        current = {}
        for values in _aggregate_rows(report):
            record = dict(zip(_COLUMNS, values, strict=True))
            current[tuple(record[k] for k in _KEY)] = record
        return previous, _diff(self._rows(previous), current)


def _diff(
    rows_a: dict[tuple[str, ...], dict[str, Any]], rows_b: dict[tuple[str, ...], dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per entity and metric that changed from ``rows_a`` to ``rows_b``."""
    order = {scope: i for i, scope in enumerate(SCOPES)}

    def sort_key(key: tuple[str, ...]) -> tuple[Any, ...]:
        label = (rows_b.get(key) or rows_a[key])["operation"]
        return (order.get(key[0], 9), key[1], label, key[2], key[3])

    out = []
    for key in sorted(rows_a.keys() | rows_b.keys(), key=sort_key):
        old, new = rows_a.get(key), rows_b.get(key)
        status = "changed" if old and new else ("added" if new else "removed")
        label = (new or old or {}).get("operation", "")
        for metric in METRICS:
            va = old.get(metric) if old else None
            vb = new.get(metric) if new else None
            if va == vb:
                continue
            delta = None
            if va is not None and vb is not None:
                delta = round(vb - va, 2) if metric in HOURS else vb - va
            out.append(
                {
                    "scope": key[0],
                    "territory": key[1],
                    "operation_id": key[2],
                    "operation": label,
                    "donneur_ordre": key[3],
                    "status": status,
                    "metric": metric,
                    "value_a": va,
                    "value_b": vb,
                    "delta": delta,
                }
            )
    return out


# --------------------------------------------------------------------------- rendering

DIFF_HEADER = ("Périmètre", "Territoire", "Opération", "Indicateur", "Avant", "Après", "Écart")
_SCOPE_LABELS = {
    ("totals", "changed"): "Total",
    ("territory", "changed"): "Territoire",
    ("territory", "added"): "Territoire (nouveau)",
    ("territory", "removed"): "Territoire (disparu)",
    ("operation", "changed"): "Opération",
    ("operation", "added"): "Opération (nouvelle)",
    ("operation", "removed"): "Opération (disparue)",
}


def _french(value: float | int | None, signed: bool = False, hours: bool = False) -> str:
    if value is None:
        return "—"
    text = french_number(abs(value), 2 if hours else 0)
    if value < 0:
        return f"−{text}"
    return f"+{text}" if signed and value > 0 else text


def diff_table(diff: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The diff under :data:`DIFF_HEADER` for a spreadsheet: labels as text, the values and
    the change as real numbers (None where a side is missing)."""
    out: list[tuple[Any, ...]] = []
    for row, text in zip(diff, diff_rows(diff), strict=True):
        out.append(
            (
                *text[:3],
                metrics.LABELS.get(row["metric"], row["metric"]),
                row["value_a"],
                row["value_b"],
                row["delta"],
            )
        )
    return out


def diff_rows(diff: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The diff as text cells under :data:`DIFF_HEADER` (French numbers, signed deltas)."""
    out: list[tuple[str, ...]] = []
    for row in diff:
        hours = row["metric"] in HOURS
        scope = _SCOPE_LABELS.get((row["scope"], row["status"]), row["scope"])
        operation = row["operation"]
        if operation and row["operation_id"] and row["operation_id"] != operation:
            operation = f"{operation} [{row['operation_id']}]"
        out.append(
            (
                scope,
                row["territory"],
                operation,
                metrics.LABELS.get(row["metric"], row["metric"]),
                _french(row["value_a"], hours=hours),
                _french(row["value_b"], hours=hours),
                _french(row["delta"], signed=True, hours=hours),
            )
        )
    return out
