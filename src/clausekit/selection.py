"""Newest export wins: when a territory's drop folder holds several exports of the same table,
only the most recent is read, and each file set aside is reported with its reason.

Two files are "the same export" when they belong to the same territory and their names are
equal once the export date is taken out (``export_2025-06-30.xlsx`` and
``export_2025-07-31.xlsx``), ignoring case, accents, punctuation, the extension (a workbook
re-saved as csv) and copy marks (``export (1).xlsx``, ``export - Copie.xlsx``,
``Copie de export.xlsx``). A name is dated when it holds exactly one date (``2025-06-30``,
``2025_06_30``, ``20250630``, ``30-06-2025``, ``30.06.2025``, optionally followed by a time
such as ``_1412``); a name with two dates or more names a period (``du_01-01-2025_au_31-03-2025``)
and keeps them in its group. Within a group, the latest date in the names wins when every name
is dated (ties broken by modification time), else the latest modification time.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from clausekit.safety import is_lock_file

_TIME = r"(?:[T_ -]?(?P<H>[01]\d|2[0-3])[hH:._-]?(?P<M>[0-5]\d)(?:[:._-]?(?P<S>[0-5]\d))?)?"
_DATE_PATTERNS = (
    re.compile(rf"(?<!\d)(?P<y>20\d\d)(?P<sep>[-_.]?)(?P<m>\d\d)(?P=sep)(?P<d>\d\d){_TIME}(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>\d\d)(?P<sep>[-_.])(?P<m>\d\d)(?P=sep)(?P<y>20\d\d){_TIME}(?!\d)"),
)
_COPY_MARKS = (
    re.compile(r"^copie de "),
    re.compile(r" - copie(?: \(\d+\))?$"),
    re.compile(r" \(\d+\)$"),
)


@dataclass
class Selection:
    """The files to read, and the files set aside with the reason why (in French)."""

    used: list[Path] = field(default_factory=list)
    ignored: list[tuple[Path, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Candidate:
    path: Path
    position: int
    dated: datetime | None  # the export date found in the name
    has_time: bool
    mtime_ns: int


def date_in_name(name: str) -> tuple[datetime, tuple[int, int], bool] | None:
    """The single export date of a file name: (date, span in ``name``, has a time), or None.

    None when the name holds no date or several (several dates name a period).
    """
    found: list[tuple[datetime, tuple[int, int], bool]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(name):
            g = match.groupdict()
            try:
                when = datetime(
                    int(g["y"]),
                    int(g["m"]),
                    int(g["d"]),
                    int(g["H"] or 0),
                    int(g["M"] or 0),
                    int(g["S"] or 0),
                )
            except ValueError:
                continue
            if not any(s < match.end() and match.start() < e for _, (s, e), _ in found):
                found.append((when, match.span(), g["H"] is not None))
    return found[0] if len(found) == 1 else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def export_key(path: Path) -> str:
    """The name of an export without its date, extension, copy marks, case or accents."""
    stem = path.stem
    found = date_in_name(stem)
    if found is not None:
        start, end = found[1]
        stem = f"{stem[:start]} {stem[end:]}"
    text = " ".join(_fold(stem).split())
    for mark in _COPY_MARKS:
        text = mark.sub("", text)
    return "_".join(re.findall(r"[^\W_]+", text))


def _day(when: datetime, has_time: bool) -> str:
    return when.strftime("%d/%m/%Y à %H:%M" if has_time else "%d/%m/%Y")


def _mtime(c: _Candidate) -> str:
    return datetime.fromtimestamp(c.mtime_ns / 1e9).strftime("%d/%m/%Y à %H:%M:%S")


def _reason(loser: _Candidate, winner: _Candidate, by_name: bool) -> str:
    shown = winner.path.name if winner.path.parent == loser.path.parent else str(winner.path)
    if by_name and winner.dated and loser.dated and winner.dated != loser.dated:
        return (
            f"remplacé par un export plus récent : {shown} (daté du "
            f"{_day(winner.dated, winner.has_time)} dans son nom, contre le "
            f"{_day(loser.dated, loser.has_time)})"
        )
    if winner.mtime_ns == loser.mtime_ns:
        return f"doublon de {shown} (même date) : un seul des deux est lu"
    same = "même date dans le nom, " if by_name else ""
    return (
        f"remplacé par un export plus récent : {shown} ({same}modifié le {_mtime(winner)}, "
        f"contre le {_mtime(loser)})"
    )


def select_exports(files: list[Path], territory_of: Callable[[Path], str]) -> Selection:
    """Keep the newest export of each (territory, name without date) group.

    Folders and lock files (``~$x.xlsx``, reported by the reader itself) are passed through
    without grouping; a file given twice is kept once. Both lists keep the input order.
    """
    groups: dict[tuple[str, str], list[_Candidate]] = {}
    kept: set[int] = set()
    reasons: dict[int, str] = {}
    seen: dict[Path, Path] = {}
    for position, path in enumerate(files):
        absolute = Path(os.path.abspath(path))
        if absolute in seen:
            reasons[position] = f"déjà dans la liste : {seen[absolute]}"
            continue
        seen[absolute] = path
        if not path.is_file() or is_lock_file(path):
            kept.add(position)
            continue
        found = date_in_name(path.stem)
        candidate = _Candidate(
            path=path,
            position=position,
            dated=found[0] if found else None,
            has_time=bool(found and found[2]),
            mtime_ns=path.stat().st_mtime_ns,
        )
        groups.setdefault((territory_of(path), export_key(path)), []).append(candidate)
    for members in groups.values():
        by_name = all(c.dated is not None for c in members)

        def order(c: _Candidate, by_name: bool = by_name) -> tuple[datetime, int, str]:
            dated = c.dated if by_name and c.dated is not None else datetime.min
            return dated, c.mtime_ns, c.path.name

        winner = max(members, key=order)
        kept.add(winner.position)
        for loser in members:
            if loser is not winner:
                reasons[loser.position] = _reason(loser, winner, by_name)
    return Selection(
        used=[path for position, path in enumerate(files) if position in kept],
        ignored=[(files[position], reasons[position]) for position in sorted(reasons)],
    )
