"""The terminal at 80 columns: nothing cut so that two files look alike, page 1's grid."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from clausekit import render
from clausekit.errors import make_issue

ROOT = Path(__file__).resolve().parents[1]
LONG = (
    "export_abc_clauses_territoire_de_lens_lievin_2025_06_30.xlsx",
    "export_abc_clauses_territoire_de_lens_lievin_2025_07_31.xlsx",
)


def shown(table: object, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table)
    return out.getvalue()


def column(text: str, index: int, sep: str = "") -> str:
    """A column's text, its folded pieces joined back together."""
    pieces = []
    for line in text.splitlines():
        if line.startswith("│"):
            pieces.append(line.split("│")[index].strip())
    return sep.join(p for p in pieces if p)


def test_long_file_names_fold_and_stay_whole_at_80_columns() -> None:
    sources = [
        {
            "file": f"/data/Lens-Liévin/{name}",
            "sheet": "Contrats",
            "kind": "contrats",
            "rows_read": 1200,
            "rows_accepted": 1190,
            "rows_rejected": 10,
            "rows_skipped": 0,
        }
        for name in LONG
    ]
    text = shown(render.sources_table(sources))
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    joined = column(text, 1)
    for name in LONG:
        assert f"{name}(Contrats)" in joined  # whole, the two still tell apart
    assert "Contrats et heures" in column(text, 2, " ")  # the table kind in words


def test_issue_messages_get_the_room_at_80_columns() -> None:
    issues = [
        make_issue(
            "VALUE_NOT_HOURS",
            file=f"/data/{LONG[0]}",
            sheet="Contrats",
            row=12,
            column="Heures réalisées",
            value="douze",
        ),
    ]
    text = shown(render.issue_table(issues))
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    assert "avertissement" not in text and "erreur" in text
    assert "VALUE_NOT_HOURS" not in text
    assert "« douze » n'est pas un nombre d'heures." in column(text, 3, " ")


def test_the_terminal_summary_is_page_ones_grid() -> None:
    report = json.loads((ROOT / "tests" / "golden" / "rapport.json").read_text("utf-8"))
    text = shown(render.summary_table(report))
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Synthèse — janvier à décembre 2025" in text
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    # the golden report: 61 881,39 h in all, 15 569,33 in Artois; 91 participants, 38 BRSA
    assert "61\u202f881" in lines["Heures réalisées"] and "15\u202f569" in lines["Heures réalisées"]
    assert "41,8%" in lines["part des BRSA"]  # 38 / 91, by hand: 41.76…
