"""Counting rules on hand-built cases; every expected figure is computed by hand here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from clausekit.consolidate import build_report, check
from clausekit.rules.schemas import load_spec
from clausekit.rules.settings import Settings

from .conftest import SECRET, territory_workbook, write_xlsx

D = dt.date


def report_for(paths: list[Path], **settings: object) -> dict:
    checked = check(paths)
    report, _ = build_report(
        checked,
        spec=load_spec(),
        settings=Settings(**settings),
        secret=SECRET,  # type: ignore[arg-type]
    )
    return report


def by(report: dict, table: str, key: str) -> dict:
    return {row[key]: row for row in report[table]}


def test_person_in_two_territories_counts_once_in_total_and_once_per_territory(exports: Path):
    # Alice works in both territories (different ids, same name and birth date); Bob in Lens.
    territory_workbook(
        exports,
        "Lens",
        [
            ["L1", "Martin", "Alice", D(1990, 5, 1), "BRSA"],
            ["L2", "Durand", "Bob", D(1985, 1, 1), ""],
        ],
        [
            ["L1", "C1", "OP1", "Ent A", "CDD", D(2025, 1, 6), D(2025, 3, 31), "01/2025", 100],
            ["L2", "C2", "OP1", "Ent A", "CDI", D(2025, 2, 1), None, "02/2025", 50],
        ],
        [["OP1", "Résidence A", "Maisons & Cités", "L2112-2", 1000]],
    )
    territory_workbook(
        exports,
        "Artois",
        [["A9", "MARTIN", "alice", D(1990, 5, 1), ""]],
        [["A9", "K1", "OPX", "Ent B", "Intérim", D(2025, 4, 1), D(2025, 4, 30), "04/2025", 20]],
        [["OPX", "Canal", "Société du Canal Seine-Nord Europe", "Article 14", 500]],
    )
    report = report_for([exports])
    totals = report["totals"]
    assert totals["participants"] == 2  # Alice once, Bob
    assert totals["participants_brsa"] == 1  # Alice's BRSA status (Lens) counts in the total
    assert totals["hours_realised"] == 170.0
    assert totals["hours_forecast"] == 1500.0
    terr = by(report, "by_territory", "territory")
    assert terr["Lens"]["participants"] == 2
    assert terr["Artois"]["participants"] == 1
    # per territory, the status is the one the territory recorded (Artois: none)
    assert terr["Artois"]["participants_brsa"] == 0
    assert terr["Lens"]["participants_brsa"] == 1
    assert terr["Artois"]["hours_realised"] == 20.0
    assert sum(t["participants"] for t in report["by_territory"]) == 3  # > total: footnote


def test_forecast_repeated_on_denormalised_rows_counts_once_per_operation(exports: Path):
    header = [
        "Identifiant",
        "Nom",
        "Prénom",
        "Né(e) le",
        "N° contrat",
        "N° marché",
        "Maître d'ouvrage",
        "Heures prévues",
        "Période",
        "Heures effectuées",
    ]
    rows = [
        ["P1", "Roux", "Léa", D(2000, 1, 1), "C1", "M1", "SIA Habitat", 800, D(2025, 1, 1), 35],
        ["P1", "Roux", "Léa", D(2000, 1, 1), "C1", "M1", "SIA Habitat", 800, D(2025, 2, 1), 40],
        ["P2", "Noël", "Jean", D(1970, 6, 1), "C2", "M1", "SIA Habitat", 800, D(2025, 2, 1), 10],
        ["P2", "Noël", "Jean", D(1970, 6, 1), "C3", "M2", "SANEF", 200, D(2025, 3, 1), 5],
    ]
    write_xlsx(exports / "Hénin" / "extraction.xlsx", {"Extraction": [header, *rows]})
    report = report_for([exports])
    assert report["totals"]["hours_forecast"] == 1000.0  # 800 (M1) + 200 (M2), not 4 rows
    assert report["totals"]["hours_realised"] == 90.0
    assert report["totals"]["realisation_rate"] == 0.09
    assert report["totals"]["contracts"] == 3
    assert report["totals"]["operations"] == 2
    ops = {row["operation_id"]: row for row in report["by_operation"]}
    assert ops["M1"]["hours_forecast"] == 800.0
    assert ops["M1"]["hours_realised"] == 85.0
    assert ops["M1"]["participants"] == 2
    months = {m["month"]: m for m in report["monthly"]}
    assert months["2025-02"]["hours_realised"] == 50.0
    assert months["2025-02"]["active_participants"] == 2
    assert months["2025-03"]["cumulative_hours"] == 90.0


def test_under_26_is_strict_on_first_contract_start(exports: Path):
    territory_workbook(
        exports,
        "Lens",
        [
            ["P1", "A", "Exactly26", D(1999, 3, 10), ""],  # 26 on 2025-03-10: not under 26
            ["P2", "B", "DayBefore", D(1999, 3, 11), ""],  # 26 the day after: under 26
            ["P3", "C", "Older", D(1980, 1, 1), "-26 ans"],
        ],  # declared, but birth date wins
        [
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 3, 10), None, "03/2025", 10],
            ["P1", "C4", "OP1", "E", "CDD", D(2025, 6, 1), None, "06/2025", 10],
            ["P2", "C2", "OP1", "E", "CDD", D(2025, 3, 10), None, "03/2025", 10],
            ["P3", "C3", "OP1", "E", "CDD", D(2025, 3, 10), None, "03/2025", 10],
        ],
        [["OP1", "Op", "Ville", "L2112-2", 100]],
    )
    report = report_for([exports])
    assert report["totals"]["participants"] == 3
    assert report["totals"]["participants_under_26"] == 1
    pub = by(report, "by_public", "public")
    assert pub["JEUNE_M26"]["participants"] == 1
    assert pub["JEUNE_M26"]["hours_realised"] == 10.0


def test_zero_hours_is_not_a_participant(exports: Path):
    territory_workbook(
        exports,
        "Lens",
        [
            ["P1", "A", "Worker", D(1990, 1, 1), "BRSA"],
            ["P2", "B", "Idle", D(1990, 1, 1), "BRSA, ASE"],
        ],
        [
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 7.5],
            ["P2", "C2", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 0],
        ],
        [["OP1", "Op", "Ville", "L2112-2", 100]],
    )
    report = report_for([exports])
    assert report["totals"]["participants"] == 1
    assert report["totals"]["participants_brsa"] == 1
    assert report["totals"]["participants_ase"] == 0
    assert report["totals"]["contracts"] == 1  # a contract with no hour is not counted
    assert by(report, "by_public", "public")["ASE"]["participants"] == 0


def test_immersion_hours_are_not_work_hours(exports: Path):
    territory_workbook(
        exports,
        "Lens",
        [["P1", "A", "Stagiaire", D(1990, 1, 1), ""]],
        [["P1", "C1", "OP1", "E", "PMSMP", D(2025, 1, 1), None, "01/2025", 35]],
        [["OP1", "Op", "Ville", "L2112-2", 100]],
    )
    report = report_for([exports])
    assert report["totals"]["hours_realised"] == 0.0
    assert report["totals"]["participants"] == 0


def test_period_filters_hours_but_not_forecast(exports: Path):
    territory_workbook(
        exports,
        "Lens",
        [["P1", "A", "X", D(1990, 1, 1), ""]],
        [
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 10],
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "02/2025", 20],
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "03/2025", 40],
        ],
        [["OP1", "Op", "Ville", "L2112-2", 1000]],
    )
    report = report_for([exports], period_start="2025-02", period_end="2025-03")
    assert report["period"] == {"start": "2025-02", "end": "2025-03"}
    assert report["totals"]["hours_realised"] == 60.0
    assert report["totals"]["hours_forecast"] == 1000.0
    assert report["totals"]["etp"] == round(60 / 1607, 2)


def test_clause_types_from_typed_labels_and_combinations(exports: Path):
    # OP1 combines execution + criterion; OP2 is a reserved contract; OP3's label is unknown.
    territory_workbook(
        exports,
        "Lens",
        [["P1", "A", "X", D(1990, 1, 1), ""], ["P2", "B", "Y", D(1990, 1, 1), "BRSA"]],
        [
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 10],
            ["P2", "C2", "OP2", "E", "CDD", D(2025, 1, 1), None, "01/2025", 20],
            ["P2", "C3", "OP3", "E", "CDD", D(2025, 1, 1), None, "01/2025", 5],
        ],
        [
            ["OP1", "Op 1", "Ville", "Article 14 + critère social", 100],
            ["OP2", "Op 2", "Ville", "Marché réservé SIAE (L2113-13)", 50],
            ["OP3", "Op 3", "Ville", "voir CCAP", 30],
        ],
    )
    report = report_for([exports])
    got = {
        r["clause_type"]: (
            r["hours_forecast"],
            r["hours_realised"],
            r["participants"],
            r["contracts"],
        )
        for r in report["by_clause_type"]
    }
    assert got == {
        "EXECUTION": (100.0, 10.0, 1, 1),
        "CRITERE": (100.0, 10.0, 1, 1),
        "RESERVE": (50.0, 20.0, 1, 1),
        "NON_RECONNU": (30.0, 5.0, 1, 1),
    }
    assert [r["clause_type"] for r in report["by_clause_type"]] == [
        "EXECUTION",
        "CRITERE",
        "RESERVE",
        "NON_RECONNU",
    ]


def test_partial_exports_give_empty_tables_and_a_warning(exports: Path):
    """Only participants, or only operations: a report with zeros, never a crash."""
    from clausekit.consolidate import consolidate

    from .conftest import OPERATION_HEADER, PARTICIPANT_HEADER

    write_xlsx(exports / "A" / "p.xlsx", {"P": [PARTICIPANT_HEADER, ["P1", "A", "B", "", "RSA"]]})
    write_xlsx(exports / "B" / "o.xlsx", {"O": [OPERATION_HEADER, ["OP1", "Op", "Ville", "", 80]]})
    result = consolidate([exports], exports.parent / "out", secret=SECRET)
    totals = result.report["totals"]
    assert (totals["hours_forecast"], totals["hours_realised"], totals["participants"]) == (
        80.0,
        0.0,
        0,
    )
    assert totals["realisation_rate"] == 0.0
    assert result.report["period"] == {"start": None, "end": None}
    assert result.report["monthly"] == []
    assert [i.code for i in result.checked.issues if i.code == "NO_HOURS"] == ["NO_HOURS"]
    assert int(result.exit_code) == 1
    assert (exports.parent / "out" / "rapport.xlsx").is_file()


def test_hours_without_month_or_start_count_and_are_reported(exports: Path):
    write_xlsx(
        exports / "L" / "h.xlsx",
        {
            "H": [
                ["N° participant", "Mois", "Date de début", "Heures réalisées"],
                ["P1", "01/2025", None, 10],
                ["P2", None, None, 20],  # cannot be placed in any month
                ["P3", None, D(2025, 2, 15), 5],  # the start month
            ]
        },
    )
    checked = check([exports])
    warned = [(i.code, i.row, i.message) for i in checked.issues if i.code == "ROW_NO_MONTH"]
    assert warned == [
        (
            "ROW_NO_MONTH",
            3,
            "1 ligne(s) d'heures sans mois ni date de début (première : ligne 3) : comptées "
            "dans les totaux, absentes du suivi mensuel, et exclues quand une période est "
            "demandée.",
        )
    ]
    assert checked.exit_code() == 1
    report = report_for([exports])
    assert report["totals"]["hours_realised"] == 35.0  # no period asked: every hour counts
    assert {m["month"]: m["hours_realised"] for m in report["monthly"]} == {
        "2025-01": 10.0,
        "2025-02": 5.0,
    }
    limited = report_for([exports], period_start="2025-01", period_end="2025-02")
    assert limited["totals"]["hours_realised"] == 15.0


def test_an_export_dropped_twice_is_read_once(exports: Path):
    territory_workbook(
        exports,
        "Lens",
        [["P1", "A", "X", D(1990, 1, 1), ""]],
        [["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 10]],
        [["OP1", "Op", "Ville", "L2112-2", 100]],
    )
    original = exports / "Lens" / "export.xlsx"
    (exports / "Lens" / "export (1).xlsx").write_bytes(original.read_bytes())
    report = report_for([exports])
    assert report["totals"]["hours_realised"] == 10.0
    assert report["totals"]["hours_forecast"] == 100.0
    dup = [i for i in report["issues"] if i["code"] == "FILE_DUPLICATE"]
    assert len(dup) == 1 and "fichier ignoré" in dup[0]["message"]


def test_hours_sheet_without_operation_column(exports: Path):
    write_xlsx(
        exports / "L" / "h.xlsx",
        {"H": [["N° participant", "Mois", "Heures réalisées"], ["P1", "01/2025", 10]]},
    )
    report = report_for([exports])
    assert report["totals"]["hours_realised"] == 10.0
    assert report["totals"]["participants"] == 1
    assert report["totals"]["operations"] == 0


def test_same_operation_in_two_territories_is_flagged(exports: Path):
    for territory in ("Lens", "Artois"):
        territory_workbook(
            exports,
            territory,
            [["P1", "A", "X", D(1990, 1, 1), ""]],
            [["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 10]],
            [["OP1", "CSNE lot 1", "Société du Canal Seine-Nord Europe", "L2112-2", 1000]],
        )
    report = report_for([exports])
    assert report["totals"]["hours_forecast"] == 2000.0  # once per territory, as documented
    flagged = [i for i in report["issues"] if i["code"] == "OPERATION_MULTI_TERRITORY"]
    assert len(flagged) == 1
    assert "« OP1 »" in flagged[0]["message"] and "Artois, Lens" in flagged[0]["message"]


def test_merge_issues_point_at_their_source_rows(exports: Path):
    # P1 listed twice with two identities; contracts name an unknown P9; OP1's forecast differs
    territory_workbook(
        exports,
        "Lens",
        [["P1", "A", "X", D(1990, 1, 1), ""], ["P1", "B", "Y", D(1991, 1, 1), ""]],
        [
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 10],
            ["P9", "C2", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 5],
        ],
        [["OP1", "Op", "Ville", "L2112-2", 100], ["OP1", "Op", "Ville", "L2112-2", 120]],
    )
    report = report_for([exports])
    located = {
        i["code"]: (i["sheet"], i["row"], i["value"])
        for i in report["issues"]
        if i["code"] in ("PARTICIPANT_DUPLICATE_ID", "PARTICIPANT_UNKNOWN", "FORECAST_CONFLICT")
    }
    assert located == {
        "PARTICIPANT_DUPLICATE_ID": ("Participants", 2, "P1"),
        "PARTICIPANT_UNKNOWN": ("Contrats", 3, "P9"),
        "FORECAST_CONFLICT": ("Opérations", 2, "OP1"),
    }
    assert report["totals"]["hours_forecast"] == 120.0  # the largest forecast is kept


def test_far_future_birth_date_with_people_only_in_contracts(exports: Path):
    # 31/12/9999 is past pandas' nanosecond range: the merge must keep second precision,
    # also for the people met only in contracts (P9 has no participant row).
    territory_workbook(
        exports,
        "Lens",
        [["P1", "A", "Far", "31/12/9999", "BRSA"]],
        [
            ["P1", "C1", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 7.5],
            ["P9", "C2", "OP1", "E", "CDD", D(2025, 1, 1), None, "01/2025", 3],
        ],
        [["OP1", "Op", "Ville", "L2112-2", 100]],
    )
    report = report_for([exports])
    assert report["totals"]["participants"] == 2
    assert report["totals"]["hours_realised"] == 10.5
    assert report["totals"]["participants_brsa"] == 1
    assert report["quality"]["participants_status_unknown"] == 1  # P9


def test_age_reference_is_each_persons_first_worked_start_else_first_month() -> None:
    """The date an age is read on, person by person, worked out by hand: the earliest start
    of a line with hours (a line without hours or without a start does not count), else the
    first month with hours; nothing for a person with no hours at all."""
    import numpy as np
    import pandas as pd

    from clausekit.pipeline.counting import Lines, _age_reference

    months = ["2025-01", "2025-02", "2025-03"]
    # person 0: starts 2025-02-10 and 2025-01-20 (with hours), 2024-12-01 (no hours)
    # person 1: no start on its lines, hours in March then February -> 2025-02-01
    # person 2: one line, no hours -> none; person 3: a start without a month -> that start
    person = np.array([0, 0, 0, 1, 1, 2, 3])
    hours = np.array([5.0, 3.0, 0.0, 2.0, 4.0, 0.0, 1.0])
    month = np.array([1, 0, 0, 2, 1, 0, -1])
    starts = pd.to_datetime(
        ["2025-02-10", "2025-01-20", "2024-12-01", None, None, "2025-01-05", "2024-11-30"]
    ).astype("datetime64[s]")
    n = len(person)
    coded = Lines(
        hours=hours,
        person=person,
        persons=pd.Index(["a", "b", "c", "d"]),
        contract=np.zeros(n, dtype=np.int64),
        company=np.zeros(n, dtype=np.int64),
        op=np.zeros(n, dtype=np.int64),
        month=month,
        source=pd.DataFrame({"date_debut": starts}),
        rows=np.arange(n),
    )
    reference = _age_reference(4, person, coded, months, Settings(), None)
    assert [None if pd.isna(d) else str(pd.Timestamp(d).date()) for d in reference] == [
        "2025-01-20",
        "2025-02-01",
        None,
        "2024-11-30",
    ]
