"""Stage 4 — merge: stack the accepted rows of every territory with their provenance,
assign territories, identify people across territories and build the three tables the
indicators need: ``people``, ``lines`` (hours) and ``operations``.

People are identified by a keyed hash (HMAC-SHA256) of normalised name, first name and birth
date; names are dropped as soon as the key is made. Within a territory, the ABC participant id
identifies a person.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from clausekit.errors import Issue, make_issue
from clausekit.exits import UNRECOGNISED, ContractRules, contract_family, load_contract_rules
from clausekit.parse import normalise_text
from clausekit.spec import Spec
from clausekit.validate import Validated

PROVENANCE_TEXT = ("_file", "_sheet", "_territory_hint")
LINE_COLUMNS = (
    "territory",
    "person_key",
    "contract_key",
    "operation_id",
    "month",
    "hours",
    "work",
    "company",
    "date_debut",
    "date_fin",
    "duree_mois",
    "situation_sortie",
    "type_employeur",
    "modalite",
    "contract_type",
    "type_contrat",
)


@dataclass
class Dataset:
    people: pd.DataFrame  # index person_key: birth_date, first names dropped, pub_* flags
    lines: pd.DataFrame  # one row per hours line; contract_key, company: integer codes (-1: none)
    operations: pd.DataFrame  # one row per (territory, operation_id)
    issues: list[Issue] = field(default_factory=list)
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)  # possible duplicate people
    # the same flags as each territory recorded them: index (territory, person_key)
    people_by_territory: pd.DataFrame = field(default_factory=pd.DataFrame)


NUMERIC_COLUMNS = ("heures_realisees", "heures_prevues", "duree_mois")


def _empty_column(name: str, index: pd.Index) -> pd.Series:
    """An all-missing column typed like the column it stands for (joins need equal types)."""
    if name.startswith("date"):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
    if name in NUMERIC_COLUMNS:
        return pd.Series(float("nan"), index=index, dtype="float64")
    return pd.Series(pd.NA, index=index, dtype=pd.ArrowDtype(pa.string()))


def _at_row(code: str, record: pd.Series, **params: Any) -> Issue:
    """An issue located at the source row a merged record came from (its provenance)."""
    return make_issue(
        code, file=record["_file"], sheet=record["_sheet"], row=int(record["_row"]), **params
    )


def _shared_operations(operations: pd.DataFrame) -> list[Issue]:
    """The same operation id and contracting authority in several territories: its forecast
    is counted once per territory; say so, the user decides whether that is one operation."""
    keyed = operations.assign(
        _who=operations["donneur_ordre"].astype("string").fillna(""),
    )
    spread = keyed.groupby(["operation_id", "_who"])["territory"].agg(lambda t: sorted(set(t)))
    return [
        make_issue(
            "OPERATION_MULTI_TERRITORY",
            value=str(key[0]),  # type: ignore[index]
            territories=", ".join(territories),
        )
        for key, territories in spread.items()
        if len(territories) > 1
    ]


def _stack(validated: list[Validated], kind: str) -> pd.DataFrame:
    frames = [v.tables[kind] for v in validated if kind in v.tables and len(v.tables[kind])]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _territory(frame: pd.DataFrame, territories: dict[str, str] | None) -> pd.Series:
    """Territory column > config (by file) > folder/file name."""
    hint = frame["_territory_hint"]
    if territories:
        hint = frame["_file"].map(territories).fillna(hint)
    if "territoire" in frame:
        return frame["territoire"].fillna(hint).astype("string")
    return hint.astype("string")


def person_keys(frame: pd.DataFrame, secret: bytes) -> pd.Series:
    """HMAC-SHA256 of normalised name|first name|birth date; NA when one of them is missing."""
    parts = pd.DataFrame(
        {
            "nom": normalise_text(frame["nom"].astype("string")) if "nom" in frame else pd.NA,
            "prenom": normalise_text(frame["prenom"].astype("string"))
            if "prenom" in frame
            else pd.NA,
            "naissance": _format_dates(frame["date_naissance"], "%Y-%m-%d")
            if "date_naissance" in frame
            else pd.NA,
        },
        index=frame.index,
    )
    complete = parts.notna().all(axis=1) & (parts["nom"] != "")
    joined = (
        parts["nom"].astype("string")
        + "|"
        + parts["prenom"].astype("string")
        + "|"
        + parts["naissance"].astype("string")
    )
    codes, uniques = pd.factorize(joined[complete])
    digests = [hmac.digest(secret, str(u).encode("utf-8"), "sha256").hex()[:24] for u in uniques]
    keys = np.full(len(frame), None, dtype=object)
    keys[complete.to_numpy(dtype=bool)] = np.asarray(digests, dtype=object)[codes]
    return pd.Series(keys, index=frame.index, dtype="string")


def _local_key(frame: pd.DataFrame) -> pd.Series:
    return ("T:" + frame["territory"].astype("string") + ":" + frame["participant_id"]).astype(
        "string"
    )


def _combined_codes(columns: list[pd.Series]) -> npt.NDArray[np.int64]:
    """One integer per distinct combination of the columns' values (missing is a value),
    numbered from 0 in order of first appearance."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        code, _ = pd.factorize(code * (len(uniques) + 1) + codes)
    return code.astype(np.int64, copy=False)


