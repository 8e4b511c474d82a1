"""The bilan: one self-contained HTML document a reader opens in any browser and prints to A4.

No network resource and no script: the style sheet is inline, the charts are inline SVG
(:mod:`clausekit.output.svgchart`). Print CSS puts each part on its own pages, with the title, the
period and « page x / y » on every page (``@page`` margin boxes). Aggregates only: no row of
an export, no issue list, no name ever goes in it. Built from the report dict — the masked
one under ``--mask-below``.
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

from clausekit.output import svgchart
from clausekit.output.document import (
    CSS,
    css_string,
    forecast,
    month_short,
    number,
    stats_table,
    table,
)
from clausekit.output.records import EXIT_LABELS, programme_order
from clausekit.output.views import grid, programme_of_operations
from clausekit.output.words import (
    FOOTNOTE_PEOPLE,
    MONTHS,
    NO_USABLE_EXPORT,
    NOT_AVAILABLE,
    NOT_STATED_NOTE,
    month_words,
    period_words,
    rate_note,
    share,
)
from clausekit.rules import labels

TITLE = "Bilan des clauses sociales d'insertion"

# --------------------------------------------------------------------------- pages


def french_date(day: datetime.date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def document_period(report: dict[str, Any]) -> str:
    """« janvier à décembre 2025 », or « juin 2025 — cumul depuis janvier »."""
    words = period_words(report["period"])
    return f"{words} — cumul depuis janvier" if report.get("year_to_date") else words


def _grid(report: dict[str, Any]) -> str:
    """Page 1's grid: indicators × territories, total first, shares in italics."""
    header, rows = grid(report)
    # a declared territory without data: its name, then why, on two short lines
    header = [h.replace(f" ({NO_USABLE_EXPORT})", "\naucun export\nexploitable") for h in header]
    grid_rows = [
        [
            text,
            *(number(forecast(v) if text.startswith("Heures prév") else v, kind) for v in values),
        ]
        for text, kind, values in rows
    ]
    classes = ["share" if text.startswith("part ") else "" for text, _, _ in rows]
    return table(header, grid_rows, row_classes=classes)


def _sources_words(files: dict[str, set[str]], report: dict[str, Any]) -> str:
    """« 3 exports ABC Clauses couvrant 8 territoires »: an export may hold several
    territories (a « Territoire » column), so files and territories are counted apart."""
    exports = len(set().union(*files.values())) if files else 0
    territories = len({row["territory"] for row in report["by_territory"]})
    return (
        f"{exports} export{'s' if exports > 1 else ''} ABC Clauses couvrant {territories} "
        f"territoire{'s' if territories > 1 else ''}"
    )


def _title_page(report: dict[str, Any], produced: datetime.date) -> str:
    period = report["period"]
    files: dict[str, set[str]] = defaultdict(set)
    dated: dict[str, datetime.date] = {}
    set_aside = {i["file"] for i in (report.get("inputs") or {}).get("ignored") or []}
    for source in report["sources"]:
        if source["file"] in set_aside:  # replaced by a newer export: not in the figures
            continue
        files[str(source.get("territory") or "(sans territoire)")].add(source["file"])
        if source.get("export_date"):  # name, else title rows, else modification (selection)
            dated[source["file"]] = datetime.date.fromisoformat(source["export_date"])
    items = []
    for territory in sorted(files):
        dates = [dated[f] for f in sorted(files[territory]) if f in dated]
        names = ", ".join(Path(f).name for f in sorted(files[territory]))
        when = f"export du {french_date(max(dates))}" if dates else "date d'export inconnue"
        items.append(f"<li><b>{escape(territory)}</b> — {when} ({escape(names)})</li>")
    cumulative = report.get("year_to_date")
    grids = "<h3>Indicateurs par territoire</h3>" + _grid(report)
    if cumulative is not None:
        grids = (
            f"<h3>{escape(period_words(period))} : indicateurs par territoire</h3>"
            + _grid(report)
            + f"<h3>Cumul {escape(period_words(cumulative['period']))}</h3>"
            + _grid(cumulative)
        )
    return (
        "<section>"
        f"<h1>{TITLE}</h1>"
        f'<p class="period">{escape(document_period(report))}</p>'
        f'<p class="meta">Produit le {french_date(produced)} par clausekit '
        f"{escape(str(report['clausekit_version']))}, à partir de "
        f"{_sources_words(files, report)} :</p>"
        f'<ul class="sources">{"".join(items)}</ul>'
        + _declared_without_data(report)
        + grids
        + f'<p class="note">{escape(FOOTNOTE_PEOPLE)} Parts : rapportées aux participants. '
        f"{escape(NOT_STATED_NOTE)}</p>"
        + _rate_note(rate_note(report["totals"], report["by_territory"], "territory"))
        + "</section>"
    )


