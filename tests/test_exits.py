"""Dynamic exits and contract families: hand-computed expectations, case by case."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clausekit.errors import UsageError
from clausekit.rules.exits import (
    DAYS_PER_MONTH,
    best_outcome,
    classify_exits,
    contract_family,
    duration_from_dates,
    exit_summary,
    load_contract_rules,
    load_exit_rules,
)
from clausekit.rules.schemas import schemas_dir


def classify(situation: object, duration: float | None = None) -> str:
    frame = pd.DataFrame({"situation": [situation], "duration_months": [duration]})
    return str(classify_exits(frame).iloc[0])


def family_of(text: object) -> tuple[object, object, float]:
    row = contract_family(pd.Series([text], dtype=object)).iloc[0]
    return row["family"], row["subsidy"], row["duration_months"]


# --- contract families ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "subsidy"),
    [
        ("CDI", "CDI", None),
        ("Contrat à durée indéterminée", "CDI", None),
        ("CDD", "CDD", None),
        ("Mission d'intérim", "INTERIM", None),
        ("Travail temporaire", "INTERIM", None),
        ("Mission", "INTERIM", None),
        ("Mission locale", "AUTRE", None),
        ("Contrat de professionnalisation", "PROFESSIONNALISATION", None),
        ("Contrat d'apprentissage", "APPRENTISSAGE", None),
        ("CDDI", "CDDI", None),
        ("CDD insertion", "CDDI", None),
        ("Contrat à durée déterminée d'insertion", "CDDI", None),
        ("Emploi franc CDD", "CDD", "EMPLOI_FRANC"),
        ("CDD emploi franc", "CDD", "EMPLOI_FRANC"),
        ("CUI-CIE CDI", "CDI", "CUI_CIE"),
        ("CDI (CUI-CIE)", "CDI", "CUI_CIE"),
        ("Contrat unique d'insertion", "CUI_CIE", "CUI_CIE"),
        ("PEC", "CUI_CIE", "CUI_CIE"),
        ("Emploi franc", "EMPLOI_FRANC", "EMPLOI_FRANC"),
        ("Titularisation", "FONCTION_PUBLIQUE", None),
        ("Entrée dans la fonction publique", "FONCTION_PUBLIQUE", None),
        ("Formation qualifiante", "FORMATION_QUALIFIANTE", None),
        ("Formation certifiante", "FORMATION_QUALIFIANTE", None),
        ("Formation diplômante", "FORMATION_QUALIFIANTE", None),
        ("Formation", "FORMATION", None),
        ("Embauche en SIAE", "SIAE", None),
        ("ACI", "SIAE", None),
        ("Mission en ETTI", "SIAE", None),
        ("Parcours IAE", "SIAE", None),
        ("Stage", "STAGE", None),
        ("PMSMP", "STAGE", None),
        ("Immersion", "STAGE", None),
        ("Création d'entreprise", "CREATION", None),
        ("Recherche d'emploi", "NONE", None),
        ("Demandeur d'emploi", "NONE", None),
        ("Sans nouvelles", "NONE", None),
        ("Déménagement", "NONE", None),
        ("j'ai trouvé un CDD", "CDD", None),  # « ai » is not an SIAE here
        ("Voyage", "AUTRE", None),
    ],
)
def test_contract_family(text: str, family: str, subsidy: str | None) -> None:
    got_family, got_subsidy, _ = family_of(text)
    assert got_family == family
    assert (got_subsidy if not pd.isna(got_subsidy) else None) == subsidy


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("CDD 8 mois", 8.0),
        ("CDD de 4 mois", 4.0),
        ("6 mois", 6.0),
        ("Mission intérim 3 mois", 3.0),
        ("CDD 12 mois", 12.0),
        ("1 an", 12.0),
        ("2 ans", 24.0),
        ("18 mois", 18.0),
        ("1,5 an", 18.0),
        ("CDD de six mois", 6.0),
        ("3 semaines", 21 / 30.4375),
        ("CDD 6 mois renouvelable 6 mois", 6.0),  # the first mention only
    ],
)
def test_duration_in_text(text: str, months: float) -> None:
    assert family_of(text)[2] == pytest.approx(months)


def test_three_weeks_is_069_months() -> None:
    assert round(family_of("3 semaines")[2], 2) == 0.69
    assert DAYS_PER_MONTH == 30.4375


@pytest.mark.parametrize("text", ["CDD", "CDD 35 h", "CDD 5 jours par semaine", "Voyage"])
def test_no_duration_in_text(text: str) -> None:
    assert math.isnan(family_of(text)[2])


def test_empty_text_has_no_family() -> None:
    frame = contract_family(pd.Series(["", None, "  ", "-", "CDI"], index=[5, 6, 7, 8, 9]))
    assert list(frame.index) == [5, 6, 7, 8, 9]
    assert frame["family"].isna().tolist() == [True, True, True, True, False]
    assert frame["subsidy"].isna().all()


def test_stage_is_not_work_hours() -> None:
    rules = load_contract_rules()
    assert rules.non_work_families == frozenset({"STAGE"})
    assert rules.label("CDDI") == "CDD d'insertion (CDDI)"


# --- durations from dates ------------------------------------------------------------------------


def test_duration_from_dates_calendar_months() -> None:
    start = pd.Series(
        pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-15", "2025-02-01", "2025-01-01", None])
    )
    end = pd.Series(
        pd.to_datetime(
            ["2025-06-30", "2025-06-29", "2025-02-14", "2025-02-28", "2025-01-01", "2025-03-01"]
        )
    )
    got = duration_from_dates(start, end)
    assert got.iloc[0] == pytest.approx(6.0)  # end inclusive: 6 whole months
    assert got.iloc[1] == pytest.approx(5 + 29 / 30)  # 29 days of June's 30
    assert got.iloc[2] == pytest.approx(1.0)
    assert got.iloc[3] == pytest.approx(1.0)
    assert got.iloc[4] == pytest.approx(1 / 31)  # one day of January
    assert math.isnan(got.iloc[5])


def test_duration_from_dates_text_and_inverted() -> None:
    got = duration_from_dates(
        pd.Series(["01/01/2025", "01/07/2025", "n'importe quoi", ""]),
        pd.Series(["30/06/2025", "30/06/2025", "30/06/2025", "30/06/2025"]),
    )
    assert got.iloc[0] == pytest.approx(6.0)
    assert np.isnan(got.iloc[1:]).all()  # inverted, unreadable, missing


# --- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "duration", "category"),
    [
        ("CDD 6 mois", None, "durable"),
        ("CDD", 5.9, "transition"),
        ("CDD", 2.9, "other"),
        ("Mission intérim 3 mois", None, "transition"),
        ("Mission intérim 2 mois", None, "other"),
        ("Mission d'intérim 7 mois", None, "durable"),
        ("Emploi franc CDD 4 mois", None, "transition"),
        ("Emploi franc CDD 8 mois", None, "transition"),  # a subsidised CDD is never durable
        ("CDD emploi franc 2 mois", None, "other"),
        ("CDI (CUI-CIE)", None, "durable"),
        ("Emploi franc CDI", None, "durable"),
        ("CDI", None, "durable"),
        ("Contrat de professionnalisation", None, "durable"),
        ("Contrat d'apprentissage", None, "durable"),
        ("Titularisation fonction publique", None, "durable"),
        ("Formation qualifiante", None, "positive"),
        ("Formation", None, "other"),
        ("Embauche en SIAE", None, "positive"),
        ("CDDI", 8.0, "positive"),
        ("Stage", None, "other"),
        ("Recherche d'emploi", None, "other"),
        ("Voyage", None, "other"),
        ("CDD", None, "other"),  # a CDD whose duration nothing gives is not counted
        ("", None, "unknown"),
        (None, None, "unknown"),
        (pd.NA, 8.0, "unknown"),
    ],
)
def test_classify_exits(situation: object, duration: float | None, category: str) -> None:
    assert classify(situation, duration) == category


def test_text_duration_wins_over_given_duration() -> None:
    assert classify("CDD 4 mois", 8.0) == "transition"
    assert classify("CDD", 8.0) == "durable"


def test_cdd_duration_from_dates() -> None:
    start = pd.Series(pd.to_datetime(["2025-01-01", "2025-01-01"]))
    end = pd.Series(pd.to_datetime(["2025-06-30", "2025-06-29"]))
    frame = pd.DataFrame({"situation": ["CDD", "CDD"]})
    frame["duration_months"] = duration_from_dates(start, end)
    assert classify_exits(frame).tolist() == ["durable", "transition"]


def test_classify_keeps_index_and_needs_no_duration_column() -> None:
    frame = pd.DataFrame({"situation": ["CDI", "Voyage", None]}, index=["a", "b", "c"])
    got = classify_exits(frame)
    assert got.to_dict() == {"a": "durable", "b": "other", "c": "unknown"}
    assert got.name == "category"


# --- people and rates ----------------------------------------------------------------------------


def test_best_outcome_per_person() -> None:
    keys = pd.Series(["p1", "p1", "p1", "p2", "p2", "p3", "p4", None])
    cats = pd.Series(
        ["other", "transition", "positive", "unknown", "other", "durable", None, "durable"]
    )
    best = best_outcome(keys, cats)
    assert best.to_dict() == {"p1": "transition", "p2": "other", "p3": "durable", "p4": "unknown"}


def test_best_outcome_rejects_unknown_category() -> None:
    with pytest.raises(ValueError, match="inconnues"):
        best_outcome(pd.Series(["p1"]), pd.Series(["excellent"]))


def test_exit_summary_counts_worked_people_only() -> None:
    best = pd.Series(
        {"p1": "durable", "p2": "transition", "p3": "positive", "p4": "other", "p9": "durable"}
    )
    worked = pd.Index(["p1", "p2", "p3", "p4", "p5"])  # p5 worked, no exit record; p9 did not
    summary = exit_summary(best, worked)
    assert summary == {
        "durable": 1,
        "transition": 1,
        "positive": 1,
        "other": 1,
        "unknown": 1,
        "durable_rate": pytest.approx(0.2),
        "transition_rate": pytest.approx(0.2),
        "positive_rate": pytest.approx(0.2),
        "dynamic_rate": pytest.approx(0.6),
    }


def test_exit_summary_nobody_worked() -> None:
    summary = exit_summary(pd.Series({"p1": "durable"}), pd.Index([]))
    assert summary["durable"] == 0
    assert summary["durable_rate"] is None
    assert summary["dynamic_rate"] is None


# --- user-edited rules ---------------------------------------------------------------------------


def test_user_rules_change_the_cdd_threshold(tmp_path: Path) -> None:
    text = (schemas_dir() / "exits.toml").read_text(encoding="utf-8")
    marker = 'family = "CDD"\nsubsidy = "none"\nmin_months = 6\n'
    assert marker in text
    edited = tmp_path / "exits.toml"
    edited.write_text(text.replace(marker, marker.replace("= 6", "= 4")), encoding="utf-8")
    frame = pd.DataFrame({"situation": ["CDD 4 mois", "CDD 3 mois"]})
    assert classify_exits(frame).tolist() == ["transition", "transition"]
    assert classify_exits(frame, load_exit_rules(edited)).tolist() == ["durable", "transition"]


def test_user_creation_rule(tmp_path: Path) -> None:
    text = (schemas_dir() / "exits.toml").read_text(encoding="utf-8")
    edited = tmp_path / "exits.toml"
    edited.write_text(text + '\n[[rules]]\nfamily = "CREATION"\ncategory = "positive"\n')
    frame = pd.DataFrame({"situation": ["Création d'entreprise"]})
    assert classify_exits(frame).tolist() == ["other"]
    assert classify_exits(frame, load_exit_rules(edited)).tolist() == ["positive"]


def test_user_contract_types(tmp_path: Path) -> None:
    path = tmp_path / "contract_types.toml"
    path.write_text(
        "[families.CDD]\nlabel = 'CDD'\npatterns = ['\\bcdd\\b', 'intérim']\n"
        "[families.AUTRE_CONTRAT]\nlabel = 'Autre'\nwork_hours = false\npatterns = []\n",
        encoding="utf-8",
    )
    rules = load_contract_rules(path)
    got = contract_family(pd.Series(["Intérim 2 mois", "CDI"]), rules)
    assert got["family"].tolist() == ["CDD", "AUTRE"]
    assert rules.non_work_families == frozenset({"AUTRE_CONTRAT"})


BROKEN_EXITS = [
    ('[[rules]]\nfamily = "CDD"\ncategory = "durabl"\n', ["règle n° 1", "durabl"]),
    ('[[rules]]\nfamily = "CDI"\ncategory = "durable"\n[[rules]]\nfamily = "CDX"\n'
     'category = "durable"\n', ["règle n° 2", "CDX", "inconnue"]),
    ('[[rules]]\nfamily = "CDD"\nmin_month = 6\ncategory = "durable"\n', ["min_month"]),
    ('[[rules]]\nfamily = "CDD"\nmin_months = "six"\ncategory = "durable"\n', ["min_months"]),
    ('[[rules]]\nfamily = "CDD"\nsubsidy = ["CUI"]\ncategory = "transition"\n', ["aide « CUI »"]),
    ('[fallback]\nrecognised = "bof"\n', ["[fallback]", "bof"]),
    ("[[rules]\nfamily = 'CDD'\n", ["TOML"]),
]  # fmt: skip


@pytest.mark.parametrize(("content", "expected"), BROKEN_EXITS)
def test_broken_exit_rules(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "mes_sorties.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_exit_rules(path)
    message = str(info.value)
    assert "mes_sorties.toml" in message
    for part in expected:
        assert part in message


BROKEN_CONTRACTS = [
    ("[families.CDD]\npatterns = ['(cdd']\n", ["[families.CDD]", "motif n° 1", "(cdd"]),
    ("[families.CDD]\nwork_hours = 'oui'\npatterns = []\n", ["work_hours"]),
    ("[families.cdd]\npatterns = []\n", ["[families.cdd]", "majuscules"]),
    (
        "[families.CDD]\npatterns = ['cdd']\n[subsidies.EF]\nfamily = 'EMPLOI_FRANC'\n"
        "patterns = ['franc']\n",
        ["[subsidies.EF]", "EMPLOI_FRANC"],
    ),
    ("", ["aucune famille"]),
]


@pytest.mark.parametrize(("content", "expected"), BROKEN_CONTRACTS)
def test_broken_contract_rules(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "mes_contrats.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_contract_rules(path)
    message = str(info.value)
    assert "mes_contrats.toml" in message
    for part in expected:
        assert part in message


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="introuvable"):
        load_exit_rules(tmp_path / "absent.toml")


def test_large_frame_is_fast() -> None:
    texts = ["CDD 6 mois", "Mission intérim 2 mois", "CDI", "", "Formation qualifiante"]
    frame = pd.DataFrame({"situation": texts * 20_000})
    frame["duration_months"] = 4.0
    got = classify_exits(frame)
    assert got.value_counts().to_dict() == {
        "durable": 40_000,
        "other": 20_000,
        "unknown": 20_000,
        "positive": 20_000,
    }
