"""CSV exports met in the wild, through ``check``: encodings and separators detected, quoted
newlines, ragged rows, Excel error literals, NA strings and leading zeros; and two property
tests (every row accounted for, text round-trips whatever the encoding)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausekit.consolidate import CheckResult, check

from .formats_helpers import (
    NAMES,
    column,
    counts,
    csv_bytes,
    find,
    only,
    params,
    rejected_rows,
    rows_of,
    source,
    table,
    validated,
)

# --------------------------------------------------------------------------- csv


CSV_HEADER = ["N° participant", "N° contrat", "Opération", "Entreprise", "Heures réalisées"]
CSV_ROWS = [
    ["P1", "C1", "OP1", "Société Œuvre & Cie", "7,5"],
    ["00042", "C2", "OP1", "L'Atelier; du Nord", "1\u00a0234,5"],
    ["P3", "C3", "OP2", "Bâtir, Réparer", "12,25"],
]
CSV_HOURS = {2: 7.5, 3: 1234.5, 4: 12.25}


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ";"),
        ("utf-8-sig", ","),
        ("utf-8-sig", ";"),
        ("cp1252", "\t"),
        ("cp1252", ";"),
        ("utf-16", ";"),
        ("utf-16", "\t"),
    ],
)
def test_csv_encoding_and_separator_detected(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([CSV_HEADER, *CSV_ROWS], encoding, delimiter))
    r = check([path])
    assert r.issues == []
    v = validated(r, "export.csv", None)
    assert v.recognised.kinds == ["contrats"]
    t = v.tables["contrats"]
    assert column(t, "participant_id") == {2: "P1", 3: "00042", 4: "P3"}
    assert column(t, "entreprise") == {2: CSV_ROWS[0][3], 3: CSV_ROWS[1][3], 4: CSV_ROWS[2][3]}
    assert column(t, "heures_realisees") == CSV_HOURS
    assert r.exit_code() == 0


def test_csv_narrow_no_break_space_in_utf8(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [CSV_HEADER, ["P1", "C1", "OP1", "E", "1\u202f234,5"], ["P2", "C2", "OP1", "E", "2 000"]]
    path.write_bytes(csv_bytes(rows, "utf-8-sig", ";"))
    r = check([path])
    assert column(table(r, "export.csv", None, "contrats"), "heures_realisees") == {
        2: 1234.5,
        3: 2000.0,
    }


def test_csv_quoted_newlines_keep_record_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [
        CSV_HEADER,
        ["P1", "C1", "OP1", "Société\ndu canal", "7,5"],
        ["P2", "C2", "OP1", "E", "douze"],
    ]
    path.write_bytes(csv_bytes(rows, "utf-8", ","))
    r = check([path])
    issue = only(r, "VALUE_NOT_HOURS", file="export.csv")
    assert (issue.sheet, issue.row, issue.column, issue.value) == (
        None,
        3,
        "Heures réalisées",
        "douze",
    )
    assert column(table(r, "export.csv", None, "contrats"), "entreprise") == {
        2: "Société\ndu canal"
    }
    assert counts(r, "export.csv", None) == (2, 1, 1, 0)


def ragged(tmp_path: Path) -> CheckResult:
    path = tmp_path / "export.csv"
    path.write_text(
        "N° participant;N° contrat;Heures réalisées\n"
        "P1;C1;7,5\n"
        "P2;C2;12,25;perdu\n"
        "P3;C3\n"
        "P4;C4;8\n",
        encoding="utf-8",
    )
    return check([path])


def test_csv_ragged_rows_are_reported(tmp_path: Path) -> None:
    r = ragged(tmp_path)
    found = [(i.row, params(i)) for i in find(r, "CSV_RAGGED_ROW", file="export.csv")]
    assert found == [(3, {"found": "4", "expected": "3"}), (4, {"found": "2", "expected": "3"})]
    assert all(i.severity == "error" for i in find(r, "CSV_RAGGED_ROW"))
    assert r.exit_code() == 1


def test_csv_ragged_rows_are_rejected(tmp_path: Path) -> None:
    r = ragged(tmp_path)
    assert rejected_rows(r, "export.csv", None) == [3, 4]
    assert counts(r, "export.csv", None) == (4, 2, 2, 0)


def test_csv_excel_error_literals_reject_the_row(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "N° participant;N° contrat;Date de début;Heures réalisées\n"
        "P1;C1;01/01/2025;7\n"
        "P2;C2;01/01/2025;#N/A\n"
        "P3;C3;#DIV/0!;7\n",
        encoding="utf-8",
    )
    r = check([path])
    found = sorted((i.row, i.column, i.value) for i in find(r, "VALUE_EXCEL_ERROR"))
    assert found == [(3, "Heures réalisées", "#N/A"), (4, "Date de début", "#DIV/0!")]
    assert not find(r, "VALUE_NOT_HOURS") and not find(r, "VALUE_NOT_DATE")
    assert rejected_rows(r, "export.csv", None) == [3, 4]


def test_csv_na_strings_and_leading_zeros_are_data(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(
        "N° participant;Nom;Prénom;Code postal\n"
        f"00123;NA;{NAMES[0]};06000\n"
        f"P2;NULL;{NAMES[1]};62300\n"
        f"P3;None;{NAMES[2]};02100\n"
        f"P4;nan;{NAMES[3]};59000\n",
        encoding="utf-8",
    )
    r = check([path])
    t = table(r, "participants.csv", None, "participants")
    assert list(column(t, "nom").items())[:4] == [(2, "NA"), (3, "NULL"), (4, "None"), (5, "nan")]
    assert column(t, "participant_id") == {2: "00123", 3: "P2", 4: "P3", 5: "P4"}
    assert column(t, "code_postal") == {2: "06000", 3: "62300", 4: "02100", 5: "59000"}
    assert r.issues == []


# --------------------------------------------------------------------------- property


GOOD_SEPARATORS = ("", " ", "\u00a0", "\u202f")
BAD_NUMBERS = ("abc", "1,2,3", "12h5", "1 23,4", "7:60", "--1", "1 234.5", "12 heures")
ROW = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 9999), st.sampled_from(GOOD_SEPARATORS)),
    st.tuples(st.just("bad"), st.sampled_from(BAD_NUMBERS)),
    st.tuples(st.just("blank")),
)


def french(number: int, separator: str) -> str:
    text = f"{number:,}".replace(",", separator)
    return text + ",5"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, max_size=25), total=st.booleans(), trailing=st.integers(0, 3))
def test_row_conservation_property(rows: list[tuple[Any, ...]], total: bool, trailing: int) -> None:
    lines = [["N° participant", "N° contrat", "Heures réalisées"]]
    for i, row in enumerate(rows):
        if row[0] == "good":
            lines.append([f"P{i}", f"C{i}", french(row[1], row[2])])
        elif row[0] == "bad":
            lines.append([f"P{i}", f"C{i}", row[1]])
        else:
            lines.append(["", "", ""])
    if total:
        lines.append(["TOTAL", "", "123"])
    text = "\n".join(";".join(line) for line in lines) + "\n" * (trailing + 1)

    kinds = [row[0] for row in rows] + (["total"] if total else [])
    nonblank = [n for n, k in enumerate(kinds) if k != "blank"]
    read = nonblank[-1] + 1 if nonblank else 0  # trailing blank rows are not read
    seen = kinds[:read]
    expected_rejected = [n + 2 for n, k in enumerate(seen) if k == "bad"]
    expected_blank = [n + 2 for n, k in enumerate(seen) if k == "blank"]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_text(text, encoding="utf-8")
        r = check([path])
    s = source(r, "export.csv", None)
    assert s["rows_read"] == s["rows_accepted"] + s["rows_rejected"] + s["rows_skipped"]
    assert s["rows_read"] == read
    assert s["rows_accepted"] == seen.count("good")
    assert s["rows_rejected"] == seen.count("bad")
    assert s["rows_skipped"] == seen.count("blank") + seen.count("total")
    assert rejected_rows(r, "export.csv", None) == expected_rejected
    assert rows_of(r, "ROW_BLANK") == expected_blank
    assert rows_of(r, "ROW_TOTAL") == ([read + 1] if total else [])
    t = table(r, "export.csv", None, "contrats")
    expected_hours = {n + 2: row[1] + 0.5 for n, row in enumerate(rows[:read]) if row[0] == "good"}
    assert column(t, "heures_realisees") == expected_hours


TEXT = st.text(
    alphabet="abcdeéèàçôœŒ ABCXYZ0123456789;,'\"-&\n",
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() != "" and not s.strip().lower().startswith("total"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(TEXT, min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([";", ",", "\t"]),
)
def test_csv_text_round_trips_whatever_the_encoding_and_separator(
    names: list[str], encoding: str, delimiter: str
) -> None:
    rows = [CSV_HEADER] + [
        [f"P{i}", f"C{i}", "OP1", name, f"{i},5"] for i, name in enumerate(names)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(csv_bytes(rows, encoding, delimiter))
        r = check([path])
    t = table(r, "export.csv", None, "contrats")
    assert column(t, "entreprise") == {i + 2: name.strip() for i, name in enumerate(names)}
    assert column(t, "heures_realisees") == {i + 2: i + 0.5 for i in range(len(names))}
    assert not find(r, "CSV_RAGGED_ROW")


def test_utf16_csv_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(csv_bytes([CSV_HEADER, *CSV_ROWS], "utf-16", ";"))
    r = check([path])
    assert r.issues == []
    assert column(table(r, "export.txt", None, "contrats"), "heures_realisees") == CSV_HOURS
