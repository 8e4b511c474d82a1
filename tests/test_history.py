"""Monthly history in SQLite: aggregates only, replace on re-run, migrations, crash safety."""

from __future__ import annotations

import copy
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from clausekit.errors import UsageError
from clausekit.routine import history as history_module
from clausekit.routine.history import (
    DIFF_HEADER,
    SCHEMA_VERSION,
    History,
    diff_rows,
    inputs_hash,
    period_key,
)

PARIS = timezone(timedelta(hours=2))
WHEN = datetime(2025, 7, 1, 6, 30, tzinfo=PARIS)


def stats(hours: float, forecast: float, people: int, brsa: int, young: int, ase: int) -> dict:
    return {
        "hours_realised": hours,
        "hours_forecast": forecast,
        "realisation_rate": None,
        "etp": 0.5,
        "participants": people,
        "participants_brsa": brsa,
        "participants_under_26": young,
        "participants_ase": ase,
        "contracts": 3,
        "operations": 2,
        "companies": 2,
    }


def operation(territory: str, op_id: str, label: str, donneur: str, figures: dict) -> dict:
    return {
        "territory": territory,
        "operation_id": op_id,
        "operation": label,
        "donneur_ordre": donneur,
        **figures,
    }


def may() -> dict[str, Any]:
    return {
        "clausekit_version": "0.1.0",
        "period": {"start": "2025-05", "end": "2025-05"},
        "settings": {"etp_hours": 1607.0, "age_limit": 26},
        "totals": stats(700.0, 1400.0, 6, 2, 1, 0),
        "by_territory": [
            {"territory": "Lens-Liévin", **stats(600.0, 1000.0, 4, 2, 1, 0)},
            {"territory": "Artois", **stats(100.0, 400.0, 2, 1, 0, 0)},
        ],
        "by_operation": [
            operation(
                "Lens-Liévin", "ERBM-01", "ERBM – Cité 9", "Maisons & Cités",
                stats(600.0, 1000.0, 4, 2, 1, 0),
            ),
            operation(
                "Artois", "ART-7", "ART-7", "Pas-de-Calais Habitat",
                stats(100.0, 400.0, 2, 1, 0, 0),
            ),
        ],
    }  # fmt: skip


def june() -> dict[str, Any]:
    """May's figures changed: Artois gone, Lens has a new operation."""
    return {
        "clausekit_version": "0.1.0",
        "period": {"start": "2025-06", "end": "2025-06"},
        "settings": {"etp_hours": 1607.0, "age_limit": 26},
        "totals": stats(655.5, 1500.0, 5, 2, 1, 1),
        "by_territory": [{"territory": "Lens-Liévin", **stats(655.5, 1500.0, 5, 2, 1, 1)}],
        "by_operation": [
            operation(
                "Lens-Liévin", "ERBM-01", "ERBM – Cité 9", "Maisons & Cités",
                stats(620.5, 1000.0, 4, 2, 1, 0),
            ),
            operation(
                "Lens-Liévin", "CSNE-L01", "CSNE – Rétablissements routiers", "SANEF",
                stats(35.0, 500.0, 1, 0, 0, 1),
            ),
        ],
    }  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "historique" / "historique.sqlite"


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# --------------------------------------------------------------------------- recording


def test_record_and_list_months(db: Path) -> None:
    with History(db) as h:
        assert h.version == SCHEMA_VERSION == 2
        h.record("2025-06", "abc123", june(), recorded_at=WHEN)
        h.record("2025-05", "def456", may(), recorded_at=WHEN - timedelta(days=30))
        assert h.months() == [
            {
                "period": "2025-05",
                "recorded_at": "2025-06-01T06:30:00+02:00",
                "inputs_hash": "def456",
                "clausekit_version": "0.1.0",
                "settings": {"age_limit": 26, "etp_hours": 1607.0},
                "totals": {
                    "hours_realised": 700.0,
                    "hours_forecast": 1400.0,
                    "participants": 6,
                    "participants_brsa": 2,
                    "participants_under_26": 1,
                    "participants_ase": 0,
                },
            },
            {
                "period": "2025-06",
                "recorded_at": "2025-07-01T06:30:00+02:00",
                "inputs_hash": "abc123",
                "clausekit_version": "0.1.0",
                "settings": {"age_limit": 26, "etp_hours": 1607.0},
                "totals": {
                    "hours_realised": 655.5,
                    "hours_forecast": 1500.0,
                    "participants": 5,
                    "participants_brsa": 2,
                    "participants_under_26": 1,
                    "participants_ase": 1,
                },
            },
        ]
        assert h.periods() == ["2025-05", "2025-06"]
        assert h.previous("2025-06") == "2025-05"
        assert h.previous("2025-05") is None
        assert h.previous("2025-12") == "2025-06"


