"""Terminal rendering of reports and issues (rich): what people read in the console.

Readable at 80 columns: file names are never cut (they fold onto a second line), messages
get the room that is left, and page 1's grid (indicators × territories) is the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clausekit.rules import labels


def issue_table(issues: list[Any], limit: int = 40) -> Any:
    from rich.table import Table

    table = Table(title="Anomalies", title_justify="left")
    table.add_column("Gravité", overflow="fold")
    table.add_column("Où", overflow="fold", ratio=2)
    table.add_column("Message", overflow="fold", ratio=3)
    for issue in issues[:limit]:
        where = [Path(issue.file).name if issue.file else ""]
        if issue.sheet:
            where.append(f"feuille {issue.sheet}")
        if issue.row:
            where.append(f"ligne {issue.row}")
        if issue.column:
            where.append(f"colonne « {issue.column} »")
        table.add_row(
            labels.label("severity", issue.severity),
            ", ".join(w for w in where if w),
            issue.message,
        )
    if len(issues) > limit:
        table.caption = f"… et {len(issues) - limit} autres (voir rapport.json ou --format json)"
    return table


def sources_table(sources: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="Sources", title_justify="left")
    table.add_column("Fichier, feuille", overflow="fold")
    table.add_column("Table", overflow="fold")
    for name in ("Lues", "Acceptées", "Rejetées", "Ignorées"):
        table.add_column(name, justify="right")
    for s in sources:
        table.add_row(
            f"{Path(s['file']).name} ({s['sheet']})" if s["sheet"] else Path(s["file"]).name,
            labels.label("kind", s["kind"]),
            str(s["rows_read"]),
            str(s["rows_accepted"]),
            str(s["rows_rejected"]),
            str(s["rows_skipped"]),
        )
    return table


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return str(value)


def grid_cell(value: Any, kind: str) -> str:
    """A value of page 1's grid as the terminal shows it (« n.r. »: not stated)."""
    if value is None:
        return "n.r."
    if isinstance(value, str):  # masked
        return value
    if kind == "rate":
        return f"{value:.1%}".replace(".", ",")
    if kind == "hours":
        return f"{value:,.0f}".replace(",", "\u202f")
    return fmt(value)


def summary_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    from clausekit.output.views import grid
    from clausekit.output.words import period_words, rate_note

    period = report["period"]
    title = f"Synthèse — {period_words(period)}" if period["start"] else "Synthèse"
    header, rows = grid(report)
    table = Table(title=title, title_justify="left")
    table.add_column(header[0], overflow="fold", min_width=12)
    for name in header[1:]:
        table.add_column(name, justify="right", overflow="fold")
    for text, kind, values in rows:
        table.add_row(text, *(grid_cell(v, kind) for v in values))
    note = rate_note(report["totals"], report["by_territory"], "territory")
    if note and report.get("year_to_date") is None:  # a month alone shows no rate
        table.caption = note
        table.caption_justify = "left"
    return table


def log_record(result: Any, code: int, seconds: float, out_dir: Path) -> dict[str, Any]:
    """The one-line JSON log of a run (cron): duration, files, row counts and outcome."""
    sources = result.report["sources"]
    issues = result.checked.issues
    errors = sum(1 for i in issues if i.severity == "error")
    return {
        "command": "consolidate",
        "outcome": "ok" if code == 0 else "issues",
        "exit_code": int(code),
        "seconds": round(seconds, 3),
        "period": result.report["period"],
        "files": len(result.checked.files),
        "files_unreadable": len(result.checked.unreadable),
        "files_ignored": len(result.report["inputs"]["ignored"]),
        "rows_read": sum(s["rows_read"] for s in sources),
        "rows_accepted": sum(s["rows_accepted"] for s in sources),
        "rows_rejected": sum(s["rows_rejected"] for s in sources),
        "rows_skipped": sum(s["rows_skipped"] for s in sources),
        "errors": errors,
        "warnings": len(issues) - errors,
        "report_written": bool(result.outputs),
        "output": str(out_dir),
    }


def closing_summary(result: Any, out_dir: Path) -> list[str]:
    """The few French lines a facilitator acts on at the end of a run: rows, the warnings
    that change the figures, files set aside, territories without a usable table, where to
    look."""
    from clausekit.errors import WARNINGS_THAT_MATTER

    report = result.report
    sources = report["sources"]
    read = sum(s["rows_read"] for s in sources)
    rejected = sum(s["rows_rejected"] for s in sources)
    skipped = sum(s["rows_skipped"] for s in sources)
    hours = sum(s.get("hours_rejected") or 0 for s in sources)
    carried = f" ({grid_cell(hours, 'hours')} h non comptées)" if hours else ""
    lines = [
        f"Lignes : {read} lues, {read - rejected - skipped} acceptées, {rejected} rejetées"
        f"{carried}, {skipped} ignorées (lignes vides ou de total)."
    ]
    issues = result.checked.issues
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        lines.append(f"Erreurs : {len(errors)} cellule(s) ou fichier(s) à corriger.")
    matters: dict[str, list[Any]] = {}
    for issue in issues:
        if issue.code in WARNINGS_THAT_MATTER:
            matters.setdefault(issue.code, []).append(issue)
    if matters:
        lines.append("Avertissements qui changent les chiffres :")
        for found in matters.values():
            lines.append(f"  - {len(found)} fois, par exemple : {found[0].message}")
    for ignored in report["inputs"]["ignored"]:
        lines.append(f"Fichier écarté : {Path(ignored['file']).name} ({ignored['reason']}).")
    set_aside = {ignored["file"] for ignored in report["inputs"]["ignored"]}
    for source in sources:
        if source.get("rows_superseded") and source["file"] not in set_aside:
            lines.append(
                f"{Path(source['file']).name} ({source['sheet']}) : {source['rows_superseded']} "
                "ligne(s) remplacée(s) par un export plus récent."
            )
    used = {s["territory"] for s in sources if s["rows_accepted"]}
    empty = sorted({s["territory"] for s in sources} - used)
    if empty:
        lines.append("Territoires sans table exploitable : " + ", ".join(empty) + ".")
    lacking = [d for d in report.get("territories_declared", []) if d["status"] == "missing"]
    if lacking:
        lines.append(
            "Territoires déclarés sans export trouvé : "
            + ", ".join(d["territory"] for d in lacking)
            + "."
        )
    for name in result.checked.unreadable:
        lines.append(f"Fichier illisible : {Path(name).name}.")
    if rejected or errors or matters:
        lines.append(
            f"À consulter : {out_dir / 'rejets.csv'} (lignes rejetées) et la feuille "
            "« Anomalies » du rapport."
        )
    return lines
