"""The report: one JSON-ready dict (report-contract.md) and its French table views, which the
xlsx, csv, markdown and terminal renderings all share. :func:`views` is the reading order,
one named step per group of sheets; the rows come from :mod:`clausekit.output.records` and
:mod:`clausekit.output.monthly`, the words from :mod:`clausekit.output.words`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from clausekit.output.monthly import MONTHLY_NOTE, operation_grid, programme_grid
from clausekit.output.records import (
    STATED_KEYS,
    TOTAL_LABEL,
    contract_types,
    exit_lines,
    exit_records,
    issue_rows,
    programme_order,
    programme_rank,
    publics,
    readable,
    run_facts,
    source_rows,
    stated,
    territory_name,
    territory_rows,
    with_total,
)
from clausekit.output.words import (
    FOOTNOTE_PEOPLE,
    NOT_STATED,
    NOT_STATED_NOTE,
    period_text,
    period_words,
    rate_note,
    share,
)
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


# what a view is to the writers: "summary", the front page (page 1's grid; the annex's
# warning), whose title heads every printed page of the workbook; "table", a table of
# figures; "detail", a row-level listing (the rejected rows), left out of tableaux/*.csv
# since rejets.csv holds it whole
ViewKind = Literal["summary", "table", "detail"]
Audience = Literal["shared", "both", "team"]


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
    kind: ViewKind = "table"
    # who reads it: the shared report only, the team annex of a masked report too (rebuilt
    # there from the unmasked report), or the team annex only (row-level, never shared)
    audience: Audience = "shared"


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
    audience: Audience = "shared",
) -> View:
    if records and any(k in records[0] for k in STATED_KEYS):
        records = stated(records)
        note = f"{note} {NOT_STATED_NOTE}" if note else NOT_STATED_NOTE
    frame = pd.DataFrame.from_records(records)
    formats = {LABELS.get(c, c): FORMATS[c] for c in frame.columns if c in FORMATS}
    frame = frame.rename(columns=LABELS)
    total = bool(records) and TOTAL_LABEL in list(records[-1].values())[:1]
    return View(name, title, frame, formats, note, chart, total_row=total, audience=audience)


def _notes(*notes: str | None) -> str:
    """Notes under a table, those that apply, one after the other."""
    return " ".join(n for n in notes if n)


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
    return metrics.stated(key, stats[key])  # a forecast nobody stated is not 0 hours


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
    """Page 1: the indicators × territories grid, then the exits, the period, the settings and
    the sources behind them (their values in the « Total » column)."""
    header, rows = grid(report)
    width = len(header) - 1
    records: list[list[Any]] = [
        [text, *(NOT_STATED if v is None else v for v in values)] for text, _, values in rows
    ]
    extra = [*exit_lines(report.get("exits")), ("", None), *run_facts(report)]
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
    return [
        _summary(report),
        *_evolution(evolution),
        *_cumulative(report),
        *_breakdowns(report),
        *_people(report),
        *_monthly(report),
        *_quality(report),
        *_rejected(rejects),
    ]


def _summary(report: dict[str, Any]) -> View:
    """Page 1: the indicators × territories grid, the period, the settings, the sources."""
    frame = summary_frame(report)
    return View(
        "Synthèse",
        f"Bilan des clauses d'insertion — {period_text(report['period'])}",
        frame,
        {},
        _notes(
            FOOTNOTE_PEOPLE,
            NOT_STATED_NOTE,
            rate_note(report["totals"], report["by_territory"], "territory"),
        ),
        row_formats=summary_row_formats(frame),
        kind="summary",
    )


def _evolution(evolution: tuple[str, str, pd.DataFrame] | None) -> list[View]:
    """The changes since the previous recorded period, right after page 1."""
    if evolution is None:
        return []
    before, after, frame = evolution
    return [View("Évolution", f"Évolution de {before} à {after} (historique)", frame, {})]


def _cumulative(report: dict[str, Any]) -> list[View]:
    """A month read against its year: the grid of the cumulative since January."""
    cumulative = report.get("year_to_date")
    if cumulative is None:
        return []
    header, rows = grid(cumulative)
    frame = pd.DataFrame(
        [[text, *(NOT_STATED if v is None else v for v in values)] for text, _, values in rows],
        columns=header,
    )
    return [
        View(
            "Cumul depuis janvier",
            f"Cumul {period_words(cumulative['period'])} (depuis janvier)",
            frame,
            {},
            f"{FOOTNOTE_PEOPLE} {NOT_STATED_NOTE}",
            row_formats=summary_row_formats(frame),
        )
    ]


def _people_and_rates(report: dict[str, Any], records: list[dict[str, Any]], key: str) -> str:
    """The notes of a breakdown with rates: people counted once per group, and what the
    rates are computed over."""
    return _notes(FOOTNOTE_PEOPLE, rate_note(report["totals"], records, key))


def _breakdowns(report: dict[str, Any]) -> list[View]:
    """Forecast against realised hours by territory, programme, contracting authority,
    operation, clause type and mode, each with its total row."""
    totals = report["totals"]
    clauses = readable(report["by_clause_type"])
    return [
        _view(
            "Par territoire",
            "Par territoire",
            with_total(territory_rows(report["by_territory"]), totals, "territory"),
            _people_and_rates(report, report["by_territory"], "territory"),
        ),
        _view(
            "Par programme",
            "Par programme (tous donneurs d'ordre confondus : ERBM, CSNE…)",
            with_total(programme_order(report["by_programme"], report), totals, "programme"),
            _people_and_rates(report, report["by_programme"], "programme"),
        ),
        _view(
            "Par donneur d'ordre",
            "Par donneur d'ordre",
            with_total(report["by_donneur_ordre"], totals, "donneur_ordre"),
            _people_and_rates(report, report["by_donneur_ordre"], "donneur_ordre"),
        ),
        _view(
            "Par opération",
            "Par opération",
            with_total(report["by_operation"], totals, "territory"),
            _people_and_rates(report, report["by_operation"], "operation"),
        ),
        _view(
            "Par type de clause",
            "Par type de clause (une opération peut combiner plusieurs modalités)",
            with_total(clauses, totals, "clause_type"),
            _people_and_rates(report, clauses, "clause_type"),
        ),
        _view(
            "Par modalité",
            "Par modalité de mise en œuvre de la clause",
            with_total(readable(report["by_execution_mode"]), totals, "execution_mode"),
            FOOTNOTE_PEOPLE,
        ),
    ]


def _people(report: dict[str, Any]) -> list[View]:
    """Participants by public, contracts by type, and the dynamic exits."""
    return [
        _view(
            "Par public",
            "Participants par public (statut à l'entrée)",
            publics(report),
            FOOTNOTE_PEOPLE,
            Chart("bar", "Participants par public", "Public", ("Participants",), "Personnes"),
        ),
        _view(
            "Par type de contrat",
            "Contrats et heures par type de contrat",
            contract_types(report),
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
    ]


def _monthly(report: dict[str, Any]) -> list[View]:
    """The monthly follow-up: hours against forecast, then the grids by programme and
    operation, then by territory and contracting authority."""
    return [
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
    ]


def monthly_grid_views(report: dict[str, Any]) -> list[View]:
    """The monthly follow-up as grids, programme × months and operation × months (on the
    cumulative since January in a monthly run): ERBM and CSNE first, « Autres » last."""
    source = {**report, **report.get("year_to_date", {})}
    rank = programme_rank(report)
    period = period_words(source["period"])
    programmes, programme_formats = programme_grid(source, rank)
    operations, operation_formats = operation_grid(source, rank, programme_of_operations(source))
    return [
        View(
            "Mensuel programme",
            f"Suivi mensuel par programme — {period}",
            programmes,
            {},
            MONTHLY_NOTE,
            row_formats=programme_formats,
        ),
        View(
            "Mensuel opération",
            f"Suivi mensuel par opération — {period}",
            operations,
            {},
            MONTHLY_NOTE,
            row_formats=operation_formats,
        ),
    ]


def _quality(report: dict[str, Any]) -> list[View]:
    """The data-quality sheets, after the bilan."""
    out = [
        _view(
            "Qualité",
            "Qualité des données : lignes lues, acceptées, rejetées et ignorées par source",
            source_rows(report),
            "Lignes lues = acceptées + rejetées + ignorées (lignes vides, lignes de total). "
            "Le détail des anomalies est dans la feuille Anomalies.",
            audience="both",
        ),
        _view(
            "Colonnes ignorées",
            "Colonnes non reconnues (ignorées) : à ajouter aux alias si elles sont utiles",
            report.get("unmapped_columns", []),
            audience="both",
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
            audience="team",
        ),
        _view("Anomalies", "Anomalies relevées", issue_rows(report), audience="both"),
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
    return out


def _rejected(rejects: pd.DataFrame | None) -> list[View]:
    """The rejected rows, capped in the workbook (rejets.csv has them all)."""
    if rejects is None:
        return []
    shown = rejects_frame(rejects.head(XLSX_DETAIL_ROWS))
    note = None
    if len(rejects) > XLSX_DETAIL_ROWS:  # never silently truncated: rejets.csv has them all
        note = (
            f"{labels.french_number(XLSX_DETAIL_ROWS)} premières lignes rejetées sur "
            f"{labels.french_number(len(rejects))} : la liste complète est dans rejets.csv."
        )
    return [View("Rejets", "Lignes rejetées", shown, {}, note, kind="detail", audience="both")]


TEAM_ANNEX = "annexe-equipe"  # file names of the facilitators' annex of a masked report
TEAM_WARNING = (
    "Annexe réservée à l'équipe d'animation : elle contient des identifiants ABC Clauses, "
    "des numéros de ligne et les chemins des fichiers. Ne la transmettez pas hors de l'équipe ; "
    "le rapport masqué (rapport.xlsx, rapport.json) est celui qui se diffuse."
)


def public_views(report: dict[str, Any]) -> list[View]:
    """The tables of a masked report: no list of possible duplicates, no rejected rows."""
    return [v for v in views(report) if v.audience != "team"]


def team_views(report: dict[str, Any], rejects: pd.DataFrame) -> list[View]:
    """The facilitators' annex of a masked report (``report``: the unmasked one): the
    row-level detail that the masked report leaves out."""
    warning = View(
        "À lire",
        "À ne pas diffuser",
        pd.DataFrame({"Avertissement": [TEAM_WARNING]}),
        {},
        kind="summary",
    )
    return [warning, *(v for v in views(report, rejects) if v.audience != "shared")]