def _declared_without_data(report: dict[str, Any]) -> str:
    """The territories declared in clausekit.toml of which no data could be used."""
    lacking = [d for d in report.get("territories_declared", []) if d["status"] != "used"]
    if not lacking:
        return ""
    items = "".join(
        f"<li><b>{escape(str(d['territory']))}</b> — {escape(d['label'])}</li>" for d in lacking
    )
    return (
        '<p class="meta">Territoires déclarés (clausekit.toml) dont aucune donnée n\'a pu être '
        "utilisée : leurs valeurs sont « n.r. », jamais 0.</p>"
        f'<ul class="sources">{items}</ul>'
    )


def _hours_page(report: dict[str, Any]) -> str:
    totals = report["totals"]
    programmes = programme_order(report["by_programme"], report)
    by_op = report["by_operation"]
    chart_p = _hours_chart("programme", [str(p["programme"]) for p in programmes], programmes)
    chart_o = _hours_chart(
        "opération", [str(o["operation_id"] or o["operation"]) for o in by_op], by_op
    )
    return (
        "<section>"
        "<h2>Heures prévues et réalisées</h2>"
        f'<p class="note">{escape(period_words(report["period"]))}.</p>'
        "<h3>Par programme (tous donneurs d'ordre confondus)</h3>"
        + stats_table(programmes, [("programme", "Programme")], totals)
        + chart_p
        + "<h3>Par donneur d'ordre</h3>"
        + stats_table(report["by_donneur_ordre"], [("donneur_ordre", "Donneur d'ordre")], totals)
        + "<h3>Par opération</h3>"
        + stats_table(
            by_op,
            [("operation_id", "N°"), ("operation", "Opération"), ("territory", "Territoire")],
            totals,
        )
        + chart_o
        + '<p class="note">Taux : heures réalisées rapportées aux heures prévues, sur les seules '
        f"opérations dont les heures prévues sont connues. {escape(NOT_STATED_NOTE)}</p>"
        + _rate_note(
            rate_note(
                totals, [*programmes, *report["by_donneur_ordre"]], "programme", "donneur_ordre"
            )
        )
        + "</section>"
    )


def _rate_note(text: str | None) -> str:
    """What the rates are computed over, when some hours have no forecast."""
    return f'<p class="note">{escape(text)}</p>' if text else ""


def _hours_chart(by: str, names: list[str], rows: list[dict[str, Any]]) -> str:
    """Forecast beside realised hours, one pair of bars per row."""
    return svgchart.bar_chart(
        f"Heures prévues et réalisées par {by}",
        names,
        [
            ("Heures prévues", [forecast(r["hours_forecast"]) for r in rows]),
            ("Heures réalisées", [r["hours_realised"] for r in rows]),
        ],
        "Heures",
    )


def _typology_page(report: dict[str, Any]) -> str:
    totals = report["totals"]
    clauses = [
        {**r, "clause_type": labels.label("clause_type", r["clause_type"])}
        for r in report["by_clause_type"]
    ]
    modes = report["by_execution_mode"]
    mode_rows = [
        [
            labels.label("execution_mode", m["execution_mode"]),
            number(m["hours_realised"], "hours"),
            number(m["participants"], "count"),
            number(m["contracts"], "count"),
        ]
        for m in modes
    ]
    mode_rows.append(
        [
            "Ensemble",
            number(totals["hours_realised"], "hours"),
            number(totals["participants"], "count"),
            number(totals["contracts"], "count"),
        ]
    )
    publics = [
        [
            p["label"],
            number(p["participants"], "count"),
            number(share(p["participants"], totals["participants"]), "rate"),
            number(p["hours_realised"], "hours"),
        ]
        for p in report["by_public"]
    ]
    return (
        "<section>"
        "<h2>Typologie des clauses</h2>"
        f'<p class="note">{escape(period_words(report["period"]))}.</p>'
        "<h3>Fondement juridique (Code de la commande publique)</h3>"
        + stats_table(clauses, [("clause_type", "Type de clause")], totals)
        + '<p class="note">Une opération peut combiner plusieurs modalités : elle compte '
        "dans chacune.</p>"
        "<h3>Modalités de mise en œuvre</h3>"
        + table(
            ["Modalité", "Heures réalisées", "Participants", "Contrats"],
            mode_rows,
            row_classes=[""] * len(modes) + ["total"],
        )
        + "<h3>Participants par public (statut à l'entrée)</h3>"
        + table(["Public", "Participants", "Part des participants", "Heures réalisées"], publics)
        + f'<p class="note">{escape(FOOTNOTE_PEOPLE)}</p>'
        "</section>"
    )


