"""Output stage, masking, on small hand-built reports: counts of people below the threshold
read "<K", enough other cells are hidden ("n.d.") that no total gives them away, hours stay as
they are; the public copy keeps no row, value, path or ABC id.

Each report is written in the test with the keys of report-contract.md; the cells to hide are
worked out by hand in the comments (rules in the masking module's docstring)."""

from __future__ import annotations

import copy
from typing import Any

from clausekit.errors import make_issue
from clausekit.output.masking import deidentify, mask_report

PEOPLE = ("participants", "participants_brsa", "participants_under_26", "participants_ase")


def counts(participants: int, brsa: int, under_26: int, ase: int, **more: Any) -> dict[str, Any]:
    return dict(zip(PEOPLE, (participants, brsa, under_26, ase), strict=True)) | more


def base(**parts: Any) -> dict[str, Any]:
    return {"settings": {"etp_hours": 1607}, "totals": counts(20, 9, 6, 5), **parts}


def people(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[key] for key in PEOPLE)


def test_small_counts_read_below_k_and_hours_and_contracts_stay() -> None:
    report = base(totals=counts(10, 4, 2, 0, hours_realised=123.5, contracts=2, operations=1))
    masked = mask_report(report, 3)
    # under 26 = 2 is masked; alone on its row it could be worked out from the total 10, so
    # the smallest other non-zero count (BRSA, 4) is hidden too; 0 stays 0
    assert people(masked["totals"]) == (10, "n.d.", "<3", 0)
    assert (masked["totals"]["hours_realised"], masked["totals"]["contracts"]) == (123.5, 2)
    assert masked["totals"]["operations"] == 1
    assert masked["settings"] == {"etp_hours": 1607, "mask_below": 3}


def test_a_breakdown_hides_enough_cells_that_no_total_reveals_a_small_one() -> None:
    by_territory = [
        {"territory": "A", **counts(1, 0, 0, 0), "hours_realised": 35.0},
        {"territory": "B", **counts(5, 3, 2, 0), "hours_realised": 400.0},
        {"territory": "C", **counts(7, 4, 3, 1), "hours_realised": 512.5},
    ]
    masked = mask_report(base(by_territory=by_territory), 3)["by_territory"]
    # primary: A.participants 1, B.under_26 2, C.ase 1.
    # rows first: B hides its smallest other count (BRSA 3), C its smallest (under 26, 3);
    # then columns: participants hides B's 5, BRSA hides C's 4 (ase has no other non-zero).
    # B.participants is still given away by the column (A, B, C known sum); the cheapest
    # cycle closing through it hides C.participants (7). A and C.ase cannot be protected
    # further: every other cell of their row or column is 0.
    assert [people(t) for t in masked] == [
        ("<3", 0, 0, 0),
        ("n.d.", "n.d.", "<3", 0),
        ("n.d.", "n.d.", "n.d.", "<3"),
    ]
    assert [t["hours_realised"] for t in masked] == [35.0, 400.0, 512.5]
    assert [t["territory"] for t in masked] == ["A", "B", "C"]


def test_nothing_is_masked_when_no_count_is_small() -> None:
    by_operation = [
        {"operation": "OP1", **counts(12, 5, 3, 4)},
        {"operation": "OP2", **counts(9, 3, 0, 6)},
    ]
    masked = mask_report(base(by_operation=by_operation), 3)
    assert [people(o) for o in masked["by_operation"]] == [(12, 5, 3, 4), (9, 3, 0, 6)]
    assert people(masked["totals"]) == (20, 9, 6, 5)


def test_active_participants_per_month_are_masked_and_hours_kept() -> None:
    monthly = [
        {"month": "2025-01", "hours_realised": 10.0, "active_participants": 1},
        {"month": "2025-02", "hours_realised": 80.0, "active_participants": 5},
        {"month": "2025-03", "hours_realised": 0.0, "active_participants": 0},
    ]
    masked = mask_report(base(monthly=monthly), 3)["monthly"]
    # January's 1 is masked; the month column then has one masked cell: February's 5 too
    assert [m["active_participants"] for m in masked] == ["<3", "n.d.", 0]
    assert [m["hours_realised"] for m in masked] == [10.0, 80.0, 0.0]


