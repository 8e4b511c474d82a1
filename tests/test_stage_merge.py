"""Stage 4, merge, on small hand-built sheets: successive exports of one territory are not
added (the newest export wins), ids that lost their leading zeros still match, the forecast is
read per operation or per contract, one person across territories is one person, and names
never leave the stage.

Each sheet is built in the test, recognised and validated (stages 2 and 3), then merged; the
export date of each file is in its name. Every expectation is written by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from clausekit.pipeline.merge import Dataset, merge
from clausekit.pipeline.recognise import recognise
from clausekit.pipeline.validate import Validated, validate
from clausekit.rules.schemas import Spec, load_spec

from .conftest import SECRET, raw_sheet

CONTRACTS = [
    "N° participant",
    "N° contrat",
    "Opération",
    "Date de début",
    "Mois",
    "Heures réalisées",
]
PEOPLE = ["N° participant", "Nom", "Prénom", "Date de naissance", "Public"]
WITH_FORECAST = [
    "N° participant",
    "N° contrat",
    "Opération",
    "Mois",
    "Heures réalisées",
    "Heures prévues",
]
OLD = "Lens/export_2025-05-31.xlsx"
NEW = "Lens/export_2025-06-30.xlsx"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def sheet(
    spec: Spec, rows: list[list[object]], file: str, name: str, territory: str = "Lens"
) -> Validated:
    rec = recognise(raw_sheet(rows, file=file, sheet=name, territory=territory), spec)
    assert rec is not None
    v = validate(rec, spec)
    assert v.rows_rejected == 0, v.rejected
    return v


def merged(spec: Spec, *sheets: Validated) -> Dataset:
    return merge(list(sheets), spec, secret=SECRET)


def forecast_sheet(spec: Spec, *rows: tuple[str, ...]) -> Dataset:
    """One sheet « Heures » of hours lines with a forecast column (WITH_FORECAST), merged."""
    return merged(spec, sheet(spec, [WITH_FORECAST, *map(list, rows)], NEW, "Heures"))


def hours_by_month(data: Dataset) -> dict[str, float]:
    return {str(m): float(h) for m, h in zip(data.lines["month"], data.lines["hours"], strict=True)}


def codes(data: Dataset) -> list[str]:
    return [i.code for i in data.issues]


def test_two_exports_of_one_territory_the_newest_wins(spec: Spec) -> None:
    old = sheet(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "OP1", "07/04/2025", "04/2025", "20"],
            ["P1", "C1", "OP1", "07/04/2025", "05/2025", "10"],
        ],
        OLD,
        "Contrats",
    )
    new = sheet(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "OP1", "07/04/2025", "05/2025", "12"],
            ["P1", "C1", "OP1", "07/04/2025", "06/2025", "8"],
        ],
        NEW,
        "Contrats",
    )
    data = merged(spec, new, old)  # the order given does not matter: the dates in the names do
    # May is in both exports: counted once, from the newer one (12, not 10 + 12)
    assert hours_by_month(data) == {"2025-04": 20.0, "2025-05": 12.0, "2025-06": 8.0}
    assert data.lines["hours"].sum() == 40.0
    assert data.superseded.rows == {(OLD, "Contrats"): 1}
    assert data.superseded.emptied == set()  # April is only in the old export: it still counts
    [issue] = [i for i in data.issues if i.code == "EXPORT_ROWS_SUPERSEDED"]
    assert issue.file == OLD
    assert dict(issue.params) == {"count": "1", "newer": NEW}
    assert (data.export_dates[OLD].how, data.export_dates[NEW].how) == ("nom", "nom")


def test_an_export_all_of_whose_rows_are_in_a_newer_one_is_set_aside(spec: Spec) -> None:
    rows = [CONTRACTS, ["P1", "C1", "OP1", "07/04/2025", "04/2025", "20"]]
    old = sheet(spec, rows, OLD, "Contrats")
    new = sheet(spec, [*rows, ["P1", "C1", "OP1", "07/04/2025", "05/2025", "15"]], NEW, "Contrats")
    data = merged(spec, old, new)
    assert hours_by_month(data) == {"2025-04": 20.0, "2025-05": 15.0}
    assert data.superseded.emptied == {OLD}
    assert data.superseded.by == {OLD: NEW}
    assert "EXPORT_ROWS_SUPERSEDED" not in codes(data)


def test_the_same_export_of_two_territories_is_added(spec: Spec) -> None:
    rows = [CONTRACTS, ["P1", "C1", "OP1", "07/04/2025", "04/2025", "20"]]
    lens = sheet(spec, rows, "Lens/export_2025-05-31.xlsx", "Contrats", territory="Lens")
    artois = sheet(spec, rows, "Artois/export_2025-05-31.xlsx", "Contrats", territory="Artois")
    data = merged(spec, lens, artois)
    assert sorted(data.lines["territory"].tolist()) == ["Artois", "Lens"]
    assert data.lines["hours"].sum() == 40.0
    assert data.superseded.rows == {}


def test_ids_that_lost_their_leading_zeros_still_match(spec: Spec) -> None:
    people = sheet(
        spec, [PEOPLE, ["00181", "Martin", "Alice", "01/05/1990", "BRSA"]], NEW, "Participants"
    )
    operations = sheet(
        spec, [["Opération", "Heures prévisionnelles"], ["0042", "500"]], NEW, "Opérations"
    )
    contracts = sheet(
        spec, [CONTRACTS, ["181", "C1", "42", "06/01/2025", "01/2025", "35"]], NEW, "Contrats"
    )
    data = merged(spec, people, operations, contracts)
    assert "PARTICIPANT_UNKNOWN" not in codes(data)
    zeros = [(i.file, dict(i.params)) for i in data.issues if i.code == "ID_ZEROS_MATCHED"]
    assert zeros == [
        (NEW, {"count": "1", "what": "participants"}),
        (NEW, {"count": "1", "what": "opérations"}),
    ]
    assert data.lines["operation_id"].tolist() == ["0042"]
    assert len(data.people) == 1
    assert data.lines["person_key"].tolist() == data.people.index.tolist()
    assert bool(data.people["pub_BRSA"].iloc[0]) is True
    assert data.operations[["operation_id", "hours_forecast"]].values.tolist() == [["0042", 500.0]]


def test_lost_zeros_beside_a_denormalised_sheet_still_match(spec: Spec) -> None:
    """A denormalised sheet names each line's participant in the line's own row: those lines
    are not compared; a line of another sheet whose id lost its zeros still finds them."""
    line = ["OP1", "06/01/2025", "01/2025"]
    both = sheet(
        spec,
        [
            [*PEOPLE, "N° contrat", "Opération", "Date de début", "Mois", "Heures réalisées"],
            ["00181", "Martin", "Alice", "01/05/1990", "BRSA", "C1", *line, "35"],
            ["00182", "Durand", "Léa", "02/06/1991", None, "C2", *line, "20"],
        ],
        NEW,
        "Suivi",
    )
    later = sheet(
        spec, [CONTRACTS, ["182", "C3", "OP1", "03/02/2025", "02/2025", "7"]], NEW, "Contrats"
    )
    data = merged(spec, both, later)
    assert "PARTICIPANT_UNKNOWN" not in codes(data)
    zeros = [(i.file, dict(i.params)) for i in data.issues if i.code == "ID_ZEROS_MATCHED"]
    assert zeros == [(NEW, {"count": "1", "what": "participants"})]
    by_contract = dict(zip(data.lines["hours"], data.lines["person_key"], strict=True))
    assert len(data.people) == 2  # Alice (35 h) and Léa (20 h + 7 h)
    assert by_contract[20.0] == by_contract[7.0] != by_contract[35.0]


def test_a_forecast_repeated_on_each_row_counts_once_per_operation(spec: Spec) -> None:
    data = forecast_sheet(
        spec,
        ("P1", "C1", "OP1", "01/2025", "10", "500"),
        ("P1", "C1", "OP1", "02/2025", "10", "500"),
        ("P2", "C2", "OP1", "01/2025", "5", "500"),
        ("P3", "C3", "OP2", "01/2025", "4", "90"),
    )
    assert data.forecast_levels == {(NEW, "Heures"): "operation"}
    ops = data.operations
    forecast = dict(zip(ops["operation_id"], ops["hours_forecast"], strict=True))
    assert forecast == {"OP1": 500.0, "OP2": 90.0}  # never 1 500 (three rows of OP1)
    assert data.lines["hours"].sum() == 29.0


def test_a_forecast_given_per_contract_is_summed_over_the_contracts(spec: Spec) -> None:
    data = forecast_sheet(
        spec,
        ("P1", "C1", "OP1", "01/2025", "10", "300"),
        ("P1", "C1", "OP1", "02/2025", "10", "300"),
        ("P2", "C2", "OP1", "01/2025", "5", "200"),
    )
    assert data.forecast_levels == {(NEW, "Heures"): "contract"}
    assert data.operations[["operation_id", "hours_forecast"]].values.tolist() == [["OP1", 500.0]]
    assert "FORECAST_CONFLICT" not in codes(data)


def test_a_forecast_fitting_neither_level_is_a_conflict_at_the_operation_row(spec: Spec) -> None:
    data = forecast_sheet(
        spec,
        ("P1", "C1", "OP1", "01/2025", "10", "300"),
        ("P1", "C1", "OP1", "02/2025", "10", "250"),
        ("P2", "C2", "OP1", "01/2025", "5", "200"),
    )
    assert data.forecast_levels == {(NEW, "Heures"): "conflict"}
    [issue] = [i for i in data.issues if i.code == "FORECAST_CONFLICT"]
    assert (issue.file, issue.sheet, issue.row, issue.value) == (NEW, "Heures", 2, "OP1")
    assert dict(issue.params)["count"] == "3"
    assert (dict(issue.params)["low"], dict(issue.params)["high"]) == ("200", "300")
    # the largest value is kept for the operation, once
    assert data.operations["hours_forecast"].tolist() == [300.0]


def test_one_person_in_two_territories_is_one_person(spec: Spec) -> None:
    alice = ["Martin", "Alice", "01/05/1990", "BRSA"]
    lens_people = sheet(spec, [PEOPLE, ["P1", *alice]], "Lens/p.xlsx", "P", territory="Lens")
    artois_people = sheet(spec, [PEOPLE, ["A7", *alice]], "Artois/p.xlsx", "P", territory="Artois")
    line = ["C1", "OP1", "06/01/2025", "01/2025", "7"]
    lens = sheet(spec, [CONTRACTS, ["P1", *line]], "Lens/c.xlsx", "C", territory="Lens")
    artois = sheet(spec, [CONTRACTS, ["A7", *line]], "Artois/c.xlsx", "C", territory="Artois")
    data = merged(spec, lens_people, artois_people, lens, artois)
    assert len(data.people) == 1
    assert data.lines["person_key"].nunique() == 1
    pairs = zip(data.duplicates["ids"], data.duplicates["territories"], strict=True)
    assert [(list(ids), list(where)) for ids, where in pairs] == [
        (["A7", "P1"], ["Artois", "Lens"])
    ]
    assert "PERSON_DUPLICATE_SUSPECT" not in codes(data)  # two territories: expected


def test_names_and_birth_texts_never_leave_the_stage(spec: Spec) -> None:
    people = sheet(spec, [PEOPLE, ["P1", "Zébulonne", "Quasimodo", "01/05/1990", None]], NEW, "P")
    contracts = sheet(
        spec, [CONTRACTS, ["P1", "C1", "OP1", "06/01/2025", "01/2025", "7"]], NEW, "C"
    )
    data = merged(spec, people, contracts)
    frames = [data.lines, data.people, data.people_by_territory, data.operations, data.duplicates]
    for frame in frames:
        assert not {"nom", "prenom"} & set(frame.columns)
        text = frame.astype(str).to_string()
        assert "Zébulonne" not in text and "Quasimodo" not in text
    assert data.people["date_naissance"].tolist() == [pd.Timestamp("1990-05-01")]  # for the age


def test_a_line_whose_participant_is_not_listed_is_located(spec: Spec) -> None:
    people = sheet(spec, [PEOPLE, ["P1", "A", "B", "01/05/1990", None]], NEW, "Participants")
    contracts = sheet(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "OP1", "06/01/2025", "01/2025", "7"],
            ["P9", "C2", "OP1", "06/01/2025", "01/2025", "8"],
        ],
        NEW,
        "Contrats",
    )
    data = merged(spec, people, contracts)
    unknown = [(i.sheet, i.row, i.value) for i in data.issues if i.code == "PARTICIPANT_UNKNOWN"]
    assert unknown == [("Contrats", 3, "P9")]
    assert len(data.people) == 2
    assert sorted(data.people["listed"].tolist()) == [False, True]


def test_an_implausible_birth_date_is_reported_and_left_blank(spec: Spec) -> None:
    people = sheet(spec, [PEOPLE, ["P1", "A", "B", "01/01/2015", "BRSA"]], NEW, "Participants")
    contracts = sheet(
        spec, [CONTRACTS, ["P1", "C1", "OP1", "06/01/2025", "01/2025", "7"]], NEW, "Contrats"
    )
    data = merged(spec, people, contracts)
    [issue] = [i for i in data.issues if i.code == "BIRTH_DATE_IMPLAUSIBLE"]
    assert (issue.sheet, issue.row, issue.column) == ("Participants", 2, "Date de naissance")
    assert dict(issue.params)["age"] == "moins de 15 ans"  # 10 on 06/01/2025
    assert data.people["date_naissance"].isna().tolist() == [True]
    assert bool(data.people["pub_BRSA"].iloc[0]) is True  # the rest of the record is kept


def test_more_than_300_hours_in_a_month_for_one_contract_is_a_warning(spec: Spec) -> None:
    contracts = sheet(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "OP1", "06/01/2025", "01/2025", "200"],
            ["P1", "C1", "OP1", "06/01/2025", "01/2025", "150"],
            ["P1", "C1", "OP1", "06/01/2025", "02/2025", "150"],
        ],
        NEW,
        "Contrats",
    )
    data = merged(spec, contracts)
    [issue] = [i for i in data.issues if i.code == "HOURS_MONTH_IMPLAUSIBLE"]
    assert (issue.row, issue.column, issue.severity) == (2, "Heures réalisées", "warning")
    params = dict(issue.params)
    assert (params["hours"], params["month"], params["rows"]) == ("350", "01/2025", "2")
    assert data.lines["hours"].sum() == 500.0  # counted as given


def test_take_reads_stacked_sheets_chunk_by_chunk_in_the_order_asked() -> None:
    """The stacked sheets are an Arrow column of several chunks; rows taken from it come in
    the order asked, missing values kept, whatever chunk they sit in."""
    import numpy as np
    import pyarrow as pa

    from clausekit.pipeline.reconcile import take, take_rows

    chunks = pa.chunked_array([["a0", "a1"], ["b0", None, "b2"], [], ["c0"]])
    column = pd.Series(pd.arrays.ArrowExtensionArray(chunks), name="ids")
    # positions 0-1 in the first chunk, 2-4 in the second, 5 in the last (the third is empty)
    taken = take(column, np.array([5, 0, 3, 2, 5]))
    assert taken.fillna("-").tolist() == ["c0", "a0", "-", "b0", "c0"]
    assert taken.name == "ids" and list(taken.index) == [0, 1, 2, 3, 4]
    assert take(column, np.array([], dtype=np.int64)).tolist() == []
    frame = pd.DataFrame({"ids": column, "n": range(6)}).set_axis(range(10, 16))
    rows = take_rows(frame, np.array([4, 1]))
    assert rows.to_dict("list") == {"ids": ["b2", "a1"], "n": [4, 1]}


def test_issues_come_in_the_order_of_the_steps_though_two_threads_make_them(spec: Spec) -> None:
    """The operations are made in a second thread: their issues still come where a run in
    series puts them — forecast levels first, then the people's (birth dates), then the
    operations' (one id in two territories), then the lines' (participant not listed)."""
    people = sheet(spec, [PEOPLE, ["P1", "A", "B", "01/01/2015", None]], NEW, "Participants")
    lens = sheet(
        spec,
        [
            CONTRACTS,
            ["P1", "C1", "OP1", "06/01/2025", "01/2025", "7"],
            ["P9", "C2", "OP1", "06/01/2025", "01/2025", "8"],
        ],
        NEW,
        "Contrats",
    )
    hours = sheet(
        spec,
        [
            WITH_FORECAST,
            ["P1", "C1", "OP1", "01/2025", "10", "300"],
            ["P1", "C1", "OP1", "02/2025", "10", "250"],
        ],
        NEW,
        "Heures",
    )
    artois = sheet(
        spec,
        [WITH_FORECAST, ["A7", "C1", "OP1", "01/2025", "7", "100"]],
        "Artois/c.xlsx",
        "Heures",
        territory="Artois",
    )
    found = [
        c
        for c in codes(merged(spec, people, lens, hours, artois))
        if c
        in (
            "FORECAST_CONFLICT",
            "BIRTH_DATE_IMPLAUSIBLE",
            "OPERATION_MULTI_TERRITORY",
            "PARTICIPANT_UNKNOWN",
        )
    ]
    assert found == [
        "FORECAST_CONFLICT",
        "BIRTH_DATE_IMPLAUSIBLE",
        "OPERATION_MULTI_TERRITORY",
        "PARTICIPANT_UNKNOWN",
        "PARTICIPANT_UNKNOWN",
    ]


def test_positions_in_finds_each_text_where_get_indexer_does() -> None:
    """The position of each value in a list of distinct texts, -1 where it is absent, a
    missing value found where the list has one: positions written by hand."""
    import pyarrow as pa

    from clausekit.pipeline.reconcile import positions_in

    reference = pd.Index(["T:Lens:7", "a1b2", None, "Hénin"], dtype="string")
    values = pd.Series(["Hénin", "absent", None, "a1b2", "T:Lens:7", "hénin"], dtype="string")
    assert positions_in(values, reference).tolist() == [3, -1, 2, 1, 0, -1]
    stacked = pa.chunked_array([["a1b2"], ["zz", "Hénin"]])  # a stacked Arrow column
    assert positions_in(stacked, reference).tolist() == [1, -1, 3]
    assert positions_in(pd.Series([], dtype="string"), reference).tolist() == []
    assert positions_in(values[:2], pd.RangeIndex(0)).tolist() == [-1, -1]  # no people at all


@pytest.mark.parametrize("size", [0, 1, 32, 64, 65, 200])
def test_person_key_hash_is_hmac_sha256_for_keys_of_any_length(size: int) -> None:
    """The keyed hash with its padded blocks hashed once gives the digests of the standard
    library's HMAC-SHA256 (the oracle), for secrets shorter, as long as and longer than
    SHA-256's 64-byte block, on empty, accented and long messages."""
    import hmac

    from clausekit.pipeline.identity import hmac_sha256

    secret = bytes(range(256))[:size] if size <= 256 else b""
    keyed = hmac_sha256(secret)
    for message in (b"", b"dupont|jean|1990-01-02", "hénin|zoé|".encode(), b"x" * 300):
        assert keyed(message) == hmac.new(secret, message, "sha256").hexdigest()


