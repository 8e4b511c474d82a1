"""Terminal rendering of reports and issues (rich): what people read in the console.

Readable at 80 columns: file names are never cut (they fold onto a second line), messages
get the room that is left, and page 1's grid (indicators × territories) is the summary."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer

from clausekit.errors import ClausekitError, ExitCode
from clausekit.rules import labels
from clausekit.rules.labels import french_number


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
        return french_number(value, 2)
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
        return french_number(value)
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


# The terminal as a stream: consoles, closed pipes, progress, log lines


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # logs and pipes: no wrapping of the tables at 80 columns
        console = Console(stderr=stderr, highlight=False, width=160)
    # rich's own answer to a closed pipe is a silent exit 1
    hook = stderr_closed if stderr else pipe_closed
    console.on_broken_pipe = hook  # type: ignore[method-assign]
    return console


def stderr_closed() -> None:
    """Nobody reads the messages any more: the run goes on, its exit code unchanged."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stderr.fileno())
    os.close(devnull)


PIPE_CLOSED = (
    "Erreur : sortie coupée (le programme qui la lisait, par exemple head, s'est arrêté avant "
    "la fin) : seul l'affichage est incomplet, les fichiers écrits sont entiers.\n"
)


def pipe_closed() -> NoReturn:
    """The reader of stdout has gone (``clausekit validate … | head -1``): an output-side
    problem, the user's, like an unwritable report folder: one French line on stderr (if it
    is still there), exit 2. Whatever was written to files was written before printing."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more can reach the reader
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(PIPE_CLOSED)
        sys.stderr.flush()
    raise typer.Exit(int(ExitCode.USAGE))


@contextlib.contextmanager
def printing() -> Iterator[None]:
    """Print a command's results to stdout, flushed, a closed pipe handled as above."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        pipe_closed()


def config_warnings(config: Any, quiet: bool = False) -> None:
    """The config's warnings (old English keys), on stderr so that stdout stays the result."""
    if not quiet:
        warn(config.path, config.warnings)


def warn(path: Path, warnings: Any) -> None:
    for warning in warnings:  # one line each, never wrapped: logs are searched by line
        sys.stderr.write(f"Avertissement ({path.name}) : {warning}\n")
    sys.stderr.flush()


def log_line(log_format: str, record: dict[str, Any]) -> None:
    """One machine-readable line per run (cron): on stderr, so stdout stays the report."""
    if log_format == "json":
        sys.stderr.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        sys.stderr.flush()


@contextlib.contextmanager
def progress(console: Any, quiet: bool) -> Iterator[Any]:
    """A progress bar of the files read, on a terminal only (never in logs or pipes)."""
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("Lecture des exports"),
        BarColumn(),
        TextColumn("{task.completed} fichier(s)"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def advance(name: str) -> None:
            progress.update(task, advance=1, description=Path(name).name)

        yield advance


def error_record(exc: ClausekitError, seconds: float) -> dict[str, Any]:
    """The one-line JSON log of a run stopped by an error."""
    return {
        "command": "consolidate",
        "outcome": "error",
        "exit_code": int(exc.exit_code),
        "message": str(exc),
        "seconds": round(seconds, 3),
    }
