"""The report: one JSON-ready dict (report-contract.md) and its French table views, which the
xlsx, csv, markdown and terminal renderings all share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clausekit.rules import labels, metrics
from clausekit.rules.metrics import KIND_FORMATS

# column headings: the report's metrics (rules/metrics.py), then every other column
LABELS = {
    **metrics.LABELS,
    "territory": "Territoire",
    "donneur_ordre": "Donneur d'ordre",
    "operation": "Opération",
    "operation_id": "N° opération",
    "clause_type": "Type de clause",
    "public": "Public",
    "month": "Mois",
    "cumulative_hours_with_forecast": "Heures cumulées (opérations avec heures prévues)",
    "active_participants": "Participants actifs",
    "cumulative_hours": "Heures cumulées",
    "file": "Fichier",
    "sheet": "Feuille",
    "kind": "Table",
    "territories": "Territoires",
    "rows_read": "Lignes lues",
    "rows_accepted": "Lignes acceptées",
    "rows_rejected": "Lignes rejetées",
    "rows_skipped": "Lignes ignorées",
    "hours_rejected": "Heures des lignes rejetées",
    "code": "Code",
    "severity": "Gravité",
    "row": "Ligne",
    "column": "Colonne",
    "value": "Valeur",
    "message": "Message",
    "reasons": "Motifs",
    "field": "Champ de clausekit",
    "rule": "Reconnue par",
    "ids": "Identifiants ABC Clauses",
    "programme": "Programme",
    "execution_mode": "Modalité de mise en œuvre",
    "cumulative_rate": "Taux cumulé",
    "contract_type": "Type de contrat",
    "exit": "Sortie",
    "people": "Personnes",
    "rate": "Taux",
    "count": "Nombre",
}

# number format per column (Excel format codes; Excel shows them in the user's locale); counts
# are whole numbers, shown as they are
FORMATS = {
    **{m.key: m.number_format for m in metrics.METRICS if m.kind != "count"},
    "cumulative_hours": KIND_FORMATS["hours"],
    "hours_rejected": KIND_FORMATS["hours"],
    "cumulative_hours_with_forecast": KIND_FORMATS["hours"],
    "cumulative_rate": KIND_FORMATS["rate"],
    "rate": KIND_FORMATS["rate"],
}

XLSX_DETAIL_ROWS = 100_000  # detail rows in the xlsx (Excel stops at 1,048,576; csv has all)

FOOTNOTE_PEOPLE = (
    "Une personne compte une fois dans le total et une fois dans chaque ligne d'une "
    "répartition : la somme des lignes peut dépasser le total."
)


@dataclass
class View:
    """One table of the report as people read it."""

    name: str  # sheet / file name
    title: str
    frame: pd.DataFrame  # French column headers
    formats: dict[str, str]  # French header -> number format
    note: str | None = None
    chart: Chart | None = None
    row_formats: list[str | None] | None = None  # a number format per row (page 1's grid)
    total_row: bool = False  # the last row is the breakdown's total (« Ensemble »)


@dataclass(frozen=True)
class Chart:
    """A native Excel chart over columns of the view (French headers)."""

    kind: str  # "bar" | "line"
    title: str
    x: str
    ys: tuple[str, ...]
    y_title: str = ""


def _view(
    name: str,
    title: str,
    records: list[dict[str, Any]],
    note: str | None = None,
    chart: Chart | None = None,
) -> View:
    if records and any(k in records[0] for k in STATED_KEYS):
        records = stated(records)
        note = f"{note} {NOT_STATED_NOTE}" if note else NOT_STATED_NOTE
    frame = pd.DataFrame.from_records(records)
    formats = {LABELS.get(c, c): FORMATS[c] for c in frame.columns if c in FORMATS}
    frame = frame.rename(columns=LABELS)
    total = bool(records) and TOTAL_LABEL in list(records[-1].values())[:1]
    return View(name, title, frame, formats, note, chart, total_row=total)


AGE_REFERENCE_LABELS = {
    "first_contract_start": "début du premier contrat de la période",
    "period_start": "début de la période",
}

EXIT_LABELS = labels.EXIT

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

NOT_AVAILABLE = "n.d."  # a share or rate that masked counts do not allow


def month_words(month: str) -> str:
    """« 2025-06 » in words: « juin 2025 »."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def period_words(period: dict[str, Any]) -> str:
    """The period in words: « janvier à décembre 2025 », « juin 2025 »,
    « novembre 2024 à février 2025 »."""
    start, end = period.get("start"), period.get("end")
    if not start or not end:
        return "période non déterminée (aucune heure réalisée)"
    if start == end:
        return month_words(start)
    if start[:4] == end[:4]:
        return f"{MONTHS[int(start[5:]) - 1]} à {month_words(end)}"
    return f"{month_words(start)} à {month_words(end)}"


