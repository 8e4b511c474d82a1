"""The rows of the report's tables, from the report dict: codes in words, a total row
(« Ensemble »), figures not stated as « n.r. », programmes in the settings' order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clausekit.output.words import (
    AGE_REFERENCE_LABELS,
    NO_USABLE_EXPORT,
    NOT_AVAILABLE,
    NOT_STATED,
    UNNAMED,
    period_words,
)
from clausekit.rules import labels, metrics
from clausekit.rules.programmes import OTHER_PROGRAMME

EXIT_LABELS = labels.EXIT
STATED_KEYS = ("hours_forecast", "realisation_rate", "cumulative_rate")
TOTAL_LABEL = "Ensemble"


# the code columns of the report's tables, shown as their labels
CODE_COLUMNS = {
    "clause_type": "clause_type",
    "execution_mode": "execution_mode",
    "severity": "severity",
    "kind": "kind",
}


def exit_records(exits: dict[str, Any]) -> list[dict[str, Any]]:
    counts = [exits[k] for k in EXIT_LABELS]
    masked = any(isinstance(c, str) for c in counts)  # --mask-below: no rate from masked cells
    total = 0 if masked else sum(counts)
    return [
        {"exit": label, "people": exits[key], "rate": exits[key] / total if total else None}
        for key, label in EXIT_LABELS.items()
    ]


def stated(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Forecasts of 0 hours and rates without a forecast as « n.r. », never as 0."""
    out = []
    for record in records:
        record = dict(record)
        for key in record.keys() & metrics.UNSTATED_WHEN_ZERO:
            if metrics.stated(key, record[key]) is None:
                record[key] = NOT_STATED
        for key in ("realisation_rate", "cumulative_rate"):
            if key in record and record[key] is None:
                record[key] = NOT_STATED
        out.append(record)
    return out


def territory_name(row: dict[str, Any]) -> str:
    """A territory as a reader sees it: a declared one without usable data says so."""
    name = str(row["territory"] or UNNAMED)
    return f"{name} ({NO_USABLE_EXPORT})" if row.get("usable_export") is False else name


def territory_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of « Par territoire »: a declared territory without usable data named as
    such, its values « n.r. » (never 0); the flags left to the JSON."""
    out = []
    for record in records:
        shown = {k: v for k, v in record.items() if k not in ("usable_export", "status")}
        if record.get("usable_export") is False:
            shown = {k: NOT_STATED for k in shown}
            shown["territory"] = territory_name(record)
        out.append(shown)
    return out


def readable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Codes replaced by their French labels."""
    out = []
    for record in records:
        record = dict(record)
        for key, vocabulary in CODE_COLUMNS.items():
            if key in record:
                record[key] = labels.label(vocabulary, record[key])
        out.append(record)
    return out


def with_total(
    records: list[dict[str, Any]], totals: dict[str, Any], label_key: str
) -> list[dict[str, Any]]:
    """The breakdown and its total row (« Ensemble »: each person once, as in the totals)."""
    if not records:
        return records
    total: dict[str, Any] = {}
    for key in records[0]:
        if key == label_key:
            total[key] = TOTAL_LABEL
        elif key in totals:
            total[key] = totals[key]
        else:
            total[key] = None
    return [*records, total]


def programme_rank(report: dict[str, Any]) -> Callable[[Any], int]:
    """The place of a programme: those of the settings first, in their order (ERBM, CSNE),
    any other after them, « Autres » last."""
    names = list(report["settings"].get("programmes", {}))

    def rank(name: Any) -> int:
        if name in names:
            return names.index(name)
        return len(names) + 1 if name == OTHER_PROGRAMME else len(names)

    return rank


def programme_order(records: list[dict[str, Any]], report: dict[str, Any]) -> list[dict[str, Any]]:
    """Programmes in the order of the settings (ERBM, CSNE…), « Autres » last."""
    rank = programme_rank(report)
    return sorted(records, key=lambda r: (rank(r["programme"]), str(r["programme"])))


def publics(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "public": r["label"],
            "participants": r["participants"],
            "hours_realised": r["hours_realised"],
        }
        for r in report["by_public"]
    ]
    totals = report["totals"]
    return with_total(rows, {"participants": totals["participants"]}, "public")


def contract_types(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "contract_type": r["label"],
            "contracts": r["contracts"],
            "hours_realised": r["hours_realised"],
            "participants": r["participants"],
        }
        for r in report["by_contract_type"]
    ]
    return with_total(rows, report["totals"], "contract_type")


def issue_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("severity", "file", "sheet", "row", "column", "value", "message")
    return readable(
        [
            {k: i.get(k) for k in (*keys, *(("count",) if "count" in i else ()))}
            for i in report["issues"]
        ]
    )


def source_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    keys = (
        "territory",
        "file",
        "sheet",
        "kind",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "hours_rejected",
        "rows_skipped",
    )
    return readable([{k: s.get(k) for k in keys} for s in report["sources"]])


def exit_lines(exits: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Page 1's lines of dynamic exits (people), « n.d. » for a total of masked counts."""
    if not exits:
        return []
    dynamic = [exits["durable"], exits["transition"], exits["positive"]]
    return [
        (
            "Sorties dynamiques (personnes)",
            NOT_AVAILABLE if any(isinstance(v, str) for v in dynamic) else sum(dynamic),
        ),
        ("dont emplois durables", exits["durable"]),
        ("dont emplois de transition", exits["transition"]),
        ("dont sorties positives", exits["positive"]),
    ]


def run_facts(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """What page 1 says below its grid: the period, the settings and the sources."""
    settings = report["settings"]
    sources = report["sources"]
    quality = report.get("quality", {})
    return [
        ("Période", period_words(report["period"])),
        ("Diviseur ETP (heures)", settings["etp_hours"]),
        (
            "Âge apprécié à la date du",
            AGE_REFERENCE_LABELS.get(settings["age_reference"], settings["age_reference"]),
        ),
        ("Heures minimum pour être participant", settings["min_hours_participant"]),
        *(
            (
                "Territoire déclaré sans donnée utilisable",
                f"{d['territory']} : {d['label']}",
            )
            for d in report.get("territories_declared", [])
            if d["status"] != "used"
        ),
        ("Feuilles lues", len(sources)),
        ("Lignes lues", sum(s["rows_read"] for s in sources)),
        ("Lignes rejetées", sum(s["rows_rejected"] for s in sources)),
        (
            "Heures des lignes rejetées (non comptées)",
            round(sum(s.get("hours_rejected") or 0 for s in sources), 2),
        ),
        ("Participants sans âge connu", quality.get("participants_age_unknown")),
        (
            "Participants absents des tables participants",
            quality.get("participants_status_unknown"),
        ),
        ("Doublons possibles de personnes", quality.get("possible_duplicates")),
        ("Version de clausekit", report["clausekit_version"]),
    ]
