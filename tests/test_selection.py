"""Newest export wins: grouping by territory and name without date, exact French reasons."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from clausekit.selection import date_in_name, export_key, select_exports


def touch(path: Path, modified: datetime) -> Path:
    """A file whose modification time is ``modified`` (local time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    stamp = modified.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def by_folder(path: Path) -> str:
    return path.parent.name


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
        ("export_2025-06", None),  # a month: part of the name
        ("marche_20251399", None),  # not a valid date
        ("lot 120250630", None),  # longer digit run
        ("export", None),
    ],
)
def test_date_in_name(name: str, expected: object) -> None:
    assert date_in_name(name) == expected


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("export_2025-06-30.xlsx", "export"),
        ("Export 2025-07-31.CSV", "export"),
        ("Export (1).xlsx", "export"),
        ("Export - Copie.xlsx", "export"),
        ("Export - Copie (2).xlsx", "export"),
        ("Copie de Export.xlsx", "export"),
        ("Heures Lens-Liévin 20250630.xlsx", "heures_lens_lievin"),
        ("heures_2025-05_extrait_2025-06-03.xlsx", "heures_2025_05_extrait"),
        ("heures_2025-05.xlsx", "heures_2025_05"),
        ("du_01-01-2025_au_31-03-2025.xlsx", "du_01_01_2025_au_31_03_2025"),
    ],
)
def test_export_key(name: str, key: str) -> None:
    assert export_key(Path(name)) == key


def test_newest_date_in_name_wins_whatever_the_modification_time(tmp_path: Path) -> None:
    lens = tmp_path / "Lens"
    old = touch(lens / "export_2025-05-31.xlsx", datetime(2025, 7, 1, 9, 0))
    new = touch(lens / "export_2025-06-30.xlsx", datetime(2025, 6, 30, 18, 0))
    other = touch(lens / "participants_2025-05-31.xlsx", datetime(2025, 6, 1))
    selection = select_exports([old, new, other], by_folder)
    assert selection.used == [new, other]
    assert selection.ignored == [
        (
            old,
            "remplacé par un export plus récent : export_2025-06-30.xlsx (daté du 30/06/2025 "
            "dans son nom, contre le 31/05/2025)",
        )
    ]


def test_formats_of_dates_compare_together(tmp_path: Path) -> None:
    folder = tmp_path / "Artois"
    a = touch(folder / "extraction_20250630.xlsx", datetime(2025, 7, 1))
    b = touch(folder / "extraction 01-07-2025 0930.xlsx", datetime(2025, 7, 1))
    c = touch(folder / "Extraction_2025-06-15.csv", datetime(2025, 7, 2))
    selection = select_exports([a, b, c], by_folder)
    assert selection.used == [b]
    assert selection.ignored == [
        (
            a,
            "remplacé par un export plus récent : extraction 01-07-2025 0930.xlsx (daté du "
            "01/07/2025 à 09:30 dans son nom, contre le 30/06/2025)",
        ),
        (
            c,
            "remplacé par un export plus récent : extraction 01-07-2025 0930.xlsx (daté du "
            "01/07/2025 à 09:30 dans son nom, contre le 15/06/2025)",
        ),
    ]


def test_undated_names_fall_back_on_modification_time(tmp_path: Path) -> None:
    folder = tmp_path / "Hénin-Carvin"
    first = touch(folder / "export.xlsx", datetime(2025, 6, 30, 8, 0, 5))
    copy = touch(folder / "export (1).xlsx", datetime(2025, 7, 1, 14, 12, 0))
    selection = select_exports([first, copy], by_folder)
    assert selection.used == [copy]
    assert selection.ignored == [
        (
            first,
            "remplacé par un export plus récent : export (1).xlsx (modifié le 01/07/2025 à "
            "14:12:00, contre le 30/06/2025 à 08:00:05)",
        )
    ]


def test_mixed_dated_and_undated_names_use_modification_time(tmp_path: Path) -> None:
    folder = tmp_path / "Lens"
    dated = touch(folder / "export_2025-06-30.xlsx", datetime(2025, 6, 30, 10, 0))
    undated = touch(folder / "export.xlsx", datetime(2025, 7, 2, 10, 0))
    selection = select_exports([dated, undated], by_folder)
    assert selection.used == [undated]
    assert selection.ignored == [
        (
            dated,
            "remplacé par un export plus récent : export.xlsx (modifié le 02/07/2025 à "
            "10:00:00, contre le 30/06/2025 à 10:00:00)",
        )
    ]


