"""Shared test helpers: hand-built synthetic exports written to temporary folders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import Workbook

if TYPE_CHECKING:
    from clausekit.pipeline.read import RawSheet

    from .formats_zoo import Zoo

SECRET = b"test-secret"


def write_xlsx(
    path: Path, sheets: dict[str, list[list[Any]]], hidden: tuple[str, ...] = ()
) -> Path:
    """Write a workbook: one list of rows per sheet (row 1 first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


PARTICIPANT_HEADER = ["N° participant", "Nom", "Prénom", "Date de naissance", "Public"]
CONTRACT_HEADER = [
    "N° participant",
    "N° contrat",
    "Opération",
    "Entreprise",
    "Type de contrat",
    "Date de début",
    "Date de fin",
    "Mois",
    "Heures réalisées",
]
OPERATION_HEADER = [
    "Opération",
    "Libellé de l'opération",
    "Donneur d'ordre",
    "Type de clause",
    "Heures prévisionnelles",
]


def territory_workbook(
    folder: Path,
    territory: str,
    participants: list[list[Any]],
    contracts: list[list[Any]],
    operations: list[list[Any]],
) -> Path:
    """A three-sheet export of one territory in ``folder/territory/export.xlsx``."""
    return write_xlsx(
        folder / territory / "export.xlsx",
        {
            "Participants": [PARTICIPANT_HEADER, *participants],
            "Contrats": [CONTRACT_HEADER, *contracts],
            "Opérations": [OPERATION_HEADER, *operations],
        },
    )


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    return tmp_path / "exports"


@pytest.fixture(scope="session")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Zoo:
    """The workbooks of the format tests, written and checked once per session."""
    from clausekit.consolidate import check

    from .formats_zoo import Zoo, build_dimension, build_errors, build_formats, build_mac

    root = tmp_path_factory.mktemp("zoo")
    build_formats(root / "formats.xlsx")
    build_mac(root / "mac.xlsx")
    build_errors(root / "erreurs.xlsx")
    build_dimension(root / "dimension.xlsx")
    return Zoo(root, check([root]))


def raw_sheet(
    rows: list[list[Any]],
    *,
    file: str = "Lens/export.xlsx",
    sheet: str | None = "Feuil1",
    territory: str = "Lens",
) -> RawSheet:
    """A sheet as the reader hands it to ``recognise``: one text cell a value (None and "" are
    empty), the index the spreadsheet row number (row 1 first), positional columns. ``file``
    is the path shown to the user; it need not exist (its date, if any, is in its name)."""
    import pandas as pd

    from clausekit.pipeline.read import RawSheet, Source

    width = max((len(row) for row in rows), default=0)
    cells = [
        [None if v is None or v == "" else str(v) for v in row] + [None] * (width - len(row))
        for row in rows
    ]
    frame = pd.DataFrame(cells, columns=range(width), dtype="string[pyarrow]")
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return RawSheet(Source(Path(file), file, territory), sheet, frame)
