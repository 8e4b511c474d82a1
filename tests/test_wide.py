"""Monthly hours laid out wide (one column per month) become one hours line per month."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from clausekit.consolidate import build_report, check
from clausekit.rules.schemas import load_spec
from clausekit.rules.settings import Settings

from .conftest import PARTICIPANT_HEADER, write_xlsx


def test_wide_month_columns_are_hours_lines_of_their_month(tmp_path: Path) -> None:
    write_xlsx(
        tmp_path / "Artois" / "suivi.xlsx",
        {
            "Participants": [
                PARTICIPANT_HEADER,
                ["P1", "A", "B", dt.date(1990, 1, 1), "RSA"],
                ["P2", "C", "D", dt.date(2001, 1, 1), ""],
            ],
            "Heures": [
                [
                    "N° participant",
                    "N° contrat",
                    "Opération",
                    "janv.-25",
                    "Heures 02/2025",
                    "Nb heures mars 2025",
                    "Commentaire",
                ],
                ["P1", "C1", "OP1", "10", "7:30", None, "ok"],
                ["P2", "C2", "OP1", "1 234,5", "", "oups", ""],
                ["P2", "C3", "OP1", 5, 5, 5, ""],
            ],
        },
    )
    checked = check([tmp_path])
    codes = {(i.code, i.row, i.column, i.value) for i in checked.issues}
    assert ("VALUE_NOT_HOURS", 3, "Nb heures mars 2025", "oups") in codes
    assert ("COLUMN_UNMAPPED", 1, "Commentaire", None) in codes
    heures = next(s for s in checked.sources if s["sheet"] == "Heures")
    assert (heures["rows_read"], heures["rows_accepted"], heures["rows_rejected"]) == (3, 2, 1)
    report, _ = build_report(checked, spec=load_spec(), settings=Settings())
    months = {m["month"]: m["hours_realised"] for m in report["monthly"]}
    assert months == {"2025-01": 15.0, "2025-02": 12.5, "2025-03": 5.0}
    assert report["totals"]["hours_realised"] == 32.5
    assert report["totals"]["participants"] == 2
    assert report["totals"]["contracts"] == 2