def _exits_page(report: dict[str, Any]) -> str:
    exits = report["exits"]
    participants = report["totals"]["participants"]
    rows = [
        [text, number(exits[key], "count"), number(share(exits[key], participants), "rate")]
        for key, text in EXIT_LABELS.items()
    ]
    dynamic = [exits["durable"], exits["transition"], exits["positive"]]
    total_dynamic: Any = NOT_AVAILABLE if any(isinstance(v, str) for v in dynamic) else sum(dynamic)
    rows.insert(
        3,
        [
            "Sorties dynamiques (total des trois)",
            number(total_dynamic, "count"),
            number(share(total_dynamic, participants), "rate"),
        ],
    )
    classes = ["", "", "", "total", "", ""]
    unknown = number(share(exits["unknown"], participants), "rate")
    chart = svgchart.bar_chart(
        "Sorties (personnes)",
        list(EXIT_LABELS.values()),
        [("Personnes", [exits[k] for k in EXIT_LABELS])],
        "Personnes",
    )
    return (
        "<section>"
        "<h2>Sorties dynamiques</h2>"
        f'<p class="note">{escape(period_words(report["period"]))}.</p>'
        + table(["Sortie", "Personnes", "Taux"], rows, row_classes=classes)
        + chart
        + f'<p class="note">Chaque personne compte une fois, avec sa meilleure sortie '
        f"(emploi durable, puis de transition, puis sortie positive). Taux rapportés aux "
        f"{number(participants, 'count')} participants. Sortie encore inconnue : "
        f"{unknown} des participants.</p>"
        "</section>"
    )


def _monthly_page(report: dict[str, Any]) -> str:
    months = sorted({r["month"] for r in report["monthly"]})
    if not months:
        return ""
    years = len({m[:4] for m in months}) > 1
    heads = [month_short(m, years) for m in months]
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in report["monthly_by_programme"]:
        series[str(r["programme"])].append(r)
    ops = _operations_by_programme(report)
    named = list(report["settings"].get("programmes", {}))
    shown = [p for p in named if p in series] or [p for p in sorted(series) if p != "Autres"]
    parts = [
        "<section><h2>Suivi mensuel des grands programmes</h2>",
        f'<p class="note">{escape(period_words(report["period"]))} ; heures par mois '
        "travaillé, cumul depuis le début de la période et part des heures prévues "
        "atteinte par le cumul.</p>",
    ]
    parts += [_programme_months(p, series[p], ops[p], months, heads) for p in shown]
    if not shown:
        parts.append("<p>Aucune opération des programmes suivis sur la période.</p>")
    parts.append("</section>")
    return "".join(parts)


Operations = dict[tuple[Any, ...], list[dict[str, Any]]]  # (territory, id, label) -> months


def _operations_by_programme(report: dict[str, Any]) -> dict[str, Operations]:
    """The monthly rows of each operation, under the programme of its contracting authority."""
    of_op = programme_of_operations(report)
    ops: dict[str, Operations] = defaultdict(dict)
    for r in report["monthly_by_operation"]:
        programme = of_op.get((r["territory"], r["operation_id"]))
        if programme is not None:
            key = (r["territory"], r["operation_id"], r["operation"])
            ops[programme].setdefault(key, []).append(r)
    return ops


