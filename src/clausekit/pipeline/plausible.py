"""Stage 4b — plausibility: checks on the reconciled rows of every territory, before they are
merged, that no single sheet can make on its own.

- **Birth dates** giving an age under 15 or over 80 at the person's first contract (over all
  the person's lines): the date is left blank, the person is kept.
- **Hours in one month** over 300 for one contract, its lines added up once the newest export
  has replaced the older ones: a warning, the hours are counted as given.

Each issue is located at the source row a record came from (its provenance); no name, birth
date or id is copied into a message.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from clausekit.errors import Issue
from clausekit.pipeline.reconcile import at_row, codes_of, earliest, hours_text
from clausekit.pipeline.validate import Validated

AGE_BOUNDS = (15, 80)  # a plausible age at the first contract, in years
MONTH_HOURS_MAX = 300.0  # more hours than this in one month for one contract: implausible
MAX_LISTED = 1000  # issues of one kind listed one by one; the last one counts the rest


def _header_of(validated: list[Validated], field: str, default: str) -> Callable[[pd.Series], str]:
    """The header of ``field`` as written in the sheet a merged record came from."""
    headers = {
        (v.recognised.raw.file, v.recognised.raw.sheet or ""): v.recognised.labels.get(
            field, default
        )
        for v in validated
    }
    return lambda record: headers.get((record["_file"], record["_sheet"]), default)


def check_birth_dates(
    parts: pd.DataFrame, lines: pd.DataFrame, validated: list[Validated]
) -> list[Issue]:
    """A birth date giving an age under 15 or over 80 at the person's first contract is an
    error on its cell: left blank in ``parts`` (age unknown), the person keeps the rest of the
    record. ``lines``: the hours lines, with their territory and month."""
    if not len(parts) or "date_naissance" not in parts or not len(lines):
        return []
    month_codes, months = pd.factorize(lines["month"].astype("string"))  # each month once
    firsts = pd.to_datetime(pd.Series(months, dtype="string") + "-01", errors="coerce")
    by_month = np.append(firsts.to_numpy(dtype="datetime64[s]"), np.datetime64("NaT", "s"))
    start = (
        lines["date_debut"]
        .astype("datetime64[s]")
        .fillna(pd.Series(by_month[month_codes], index=lines.index))
    )
    # the person of each row as an integer, the same in both tables (-1: no id)
    both = [
        pd.concat([parts[c].astype("string"), lines[c].astype("string")], ignore_index=True)
        for c in ("territory", "participant_id")
    ]
    pair = np.where(both[0].notna() & both[1].notna(), codes_of(both), -1)
    part_pair, line_pair = pair[: len(parts)], pair[len(parts) :]
    known = line_pair >= 0
    # each person's first start (NaT: no dated line), read at each participant row
    persons = int(pair.max(initial=0)) + 1  # at least one slot: -1 reads it, then NaT
    first = earliest(start.to_numpy(dtype="datetime64[s]")[known], line_pair[known], persons)
    reference = np.where(part_pair >= 0, first[np.maximum(part_pair, 0)], np.datetime64("NaT"))
    birth = parts["date_naissance"].astype("datetime64[s]")
    age = age_on(birth, pd.Series(reference, index=parts.index, dtype="datetime64[s]"))
    low, high = AGE_BOUNDS
    bad = ((age < low) | (age > high)).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return []
    label = _header_of(validated, "date_naissance", "Date de naissance")
    issues = []
    for position in np.flatnonzero(bad)[:MAX_LISTED]:  # bounded like every cell check
        record = parts.iloc[position]
        years = int(age.iloc[position])
        issues.append(
            at_row(
                "BIRTH_DATE_IMPLAUSIBLE",
                record,
                column=label(record),
                age="moins de 15 ans" if years < low else "plus de 80 ans",
            )
        )
    parts.loc[bad, "date_naissance"] = pd.NaT
    return issues


def age_on(birth: pd.Series, ref: pd.Series) -> pd.Series:
    """Whole years between birth and ref (birthday not yet reached → one year less; NA when
    either is missing)."""
    b = pd.to_datetime(birth)
    r = pd.to_datetime(ref)
    years = r.dt.year - b.dt.year
    before = (r.dt.month < b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day < b.dt.day))
    return years - before.astype("Int64")


def check_month_hours(lines: pd.DataFrame, validated: list[Validated]) -> list[Issue]:
    """More than 300 hours in one month for one contract, its lines added up (after the
    newest export has replaced the older ones): a warning located at the contract-month's
    first line. The hours are counted as given; no id is copied into the message."""
    dated = lines["month"].notna().to_numpy(dtype=bool) if len(lines) else np.zeros(0, bool)
    if not dated.any():
        return []
    key = codes_of([pd.Series(lines["contract_key"]), lines["month"]])
    total = np.bincount(key, weights=lines["hours"].to_numpy(dtype=np.float64))
    count = np.bincount(key)
    over = np.flatnonzero(dated & (total[key] > MONTH_HOURS_MAX))
    if not len(over):
        return []
    _, first = np.unique(key[over], return_index=True)  # first line of each contract-month
    firsts = over[np.sort(first)]
    label = _header_of(validated, "heures_realisees", "Heures réalisées")
    listed = firsts[:MAX_LISTED]
    issues = []
    for n, position in enumerate(listed, 1):
        record = lines.iloc[position]
        rest = len(firsts) - len(listed) if n == len(listed) else 0
        year, month = str(record["month"]).split("-")[:2]
        issues.append(
            at_row(
                "HOURS_MONTH_IMPLAUSIBLE",
                record,
                column=label(record),
                hours=hours_text(float(total[key[position]])),
                month=f"{month}/{year}",
                rows=int(count[key[position]]),
                more=f" ; {rest} autre(s) contrat(s)-mois dépassent aussi 300 h, non listés"
                if rest
                else "",
            )
        )
    return issues
