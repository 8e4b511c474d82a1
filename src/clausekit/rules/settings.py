"""Report settings: the counting rules a config file can change (DOMAIN.md §5 defaults)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

AGE_REFERENCES = ("first_contract_start", "period_start")
# at which level the forecast hours of an export are read: decided per sheet from the data
# (auto), or forced: once per operation, or once per contract and summed per operation
FORECAST_LEVELS = ("auto", "operation", "contract")

# Programmes followed "all contracting authorities together" (DOMAIN.md §1): a contracting
# authority belongs to a programme when its name contains one of these names (case, accents
# and punctuation ignored).
DEFAULT_PROGRAMMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ERBM", ("Maisons & Cités", "SIA Habitat", "Pas-de-Calais Habitat")),
    ("CSNE", ("Société du Canal Seine-Nord Europe", "Canal Seine-Nord", "SANEF", "SNCF")),
)


# contract types that are not work (besides contract_types.toml's work_hours = false families)
DEFAULT_NON_WORK = ("stage", "PMSMP", "immersion", "mise en situation")


@dataclass(frozen=True)
class Settings:
    etp_hours: float = 1607.0
    age_reference: str = "first_contract_start"
    age_limit: int = 26  # "under 26": strictly younger than this on the reference date
    min_hours_participant: float = 1.0  # a participant worked at least this many hours
    period_start: str | None = None  # "YYYY-MM"; None: from the data
    period_end: str | None = None
    programmes: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_PROGRAMMES
    # contract types whose hours are not work hours, besides schemas/contract_types.toml's
    # families marked work_hours = false (labels or regular expressions, clausekit.toml)
    non_work_contracts: tuple[str, ...] = DEFAULT_NON_WORK
    forecast_level: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("period_start")
        data.pop("period_end")
        data["programmes"] = {name: list(members) for name, members in self.programmes}
        data["non_work_contracts"] = list(self.non_work_contracts)
        return data