def _programme_months(
    programme: str,
    rows: list[dict[str, Any]],
    ops: Operations,
    months: list[str],
    heads: list[str],
) -> str:
    """One programme's follow-up: its grid of months, its operations' hours, its chart."""
    rows = sorted(rows, key=lambda r: r["month"])
    by_month = {r["month"]: r for r in rows}
    planned = forecast(rows[-1]["hours_forecast"]) if rows else None

    def line(key: str, kind: str) -> list[str]:
        return [number(by_month[m][key] if m in by_month else None, kind) for m in months]

    total_hours = sum(r["hours_realised"] for r in rows)
    grid_rows = [
        ["Heures réalisées", *line("hours_realised", "hours"), number(total_hours, "hours")],
        ["Heures cumulées", *line("cumulative_hours", "hours"), ""],
        ["% des heures prévues", *line("cumulative_rate", "rate"), ""],
        ["Participants actifs", *line("active_participants", "count"), ""],
    ]
    cumulative = [by_month[m]["cumulative_hours"] if m in by_month else None for m in months]
    chart = svgchart.line_chart(
        f"{programme} : heures cumulées face aux heures prévues",
        heads,
        [("Heures cumulées", cumulative), ("Heures prévues", [planned] * len(months))],
        "Heures",
    )
    return (
        '<div class="programme">'
        f"<h3>{escape(programme)} — heures prévues : {number(planned, 'hours')}</h3>"
        + table(["", *heads, "Total"], grid_rows, css="months")
        + (_cumulative_rate_note(rows[-1]) if rows and planned is not None else "")
        + _operations_months(ops, months, heads)
        + chart
        + "</div>"
    )


def _cumulative_rate_note(last: dict[str, Any]) -> str:
    """What the cumulative rate of the last month is computed over."""
    return _rate_note(
        rate_note(
            {
                "hours_realised": last["cumulative_hours"],
                "hours_realised_with_forecast": last.get("cumulative_hours_with_forecast"),
            }
        )
    )


def _operations_months(ops: Operations, months: list[str], heads: list[str]) -> str:
    """The hours of each operation of a programme, month by month ("" without any)."""
    op_rows = []
    for (territory, op_id, label), values in sorted(ops.items(), key=str):
        per = {v["month"]: v["hours_realised"] for v in values}
        op_rows.append(
            [
                f"{label or op_id} ({territory})",
                *(number(per.get(m), "hours") for m in months),
                number(sum(per.values()), "hours"),
            ]
        )
    if not op_rows:
        return ""
    return table(
        ["Opération", *heads, "Total"], op_rows, css="months", row_classes=[""] * len(op_rows)
    )


def _method_page(report: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{escape(t)}</dt><dd>{escape(d)}</dd>" for t, d in _definitions(report["settings"])
    )
    return (
        "<section><h2>Méthode et définitions</h2>"
        f'<dl class="defs">{items}</dl>'
        f'<p class="note">{escape(FOOTNOTE_PEOPLE)}</p></section>'
    )