def _format_dates(dates: pd.Series, fmt: str) -> pd.Series:
    """``dates.dt.strftime(fmt)`` computed once per distinct date (NA for missing)."""
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    texts = pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object)
    texts = np.append(texts, np.array([None], dtype=object))  # code -1 takes the last: None
    return pd.Series(texts[codes], index=dates.index, dtype="string")


def _company_codes(lines: pd.DataFrame) -> npt.NDArray[np.int64]:
    """The company of each line as an integer (-1: unknown): its SIRET, else its normalised
    name; a SIRET and a name written the same are the same company."""
    siret, sirets = pd.factorize(lines["siret"].astype("string"), use_na_sentinel=True)
    name, names = pd.factorize(lines["entreprise"].astype("string"), use_na_sentinel=True)
    values = pd.concat(
        [
            pd.Series(sirets, dtype="string"),
            normalise_text(pd.Series(names, dtype="string")),
        ],
        ignore_index=True,
    )
    value_codes, _ = pd.factorize(values.mask(values == ""), use_na_sentinel=True)
    by_siret = np.append(value_codes[: len(sirets)], -1)[siret]  # code -1 takes the last: -1
    by_name = np.append(value_codes[len(sirets) :], -1)[name]
    return np.where(siret >= 0, by_siret, by_name).astype(np.int64)


def _line_people(
    lines: pd.DataFrame, parts: pd.DataFrame
) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    """The person key of each hours line, from the participants sheet of its territory (the
    first row of its participant id), and which lines have no such participant."""
    both = [
        pd.concat([parts[c].astype("string"), lines[c].astype("string")], ignore_index=True)
        for c in ("territory", "participant_id")
    ]
    pair = _combined_codes(both)
    part_pair, line_pair = pair[: len(parts)], pair[len(parts) :]
    first_row = np.full(int(pair.max(initial=-1)) + 1, -1, dtype=np.int64)
    distinct, first = np.unique(part_pair, return_index=True)
    first_row[distinct] = first
    row = first_row[line_pair]
    unknown = row < 0
    keys = pa.array(parts["person_key"].astype("string").array).take(pa.array(row, mask=unknown))
    return pd.Series(pd.arrays.ArrowExtensionArray(keys), index=lines.index), unknown


