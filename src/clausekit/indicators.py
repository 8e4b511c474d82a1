"""Stage 5 — indicators: the Département's tables computed from the merged dataset.

Counting rules (DOMAIN.md §5): a person counts once in a total and once in each group of a
breakdown; forecast hours belong to the operation and are summed once per operation; realised
hours are summed from the hours lines of the period, by the month they were worked; "under 26"
means strictly younger than 26 on the start of the person's first contract in the period.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from clausekit.exits import (
    best_outcome,
    classify_exits,
    duration_from_dates,
    exit_summary,
    load_contract_rules,
)
from clausekit.merge import LINE_COLUMNS, Dataset
from clausekit.parse import normalise_text
from clausekit.settings import Settings
from clausekit.spec import Spec

UNKNOWN = "(non renseigné)"
UNKNOWN_CLAUSE = "NON_RECONNU"
UNKNOWN_MODE = "NON_RENSEIGNE"
OTHER_PROGRAMME = "Autres"
STAT_KEYS = (
    "hours_forecast",
    "hours_realised",
    "realisation_rate",
    "etp",
    "participants",
    "participants_brsa",
    "participants_under_26",
    "participants_ase",
    "contracts",
    "operations",
    "companies",
)


def clause_codes(labels: pd.Series, spec: Spec) -> pd.Series:
    """Clause-type codes (a list per label) recognised from free text by schemas/ patterns."""
    norm = normalise_text(labels.astype("string"))
    compiled = [(t.code, [re.compile(p) for p in t.patterns]) for t in spec.clause_types]
    decoded: dict[Any, list[str]] = {}
    for text in norm.dropna().unique():
        codes = [code for code, pats in compiled if any(p.search(str(text)) for p in pats)]
        decoded[text] = codes or [UNKNOWN_CLAUSE]
    return norm.map(
        lambda t: decoded.get(t, [UNKNOWN_CLAUSE]) if isinstance(t, str) else [UNKNOWN_CLAUSE]
    )


def execution_modes(lines: pd.DataFrame, spec: Spec) -> pd.Series:
    """How each line carried the clause out: from « Modalité » text, else the employer type."""
    text = normalise_text(lines["modalite"].astype("string"))
    compiled = [(m.code, [re.compile(p) for p in m.patterns]) for m in spec.execution_modes]
    decoded: dict[Any, Any] = {}
    for value in text.dropna().unique():
        found = [code for code, pats in compiled if any(p.search(str(value)) for p in pats)]
        decoded[value] = found[0] if found else None
    by_text = text.map(decoded, na_action="ignore").astype("string")
    employer = {e: m.code for m in spec.execution_modes for e in m.employers}
    by_employer = lines["type_employeur"].astype("string").map(employer, na_action="ignore")
    return by_text.fillna(by_employer).fillna(UNKNOWN_MODE).astype("string")


def programmes(donneurs: pd.Series, settings: Settings) -> pd.Series:
    """Programme of each contracting authority (settings.programmes), else « Autres »."""
    norm = normalise_text(donneurs.astype("string")).fillna("")
    out = pd.Series(OTHER_PROGRAMME, index=donneurs.index, dtype="string")
    for name, members in reversed(settings.programmes):
        for member in members:
            needle = normalise_text(pd.Series([member])).iloc[0]
            hit = norm.str.contains(rf"\b{re.escape(needle)}\b", regex=True)
            out = out.mask(hit, name)
    return out


def age_on(birth: pd.Series, ref: pd.Series) -> pd.Series:
    """Whole years between birth and ref (birthday not yet reached → one year less)."""
    b = pd.to_datetime(birth)
    r = pd.to_datetime(ref)
    years = r.dt.year - b.dt.year
    before = (r.dt.month < b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day < b.dt.day))
    return years - before.astype("Int64")


def period_of(lines: pd.DataFrame, settings: Settings) -> tuple[str | None, str | None]:
    months = lines.loc[lines["hours"] > 0, "month"].dropna() if len(lines) else pd.Series()
    start = settings.period_start or (str(months.min()) if len(months) else None)
    end = settings.period_end or (str(months.max()) if len(months) else None)
    return start, end


def _person_attributes(
    people: pd.DataFrame,
    lines: pd.DataFrame,
    settings: Settings,
    start: str | None,
    by: tuple[str, ...] = (),
) -> pd.DataFrame:
    """BRSA / ASE / under-26 flags per person (status at entry; age on the reference date).

    With ``by=("territory",)``, per (territory, person) from that territory's own records and
    contracts: what the territory's facilitator sees in its own ABC Clauses.
    """
    keys = [*by, "person_key"]
    attrs = pd.DataFrame(index=people.index)
    attrs["brsa"] = people["pub_BRSA"].fillna(False).astype(bool)
    attrs["ase"] = people["pub_ASE"].fillna(False).astype(bool)
    worked = lines[lines["hours"] > 0]
    first_month = pd.to_datetime(worked.groupby(keys)["month"].min() + "-01")
    first_start = worked.groupby(keys)["date_debut"].min()
    if settings.age_reference == "period_start" and start:
        ref = pd.Series(pd.Timestamp(start + "-01"), index=people.index)
    else:
        ref = first_start.combine_first(first_month).reindex(people.index)
    age = age_on(people["date_naissance"], ref)
    declared = people["pub_JEUNE_M26"].fillna(False).astype(bool)
    under = (age < settings.age_limit).astype("boolean")
    attrs["under_26"] = under.fillna(declared).astype(bool)
    attrs["age_known"] = age.notna()
    return attrs


def _rate(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _breakdown(
    lines: pd.DataFrame,
    ops: pd.DataFrame,
    attrs: pd.DataFrame,
    keys: list[str],
    settings: Settings,
) -> pd.DataFrame:
    """All the statistics of STAT_KEYS for each group of ``keys`` (empty keys: the total)."""
    group = keys or ["_all"]
    if not keys:
        lines = lines.assign(_all="total")
        ops = ops.assign(_all="total")
    hours = lines.groupby(group, dropna=False)["hours"].sum()
    per_person = lines.groupby([*group, "person_key"], dropna=False)["hours"].sum()
    worked = per_person[per_person >= settings.min_hours_participant].reset_index()
    worked = worked.join(attrs, on=[str(n) for n in attrs.index.names])
    counts = worked.groupby(group, dropna=False).agg(
        participants=("person_key", "nunique"),
        participants_brsa=("brsa", "sum"),
        participants_under_26=("under_26", "sum"),
        participants_ase=("ase", "sum"),
    )
    active = lines[lines["hours"] > 0]  # a contract with no hour in the period is not counted
    contracts = active.groupby(group, dropna=False)["contract_key"].nunique().rename("contracts")
    companies = active.groupby(group, dropna=False)["company"].nunique().rename("companies")
    forecast = ops.groupby(group, dropna=False)["hours_forecast"].sum().rename("hours_forecast")
    op_keys = pd.concat([ops[[*group, "op_key"]], lines[[*group, "op_key"]]]).drop_duplicates()
    operations = op_keys.groupby(group, dropna=False)["op_key"].nunique().rename("operations")
    table = pd.concat(
        [forecast, hours.rename("hours_realised"), counts, contracts, operations, companies],
        axis=1,
    )
    if not keys:  # the total exists even when there is nothing to count
        table = table.reindex(pd.Index(["total"], name="_all"))
    table = table.fillna(0)
    for col in (
        "participants",
        "participants_brsa",
        "participants_under_26",
        "participants_ase",
        "contracts",
        "operations",
        "companies",
    ):
        table[col] = table[col].astype("int64")
    table["realisation_rate"] = [
        _rate(h, f) for h, f in zip(table["hours_realised"], table["hours_forecast"], strict=True)
    ]
    table["etp"] = (table["hours_realised"] / settings.etp_hours).round(2)
    table["hours_forecast"] = table["hours_forecast"].astype(float).round(2)
    table["hours_realised"] = table["hours_realised"].astype(float).round(2)
    return table.reset_index()[[*group, *STAT_KEYS]]


def _records(table: pd.DataFrame, rename: dict[str, str]) -> list[dict[str, Any]]:
    table = table.rename(columns=rename)
    out = []
    for rec in table.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, v in rec.items():
            k = str(key)
            if isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, np.floating):
                v = float(v)
            elif v is pd.NA or (isinstance(v, float) and np.isnan(v) and k != "realisation_rate"):
                v = None
            clean[k] = v
        if clean.get("realisation_rate") is not None and np.isnan(clean["realisation_rate"]):
            clean["realisation_rate"] = None
        out.append(clean)
    return out


def month_range(start: str | None, end: str | None) -> list[str]:
    """Every month from start to end inclusive ("YYYY-MM")."""
    if not start or not end:
        return []
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def _monthly(
    lines: pd.DataFrame, ops: pd.DataFrame, keys: list[str], months: list[str]
) -> list[dict[str, Any]]:
    """Hours per month worked, active participants and the cumulative series against the
    group's forecast (forecast hours once per operation), every month of the period shown."""
    if not months:
        return []
    group = keys or ["_all"]
    if not keys:
        lines = lines.assign(_all="total")
        ops = ops.assign(_all="total")
    hours = lines.groupby([*group, "month"], dropna=False)["hours"].sum()
    active = lines[lines["hours"] > 0].groupby([*group, "month"], dropna=False)["person_key"]
    active_n = active.nunique()
    groups = pd.concat([lines[group], ops[group]]).drop_duplicates()
    grid = groups.merge(pd.DataFrame({"month": months}), how="cross")
    grid = grid.join(hours.rename("hours_realised"), on=[*group, "month"])
    grid = grid.join(active_n.rename("active_participants"), on=[*group, "month"])
    grid = grid.fillna({"hours_realised": 0.0, "active_participants": 0})
    grid = grid.sort_values([*group, "month"], kind="stable")
    grid["cumulative_hours"] = grid.groupby(group, dropna=False)["hours_realised"].cumsum()
    forecast = ops.groupby(group, dropna=False)["hours_forecast"].sum()
    grid = grid.join(forecast.rename("hours_forecast"), on=group)
    grid["hours_forecast"] = grid["hours_forecast"].fillna(0.0)
    grid["cumulative_rate"] = [
        _rate(c, f) for c, f in zip(grid["cumulative_hours"], grid["hours_forecast"], strict=True)
    ]
    for col in ("hours_realised", "cumulative_hours", "hours_forecast"):
        grid[col] = grid[col].astype(float).round(2)
    grid["active_participants"] = grid["active_participants"].astype("int64")
    if not keys:
        grid = grid.drop(columns=["_all"])
    return _records(grid, {})


