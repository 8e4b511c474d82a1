"""Stage 5, indicators, on a small hand-built merged dataset: participants by public, forecast
against realised hours, rates only over the operations that have a forecast, a person once in a
total and once per group, a period that is a period.

The dataset is written here as the merge stage hands it over (people, hours lines, operations),
and every expected figure is computed by hand in the comments beside it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from clausekit.pipeline.indicators import compute
from clausekit.pipeline.merge import Dataset
from clausekit.rules.schemas import Spec, load_spec
from clausekit.rules.settings import Settings

TEXT = "string"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def people(spec: Spec, rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per person key: the pub_* flags given (others False), birth date, listed."""
    keys = pd.Index(list(rows), name="person_key", dtype=TEXT)
    born = [pd.Timestamp(r["born"]) if r.get("born") else pd.NaT for r in rows.values()]
    return pd.DataFrame(
        {
            **{
                f"pub_{code}": [code in r.get("publics", ()) for r in rows.values()]
                for code in spec.public_codes
            },
            "date_naissance": pd.Series(born, index=keys, dtype="datetime64[s]"),
            "listed": [r.get("listed", True) for r in rows.values()],
        },
        index=keys,
    )


def lines(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Hours lines: person, contract (an integer code), operation, month, hours, company."""

    def col(name: str, default: Any = None) -> list[Any]:
        return [r.get(name, default) for r in rows]

    return pd.DataFrame(
        {
            "territory": pd.Series(col("territory", "Lens"), dtype=TEXT),
            "person_key": pd.Series(col("person"), dtype=TEXT),
            "contract_key": pd.Series(col("contract"), dtype="int64"),
            "operation_id": pd.Series(col("op"), dtype=TEXT),
            "month": pd.Series(col("month"), dtype=TEXT),
            "hours": pd.Series(col("hours"), dtype="float64"),
            "work": pd.Series(col("work", True), dtype=bool),
            "company": pd.Series(col("company", -1), dtype="int64"),
            "date_debut": pd.Series(pd.to_datetime(col("start")), dtype="datetime64[s]"),
            "date_fin": pd.Series(pd.NaT, index=range(len(rows)), dtype="datetime64[s]"),
            "duree_mois": pd.Series(float("nan"), index=range(len(rows)), dtype="float64"),
            "situation_sortie": pd.Series(col("exit"), dtype=TEXT),
            "type_employeur": pd.Series(None, index=range(len(rows)), dtype=TEXT),
            "modalite": pd.Series(None, index=range(len(rows)), dtype=TEXT),
            "contract_type": pd.Series(col("family", "AUTRE"), dtype=TEXT),
            "type_contrat": pd.Series(None, index=range(len(rows)), dtype=TEXT),
        }
    )


def operations(rows: list[tuple[str, str, str, str, str, float]]) -> pd.DataFrame:
    """(territory, id, label, contracting authority, clause type, forecast) per operation."""
    names = ["territory", "operation_id", "operation_libelle", "donneur_ordre", "type_clause"]
    frame = pd.DataFrame([r[:5] for r in rows], columns=names, dtype=TEXT)
    frame["hours_forecast"] = pd.Series([r[5] for r in rows], dtype="float64")
    return frame


def dataset(spec: Spec, who: pd.DataFrame, hours: pd.DataFrame, ops: pd.DataFrame) -> Dataset:
    territories = hours[["territory", "person_key"]].drop_duplicates()
    local = who.reindex(territories["person_key"]).drop(columns="listed")
    local.index = pd.MultiIndex.from_frame(territories)
    return Dataset(
        people=who,
        lines=hours,
        operations=ops,
        duplicates=pd.DataFrame({"ids": [], "territories": []}),
        people_by_territory=local,
    )


PEOPLE = {
    "a": {"publics": ("BRSA",), "born": "1980-01-01"},
    "b": {"publics": ("ASE",), "born": "2002-03-01"},  # 22 on 06/01/2025: under 26
    "c": {"born": "1999-01-10"},  # 26 on 03/02/2025 (birthday passed): not under 26
    "d": {"publics": ("BRSA",)},  # age unknown: never « under 26 »
    "e": {"publics": ("BRSA",), "born": "1990-01-01"},  # no hour worked: not a participant
}


def line(
    person: str, contract: int, op: str, month: str, hours: float, **more: Any
) -> dict[str, Any]:
    return {
        "person": person,
        "contract": contract,
        "op": op,
        "month": month,
        "hours": hours,
        **more,
    }


LINES = [
    line("a", 1, "OP1", "2025-01", 100, start="2025-01-06", company=0, exit="CDI"),
    line("a", 1, "OP1", "2025-02", 50, start="2025-01-06", company=0),
    line("b", 2, "OP1", "2025-01", 40, start="2025-01-06", company=1),
    line("c", 3, "OP2", "2025-02", 30, start="2025-02-03", company=1),
    line("d", 4, "OP3", "2025-02", 20, start="2025-02-03", company=2),
    line("e", 5, "OP2", "2025-02", 0, start="2025-02-03", company=2),
]
OPERATIONS = [
    ("Lens", "OP1", "Résidence Les Tilleuls", "Maisons & Cités", "L2112-2", 1000.0),
    ("Lens", "OP2", "Écluse 3", "Société du Canal Seine-Nord Europe", "L2112-2", 400.0),
]  # OP3 is met only in the hours lines: no forecast


def report(spec: Spec, **settings: Any) -> dict[str, Any]:
    data = dataset(spec, people(spec, PEOPLE), lines(LINES), operations(OPERATIONS))
    return compute(data, spec, Settings(**settings))


def test_totals_hours_forecast_and_people(spec: Spec) -> None:
    totals = report(spec)["totals"]
    assert totals == {
        "hours_forecast": 1400.0,  # 1 000 + 400, once per operation
        "hours_realised": 240.0,  # 100 + 50 + 40 + 30 + 20 (+ 0)
        "hours_realised_with_forecast": 220.0,  # OP3's 20 h have no forecast
        "realisation_rate": 0.1571,  # 220 / 1 400
        "etp": 0.15,  # 240 / 1 607
        "participants": 4,  # a, b, c, d (e worked no hour)
        "participants_brsa": 2,  # a, d
        "participants_under_26": 1,  # b
        "participants_ase": 1,  # b
        "contracts": 4,  # 1 to 4 (contract 5 has no hour)
        "operations": 3,  # OP1, OP2, OP3
        "companies": 3,  # 0, 1, 2
    }


def test_participants_by_public(spec: Spec) -> None:
    by_public = {
        p["public"]: (p["participants"], p["hours_realised"]) for p in report(spec)["by_public"]
    }
    assert by_public == {
        "BRSA": (2, 170.0),  # a 150 + d 20
        "JEUNE_M26": (1, 40.0),  # b
        "ASE": (1, 40.0),  # b
    }


def test_forecast_against_realised_per_operation(spec: Spec) -> None:
    rows = {
        o["operation_id"]: (
            o["operation"],
            o["hours_forecast"],
            o["hours_realised"],
            o["realisation_rate"],
            o["participants"],
            o["contracts"],
        )
        for o in report(spec)["by_operation"]
    }
    assert rows == {
        "OP1": ("Résidence Les Tilleuls", 1000.0, 190.0, 0.19, 2, 2),  # 190 / 1 000
        "OP2": ("Écluse 3", 400.0, 30.0, 0.075, 1, 1),  # 30 / 400; e has no hour
        "OP3": ("OP3", 0.0, 20.0, None, 1, 1),  # no forecast: no rate
    }


def test_a_rate_is_only_over_the_operations_with_a_forecast(spec: Spec) -> None:
    by_donneur = {d["donneur_ordre"]: d for d in report(spec)["by_donneur_ordre"]}
    unknown = by_donneur["(non renseigné)"]  # OP3's contracting authority is not known
    assert (unknown["hours_realised"], unknown["hours_forecast"]) == (20.0, 0.0)
    assert unknown["hours_realised_with_forecast"] == 0.0
    assert unknown["realisation_rate"] is None
    only_op3 = dataset(spec, people(spec, PEOPLE), lines([LINES[4]]), operations(OPERATIONS[:0]))
    totals = compute(only_op3, spec, Settings())["totals"]
    assert (totals["hours_realised"], totals["hours_forecast"]) == (20.0, 0.0)
    assert totals["realisation_rate"] is None  # never 0 and never a division by zero


def test_monthly_follow_up(spec: Spec) -> None:
    monthly = report(spec)["monthly"]
    assert [
        (
            m["month"],
            m["hours_realised"],
            m["active_participants"],
            m["cumulative_hours"],
            m["cumulative_hours_with_forecast"],
            m["cumulative_rate"],
        )
        for m in monthly
    ] == [
        ("2025-01", 140.0, 2, 140.0, 140.0, 0.1),  # a, b; 140 / 1 400
        ("2025-02", 100.0, 3, 240.0, 220.0, 0.1571),  # a, c, d; 220 / 1 400
    ]
    assert {m["hours_forecast"] for m in monthly} == {1400.0}


def test_a_person_counts_once_in_the_total_and_once_per_territory(spec: Spec) -> None:
    hours = lines(
        [
            line("a", 1, "OP1", "2025-01", 10),
            line("a", 2, "OP9", "2025-01", 5, territory="Artois"),
            line("b", 3, "OP9", "2025-01", 7, territory="Artois"),
        ]
    )
    ops = operations(
        [
            ("Lens", "OP1", "Tramway", "Ville de Lens", "L2112-2", 100.0),
            ("Artois", "OP9", "Collège", "Département", "L2112-2", 50.0),
        ]
    )
    result = compute(dataset(spec, people(spec, PEOPLE), hours, ops), spec, Settings())
    assert result["totals"]["participants"] == 2  # a and b
    assert result["totals"]["participants_brsa"] == 1  # a, once
    by_territory = {
        t["territory"]: (t["participants"], t["participants_brsa"], t["hours_realised"])
        for t in result["by_territory"]
    }
    assert by_territory == {"Artois": (2, 1, 12.0), "Lens": (1, 1, 10.0)}  # 3 > 2: footnote


def test_a_period_counts_only_what_falls_in_it(spec: Spec) -> None:
    result = report(spec, period_start="2025-01", period_end="2025-01")
    totals = result["totals"]
    assert result["period"] == {"start": "2025-01", "end": "2025-01"}
    assert (totals["hours_realised"], totals["hours_forecast"]) == (140.0, 1000.0)  # OP1 only
    assert (totals["participants"], totals["operations"], totals["contracts"]) == (2, 1, 2)
    assert totals["realisation_rate"] == 0.14  # 140 / 1 000
    assert [o["operation_id"] for o in result["by_operation"]] == ["OP1"]


def test_non_work_lines_are_not_hours_worked(spec: Spec) -> None:
    rows = [dict(LINES[0]), {**LINES[2], "work": False}]  # b's line is an internship
    data = dataset(spec, people(spec, PEOPLE), lines(rows), operations(OPERATIONS))
    totals = compute(data, spec, Settings())["totals"]
    assert (totals["hours_realised"], totals["participants"], totals["participants_ase"]) == (
        100.0,
        1,
        0,
    )


def test_dynamic_exits_and_data_quality(spec: Spec) -> None:
    result = report(spec)
    exits = result["exits"]
    # 4 people worked; a left on a CDI, the others have no exit recorded
    assert {k: exits[k] for k in ("durable", "transition", "positive", "other", "unknown")} == {
        "durable": 1,
        "transition": 0,
        "positive": 0,
        "other": 0,
        "unknown": 3,
    }
    assert exits["durable_rate"] == 0.25
    quality = result["quality"]
    assert quality["participants_age_unknown"] == 1  # d
    assert quality["participants_status_unknown"] == 0
    assert quality["possible_duplicates"] == 0
