"""The metrics table (rules/metrics.py): one row per field of a statistics row, held against
the JSON schema, and the one source of every stage that names those fields."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.output import masking, views
from clausekit.pipeline import indicators
from clausekit.routine import history
from clausekit.rules import metrics
from clausekit.rules.schemas import schemas_dir

runner = CliRunner()


def stats_schema() -> dict[str, Any]:
    schema = json.loads((schemas_dir() / "rapport.schema.json").read_text(encoding="utf-8"))
    return schema["$defs"]["stats"]


def test_the_table_is_the_json_schemas_field_list() -> None:
    stats = stats_schema()
    assert list(metrics.KEYS) == stats["required"]  # same fields, in the same order
    assert set(stats["properties"]) == set(metrics.KEYS)


def test_each_kind_has_the_schemas_type() -> None:
    expected = {
        "count": {"$ref": "#/$defs/count"},  # a whole number, or a masked « <K » / « n.d. »
        "hours": {"$ref": "#/$defs/hours"},
    }
    for metric in metrics.METRICS:
        declared = stats_schema()["properties"][metric.key]
        if metric.kind in expected:
            assert {k: declared[k] for k in expected[metric.kind]} == expected[metric.kind]
        elif metric.kind == "rate":
            assert declared["type"] == ["number", "null"], metric.key  # no forecast: null
        else:
            assert declared["type"] == "number", metric.key


def test_every_metric_has_a_french_label_in_words() -> None:
    for metric in metrics.METRICS:
        assert metric.label and metric.label != metric.key, metric.key
        assert "_" not in metric.label and "_" not in metric.short, metric.key
    assert metrics.LABELS["participants_under_26"] == "dont moins de 26 ans"
    assert metrics.BY_KEY["participants_under_26"].short == "dont -26 ans"
    assert metrics.BY_KEY["hours_forecast"].number_format == "#,##0.00"
    assert metrics.BY_KEY["realisation_rate"].number_format == "0.0%"


def test_people_metrics_are_exactly_those_masking_hides() -> None:
    # every field at 1 (and 0 for a second territory): only counts of people are small
    # counts to hide; hours, rates, contracts, operations and companies stay as they are
    ones = {key: 1 for key in metrics.KEYS}
    zeros = {key: 0 for key in metrics.KEYS}
    report = {
        "settings": {},
        "totals": dict(ones),
        "by_territory": [{"territory": "A", **ones}, {"territory": "B", **zeros}],
    }
    masked = masking.mask_report(report, 3)
    people = {
        "participants",
        "participants_brsa",
        "participants_under_26",
        "participants_ase",
    }
    assert {k for k, v in masked["totals"].items() if v == "<3"} == people
    assert {k for k, v in masked["totals"].items() if v == 1} == set(metrics.KEYS) - people
    first, second = masked["by_territory"]
    assert {k for k, v in first.items() if v == "<3"} == people
    assert second == {"territory": "B", **zeros}  # zero stays 0
    assert set(metrics.PEOPLE) == people


def test_history_columns_come_from_the_table(tmp_path: Path) -> None:
    kept = (
        "hours_realised",
        "hours_forecast",
        "participants",
        "participants_brsa",
        "participants_under_26",
        "participants_ase",
    )
    assert kept == history.METRICS
    assert {"hours_realised", "hours_forecast"} == history.HOURS
    # a metric kept in the history needs its column: the migrations create exactly these
    path = tmp_path / "h.sqlite"
    history.History(path).close()
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(aggregates)")]
    assert columns[-len(kept) :] == list(kept)


def test_history_listing_heads_its_columns_with_the_tables_short_labels(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    totals = {
        "hours_realised": 1234.5,
        "hours_forecast": 2000.0,
        "participants": 7,
        "participants_brsa": 3,
        "participants_under_26": 2,
        "participants_ase": 1,
    }
    report = {"period": {"start": "2025-06", "end": "2025-06"}, "totals": totals}
    with history.History(path) as store:
        store.record("2025-06", "hash", report)
    result = runner.invoke(app, ["history", "--base", str(path)])
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "Période" in line)
    cells = [c.strip() for c in header.strip("┃│ ").replace("┃", "│").split("│")]
    assert cells == [
        "Période",
        "Enregistrée le",
        "Heures réalisées",
        "Heures prévues",
        "Participants",
        "dont BRSA",
        "dont -26 ans",
        "dont ASE",
    ]
    row = next(line for line in result.output.splitlines() if "2025-06" in line)
    assert [c.strip() for c in row.strip("┃│ ").split("│")][2:] == [
        "1\u202f234,50",
        "2\u202f000,00",
        "7",
        "3",
        "2",
        "1",
    ]


def test_adding_a_metric_is_one_row() -> None:
    """Every stage's set of fields is the table's, filtered by one of its columns."""
    keys = set(metrics.KEYS)
    assert indicators.STAT_KEYS == metrics.KEYS
    assert set(indicators.COUNT_KEYS) == {m.key for m in metrics.METRICS if m.kind == "count"}
    assert {k: views.LABELS[k] for k in keys} == {m.key: m.label for m in metrics.METRICS}
    assert set(views.FORMATS) & keys == {m.key for m in metrics.METRICS if m.kind != "count"}
    grid = {key for _, key, _ in views.GRID_ROWS}
    assert grid == {m.key for m in metrics.METRICS if m.summary} | {
        f"share:{m.key}" for m in metrics.METRICS if m.share
    }
    assert set(masking.PEOPLE_KEYS) == {m.key for m in metrics.METRICS if m.people}
    assert set(history.METRICS) == {m.key for m in metrics.METRICS if m.history}
    assert set(stats_schema()["required"]) == keys
    # the « dont » lines: their categories are always listed in « by_public »
    assert metrics.PUBLICS == ("BRSA", "JEUNE_M26", "ASE")


def test_page_one_grid_rows_follow_the_table() -> None:
    assert views.GRID_ROWS == (
        ("Heures prévisionnelles", "hours_forecast", "hours"),
        ("Heures réalisées", "hours_realised", "hours"),
        ("Taux de réalisation", "realisation_rate", "rate"),
        ("ETP", "etp", "decimal"),
        ("Participants", "participants", "count"),
        ("dont BRSA", "participants_brsa", "count"),
        ("part des BRSA", "share:participants_brsa", "rate"),
        ("dont moins de 26 ans", "participants_under_26", "count"),
        ("part des moins de 26 ans", "share:participants_under_26", "rate"),
        ("dont ASE", "participants_ase", "count"),
        ("part des ASE", "share:participants_ase", "rate"),
        ("Contrats", "contracts", "count"),
        ("Opérations", "operations", "count"),
        ("Entreprises", "companies", "count"),
    )
    # a share is of its parent: 2 BRSA among 8 participants
    assert (
        views.grid_value({"participants": 8, "participants_brsa": 2}, "share:participants_brsa")
        == 0.25
    )


def test_a_metric_row_is_checked() -> None:
    import pytest

    with pytest.raises(ValueError, match="kind"):
        metrics.Metric("x", "X", "heures")
    with pytest.raises(ValueError, match="parent"):
        metrics.Metric("participants_deld", "dont DELD", "count", people=True, public="DELD")


def test_each_breakdown_is_a_field_of_the_report_with_metrics_of_the_table() -> None:
    schema = json.loads((schemas_dir() / "rapport.schema.json").read_text(encoding="utf-8"))
    for breakdown in (*indicators.BREAKDOWNS, *indicators.MONTHLY):
        assert breakdown.key in schema["properties"], breakdown.key
        assert set(breakdown.fields) <= set(metrics.KEYS), breakdown.key
    # the report's fields, once each: every breakdown among them
    assert len(set(indicators.FIELDS)) == len(indicators.FIELDS)
    keys = [b.key for b in (*indicators.BREAKDOWNS, *indicators.MONTHLY)]
    assert set(keys) <= set(indicators.FIELDS)


def test_a_zero_forecast_is_not_stated_and_the_table_says_so() -> None:
    from clausekit.rules.metrics import UNSTATED_WHEN_ZERO, stated

    assert set(UNSTATED_WHEN_ZERO) == {"hours_forecast"}
    assert stated("hours_forecast", 0) is None  # nobody stated a forecast
    assert stated("hours_forecast", 120.0) == 120.0
    assert stated("hours_realised", 0) == 0  # no hours worked is a real 0
    assert stated("participants", 0) == 0
