"""The report: one JSON-ready dict (report-contract.md) and its French table views, which the
xlsx, csv, markdown and terminal renderings all share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

LABELS = {
    "territory": "Territoire",
    "donneur_ordre": "Donneur d'ordre",
    "operation": "Opération",
    "operation_id": "N° opération",
    "clause_type": "Type de clause",
    "public": "Code",
    "label": "Public",
    "month": "Mois",
    "hours_forecast": "Heures prévisionnelles",
    "hours_realised": "Heures réalisées",
    "realisation_rate": "Taux de réalisation",
    "etp": "ETP",
    "participants": "Participants",
    "participants_brsa": "dont BRSA",
    "participants_under_26": "dont moins de 26 ans",
    "participants_ase": "dont ASE",
    "contracts": "Contrats",
    "operations": "Opérations",
    "companies": "Entreprises",
    "active_participants": "Participants actifs",
    "cumulative_hours": "Heures cumulées",
    "file": "Fichier",
    "sheet": "Feuille",
    "kind": "Table",
    "rows_read": "Lignes lues",
    "rows_accepted": "Lignes acceptées",
    "rows_rejected": "Lignes rejetées",
    "rows_skipped": "Lignes ignorées",
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

# number format per column kind (Excel format codes; Excel shows them in the user's locale)
FORMATS = {
    "hours_forecast": "#,##0.00",
    "hours_realised": "#,##0.00",
    "cumulative_hours": "#,##0.00",
    "realisation_rate": "0.0%",
    "etp": "#,##0.00",
    "cumulative_rate": "0.0%",
    "rate": "0.0%",
}

XLSX_DETAIL_ROWS = 100_000  # detail rows in the xlsx (Excel stops at 1,048,576; csv has all)

FOOTNOTE_PEOPLE = (
    "Une personne compte une fois dans le total et une fois dans chaque ligne d'une "
    "répartition : la somme des lignes peut dépasser le total."
)

SUMMARY_ROWS = [
    ("hours_forecast", "Heures prévisionnelles"),
    ("hours_realised", "Heures réalisées"),
    ("realisation_rate", "Taux de réalisation"),
    ("etp", "Équivalents temps plein (ETP)"),
    ("participants", "Participants (au moins 1 heure réalisée)"),
    ("participants_brsa", "dont bénéficiaires du RSA"),
    ("participants_under_26", "dont jeunes de moins de 26 ans"),
    ("participants_ase", "dont jeunes relevant de l'ASE"),
    ("contracts", "Contrats"),
    ("operations", "Opérations"),
    ("companies", "Entreprises"),
]


@dataclass
class View:
    """One table of the report as people read it."""

    name: str  # sheet / file name
    title: str
    frame: pd.DataFrame  # French column headers
    formats: dict[str, str]  # French header -> number format
    note: str | None = None
    chart: Chart | None = None


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
    frame = pd.DataFrame.from_records(records)
    formats = {LABELS.get(c, c): FORMATS[c] for c in frame.columns if c in FORMATS}
    frame = frame.rename(columns=LABELS)
    return View(name, title, frame, formats, note, chart)


AGE_REFERENCE_LABELS = {
    "first_contract_start": "début du premier contrat de la période",
    "period_start": "début de la période",
}


EXIT_LABELS = {
    "durable": "Emplois durables",
    "transition": "Emplois de transition",
    "positive": "Sorties positives",
    "other": "Autres sorties",
    "unknown": "Sortie inconnue",
}


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
    return f"période {period['start']} à {period['end']}"


def summary_frame(report: dict[str, Any]) -> pd.DataFrame:
    """Key figures first, then the period, the settings and the sources behind them."""
    totals = report["totals"]
    settings = report["settings"]
    period = report["period"]
    sources = report["sources"]
    quality = report.get("quality", {})
    rows: list[tuple[str, Any]] = [(label, totals[key]) for key, label in SUMMARY_ROWS]
    exits = report.get("exits")
    if exits:
        dynamic = [exits["durable"], exits["transition"], exits["positive"]]
        rows += [
            (
                "Sorties dynamiques (personnes)",
                "n.d." if any(isinstance(v, str) for v in dynamic) else sum(dynamic),
            ),
            ("dont emplois durables", exits["durable"]),
            ("dont emplois de transition", exits["transition"]),
            ("dont sorties positives", exits["positive"]),
        ]
    rows += [
        ("", None),
        ("Période", period_text(period).removeprefix("période ")),
        ("Diviseur ETP (heures)", settings["etp_hours"]),
        (
            "Âge apprécié à la date du",
            AGE_REFERENCE_LABELS.get(settings["age_reference"], settings["age_reference"]),
        ),
        ("Heures minimum pour être participant", settings["min_hours_participant"]),
        ("Feuilles lues", len(sources)),
        ("Lignes lues", sum(s["rows_read"] for s in sources)),
        ("Lignes rejetées", sum(s["rows_rejected"] for s in sources)),
        ("Participants sans âge connu", quality.get("participants_age_unknown")),
        (
            "Participants absents des tables participants",
            quality.get("participants_status_unknown"),
        ),
        ("Doublons possibles de personnes", quality.get("possible_duplicates")),
        ("Version de clausekit", report["clausekit_version"]),
    ]
    return pd.DataFrame({"Indicateur": [r[0] for r in rows], "Valeur": [r[1] for r in rows]})


def views(
    report: dict[str, Any],
    rejects: pd.DataFrame | None = None,
    evolution: tuple[str, str, pd.DataFrame] | None = None,
) -> list[View]:
    """The report's tables in reading order (``evolution``: previous period, this period and
    the month-over-month changes from the history database)."""
    period = report["period"]
    out = [
        View(
            "Synthèse",
            f"Bilan des clauses d'insertion — {period_text(period)}",
            summary_frame(report),
            {},
            FOOTNOTE_PEOPLE,
        ),
        _view("Par territoire", "Par territoire", report["by_territory"], FOOTNOTE_PEOPLE),
        _view(
            "Par donneur d'ordre",
            "Par donneur d'ordre",
            report["by_donneur_ordre"],
            FOOTNOTE_PEOPLE,
        ),
        _view("Par opération", "Par opération", report["by_operation"], FOOTNOTE_PEOPLE),
        _view(
            "Par type de clause",
            "Par type de clause (une opération peut combiner plusieurs modalités)",
            report["by_clause_type"],
            FOOTNOTE_PEOPLE,
        ),
        _view(
            "Par public",
            "Participants par public (statut à l'entrée)",
            report["by_public"],
            FOOTNOTE_PEOPLE,
            Chart("bar", "Participants par public", "Public", ("Participants",), "Personnes"),
        ),
        _view(
            "Par programme",
            "Par programme (tous donneurs d'ordre confondus : ERBM, CSNE…)",
            report["by_programme"],
            FOOTNOTE_PEOPLE,
        ),
        _view(
            "Par modalité",
            "Par modalité de mise en œuvre de la clause",
            report["by_execution_mode"],
            FOOTNOTE_PEOPLE,
        ),
        _view(
            "Par type de contrat",
            "Contrats et heures par type de contrat",
            report["by_contract_type"],
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
        _view("Mensuel programme", "Suivi mensuel par programme", report["monthly_by_programme"]),
        _view("Mensuel territoire", "Suivi mensuel par territoire", report["monthly_by_territory"]),
        _view(
            "Mensuel donneur",
            "Suivi mensuel par donneur d'ordre",
            report["monthly_by_donneur_ordre"],
        ),
        _view("Mensuel opération", "Suivi mensuel par opération", report["monthly_by_operation"]),
        _view(
            "Qualité",
            "Qualité des données : lignes lues, acceptées, rejetées et ignorées par source",
            report["sources"],
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
                {"territory": ", ".join(d["territories"]), "ids": ", ".join(d["ids"])}
                for d in report.get("quality", {}).get("duplicate_people", [])
            ],
            "Une même personne suivie dans deux territoires y a deux identifiants : elle est "
            "comptée une fois dans les totaux.",
        ),
        _view(
            "Anomalies",
            "Anomalies relevées",
            [
                {
                    k: i.get(k)
                    for k in (
                        "severity",
                        "code",
                        "file",
                        "sheet",
                        "row",
                        "column",
                        "value",
                        "message",
                        *(("count",) if "count" in i else ()),  # a masked report's tally
                    )
                }
                for i in report["issues"]
            ],
        ),
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
    if evolution is not None:
        before, after, frame = evolution
        out.insert(1, View("Évolution", f"Évolution de {before} à {after} (historique)", frame, {}))
    if rejects is not None:
        shown = rejects.head(XLSX_DETAIL_ROWS).rename(columns=LABELS)
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
