"""Which export is the newest: the date of each export, so that successive exports of one
territory are never added (the merge keeps each line from the newest export that holds it).

The date of an export is, in this order: the date in its file name (a full date such as
``2025-06-30``, ``20250630``, ``30-06-2025``, optionally with a time; else one month such as
``2025-06``, ``06-2025`` or ``juin 2025``), else the extraction date written in its title rows
(« Extraction du 01/07/2025 »), else its modification time. A name with two full dates or more
names a period (``du_01-01-2025_au_31-03-2025``): no date is taken from it; a name with one full
date and a month (``heures_2025-05_extrait_2025-06-03``) is dated by the full date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

Found = tuple[datetime, tuple[int, int], bool]  # date, span in the name, has a time

_TIME = r"(?:[T_ -]?(?P<H>[01]\d|2[0-3])[hH:._-]?(?P<M>[0-5]\d)(?:[:._-]?(?P<S>[0-5]\d))?)?"
_DATE_PATTERNS = (
    re.compile(rf"(?<!\d)(?P<y>20\d\d)(?P<sep>[-_.]?)(?P<m>\d\d)(?P=sep)(?P<d>\d\d){_TIME}(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>\d\d)(?P<sep>[-_.])(?P<m>\d\d)(?P=sep)(?P<y>20\d\d){_TIME}(?!\d)"),
)
_MONTHS = {
    "jan": 1, "fev": 2, "feb": 2, "mar": 3, "avr": 4, "apr": 4, "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "juil": 7, "jul": 7, "aou": 8, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_NAME = (
    r"(?P<name>janv(?:ier)?|fevr(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|aout|"
    r"sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|dec(?:embre)?)"
)
_MONTH_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>20\d\d)[-_.](?P<m>0[1-9]|1[0-2])(?![-_.]?\d)"),
    re.compile(r"(?<![\d.\-_]\d)(?<!\d)(?P<m>0[1-9]|1[0-2])[-_.](?P<y>20\d\d)(?!\d)"),
    re.compile(rf"(?<![a-z]){_MONTH_NAME}\.?[ _.-]*(?P<y>20\d\d|\d\d)(?!\d)"),
)
_TITLE_DATES = (
    re.compile(r"(?<!\d)(?P<d>[0-3]?\d)[/.-](?P<m>[01]?\d)[/.-](?P<y>20\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>20\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?!\d)"),
)


def _fold(text: str) -> str:
    # parse.strip_accents after casefold; not imported: parse loads pandas, and the files are
    # dated while the readers start, before pandas is imported (see cli.consolidate)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _overlaps(span: tuple[int, int], found: list[Found]) -> bool:
    return any(s < span[1] and span[0] < e for _, (s, e), _ in found)


def _full_dates(name: str) -> list[Found]:
    found: list[Found] = []
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
            if not _overlaps(match.span(), found):
                found.append((when, match.span(), g["H"] is not None))
    return found


def _months(name: str) -> list[Found]:
    """Months named in ``name`` (« 2025-06 », « 06-2025 », « juin 2025 », « juin_25 »)."""
    folded = _fold(name)  # same length as ``name`` for French month names
    found: list[Found] = []
    for pattern in _MONTH_PATTERNS:
        for match in pattern.finditer(folded):
            g = match.groupdict()
            if g.get("name"):
                month = _MONTHS.get(g["name"][:4]) or _MONTHS[g["name"][:3]]
            else:
                month = int(g["m"])
            year = int(g["y"]) if len(g["y"]) == 4 else 2000 + int(g["y"])
            if not _overlaps(match.span(), found):
                found.append((datetime(year, month, 1), match.span(), False))
    return found


def date_in_name(name: str) -> Found | None:
    """The single export date of a file name: (date, span in ``name``, has a time), or None.

    A full date wins over months; None when the name holds no date, or several full dates (a
    period), or no full date and several months."""
    full = _full_dates(name)
    if full:
        return full[0] if len(full) == 1 else None
    months = _months(name)
    return months[0] if len(months) == 1 else None


def title_date(texts: list[str]) -> datetime | None:
    """The extraction date written in the title rows above a header (« Extraction du
    01/07/2025 », « Export ABC Clauses édité le 2025-07-01 »): the first date found."""
    for text in texts:
        for pattern in _TITLE_DATES:
            for match in pattern.finditer(text):
                try:
                    return datetime(int(match["y"]), int(match["m"]), int(match["d"]))
                except ValueError:
                    continue
    return None


@dataclass(frozen=True, order=True)
class ExportDate:
    """When an export was made, and how that is known. Exports compare by date, then
    modification time, then name."""

    when: datetime
    mtime_ns: int
    name: str
    how: str  # "nom", "titre" or "modification"

    def describe(self) -> str:
        """In French: « daté du 30/06/2025 dans son nom »."""
        day = self.when.strftime("%d/%m/%Y")
        if self.how == "nom":
            return f"daté du {day} dans son nom"
        if self.how == "titre":
            return f"extraction du {day} selon ses lignes de titre"
        return f"modifié le {self.when.strftime('%d/%m/%Y à %H:%M')}"


def export_date(path: Path, display: str, title: datetime | None = None) -> ExportDate:
    """The date of one export: date in the name, else its title rows, else modification time."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        mtime_ns = 0
    found = date_in_name(path.stem)
    if found is not None:
        return ExportDate(found[0], mtime_ns, display, "nom")
    if title is not None:
        return ExportDate(title, mtime_ns, display, "titre")
    return ExportDate(datetime.fromtimestamp(mtime_ns / 1e9), mtime_ns, display, "modification")


def name_without_date(stem: str) -> str:
    """A file name without its export date (``export_2025-06`` → ``export``): successive
    exports given as files share it, and so the territory it names."""
    found = date_in_name(stem)
    if found is None:
        return stem
    start, end = found[1]
    rest = f"{stem[:start].rstrip(' _-.')} {stem[end:].lstrip(' _-.')}".strip()
    return rest or stem