def exit_records(exits: dict[str, Any]) -> list[dict[str, Any]]:
    counts = [exits[k] for k in EXIT_LABELS]
    masked = any(isinstance(c, str) for c in counts)  # --mask-below: no rate from masked cells
    total = 0 if masked else sum(counts)
    return [
        {"exit": label, "people": exits[key], "rate": exits[key] / total if total else None}
        for key, label in EXIT_LABELS.items()
    ]


def period_text(period: dict[str, Any]) -> str:
    if not period.get("start"):
        return "période non déterminée (aucune heure réalisée)"
    return f"période {period_words(period)}"


def share(part: Any, whole: Any) -> float | str | None:
    """``part`` / ``whole``: None without participants, « n.d. » when a count is masked."""
    if isinstance(part, str) or isinstance(whole, str):
        return NOT_AVAILABLE
    if part is None or not whole:
        return None
    return part / whole


# the grid of page 1: indicator, key in totals (or a share of its parent), kind of number
GRID_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    row
    for m in metrics.METRICS
    if m.summary
    for row in (
        (m.label, m.key, m.kind),
        *([(m.share, f"share:{m.key}", "rate")] if m.share else []),
    )
)


def grid_value(stats: dict[str, Any], key: str) -> Any:
    """A value of page 1's grid; None where nothing was stated (shown « n.r. »)."""
    if key.startswith("share:"):
        metric = metrics.BY_KEY[key.removeprefix("share:")]
        return share(stats[metric.key], stats[metric.parent or "participants"])
    if key == "hours_forecast" and stats[key] == 0:
        return None  # a forecast nobody stated is not a forecast of 0 hours
    return stats[key]


NOT_STATED = "n.r."
NOT_STATED_NOTE = (
    "n.r. : non renseigné (aucune heure prévisionnelle déclarée, ou aucun participant) — "
    "jamais compté comme zéro."
)
STATED_KEYS = ("hours_forecast", "realisation_rate", "cumulative_rate")