def test_earliest_date_per_unit_leaves_missing_dates_out() -> None:
    """The earliest date of each unit, worked out by hand: a missing date never wins, a unit
    with only missing dates (or none at all) has none; the unit of the dates is kept."""
    import numpy as np

    from clausekit.pipeline.reconcile import earliest

    dates = np.array(
        ["2001-05-02", "NaT", "1999-12-31", "NaT", "2010-01-01", "2000-01-01"],
        dtype="datetime64[s]",
    )
    unit = np.array([0, 0, 0, 1, 2, 2])
    out = earliest(dates, unit, 4)
    assert out.dtype == np.dtype("datetime64[s]")
    assert [None if np.isnat(d) else str(d)[:10] for d in out] == [
        "1999-12-31",
        None,
        "2000-01-01",
        None,
    ]


def test_duplicate_ids_listed_by_territory_then_id_at_their_first_row() -> None:
    """Ids that name two persons within one territory, worked out by hand: (Lens, P2) and
    (Arras, P1) and (Lens, P1) have two keys each, (Lens, P3) one key on two rows, a row
    without id or without key names nobody; listed Arras/P1, Lens/P1, Lens/P2, each at the
    first row of its id."""
    from clausekit.pipeline.merge import duplicate_ids

    rows = [  # territory, id, key, spreadsheet row
        ("Lens", "P2", "k1", 2),
        ("Lens", "P1", "k2", 3),
        ("Arras", "P1", "k3", 4),
        ("Lens", "P2", "k4", 5),
        ("Lens", "P3", "k5", 6),
        ("Lens", "P3", "k5", 7),
        ("Arras", "P1", "k6", 8),
        ("Lens", "P1", "k7", 9),
        ("Lens", None, "k8", 10),
        ("Lens", None, "k9", 11),
        ("Lens", "P4", None, 12),
        ("Lens", "P4", "k10", 13),
    ]
    parts = pd.DataFrame(
        {
            "territory": pd.Series([r[0] for r in rows], dtype="string"),
            "participant_id": pd.Series([r[1] for r in rows], dtype="string"),
            "person_key": pd.Series([r[2] for r in rows], dtype="string"),
            "_file": "export.xlsx",
            "_sheet": "Participants",
            "_row": [r[3] for r in rows],
        }
    )
    found = duplicate_ids(parts)
    assert [(i.code, i.row, i.value) for i in found] == [
        ("PARTICIPANT_DUPLICATE_ID", 4, "P1"),
        ("PARTICIPANT_DUPLICATE_ID", 3, "P1"),
        ("PARTICIPANT_DUPLICATE_ID", 2, "P2"),
    ]
    assert [i.sheet for i in found] == ["Participants"] * 3


def test_forecast_of_an_operation_comes_from_the_newest_export_holding_it(spec: Spec) -> None:
    """Last month's export had one contract on OP1 (100 h on each of its lines: read as the
    operation's own forecast); this month's has two contracts with 100 and 60 h (read by
    contract). The newest export gives the operation's forecast: 100 + 60 = 160 h, not the
    older 100 h, and not 100 + 100 + 60."""
    old = sheet(
        spec,
        [
            WITH_FORECAST,
            ["P1", "C1", "OP1", "04/2025", "20", "100"],
            ["P1", "C1", "OP1", "05/2025", "10", "100"],
        ],
        OLD,
        "Heures",
    )
    new = sheet(
        spec,
        [
            WITH_FORECAST,
            ["P1", "C1", "OP1", "04/2025", "20", "100"],
            ["P1", "C1", "OP1", "05/2025", "12", "100"],
            ["P2", "C2", "OP1", "06/2025", "8", "60"],
        ],
        NEW,
        "Heures",
    )
    data = merged(spec, old, new)
    assert data.forecast_levels == {(OLD, "Heures"): "operation", (NEW, "Heures"): "contract"}
    assert data.operations.set_index("operation_id")["hours_forecast"].to_dict() == {"OP1": 160.0}