def test_rerunning_a_month_replaces_it(db: Path) -> None:
    with History(db) as h:
        h.record("2025-06", "first", may(), recorded_at=WHEN)
        h.record("2025-06", "second", june(), recorded_at=WHEN + timedelta(hours=1))
        months = h.months()
    assert [(m["period"], m["inputs_hash"], m["recorded_at"]) for m in months] == [
        ("2025-06", "second", "2025-07-01T07:30:00+02:00")
    ]
    assert months[0]["totals"]["hours_realised"] == 655.5
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT scope, COUNT(*) FROM aggregates GROUP BY scope ORDER BY scope")
    assert rows.fetchall() == [("operation", 2), ("territory", 1), ("totals", 1)]
    conn.close()


def test_only_aggregates_are_stored(db: Path) -> None:
    leaky = may()
    leaky["by_territory"][0]["nom"] = "Dupont"
    leaky["by_territory"][0]["participant_ids"] = ["P-000123"]
    leaky["by_operation"][0]["date_naissance"] = "1980-02-03"
    leaky["sources"] = [{"file": "/exports/Dupont_Jean.xlsx"}]
    leaky["issues"] = [{"message": "Doublon possible : Dupont Jean, né le 03/02/1980"}]
    leaky["people"] = [{"nom": "Dupont", "prenom": "Jean", "date_naissance": "1980-02-03"}]
    with History(db) as h:
        h.record("2025-05", "abc", leaky, recorded_at=WHEN)
    text = "\n".join(dump(db))
    for secret in ("Dupont", "Jean", "P-000123", "1980", "03/02"):
        assert secret not in text