def _exits(lines: pd.DataFrame, worked: pd.Index) -> dict[str, Any]:
    """Dynamic exits (schemas/exits.toml): each person who worked counts once, with their
    best outcome; the duration comes from the exit text, else the « Durée » column, else the
    dates of the contract line that carries the exit."""
    frame = pd.DataFrame(
        {
            "situation": lines["situation_sortie"].astype("string"),
            "duration_months": pd.to_numeric(lines["duree_mois"], errors="coerce").fillna(
                duration_from_dates(lines["date_debut"], lines["date_fin"])
            ),
        },
        index=lines.index,
    )
    categories = classify_exits(frame)
    best = best_outcome(lines["person_key"], categories)
    summary = exit_summary(best, worked)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}


def compute(data: Dataset, spec: Spec, settings: Settings) -> dict[str, Any]:
    """The report's tables as plain JSON-ready data (see report-contract.md)."""
    lines = data.lines
    start, end = period_of(lines, settings)
    if len(lines) and start and end:
        month = lines["month"]
        inside = ((month >= start) & (month <= end)).fillna(False).astype(bool)
        if not (settings.period_start or settings.period_end):
            inside |= month.isna()  # no period asked: hours without a month still count
        lines = lines[inside]
    lines = lines[lines["work"].astype(bool)] if len(lines) else lines
    lines = lines[[c for c in LINE_COLUMNS if c in lines]].copy()  # narrow: filters copy rows
    for key in ("person_key", "contract_key", "company"):
        # integer-coded keys: every group-by and distinct count factorizes them otherwise
        lines[key] = lines[key].astype("category")
    ops = data.operations.copy()
    ops["op_key"] = ops["territory"].astype("string") + "/" + ops["operation_id"].astype("string")
    ops["donneur_ordre"] = ops["donneur_ordre"].fillna(UNKNOWN)
    ops["operation"] = ops["operation_libelle"].fillna(ops["operation_id"]).astype("string")
    ops["clause_codes"] = clause_codes(ops["type_clause"], spec)
    ops["programme"] = programmes(ops["donneur_ordre"], settings)
    lines["op_key"] = (
        lines["territory"].astype("string") + "/" + lines["operation_id"].astype("string")
    )
    op_attrs = ops.set_index("op_key")[["donneur_ordre", "operation", "programme"]]
    if len(lines) and len(op_attrs):
        lines = lines.join(op_attrs, on="op_key")
    else:  # (an Arrow join of two empty keys has no type to agree on)
        lines = lines.assign(
            **{c: pd.Series(pd.NA, index=lines.index, dtype="string") for c in op_attrs.columns}
        )
    lines["donneur_ordre"] = lines["donneur_ordre"].fillna(UNKNOWN)
    lines["programme"] = lines["programme"].fillna(OTHER_PROGRAMME)
    lines["operation"] = lines["operation"].fillna(lines["operation_id"]).fillna(UNKNOWN)
    attrs = _person_attributes(data.people, lines, settings, start)

    totals = _breakdown(lines, ops, attrs, [], settings)
    local_people = data.people_by_territory.reindex(
        pd.MultiIndex.from_frame(lines[["territory", "person_key"]].drop_duplicates())
    )
    local_people = local_people.fillna(
        {c: False for c in local_people.columns if c.startswith("pub_")}
    )
    local = _person_attributes(local_people, lines, settings, start, by=("territory",))
    by_territory = _breakdown(lines, ops, local, ["territory"], settings)
    by_donneur = _breakdown(lines, ops, attrs, ["donneur_ordre"], settings)
    by_operation = _breakdown(
        lines, ops, attrs, ["territory", "operation_id", "operation", "donneur_ordre"], settings
    )
    ops_x = ops.explode("clause_codes").rename(columns={"clause_codes": "clause_type"})
    # a line counts under each modality of its operation (a contract can combine several)
    op_codes = ops_x[["op_key", "clause_type"]].drop_duplicates()
    lines_x = lines.merge(op_codes, on="op_key", how="left")
    lines_x["clause_type"] = lines_x["clause_type"].fillna(UNKNOWN_CLAUSE)
    by_clause = _breakdown(lines_x, ops_x, attrs, ["clause_type"], settings)
    order = {t.code: i for i, t in enumerate(spec.clause_types)}
    by_clause = by_clause.sort_values("clause_type", key=lambda s: s.map(order).fillna(99))

    # by public: one entry per category met, always BRSA, JEUNE_M26, ASE
    per_person = lines.groupby("person_key")["hours"].sum()
    worked = per_person[per_person >= settings.min_hours_participant]
    flags = data.people.reindex(worked.index)
    flags["pub_JEUNE_M26"] = attrs["under_26"].reindex(worked.index)
    by_public = []
    for cat in spec.publics:
        member = flags[f"pub_{cat.code}"].fillna(False).astype(bool)
        n = int(member.sum())
        if n or cat.code in ("BRSA", "JEUNE_M26", "ASE"):
            by_public.append(
                {
                    "public": cat.code,
                    "label": cat.label,
                    "participants": n,
                    "hours_realised": round(float(worked[member].sum()), 2),
                }
            )

    months = month_range(start, end)
    monthly = _monthly(lines, ops, [], months)
    monthly_by = {
        "territory": _monthly(lines, ops, ["territory"], months),
        "donneur_ordre": _monthly(lines, ops, ["donneur_ordre"], months),
        "operation": _monthly(lines, ops, ["territory", "operation_id", "operation"], months),
        "programme": _monthly(lines, ops, ["programme"], months),
    }
    by_programme = _breakdown(lines, ops, attrs, ["programme"], settings)
    lines["execution_mode"] = execution_modes(lines, spec)
    no_ops = ops.iloc[0:0].assign(execution_mode=pd.Series(dtype="string"))
    by_mode = _breakdown(lines, no_ops, attrs, ["execution_mode"], settings)
    mode_order = {m.code: i for i, m in enumerate(spec.execution_modes)}
    by_mode = by_mode.sort_values("execution_mode", key=lambda s: s.map(mode_order).fillna(99))
    by_mode = by_mode[["execution_mode", "hours_realised", "participants", "contracts"]]
    contract_rules = load_contract_rules()
    by_contract = _breakdown(
        lines,
        no_ops.assign(contract_type=pd.Series(dtype="string")),
        attrs,
        ["contract_type"],
        settings,
    )
    by_contract = by_contract[by_contract["contracts"] > 0].sort_values(
        ["hours_realised", "contract_type"], ascending=[False, True]
    )
    by_contract.insert(1, "label", by_contract["contract_type"].map(contract_rules.label))
    by_contract = by_contract[
        ["contract_type", "label", "contracts", "hours_realised", "participants"]
    ]
    exits = _exits(lines, worked.index)

    total = _records(totals.drop(columns=["_all"]), {})[0]
    return {
        "period": {"start": start, "end": end},
        "totals": total,
        "by_territory": _records(by_territory, {}),
        "by_donneur_ordre": _records(by_donneur, {}),
        "by_operation": _records(by_operation, {}),
        "by_clause_type": _records(by_clause, {}),
        "by_public": by_public,
        "monthly": monthly,
        "monthly_by_territory": monthly_by["territory"],
        "monthly_by_donneur_ordre": monthly_by["donneur_ordre"],
        "monthly_by_operation": monthly_by["operation"],
        "monthly_by_programme": monthly_by["programme"],
        "by_programme": _records(by_programme, {}),
        "by_execution_mode": _records(by_mode, {}),
        "by_contract_type": _records(by_contract, {}),
        "exits": exits,
        "quality": {
            "participants_age_unknown": int(
                (~attrs["age_known"]).reindex(worked.index).fillna(True).sum()
            ),
            "participants_status_unknown": int(
                (~data.people["listed"].reindex(worked.index).fillna(False).astype(bool)).sum()
            ),
            "possible_duplicates": len(data.duplicates),
            # one key (same name, first name, birth date), several ABC ids: to review
            "duplicate_people": sorted(
                (
                    {"territories": list(row["territories"]), "ids": list(row["ids"])}
                    for _, row in data.duplicates.iterrows()
                ),
                key=lambda d: (d["territories"], d["ids"]),
            ),
        },
    }
