"""Export dates: the date in the name, else the title rows, else the modification time."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from clausekit.pipeline.exportdate import ExportDate, date_in_name, export_date, title_date


def touch(path: Path, modified: datetime) -> Path:
    """A file whose modification time is ``modified`` (local time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    stamp = modified.timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("export_2025-06-30", (datetime(2025, 6, 30), (7, 17), False)),
        ("extraction_20250630", (datetime(2025, 6, 30), (11, 19), False)),
        ("ABC 30-06-2025", (datetime(2025, 6, 30), (4, 14), False)),
        ("abc_30.06.2025", (datetime(2025, 6, 30), (4, 14), False)),
        ("export_2025_06_30_1412", (datetime(2025, 6, 30, 14, 12), (7, 22), True)),
        ("export 2025-06-30T14h12", (datetime(2025, 6, 30, 14, 12), (7, 23), True)),
        ("du_01-01-2025_au_31-03-2025", None),  # two dates: a period, not an export date
        ("marche_20251399", None),  # not a valid date
        ("lot 120250630", None),  # longer digit run
        ("export", None),
        # one month: the export of that month
        ("export_2025-06", (datetime(2025, 6, 1), (7, 14), False)),
        ("export_06-2025", (datetime(2025, 6, 1), (7, 14), False)),
        ("Export juin 2025", (datetime(2025, 6, 1), (7, 16), False)),
        ("Extraction Février 2025", (datetime(2025, 2, 1), (11, 23), False)),
        ("heures_sept_25", (datetime(2025, 9, 1), (7, 14), False)),
        ("export_2025-05_et_2025-06", None),  # two months: a period
        # a full date wins over a month: the month is the period exported, the date the day
        ("heures_2025-05_extrait_2025-06-03", (datetime(2025, 6, 3), (23, 33), False)),
    ],
)
def test_date_in_name(name: str, expected: object) -> None:
    assert date_in_name(name) == expected


def test_title_rows_give_the_extraction_date() -> None:
    assert title_date(["ABC Clauses", "Extraction du 01/07/2025 à 08:12"]) == datetime(2025, 7, 1)
    assert title_date(["Export édité le 2025-07-02"]) == datetime(2025, 7, 2)
    assert title_date(["Extraction du 31/02/2025", "Édition du 3/7/2025"]) == datetime(2025, 7, 3)
    assert title_date(["Bilan des clauses"]) is None


def test_export_date_prefers_the_name_then_the_title_then_the_modification_time(
    tmp_path: Path,
) -> None:
    june = touch(tmp_path / "export_2025-06.xlsx", datetime(2025, 1, 5, 9, 30))
    plain = touch(tmp_path / "export.xlsx", datetime(2025, 1, 5, 9, 30))
    dated = export_date(june, "export_2025-06.xlsx", title=datetime(2025, 8, 1))
    assert (dated.when, dated.how) == (datetime(2025, 6, 1), "nom")
    assert dated.describe() == "daté du 01/06/2025 dans son nom"
    titled = export_date(plain, "export.xlsx", title=datetime(2025, 8, 1))
    assert (titled.when, titled.how) == (datetime(2025, 8, 1), "titre")
    assert titled.describe() == "extraction du 01/08/2025 selon ses lignes de titre"
    modified = export_date(plain, "export.xlsx")
    assert (modified.when, modified.how) == (datetime(2025, 1, 5, 9, 30), "modification")
    assert modified.describe() == "modifié le 05/01/2025 à 09:30"


def test_exports_order_by_date_then_modification_time_then_name() -> None:
    a = ExportDate(datetime(2025, 6, 1), 5, "b.xlsx", "nom")
    b = ExportDate(datetime(2025, 6, 1), 9, "a.xlsx", "nom")
    c = ExportDate(datetime(2025, 7, 1), 1, "c.xlsx", "titre")
    assert sorted([c, b, a]) == [a, b, c]