def _definitions(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Each word of the bilan and what it counts, with this run's settings."""
    programmes = "; ".join(
        f"{name} : {', '.join(members)}" for name, members in s.get("programmes", {}).items()
    )
    reference = (
        "la date de début de son premier contrat de la période"
        if s.get("age_reference") == "first_contract_start"
        else "le début de la période"
    )
    return [
        (
            "Participant",
            f"personne distincte ayant au moins {number(s['min_hours_participant'], 'decimal')} "
            "heure réalisée sur la période. Une personne suivie dans deux territoires est "
            "reconnue par une empreinte chiffrée de son nom, de son prénom et de sa date de "
            "naissance, et comptée une fois.",
        ),
        (
            "Moins de 26 ans",
            f"strictement moins de {s['age_limit']} ans à {reference} ; à défaut de date de "
            "naissance, le statut déclaré « -26 ans ». Un âge inconnu ne compte jamais comme "
            "moins de 26 ans.",
        ),
        (
            "Statut à l'entrée (BRSA, ASE…)",
            "tel que le territoire l'a enregistré ; les catégories se recouvrent, chacune est "
            "une ligne « dont ».",
        ),
        (
            "Heures prévues",
            "une fois par opération, même quand l'export les répète sur chaque ligne. Une "
            "opération sans heures prévues est « n.r. », jamais zéro.",
        ),
        (
            "Heures réalisées",
            "somme des lignes d'heures de la période, au mois travaillé ; les stages et PMSMP "
            "ne sont pas des heures de travail.",
        ),
        ("ETP", f"heures réalisées ÷ {number(s['etp_hours'], 'hours')} heures."),
        (
            "Sorties dynamiques",
            "emplois durables (CDI, CDD ou intérim d'au moins 6 mois, alternance, fonction "
            "publique), emplois de transition (CDD, intérim ou contrat aidé d'au moins 3 mois), "
            "sorties positives (formation qualifiante, embauche en SIAE) ; chaque personne une "
            "fois, avec sa meilleure sortie.",
        ),
        ("Programmes", programmes or "aucun"),
        (
            "Doublons et exports successifs",
            "une même ligne présente dans deux exports d'un territoire ne compte qu'une fois, "
            "depuis l'export le plus récent ; les fichiers identiques sont ignorés.",
        ),
    ]


def _quality_page(report: dict[str, Any]) -> str:
    return (
        "<section><h2>Qualité des données</h2>"
        '<div class="box">'
        + table(
            [
                "Territoire",
                "Lignes lues",
                "acceptées",
                "rejetées",
                "heures rejetées",
                "ignorées",
                "erreurs",
                "avertissements",
            ],
            _quality_rows(report),
        )
        + table(["Chiffres incomplets", "Nombre"], _incomplete(report))
        + _declared_without_data(report)
        + '<p class="note">Les lignes rejetées ne sont pas comptées : leurs heures (celles qui '
        "ont pu être lues) manquent aux totaux. Le détail, ligne par ligne, est dans "
        "rejets.csv et la feuille « Anomalies » de rapport.xlsx, jamais dans ce document."
        "</p></div></section>"
    )


def _quality_rows(report: dict[str, Any]) -> list[list[str]]:
    """Per territory: rows read, accepted, rejected, their hours, rows skipped, and the
    errors and warnings raised on its files."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    hours: dict[str, float] = defaultdict(float)
    territory_of: dict[str, str] = {}
    for s in report["sources"]:
        territory = str(s.get("territory") or "(sans territoire)")
        territory_of[s["file"]] = territory
        counts = per[territory]
        for i, key in enumerate(("rows_read", "rows_accepted", "rows_rejected", "rows_skipped")):
            counts[i] += int(s[key])
        hours[territory] += float(s.get("hours_rejected") or 0)
    issues: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for issue in report["issues"]:
        territory = territory_of.get(issue.get("file") or "", "(ensemble)")
        issues[territory][0 if issue["severity"] == "error" else 1] += 1
    return [
        [
            t,
            *(number(c, "count") for c in per[t][:3]),
            number(hours[t], "hours"),
            number(per[t][3], "count"),
            number(issues[t][0], "count"),
            number(issues[t][1], "count"),
        ]
        for t in sorted(per)
    ]


def _incomplete(report: dict[str, Any]) -> list[list[str]]:
    """The figures known to be incomplete, and by how many."""
    quality = report.get("quality", {})
    incomplete = [
        ("Participants sans âge connu", quality.get("participants_age_unknown")),
        (
            "Participants absents des tables participants",
            quality.get("participants_status_unknown"),
        ),
        ("Doublons possibles de personnes (à vérifier)", quality.get("possible_duplicates")),
        ("Colonnes non reconnues (ignorées)", len(report.get("unmapped_columns", []))),
        (
            "Exports écartés (un plus récent les remplace)",
            len((report.get("inputs") or {}).get("ignored", [])),
        ),
    ]
    return [[t, number(v, "count")] for t, v in incomplete]


def bilan_html(report: dict[str, Any], produced: datetime.date | None = None) -> str:
    """The whole document, as one string of HTML."""
    produced = produced or production_date()
    period = document_period(report)
    style = (
        CSS.replace("@RUNNING@", css_string(TITLE))
        .replace("@PERIOD@", css_string(period))
        .replace("@PRODUCED@", css_string(f"produit le {french_date(produced)}"))
    )
    # forecast against realised and the monthly follow-up: on the cumulative when there is one
    longest = {**report, **report.get("year_to_date", {})}
    body = "".join(
        [
            _title_page(report, produced),
            _hours_page(longest),
            _typology_page(report),
            _exits_page(report),
            _monthly_page(longest),
            _method_page(report),
            _quality_page(report),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(TITLE)} — {escape(period)}</title>"
        f"<style>{style}</style></head><body>{body}</body></html>\n"
    )


def production_date() -> datetime.date:
    """Today, or the day of ``SOURCE_DATE_EPOCH`` (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
    return datetime.date.today()


def write_bilan(report: dict[str, Any], target: Path) -> None:
    from clausekit.output.writers import atomic_path

    with atomic_path(target) as tmp:
        tmp.write_text(bilan_html(report), encoding="utf-8")


__all__ = ["bilan_html", "month_words", "write_bilan"]