def test_same_date_in_name_resaved_as_csv(tmp_path: Path) -> None:
    folder = tmp_path / "Lens"
    xlsx = touch(folder / "export_2025-06-30.xlsx", datetime(2025, 7, 1, 9, 0))
    csv = touch(folder / "export_2025-06-30.csv", datetime(2025, 7, 1, 11, 30))
    selection = select_exports([xlsx, csv], by_folder)
    assert selection.used == [csv]
    assert selection.ignored == [
        (
            xlsx,
            "remplacé par un export plus récent : export_2025-06-30.csv (même date dans le nom, "
            "modifié le 01/07/2025 à 11:30:00, contre le 01/07/2025 à 09:00:00)",
        )
    ]


def test_exact_tie_keeps_one_and_says_so(tmp_path: Path) -> None:
    when = datetime(2025, 7, 1, 9, 0)
    a = touch(tmp_path / "Lens" / "export.xlsx", when)
    b = touch(tmp_path / "Lens" / "export.csv", when)
    selection = select_exports([a, b], by_folder)
    assert selection.used == [a]
    assert selection.ignored == [
        (b, "doublon de export.xlsx (même date) : un seul des deux est lu")
    ]


def test_territories_and_periods_are_never_merged(tmp_path: Path) -> None:
    when = datetime(2025, 7, 1)
    lens = touch(tmp_path / "Lens" / "export_2025-06-30.xlsx", when)
    artois = touch(tmp_path / "Artois" / "export_2025-05-31.xlsx", when)
    q1 = touch(tmp_path / "Artois" / "heures_du_01-01-2025_au_31-03-2025.xlsx", when)
    q2 = touch(tmp_path / "Artois" / "heures_du_01-04-2025_au_30-06-2025.xlsx", when)
    may = touch(tmp_path / "Artois" / "heures_2025-05.xlsx", when)
    june = touch(tmp_path / "Artois" / "heures_2025-06.xlsx", when)
    files = [lens, artois, q1, q2, may, june]
    selection = select_exports(files, by_folder)
    assert selection.used == files
    assert selection.ignored == []


def test_territory_comes_from_the_callable(tmp_path: Path) -> None:
    a = touch(tmp_path / "depot" / "lens_2025-06-30.xlsx", datetime(2025, 7, 1))
    b = touch(tmp_path / "depot" / "lens_2025-05-31.xlsx", datetime(2025, 7, 1))
    selection = select_exports([a, b], lambda p: "Lens-Liévin")
    assert selection.used == [a]
    assert [p for p, _ in selection.ignored] == [b]
    assert select_exports([a, b], lambda p: p.name).used == [a, b]


def test_folders_lock_files_and_repeats(tmp_path: Path) -> None:
    when = datetime(2025, 7, 1)
    export = touch(tmp_path / "Lens" / "export.xlsx", when)
    lock = touch(tmp_path / "Lens" / "~$export.xlsx", datetime(2025, 7, 2))
    folder = tmp_path / "Artois"
    folder.mkdir()
    selection = select_exports([export, lock, folder, export], by_folder)
    assert selection.used == [export, lock, folder]
    assert selection.ignored == [(export, f"déjà dans la liste : {export}")]


def test_winner_in_another_folder_is_shown_with_its_path(tmp_path: Path) -> None:
    old = touch(tmp_path / "a" / "export_2025-05-31.xlsx", datetime(2025, 7, 1))
    new = touch(tmp_path / "b" / "export_2025-06-30.xlsx", datetime(2025, 7, 1))
    selection = select_exports([old, new], lambda p: "Lens")
    assert selection.ignored == [
        (
            old,
            f"remplacé par un export plus récent : {new} (daté du 30/06/2025 dans son nom, "
            "contre le 31/05/2025)",
        )
    ]


def test_month_in_name_is_a_period_and_the_date_an_extraction(tmp_path: Path) -> None:
    when = datetime(2025, 7, 10)
    first = touch(tmp_path / "Lens" / "heures_2025-05_extrait_2025-06-03.xlsx", when)
    again = touch(tmp_path / "Lens" / "heures_2025-05_extrait_2025-06-10.xlsx", when)
    june = touch(tmp_path / "Lens" / "heures_2025-06_extrait_2025-07-02.xlsx", when)
    selection = select_exports([first, again, june], by_folder)
    assert selection.used == [again, june]
    assert selection.ignored == [
        (
            first,
            "remplacé par un export plus récent : heures_2025-05_extrait_2025-06-10.xlsx (daté du "
            "10/06/2025 dans son nom, contre le 03/06/2025)",
        )
    ]