def stated(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Forecasts of 0 hours and rates without a forecast as « n.r. », never as 0."""
    out = []
    for record in records:
        record = dict(record)
        if record.get("hours_forecast") == 0:
            record["hours_forecast"] = NOT_STATED
        for key in ("realisation_rate", "cumulative_rate"):
            if key in record and record[key] is None:
                record[key] = NOT_STATED
        out.append(record)
    return out


def hours_words(value: float) -> str:
    """Hours in French, without decimals: « 12 345 »."""
    return f"{value:,.0f}".replace(",", "\u202f")


RATE_BASIS = "taux calculé sur les opérations dont les heures prévues sont connues"


def rate_basis(stats: dict[str, Any]) -> str | None:
    """« (x h réalisées sur y) » when some realised hours belong to operations without a
    forecast (they are left out of the rate); None when every hour has its forecast."""
    realised = stats.get("hours_realised")
    planned = stats.get("hours_realised_with_forecast")
    if realised is None or planned is None or planned >= realised:
        return None
    return f"{hours_words(planned)} h réalisées sur {hours_words(realised)}"


def rate_note(
    totals: dict[str, Any] | None,
    records: Sequence[dict[str, Any]] = (),
    *keys: str,
) -> str | None:
    """The note that says what the rates are computed over, for the total and for each
    group (``records``, named by the first of ``keys`` they hold) that has a rate and hours
    without a forecast; None when every realised hour has its forecast."""
    parts = []
    total = rate_basis(totals) if totals is not None else None
    if total is not None:
        parts.append(f"ensemble : {total}")
    for record in records:
        found = rate_basis(record)
        if found is not None and record.get("realisation_rate") is not None:
            name = next((record[k] for k in keys if k in record), None)
            parts.append(f"{name or UNNAMED} : {found}")
    if not parts:
        return None
    return f"Taux de réalisation : {RATE_BASIS} ({' ; '.join(parts)})."


UNNAMED = "(non renseigné)"
NO_USABLE_EXPORT = "aucun export exploitable"


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


def grid(report: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, list[Any]]]]:
    """Indicators × territories with a total column: the header and, for each indicator,
    its label, its kind of number and its values (total first). A month read against its
    year has no rate of its own: the rate is the cumulative's."""
    territories = report["by_territory"]
    monthly_run = report.get("year_to_date") is not None
    header = ["Indicateur", "Total", *(territory_name(t) for t in territories)]
    rows = [
        (
            text,
            kind,
            [grid_value(report["totals"], key), *(grid_value(t, key) for t in territories)],
        )
        for text, key, kind in GRID_ROWS
        if not (monthly_run and key == "realisation_rate")
    ]
    return header, rows


def summary_frame(report: dict[str, Any]) -> pd.DataFrame:
    """Page 1: the indicators × territories grid, then the period, the settings and the
    sources behind them (their values in the « Total » column)."""
    settings = report["settings"]
    period = report["period"]
    sources = report["sources"]
    quality = report.get("quality", {})
    header, rows = grid(report)
    width = len(header) - 1
    records: list[list[Any]] = [
        [text, *(NOT_STATED if v is None else v for v in values)] for text, _, values in rows
    ]
    exits = report.get("exits")
    extra: list[tuple[str, Any]] = []
    if exits:
        dynamic = [exits["durable"], exits["transition"], exits["positive"]]
        extra += [
            (
                "Sorties dynamiques (personnes)",
                NOT_AVAILABLE if any(isinstance(v, str) for v in dynamic) else sum(dynamic),
            ),
            ("dont emplois durables", exits["durable"]),
            ("dont emplois de transition", exits["transition"]),
            ("dont sorties positives", exits["positive"]),
        ]
    extra += [
        ("", None),
        ("Période", period_words(period)),
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
    records += [[text, value, *([None] * (width - 1))] for text, value in extra]
    return pd.DataFrame(records, columns=header)


def summary_row_formats(frame: pd.DataFrame) -> list[str | None]:
    """The number format of each row of :func:`summary_frame`."""
    kinds = {text: kind for text, _, kind in GRID_ROWS}
    out: list[str | None] = []
    for text, value in zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True):
        kind = kinds.get(str(text))
        if kind is not None:
            out.append(KIND_FORMATS[kind])
        elif isinstance(value, float):
            out.append("#,##0.00")
        else:
            out.append(None)
    return out


# the code columns of the report's tables, shown as their labels
CODE_COLUMNS = {
    "clause_type": "clause_type",
    "execution_mode": "execution_mode",
    "severity": "severity",
    "kind": "kind",
}

TOTAL_LABEL = "Ensemble"


def _readable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


MONTH_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


def programme_of_operations(report: dict[str, Any]) -> dict[tuple[Any, Any], str]:
    """(territory, operation id) → programme, from the contracting authority's name."""
    from clausekit.rules.programmes import programmes
    from clausekit.rules.settings import Settings

    named = report["settings"].get("programmes", {})
    settings = Settings(programmes=tuple((k, tuple(v)) for k, v in named.items()))
    ops = report["by_operation"]
    found = programmes(pd.Series([o["donneur_ordre"] for o in ops], dtype="string"), settings)
    return {
        (o["territory"], o["operation_id"]): str(p)
        for o, p in zip(ops, found.tolist(), strict=True)
    }


def programme_rank(report: dict[str, Any]) -> Callable[[Any], int]:
    """The place of a programme: those of the settings first, in their order (ERBM, CSNE),
    any other after them, « Autres » last."""
    names = list(report["settings"].get("programmes", {}))

    def rank(name: Any) -> int:
        if name in names:
            return names.index(name)
        return len(names) + 1 if name == OTHER_PROGRAMME else len(names)

    return rank


OTHER_PROGRAMME = "Autres"
GRID_HOURS = "#,##0"


def _monthly_grid(
    rows: list[dict[str, Any]],
    label_of: Callable[[dict[str, Any]], tuple[Any, ...]],
    sort_key: Callable[[tuple[Any, ...]], Any],
    label_columns: list[str],
) -> tuple[pd.DataFrame, list[str | None]]:
    """Groups × months: for each group its hours per month, their cumulative and the share
    of its forecast the cumulative reaches (« n.r. » without a forecast); a Total column."""
    months = sorted({r["month"] for r in rows})
    heads = [f"{MONTH_SHORT[int(m[5:]) - 1]} {m[:4]}" for m in months]
    groups: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(label_of(r), {})[r["month"]] = r
    records: list[list[Any]] = []
    formats: list[str | None] = []
    for key in sorted(groups, key=sort_key):
        per = groups[key]
        forecast = next(iter(per.values())).get("hours_forecast") or 0
        hours = [per[m]["hours_realised"] if m in per else 0.0 for m in months]
        cumulative = [per[m]["cumulative_hours"] if m in per else None for m in months]
        rates = [
            NOT_STATED
            if m not in per or per[m]["cumulative_rate"] is None
            else per[m]["cumulative_rate"]
            for m in months
        ]
        planned = f"{hours_words(forecast)} h" if forecast else "non renseignées"
        records += [
            [*key, "Heures réalisées", *hours, round(sum(hours), 2)],
            [*key, "Heures cumulées", *cumulative, None],
            [*key, f"% des heures prévues ({planned})", *rates, None],
        ]
        formats += [GRID_HOURS, GRID_HOURS, "0.0%"]
    frame = pd.DataFrame(records, columns=[*label_columns, "Indicateur", *heads, "Total"])
    return frame, formats


def monthly_grid_views(report: dict[str, Any]) -> list[View]:
    """The monthly follow-up as grids, programme × months and operation × months (on the
    cumulative since January in a monthly run): ERBM and CSNE first, « Autres » last."""
    source = {**report, **report.get("year_to_date", {})}
    rank = programme_rank(report)
    period = period_words(source["period"])
    of_op = programme_of_operations(source)
    note = (
        "Cumul depuis le début de la période ; % : cumul des opérations dont les heures "
        "prévues sont connues, rapporté à ces heures. n.r. : non renseigné."
    )
    programmes, programme_formats = _monthly_grid(
        source["monthly_by_programme"],
        lambda r: (r["programme"],),
        lambda k: (rank(k[0]), str(k[0])),
        ["Programme"],
    )

    def operation(r: dict[str, Any]) -> tuple[Any, ...]:
        programme = of_op.get((r["territory"], r["operation_id"]), OTHER_PROGRAMME)
        label = r["operation"] or r["operation_id"] or UNNAMED
        return (programme, r["territory"] or UNNAMED, label)

    operations, operation_formats = _monthly_grid(
        source["monthly_by_operation"],
        operation,
        lambda k: (rank(k[0]), str(k[0]), str(k[1]), str(k[2])),
        ["Programme", "Territoire", "Opération"],
    )
    return [
        View(
            "Mensuel programme",
            f"Suivi mensuel par programme — {period}",
            programmes,
            {},
            note,
            row_formats=programme_formats,
        ),
        View(
            "Mensuel opération",
            f"Suivi mensuel par opération — {period}",
            operations,
            {},
            note,
            row_formats=operation_formats,
        ),
    ]


def programme_order(records: list[dict[str, Any]], report: dict[str, Any]) -> list[dict[str, Any]]:
    """Programmes in the order of the settings (ERBM, CSNE…), « Autres » last."""
    rank = programme_rank(report)
    return sorted(records, key=lambda r: (rank(r["programme"]), str(r["programme"])))


def _publics(report: dict[str, Any]) -> list[dict[str, Any]]:
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


def _contract_types(report: dict[str, Any]) -> list[dict[str, Any]]:
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


def _issues(report: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("severity", "file", "sheet", "row", "column", "value", "message")
    return _readable(
        [
            {k: i.get(k) for k in (*keys, *(("count",) if "count" in i else ()))}
            for i in report["issues"]
        ]
    )


def _sources(report: dict[str, Any]) -> list[dict[str, Any]]:
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
    return _readable([{k: s.get(k) for k in keys} for s in report["sources"]])


def rejects_frame(rejects: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows as a person reads them: French headers, reasons in words."""
    frame = rejects.copy()
    if "reasons" in frame:
        frame["reasons"] = frame["reasons"].map(labels.reasons_text)
    return frame.rename(columns=LABELS)


def views(
    report: dict[str, Any],
    rejects: pd.DataFrame | None = None,
    evolution: tuple[str, str, pd.DataFrame] | None = None,
) -> list[View]:
    """The report's tables in reading order: the bilan first, in the document's order, then
    the data-quality sheets (``evolution``: previous period, this period and the
    month-over-month changes from the history database)."""
    period = report["period"]
    totals = report["totals"]
    summary = summary_frame(report)

    def people_and_rates(records: list[dict[str, Any]], key: str) -> str:
        """The notes of a breakdown with rates: people counted once per group, and what the
        rates are computed over."""
        return " ".join(n for n in (FOOTNOTE_PEOPLE, rate_note(totals, records, key)) if n)

    out = [
        View(
            "Synthèse",
            f"Bilan des clauses d'insertion — {period_text(period)}",
            summary,
            {},
            " ".join(
                n
                for n in (
                    FOOTNOTE_PEOPLE,
                    NOT_STATED_NOTE,
                    rate_note(totals, report["by_territory"], "territory"),
                )
                if n
            ),
            row_formats=summary_row_formats(summary),
        ),
        _view(
            "Par territoire",
            "Par territoire",
            with_total(territory_rows(report["by_territory"]), totals, "territory"),
            people_and_rates(report["by_territory"], "territory"),
        ),
        _view(
            "Par programme",
            "Par programme (tous donneurs d'ordre confondus : ERBM, CSNE…)",
            with_total(programme_order(report["by_programme"], report), totals, "programme"),
            people_and_rates(report["by_programme"], "programme"),
        ),
        _view(
            "Par donneur d'ordre",
            "Par donneur d'ordre",
            with_total(report["by_donneur_ordre"], totals, "donneur_ordre"),
            people_and_rates(report["by_donneur_ordre"], "donneur_ordre"),
        ),
        _view(
            "Par opération",
            "Par opération",
            with_total(report["by_operation"], totals, "territory"),
            people_and_rates(report["by_operation"], "operation"),
        ),
        _view(
            "Par type de clause",
            "Par type de clause (une opération peut combiner plusieurs modalités)",
            with_total(_readable(report["by_clause_type"]), totals, "clause_type"),
            people_and_rates(_readable(report["by_clause_type"]), "clause_type"),
        ),
        _view(
            "Par modalité",
            "Par modalité de mise en œuvre de la clause",
            with_total(_readable(report["by_execution_mode"]), totals, "execution_mode"),
            FOOTNOTE_PEOPLE,
        ),
        _view(
            "Par public",
            "Participants par public (statut à l'entrée)",
            _publics(report),
            FOOTNOTE_PEOPLE,
            Chart("bar", "Participants par public", "Public", ("Participants",), "Personnes"),
        ),
        _view(
            "Par type de contrat",
            "Contrats et heures par type de contrat",
            _contract_types(report),
            FOOTNOTE_PEOPLE,
        ),
        _view(
            "Sorties",
            "Sorties dynamiques (définition du Département) : chaque personne compte une fois, "
            "avec sa meilleure sortie",
            exit_records(report["exits"]),
            "Taux rapportés aux participants (personnes ayant travaillé au moins 1 heure).",
            Chart("bar", "Sorties dynamiques", "Sortie", ("Personnes",), "Personnes"),
        ),
        _view(
            "Suivi mensuel",
            "Suivi mensuel des heures réalisées (cumul face aux heures prévisionnelles)",
            report["monthly"],
            None,
            Chart(
                "line",
                "Heures réalisées cumulées et heures prévisionnelles",
                "Mois",
                ("Heures cumulées", "Heures prévisionnelles", "Heures réalisées"),
                "Heures",
            ),
        ),
        *monthly_grid_views(report),
        _view("Mensuel territoire", "Suivi mensuel par territoire", report["monthly_by_territory"]),
        _view(
            "Mensuel donneur",
            "Suivi mensuel par donneur d'ordre",
            report["monthly_by_donneur_ordre"],
        ),
        # the data-quality sheets, after the bilan
        _view(
            "Qualité",
            "Qualité des données : lignes lues, acceptées, rejetées et ignorées par source",
            _sources(report),
            "Lignes lues = acceptées + rejetées + ignorées (lignes vides, lignes de total). "
            "Le détail des anomalies est dans la feuille Anomalies.",
        ),
        _view(
            "Colonnes ignorées",
            "Colonnes non reconnues (ignorées) : à ajouter aux alias si elles sont utiles",
            report.get("unmapped_columns", []),
        ),
        _view(
            "Colonnes reconnues",
            "Colonnes lues : en-tête du fichier, champ alimenté et règle de reconnaissance",
            report.get("column_matches", []),
            "« En-tête voisin » : reconnu malgré des articles, pluriels ou abréviations "
            "(N°, Code, Réf.) ; vérifiez que le champ est le bon.",
        ),
        _view(
            "Doublons possibles",
            "Personnes à vérifier : mêmes nom, prénom et date de naissance sous plusieurs "
            "identifiants ABC Clauses",
            [
                {"territories": ", ".join(d["territories"]), "ids": ", ".join(d["ids"])}
                for d in report.get("quality", {}).get("duplicate_people", [])
            ],
            "Une même personne suivie dans deux territoires y a deux identifiants : elle est "
            "comptée une fois dans les totaux.",
        ),
        _view("Anomalies", "Anomalies relevées", _issues(report)),
    ]
    ignored = (report.get("inputs") or {}).get("ignored") or []
    if ignored:
        out.append(
            _view(
                "Fichiers écartés",
                "Exports écartés (un export plus récent du même territoire les remplace)",
                [{"file": i["file"], "reasons": i["reason"]} for i in ignored],
            )
        )
    cumulative = report.get("year_to_date")
    if cumulative is not None:  # a month read against its year, right after page 1
        header, rows = grid(cumulative)
        frame = pd.DataFrame(
            [[text, *(NOT_STATED if v is None else v for v in values)] for text, _, values in rows],
            columns=header,
        )
        out.insert(
            1,
            View(
                "Cumul depuis janvier",
                f"Cumul {period_words(cumulative['period'])} (depuis janvier)",
                frame,
                {},
                f"{FOOTNOTE_PEOPLE} {NOT_STATED_NOTE}",
                row_formats=summary_row_formats(frame),
            ),
        )
    if evolution is not None:
        before, after, frame = evolution
        out.insert(
            1,
            View(
                "Évolution",
                f"Évolution de {before} à {after} (historique)",
                frame,
                {},
            ),
        )
    if rejects is not None:
        shown = rejects_frame(rejects.head(XLSX_DETAIL_ROWS))
        note = None
        if len(rejects) > XLSX_DETAIL_ROWS:  # never silently truncated: rejets.csv has them all
            note = (
                f"{XLSX_DETAIL_ROWS:,} premières lignes rejetées sur {len(rejects):,} : la liste "
                "complète est dans rejets.csv."
            ).replace(",", "\u202f")
        out.append(View("Rejets", "Lignes rejetées", shown, {}, note))
    return out


TEAM_ANNEX = "annexe-equipe"  # file names of the facilitators' annex of a masked report
TEAM_ONLY = ("Qualité", "Colonnes ignorées", "Doublons possibles", "Anomalies", "Rejets")
TEAM_WARNING = (
    "Annexe réservée à l'équipe d'animation : elle contient des identifiants ABC Clauses, "
    "des numéros de ligne et les chemins des fichiers. Ne la transmettez pas hors de l'équipe ; "
    "le rapport masqué (rapport.xlsx, rapport.json) est celui qui se diffuse."
)


def public_views(report: dict[str, Any]) -> list[View]:
    """The tables of a masked report: no list of possible duplicates, no rejected rows."""
    return [v for v in views(report) if v.name != "Doublons possibles"]


def team_views(report: dict[str, Any], rejects: pd.DataFrame) -> list[View]:
    """The facilitators' annex of a masked report (``report``: the unmasked one): the
    row-level detail that the masked report leaves out."""
    warning = View(
        "À lire", "À ne pas diffuser", pd.DataFrame({"Avertissement": [TEAM_WARNING]}), {}
    )
    return [warning, *(v for v in views(report, rejects) if v.name in TEAM_ONLY)]
