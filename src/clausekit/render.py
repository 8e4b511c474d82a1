"""Terminal rendering of reports and issues (rich): what people read in the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def issue_table(issues: list[Any], limit: int = 40) -> Any:
    from rich.table import Table

    table = Table(title="Anomalies", title_justify="left")
    for name in ("Gravité", "Code", "Fichier", "Feuille", "Ligne", "Colonne", "Message"):
        table.add_column(name, overflow="fold")
    for issue in issues[:limit]:
        table.add_row(
            "erreur" if issue.severity == "error" else "avertissement",
            issue.code,
            Path(issue.file).name if issue.file else "",
            issue.sheet or "",
            str(issue.row or ""),
            issue.column or "",
            issue.message,
        )
    if len(issues) > limit:
        table.caption = f"… et {len(issues) - limit} autres (voir rapport.json ou --format json)"
    return table


def sources_table(sources: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="Sources", title_justify="left")
    for name in ("Fichier", "Feuille", "Table", "Lues", "Acceptées", "Rejetées", "Ignorées"):
        table.add_column(name, justify="right" if name[0] in "LARI" else "left")
    for s in sources:
        table.add_row(
            Path(s["file"]).name,
            s["sheet"],
            s["kind"],
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


def summary_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    from clausekit.report import LABELS, SUMMARY_ROWS

    period = report["period"]
    title = f"Synthèse {period['start']} → {period['end']}" if period["start"] else "Synthèse"
    table = Table(title=title, title_justify="left")
    table.add_column("Indicateur")
    table.add_column("Total", justify="right")
    for terr in report["by_territory"]:
        table.add_column(str(terr["territory"]), justify="right")
    for key, _ in SUMMARY_ROWS:
        label = LABELS[key]
        values = [report["totals"][key], *(t[key] for t in report["by_territory"])]
        if key == "realisation_rate":
            cells = ["—" if v is None else f"{v:.1%}".replace(".", ",") for v in values]
        else:
            cells = [fmt(v) for v in values]
        table.add_row(label, *cells)
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
    lines = [
        f"Lignes : {read} lues, {read - rejected - skipped} acceptées, {rejected} rejetées, "
        f"{skipped} ignorées (lignes vides ou de total)."
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
    for source in sources:
        if source.get("rows_superseded"):
            lines.append(
                f"{Path(source['file']).name} ({source['sheet']}) : {source['rows_superseded']} "
                "ligne(s) remplacée(s) par un export plus récent."
            )
    used = {s["territory"] for s in sources if s["rows_accepted"]}
    empty = sorted({s["territory"] for s in sources} - used)
    if empty:
        lines.append("Territoires sans table exploitable : " + ", ".join(empty) + ".")
    for name in result.checked.unreadable:
        lines.append(f"Fichier illisible : {Path(name).name}.")
    if rejected or errors or matters:
        lines.append(
            f"À consulter : {out_dir / 'rejets.csv'} (lignes rejetées) et la feuille "
            "« Anomalies » du rapport."
        )
    return lines