def test_exits_are_masked_and_their_rates_dropped() -> None:
    exits = {
        "durable": 1,
        "transition": 4,
        "positive": 0,
        "other": 6,
        "unknown": 9,
        "durable_rate": 0.05,
        "transition_rate": 0.2,
        "positive_rate": 0.0,
        "dynamic_rate": 0.25,
    }
    masked = mask_report(base(exits=exits), 3)["exits"]
    # durable 1 is masked; its row's smallest other non-zero count (transition 4) too; a rate
    # would give the masked counts back (rate × participants): all four are dropped
    assert masked == {
        "durable": "<3",
        "transition": "n.d.",
        "positive": 0,
        "other": 6,
        "unknown": 9,
        "durable_rate": None,
        "transition_rate": None,
        "positive_rate": None,
        "dynamic_rate": None,
    }


def test_a_declared_territory_without_data_keeps_its_nulls() -> None:
    by_territory = [
        {"territory": "Artois", **counts(6, 4, 3, 3)},
        {"territory": "Lens", **dict.fromkeys(PEOPLE), "usable_export": False},
    ]
    masked = mask_report(base(by_territory=by_territory), 3)["by_territory"]
    assert people(masked[0]) == (6, 4, 3, 3)
    assert people(masked[1]) == (None, None, None, None)


def test_a_threshold_of_one_masks_nothing_and_the_input_is_never_changed() -> None:
    report = base(by_territory=[{"territory": "A", **counts(1, 1, 0, 0)}])
    before = copy.deepcopy(report)
    assert mask_report(report, 1) is report
    mask_report(report, 5)
    assert report == before


def test_the_public_copy_has_no_row_value_path_or_id() -> None:
    contracts = "/srv/depot/Lens/export_2025-06-30.xlsx"
    old = "/srv/depot/Lens/export_2025-05-31.xlsx"
    issues = [
        make_issue(
            "VALUE_NOT_HOURS",
            file=contracts,
            sheet="Contrats",
            row=7,
            column="Heures réalisées",
            value="douze",
        ),
        make_issue(
            "VALUE_NOT_HOURS",
            file=contracts,
            sheet="Contrats",
            row=12,
            column="Heures réalisées",
            value="treize",
        ),
        make_issue("EXPORT_ROWS_SUPERSEDED", file=old, count=3, newer=contracts),
    ]
    report = {
        "settings": {},
        "totals": counts(20, 9, 6, 5),
        "sources": [
            {"file": contracts, "sheet": "Contrats", "rows_read": 14},
            {"file": old, "sheet": "Contrats", "rows_read": 10},
        ],
        "column_matches": [{"file": contracts, "sheet": "Contrats", "column": "Heures réalisées"}],
        "unmapped_columns": [{"file": contracts, "sheet": "Contrats", "column": "Commentaire"}],
        "inputs": {
            "used": [contracts, old],
            "ignored": [
                {"file": old, "reason": f"remplacé : toutes ses lignes figurent dans {contracts}"}
            ],
        },
        "quality": {
            "possible_duplicates": 1,
            "duplicate_people": [{"territories": ["Artois", "Lens"], "ids": ["A7", "P1"]}],
        },
        "issues": [i.to_dict() for i in issues],
    }
    public = deidentify(report, issues)
    # the two bad cells become one line: no row, no value, counted
    assert [
        (i["code"], i["file"], i["sheet"], i["row"], i["value"], i["count"])
        for i in public["issues"]
    ] == [
        ("VALUE_NOT_HOURS", "export_2025-06-30.xlsx", "Contrats", None, None, 2),
        ("EXPORT_ROWS_SUPERSEDED", "export_2025-05-31.xlsx", None, None, None, 1),
    ]
    assert public["issues"][0]["message"] == "« … » n'est pas un nombre d'heures."
    assert "export_2025-06-30.xlsx" in public["issues"][1]["message"]
    assert [s["file"] for s in public["sources"]] == [
        "export_2025-06-30.xlsx",
        "export_2025-05-31.xlsx",
    ]
    assert public["column_matches"][0]["file"] == "export_2025-06-30.xlsx"
    assert public["unmapped_columns"][0]["file"] == "export_2025-06-30.xlsx"
    assert public["inputs"] == {
        "used": ["export_2025-06-30.xlsx", "export_2025-05-31.xlsx"],
        "ignored": [
            {
                "file": "export_2025-05-31.xlsx",
                "reason": "remplacé : toutes ses lignes figurent dans export_2025-06-30.xlsx",
            }
        ],
    }
    assert public["quality"] == {"possible_duplicates": 1}  # the ABC ids are left out
    text = repr(public)
    for secret in ("/srv/depot", "douze", "treize", "A7", "P1"):
        assert secret not in text
