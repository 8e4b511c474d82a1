"""The vectorised pre-check that spares pandera a clean table never hides a failure: whenever
the pandera schema built from schemas/ finds one, the pre-check says so too (property test on
the contracts table: required id, date bounds, date order, hours and duration bounds)."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pe
from hypothesis import given, settings
from hypothesis import strategies as st

from clausekit.pipeline.validate import _build_pandera_schema, _surely_valid
from clausekit.rules.schemas import load_spec

SPEC = load_spec()
TABLE = SPEC.tables["contrats"]
COLUMNS = ("participant_id", "date_debut", "date_fin", "duree_mois", "heures_realisees")
SCHEMA = _build_pandera_schema("contrats", COLUMNS, SPEC)

ids = st.one_of(st.none(), st.sampled_from(["P1", "P2", "000181"]))
# around the bounds: 1999-12-31 / 2000-01-01 and 2100-12-31 / 2101-01-01
dates = st.one_of(
    st.none(),
    st.sampled_from(["1999-12-31", "2000-01-01", "2025-03-01", "2025-02-28", "2100-12-31"]),
    st.sampled_from(["2101-01-01"]),
)
numbers = st.one_of(st.none(), st.sampled_from([-0.5, 0.0, 7.5, 600.0, 600.5, 10_000.0, 10_001.0]))


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=6))
    rows = [
        {
            "participant_id": draw(ids),
            "date_debut": draw(dates),
            "date_fin": draw(dates),
            "duree_mois": draw(numbers),
            "heures_realisees": draw(numbers),
        }
        for _ in range(n)
    ]
    frame = pd.DataFrame(rows, index=range(5, 5 + n))  # spreadsheet rows, not 0..n
    frame["participant_id"] = frame["participant_id"].astype("string")
    for name in ("date_debut", "date_fin"):
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[s]")
    for name in ("duree_mois", "heures_realisees"):
        frame[name] = frame[name].astype("Float64")
    return frame


def pandera_finds_a_failure(frame: pd.DataFrame) -> bool:
    try:
        SCHEMA.validate(frame, lazy=True)
    except pe.SchemaErrors:
        return True
    return False


@settings(max_examples=200, deadline=None)
@given(frames())
def test_the_precheck_never_passes_what_pandera_refuses(frame: pd.DataFrame) -> None:
    if pandera_finds_a_failure(frame):
        assert not _surely_valid(frame, COLUMNS, TABLE)
    else:
        assert _surely_valid(frame, COLUMNS, TABLE)


def test_each_kind_of_failure_by_hand() -> None:
    clean = pd.DataFrame(
        {
            "participant_id": pd.array(["P1", "P2"], dtype="string"),
            "date_debut": pd.to_datetime(["2025-01-01", "2025-02-01"]).astype("datetime64[s]"),
            "date_fin": pd.to_datetime(["2025-06-30", None]).astype("datetime64[s]"),
            "duree_mois": pd.array([6.0, None], dtype="Float64"),
            "heures_realisees": pd.array([35.0, 0.0], dtype="Float64"),
        }
    )
    assert _surely_valid(clean, COLUMNS, TABLE)
    broken = {
        "participant_id": pd.array(["P1", None], dtype="string"),  # required
        "date_debut": pd.to_datetime(["1999-12-31", "2025-02-01"]).astype("datetime64[s]"),
        "date_fin": pd.to_datetime(["2024-12-31", None]).astype("datetime64[s]"),  # before start
        "duree_mois": pd.array([600.5, None], dtype="Float64"),  # over 600
        "heures_realisees": pd.array([-1.0, 0.0], dtype="Float64"),  # negative
    }
    for name, values in broken.items():
        frame = clean.assign(**{name: values})
        if name == "date_fin":
            frame = frame.assign(date_debut=clean["date_debut"])
        assert pandera_finds_a_failure(frame), name
        assert not _surely_valid(frame, COLUMNS, TABLE), name