def merge(
    validated: list[Validated],
    spec: Spec,
    *,
    secret: bytes | None = None,
    territories: dict[str, str] | None = None,
    contract_rules: ContractRules | None = None,
    non_work_pattern: str | None = None,
) -> Dataset:
    """Merge all accepted rows into people, lines and operations."""
    secret = secret or secrets.token_bytes(32)  # keys live only for this run by default
    issues: list[Issue] = []
    pub_cols = [f"pub_{c}" for c in spec.public_codes]

    # ---- people
    parts = _stack(validated, "participants")
    if len(parts):
        parts["territory"] = _territory(parts, territories)
        parts["person_key"] = person_keys(parts, secret).fillna(_local_key(parts))
        for col in ("date_naissance", *pub_cols):
            if col not in parts:
                parts[col] = pd.NaT if col == "date_naissance" else False
        # within a territory the id identifies the person: first identity wins
        ident = parts.drop_duplicates(["territory", "participant_id"], keep="first")
        conflicts = parts.groupby(["territory", "participant_id"])["person_key"].nunique()
        first_rows = ident.set_index(["territory", "participant_id"])
        for pair in conflicts[conflicts > 1].index:  # first row of each id: no per-id scan
            first = first_rows.loc[pair]
            issues.append(_at_row("PARTICIPANT_DUPLICATE_ID", first, value=str(pair[1])))
        flags = parts.groupby("person_key")[pub_cols].any()
        birth = parts.groupby("person_key")["date_naissance"].min()
        people = flags.join(birth)
        people["listed"] = True
        local = parts.groupby(["territory", "person_key"])
        people_by_territory = local[pub_cols].any().join(local["date_naissance"].min())
        # possible duplicates for review: one key, several ids
        id_counts = ident.groupby("person_key")["participant_id"].nunique()
        several = ident[ident["person_key"].isin(id_counts.index[id_counts > 1])]
        duplicates = several.groupby("person_key").agg(
            ids=("participant_id", lambda s: sorted(set(s))),
            territories=("territory", lambda s: sorted(set(s))),
        )
        for _key, row in duplicates.iterrows():
            if len(row["territories"]) == 1:
                issues.append(
                    make_issue(
                        "PERSON_DUPLICATE_SUSPECT",
                        value=", ".join(row["ids"]),
                        file=None,
                        sheet=row["territories"][0],
                    )
                )
    else:
        people = pd.DataFrame(columns=[*pub_cols, "date_naissance", "listed"])
        people_by_territory = pd.DataFrame(
            columns=[*pub_cols, "date_naissance"],
            index=pd.MultiIndex.from_tuples([], names=["territory", "person_key"]),
        )
        duplicates = pd.DataFrame(columns=["ids", "territories"])

    # ---- operations (forecast hours once per operation, never per row)
    ops_rows = _stack(validated, "operations")
    if len(ops_rows):
        ops_rows["territory"] = _territory(ops_rows, territories)
        for col in ("operation_libelle", "donneur_ordre", "type_clause", "heures_prevues"):
            if col not in ops_rows:
                ops_rows[col] = _empty_column(col, ops_rows.index)
        grouped = ops_rows.groupby(["territory", "operation_id"], sort=True)
        operations = grouped.agg(
            operation_libelle=("operation_libelle", "first"),
            donneur_ordre=("donneur_ordre", "first"),
            type_clause=("type_clause", "first"),
            hours_forecast=("heures_prevues", "max"),
        )
        distinct = grouped["heures_prevues"].nunique()
        for pair in distinct[distinct > 1].index:
            terr, op = pair
            vals = sorted(grouped.get_group((terr, op))["heures_prevues"].dropna().unique())
            first = grouped.get_group((terr, op)).iloc[0]
            values = " ; ".join(f"{v:g}" for v in vals)
            issues.append(_at_row("FORECAST_CONFLICT", first, value=str(op), values=values))
        operations = operations.reset_index()
        issues.extend(_shared_operations(operations))
    else:
        operations = pd.DataFrame(
            columns=[
                "territory",
                "operation_id",
                "operation_libelle",
                "donneur_ordre",
                "type_clause",
                "hours_forecast",
            ]
        )

    # ---- hours lines
    lines = _stack(validated, "contrats")
    if not len(lines):  # no hours at all: the same columns, no rows, so every table is empty
        text = pd.ArrowDtype(pa.string())
        lines = pd.DataFrame(
            {c: pd.Series(dtype=text) for c in ("participant_id", *PROVENANCE_TEXT)}
            | {"_row": pd.Series(dtype="int64")}
        )
    lines["territory"] = _territory(lines, territories)
    for col in (
        "contrat_id",
        "operation_id",
        "entreprise",
        "siret",
        "type_contrat",
        "date_debut",
        "date_fin",
        "mois",
        "heures_realisees",
        "situation_sortie",
        "type_employeur",
        "modalite",
        "duree_mois",
    ):
        if col not in lines:  # a column the export lacks: empty, with the dtype it would have
            lines[col] = _empty_column(col, lines.index)
    if len(parts):
        person_key, unknown = _line_people(lines, parts)
    else:
        person_key = pd.Series(pd.NA, index=lines.index, dtype="string")
        unknown = np.ones(len(lines), dtype=bool)
    if unknown.any() and len(parts):
        firsts = lines[unknown].drop_duplicates(["territory", "participant_id"])
        for _, row in firsts.head(1000).iterrows():
            issues.append(_at_row("PARTICIPANT_UNKNOWN", row, value=str(row["participant_id"])))
    if unknown.any():
        person_key[unknown] = _local_key(lines[unknown])
    lines["person_key"] = person_key.astype("string")
    start_month = _format_dates(lines["date_debut"], "%Y-%m")
    lines["month"] = lines["mois"].astype("string").fillna(start_month)
    lines["hours"] = pd.to_numeric(lines["heures_realisees"]).fillna(0.0).astype("float64")
    rules = contract_rules or load_contract_rules()
    kinds, distinct_kinds = pd.factorize(lines["type_contrat"].astype("string"))
    kind_values = pd.Series(distinct_kinds, dtype="string")
    family = contract_family(kind_values, rules)["family"].fillna(UNRECOGNISED)
    work = ~family.isin(rules.non_work_families).to_numpy(dtype=bool)
    if non_work_pattern:  # the config's extra non-work contract types
        extra = normalise_text(kind_values).str.contains(non_work_pattern, regex=True)
        work &= ~extra.fillna(False).to_numpy(dtype=bool)
    # decided once per distinct text; lines without a contract type: unrecognised, work
    family_codes, families = pd.factorize(pd.concat([family, pd.Series([UNRECOGNISED])]))
    lines["contract_type"] = pd.Categorical.from_codes(
        family_codes[kinds], categories=families.astype(str)
    )
    lines["work"] = np.append(work, UNRECOGNISED not in rules.non_work_families)[kinds]
    # a contract: its id within the territory, else its participant, operation and start
    by_id = _combined_codes([lines["territory"], lines["contrat_id"]])
    by_line = _combined_codes(
        [lines[c] for c in ("territory", "participant_id", "operation_id", "date_debut")]
    )
    lines["contract_key"] = np.where(
        lines["contrat_id"].notna().to_numpy(dtype=bool),
        by_id,
        int(by_id.max(initial=0)) + 1 + by_line,
    )
    lines["company"] = _company_codes(lines)
    # people who appear only in contracts still exist, with unknown age and status
    missing = pd.Index(lines["person_key"].unique()).difference(people.index)
    if len(missing):
        unlisted = pd.DataFrame(False, index=missing, columns=[*pub_cols, "listed"])
        unlisted.insert(
            len(pub_cols), "date_naissance", pd.Series(pd.NaT, index=missing, dtype="datetime64[s]")
        )
        people = pd.concat([people, unlisted]) if len(people) else unlisted
    # only what the indicators use: names never leave this function, and a narrow frame
    # keeps a million lines small
    lines = lines[[c for c in LINE_COLUMNS if c in lines]]
    people.index.name = "person_key"
    return Dataset(
        people=people,
        lines=lines,
        operations=operations,
        issues=issues,
        duplicates=duplicates,
        people_by_territory=people_by_territory,
    )
