"""Cells the reader sees as empty (error values, formulas without a cached value) are
reported on their cell, with the column as written, and reject their row."""

from __future__ import annotations

import zipfile
from pathlib import Path

from clausekit.consolidate import check
from clausekit.pipeline.read import ReadLimits

from .conftest import write_xlsx


def _patch(path: Path, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as src:
        members = {n: src.read(n) for n in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert old in members[sheet]
    members[sheet] = members[sheet].replace(old, new)
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)


def test_error_cell_and_formula_without_value_reject_their_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "Lens" / "heures.xlsx",
        {
            "Heures": [
                ["Extraction du 01/07/2025"],
                [],
                ["", "N° participant", "Heures réalisées"],  # table starts in column B
                ["", "P1", 3],
                ["", "P2", 4],
                ["", "P3", "=B1*2"],
                ["", "P4", 5],
            ]
        },
    )
    _patch(path, b'<c r="C5" t="n"><v>4</v></c>', b'<c r="C5" t="e"><v>#DIV/0!</v></c>')
    result = check([tmp_path])
    found = {(i.code, i.row, i.column, i.value) for i in result.issues}
    assert ("VALUE_EXCEL_ERROR", 5, "Heures réalisées", "#DIV/0!") in found
    assert ("VALUE_FORMULA_NO_CACHE", 6, "Heures réalisées", None) in found
    assert result.sources[0]["rows_read"] == 4
    assert result.sources[0]["rows_accepted"] == 2
    assert result.sources[0]["rows_rejected"] == 2
    assert list(result.rejects["row"]) == [5, 6]
    accepted = result.validated[0].tables["contrats"]
    assert list(accepted["heures_realisees"]) == [3.0, 5.0]


def test_oversized_csv_is_refused_and_named(tmp_path: Path) -> None:
    big = tmp_path / "export.csv"
    big.write_text("N° participant;Heures réalisées\n" + "P1;3\n" * 1000, encoding="utf-8")
    result = check([big], limits=ReadLimits(csv_bytes=1000))
    assert result.unreadable == [str(big)]
    issue = next(i for i in result.issues if i.code == "FILE_HOSTILE")
    assert issue.file == str(big)
    assert "fichier csv trop volumineux" in issue.message
    assert result.exit_code() == 3