def test_crash_between_writes_leaves_the_database_as_before(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with History(db) as h:
        h.record("2025-06", "before", may(), recorded_at=WHEN)
    before = dump(db)
    original = history_module._insert_aggregates

    def half_then_crash(conn: sqlite3.Connection, period: str, rows: list[tuple]) -> None:
        original(conn, period, rows[:1])
        raise RuntimeError("disque plein")

    monkeypatch.setattr(history_module, "_insert_aggregates", half_then_crash)
    with History(db) as h:
        with pytest.raises(RuntimeError, match="disque plein"):
            h.record("2025-06", "after", june(), recorded_at=WHEN)
        assert [m["inputs_hash"] for m in h.months()] == ["before"]
    assert dump(db) == before


def test_bad_period(db: Path) -> None:
    with History(db) as h, pytest.raises(UsageError) as exc:
        h.record("juin 2025", "abc", may())
    assert str(exc.value) == (
        "Période « juin 2025 » invalide pour l'historique : attendu AAAA-MM ou AAAA-MM:AAAA-MM."
    )


def test_period_key() -> None:
    assert period_key(may()) == "2025-05"
    assert period_key({"period": {"start": "2025-01", "end": "2025-06"}}) == "2025-01:2025-06"
    with pytest.raises(UsageError) as exc:
        period_key({"period": {"start": None, "end": None}})
    assert str(exc.value) == (
        "Le rapport n'a pas de période : rien à enregistrer dans l'historique."
    )


# --------------------------------------------------------------------------- diff


def test_diff_between_two_months(db: Path) -> None:
    with History(db) as h:
        h.record("2025-05", "a", may(), recorded_at=WHEN)
        h.record("2025-06", "b", june(), recorded_at=WHEN)
        diff = h.diff("2025-05", "2025-06")
    assert diff[0] == {
        "scope": "totals",
        "territory": "",
        "operation_id": "",
        "operation": "",
        "donneur_ordre": "",
        "status": "changed",
        "metric": "hours_realised",
        "value_a": 700.0,
        "value_b": 655.5,
        "delta": -44.5,
    }
    six = ("hours_realised", "hours_forecast", "participants", "participants_brsa",
           "participants_under_26", "participants_ase")  # fmt: skip
    brief = [
        (r["scope"], r["territory"], r["operation_id"], r["status"], r["metric"],
         r["value_a"], r["value_b"], r["delta"])
        for r in diff
    ]  # fmt: skip
    assert brief == [
        ("totals", "", "", "changed", "hours_realised", 700.0, 655.5, -44.5),
        ("totals", "", "", "changed", "hours_forecast", 1400.0, 1500.0, 100.0),
        ("totals", "", "", "changed", "participants", 6, 5, -1),
        ("totals", "", "", "changed", "participants_ase", 0, 1, 1),
        *(("territory", "Artois", "", "removed", m, a, None, None)
          for m, a in zip(six, (100.0, 400.0, 2, 1, 0, 0), strict=True)),
        ("territory", "Lens-Liévin", "", "changed", "hours_realised", 600.0, 655.5, 55.5),
        ("territory", "Lens-Liévin", "", "changed", "hours_forecast", 1000.0, 1500.0, 500.0),
        ("territory", "Lens-Liévin", "", "changed", "participants", 4, 5, 1),
        ("territory", "Lens-Liévin", "", "changed", "participants_ase", 0, 1, 1),
        *(("operation", "Artois", "ART-7", "removed", m, a, None, None)
          for m, a in zip(six, (100.0, 400.0, 2, 1, 0, 0), strict=True)),
        *(("operation", "Lens-Liévin", "CSNE-L01", "added", m, None, b, None)
          for m, b in zip(six, (35.0, 500.0, 1, 0, 0, 1), strict=True)),
        ("operation", "Lens-Liévin", "ERBM-01", "changed", "hours_realised", 600.0, 620.5, 20.5),
    ]  # fmt: skip
    assert {(r["operation_id"], r["operation"], r["donneur_ordre"]) for r in diff} == {
        ("", "", ""),
        ("ART-7", "ART-7", "Pas-de-Calais Habitat"),
        ("CSNE-L01", "CSNE – Rétablissements routiers", "SANEF"),
        ("ERBM-01", "ERBM – Cité 9", "Maisons & Cités"),
    }
    rows = diff_rows(diff)
    assert DIFF_HEADER == (
        "Périmètre",
        "Territoire",
        "Opération",
        "Indicateur",
        "Avant",
        "Après",
        "Écart",
    )
    assert rows[0] == ("Total", "", "", "Heures réalisées", "700,00", "655,50", "−44,50")
    assert rows[2] == ("Total", "", "", "Participants", "6", "5", "−1")
    assert rows[3] == ("Total", "", "", "dont ASE", "0", "1", "+1")
    assert rows[4] == ("Territoire (disparu)", "Artois", "", "Heures réalisées", "100,00", "—", "—")
    assert rows[11] == (
        "Territoire",
        "Lens-Liévin",
        "",
        "Heures prévisionnelles",
        "1\u202f000,00",
        "1\u202f500,00",
        "+500,00",
    )
    assert rows[14] == (
        "Opération (disparue)",
        "Artois",
        "ART-7",
        "Heures réalisées",
        "100,00",
        "—",
        "—",
    )
    assert rows[20] == (
        "Opération (nouvelle)",
        "Lens-Liévin",
        "CSNE – Rétablissements routiers [CSNE-L01]",
        "Heures réalisées",
        "—",
        "35,00",
        "—",
    )
    assert rows[-1] == (
        "Opération",
        "Lens-Liévin",
        "ERBM – Cité 9 [ERBM-01]",
        "Heures réalisées",
        "600,00",
        "620,50",
        "+20,50",
    )


def test_diff_of_a_month_with_itself_is_empty(db: Path) -> None:
    with History(db) as h:
        h.record("2025-05", "a", may(), recorded_at=WHEN)
        assert h.diff("2025-05", "2025-05") == []


def test_diff_of_an_unknown_month(db: Path) -> None:
    with History(db) as h:
        h.record("2025-05", "a", may(), recorded_at=WHEN)
        with pytest.raises(UsageError) as exc:
            h.diff("2025-04", "2025-05")
    assert str(exc.value) == (
        f"Aucun enregistrement pour la période 2025-04 dans l'historique {db}. Périodes "
        "enregistrées : 2025-05."
    )


# --------------------------------------------------------------------------- schema

V1 = (
    "CREATE TABLE runs (period TEXT PRIMARY KEY, recorded_at TEXT NOT NULL, "
    "inputs_hash TEXT NOT NULL)",
    "CREATE TABLE aggregates (period TEXT NOT NULL, scope TEXT NOT NULL, "
    "territory TEXT NOT NULL DEFAULT '', operation_id TEXT NOT NULL DEFAULT '', "
    "operation TEXT NOT NULL DEFAULT '', donneur_ordre TEXT NOT NULL DEFAULT '', "
    "hours_realised REAL, hours_forecast REAL, participants INTEGER, participants_brsa INTEGER, "
    "participants_under_26 INTEGER, participants_ase INTEGER, "
    "PRIMARY KEY (period, scope, territory, operation_id, donneur_ordre))",
    "INSERT INTO runs VALUES ('2025-04', '2025-05-01T06:00:00+02:00', 'v1hash')",
    "INSERT INTO aggregates VALUES ('2025-04', 'totals', '', '', '', '', "
    "512.25, 900.0, 3, 1, 1, 0)",
    "INSERT INTO aggregates VALUES ('2025-04', 'territory', 'Artois', '', '', '', "
    "512.25, 900.0, 3, 1, 1, 0)",
    "PRAGMA user_version = 1",
)


def make_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statement in V1:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_v1_database_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "ancien.sqlite"
    make_v1(path)
    with History(path) as h:
        assert h.version == 2
        assert h.months() == [
            {
                "period": "2025-04",
                "recorded_at": "2025-05-01T06:00:00+02:00",
                "inputs_hash": "v1hash",
                "clausekit_version": "",
                "settings": {},
                "totals": {
                    "hours_realised": 512.25,
                    "hours_forecast": 900.0,
                    "participants": 3,
                    "participants_brsa": 1,
                    "participants_under_26": 1,
                    "participants_ase": 0,
                },
            }
        ]
        h.record("2025-05", "new", may(), recorded_at=WHEN)
        assert [r["metric"] for r in h.diff("2025-04", "2025-05")][:2] == [
            "hours_realised",
            "hours_forecast",
        ]


def test_failed_migration_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ancien.sqlite"
    make_v1(path)
    before = dump(path)
    broken = (history_module.MIGRATIONS[0], ("ALTER TABLE runs ADD COLUMN x TEXT", "SELECT nope"))
    monkeypatch.setattr(history_module, "MIGRATIONS", broken)
    with pytest.raises(UsageError):
        History(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    conn.close()
    assert dump(path) == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "futur.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    with pytest.raises(UsageError) as exc:
        History(path)
    assert str(exc.value) == (
        f"L'historique {path} a été écrit par une version plus récente de clausekit (schéma v9, "
        "cette version lit jusqu'à v2). Mettez clausekit à jour."
    )


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "rapport.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(UsageError) as exc:
        History(path)
    assert str(exc.value) == (
        f"{path} n'est pas une base d'historique clausekit lisible (file is not a database). "
        "Indiquez un autre fichier dans [historique] base, ou déplacez celui-ci."
    )


# --------------------------------------------------------------------------- inputs hash


def test_inputs_hash(tmp_path: Path) -> None:
    a = tmp_path / "Lens" / "export.xlsx"
    b = tmp_path / "Artois" / "export.xlsx"
    c = tmp_path / "Artois" / "autre.csv"
    for path, content in ((a, b"lens"), (b, b"artois"), (c, b"csv")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    digest = inputs_hash([a, b, c])
    assert digest == "72f07547f0e8e95ac6e9d6bfd8bf76e5f30229bf0bddea3dd6315c4f54b0a374"
    assert inputs_hash([c, b, a]) == digest  # order does not matter
    moved = tmp_path / "ailleurs" / "export.xlsx"
    moved.parent.mkdir()
    moved.write_bytes(b"lens")
    assert inputs_hash([moved, b, c]) == digest  # nor the folder
    renamed = tmp_path / "Lens" / "export2.xlsx"
    renamed.write_bytes(b"lens")
    assert inputs_hash([renamed, b, c]) != digest
    a.write_bytes(b"lens!")
    assert inputs_hash([a, b, c]) != digest
    assert inputs_hash([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_report_is_not_modified(db: Path) -> None:
    original = may()
    kept = copy.deepcopy(original)
    with History(db) as h:
        h.record("2025-05", "a", original)
    assert original == kept
