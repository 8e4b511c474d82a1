"""Command line: thin adapters over the library (one library call per command)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from clausekit.errors import ClausekitError, ExitCode

app = typer.Typer(
    name="clausekit",
    help="Consolider les exports ABC Clauses et produire le bilan des clauses d'insertion.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

Paths = Annotated[
    list[Path],
    typer.Argument(help="Fichiers d'export (.xlsx, .xls, .ods, .csv) ou dossiers à parcourir."),
]
Debug = Annotated[bool, typer.Option("--debug", help="Afficher la trace complète des erreurs.")]
Strict = Annotated[
    bool, typer.Option("--strict", help="Toute ligne rejetée est bloquante : aucun rapport écrit.")
]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # logs and pipes: no wrapping of the tables at 80 columns
        console = Console(stderr=stderr, highlight=False, width=160)
    return console


def _fail(exc: ClausekitError, debug: bool) -> None:
    if debug:
        raise exc
    _console(stderr=True).print(f"Erreur : {exc}", markup=False)
    raise typer.Exit(int(exc.exit_code))


def _issue_table(issues: list[Any], limit: int = 40) -> Any:
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


def _sources_table(sources: list[dict[str, Any]]) -> Any:
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


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return str(value)


def _summary_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    from clausekit.report import LABELS, SUMMARY_ROWS

    period = report["period"]
    table = Table(title=f"Synthèse {period['start']} → {period['end']}", title_justify="left")
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
            cells = [_fmt(v) for v in values]
        table.add_row(label, *cells)
    return table


@app.command()
def consolidate(
    paths: Paths,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Dossier où écrire rapport.xlsx et rapport.json.")
    ] = Path("rapport"),
    period: Annotated[
        str | None,
        typer.Option("--period", help="Période AAAA-MM:AAAA-MM (par défaut : celle des données)."),
    ] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="Sorties à écrire, répétable : xlsx, json, csv (un fichier par tableau), "
            "markdown. Par défaut : xlsx et json.",
        ),
    ] = None,
    mask_below: Annotated[
        int,
        typer.Option(
            "--mask-below",
            min=0,
            max=1000,
            help="Masquer les effectifs de personnes de 1 à K-1 (« <K », masquage secondaire "
            "« n.d. ») pour un rapport diffusé hors de l'équipe.",
        ),
    ] = 0,
    strict: Strict = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="N'afficher que les erreurs.")
    ] = False,
    debug: Debug = False,
) -> None:
    """Consolider les exports et écrire le rapport (xlsx, json, rejets.csv).

    Exemple : clausekit consolidate exports/ -o rapport
    """
    from clausekit.consolidate import consolidate as run
    from clausekit.settings import Settings

    try:
        settings = Settings(**_parse_period(period))  # type: ignore[arg-type]
        chosen = _parse_formats(formats)
        result = run(
            paths,
            output,
            settings=settings,
            strict=strict,
            formats=chosen,
            mask_below=mask_below,
        )
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    console = _console()
    errors = [i for i in result.checked.issues if i.severity == "error"]
    if not quiet:
        console.print(_summary_table(result.report))
        console.print(_sources_table(result.report["sources"]))
        if result.checked.issues:
            console.print(_issue_table(errors or result.checked.issues))
    if strict and result.checked.rows_rejected:
        _console(stderr=True).print(
            f"Mode strict : {result.checked.rows_rejected} ligne(s) rejetée(s), aucun rapport "
            "écrit.",
            markup=False,
        )
        raise typer.Exit(int(ExitCode.DATA_ISSUES))
    if not quiet:
        for path in result.outputs:
            console.print(f"Écrit : {path}", markup=False)
    raise typer.Exit(int(result.exit_code))


def _parse_formats(formats: list[str] | None) -> tuple[str, ...]:
    from clausekit.consolidate import FORMATS
    from clausekit.errors import UsageError

    if not formats:
        return ("xlsx", "json")
    chosen = [f.strip().lower() for item in formats for f in item.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise UsageError(
            f"Format « {unknown[0]} » inconnu : choisissez parmi {', '.join(FORMATS)}."
        )
    return tuple(dict.fromkeys(chosen))


def _parse_period(period: str | None) -> dict[str, str]:
    import re

    from clausekit.errors import UsageError

    if not period:
        return {}
    match = re.fullmatch(r"(\d{4}-\d{2})(?::(\d{4}-\d{2}))?", period.strip())
    if not match:
        raise UsageError(
            f"Période « {period} » invalide : attendu AAAA-MM ou AAAA-MM:AAAA-MM "
            "(ex. 2025-01:2025-06)."
        )
    start, end = match.group(1), match.group(2) or match.group(1)
    for m in (start, end):
        if not 1 <= int(m[5:]) <= 12:
            raise UsageError(f"Mois « {m} » invalide.")
    if end < start:
        raise UsageError(f"Période « {period} » : la fin précède le début.")
    return {"period_start": start, "period_end": end}


@app.command()
def validate(
    paths: Paths,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Sortie : table (lisible) ou json (programmes).")
    ] = "table",
    debug: Debug = False,
) -> None:
    """Vérifier les exports sans produire de rapport.

    Exemple : clausekit validate exports/ --format json
    """
    from clausekit.consolidate import check

    if format not in ("table", "json"):
        _fail(_usage(f"Format « {format} » inconnu : choisissez table ou json."), debug)
    try:
        result = check(paths)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    code = result.exit_code()
    if format == "json":
        payload = {
            "valid": code == ExitCode.OK,
            "exit_code": int(code),
            "sources": result.sources,
            "issues": [i.to_dict() for i in result.issues],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        console = _console()
        console.print(_sources_table(result.sources))
        if result.issues:
            console.print(_issue_table(result.issues))
        else:
            console.print("Aucune anomalie.")
    raise typer.Exit(int(code))


def _usage(message: str) -> ClausekitError:
    from clausekit.errors import UsageError

    return UsageError(message)


@app.command()
def samples(
    directory: Annotated[Path, typer.Argument(help="Dossier où écrire les exports fictifs.")],
    rows: Annotated[
        int, typer.Option("--rows", "-n", min=10, help="Nombre approximatif de lignes d'heures.")
    ] = 600,
    seed: Annotated[int, typer.Option("--seed", help="Graine du générateur.")] = 2025,
) -> None:
    """Écrire des exports ABC Clauses fictifs pour trois territoires (données synthétiques).

    Exemple : clausekit samples samples --rows 600
    """
    from clausekit.samples import write_samples

    result = write_samples(directory, rows=rows, seed=seed)
    console = _console()
    for path in result.files:
        console.print(f"Écrit : {path}", markup=False)


def main() -> None:
    """Entry point: exit codes are the documented ones, tracebacks only with --debug."""
    try:
        app()
    except ClausekitError as exc:  # raised under --debug only when asked
        if "--debug" in sys.argv:
            raise
        _console(stderr=True).print(f"Erreur : {exc}", markup=False)
        sys.exit(int(exc.exit_code))
    except Exception as exc:  # a bug, not a user mistake: say so without a traceback
        if "--debug" in sys.argv:
            raise
        _console(stderr=True).print(
            f"Erreur interne de clausekit ({type(exc).__name__}). Relancez avec --debug pour "
            "le détail et signalez-la.",
            markup=False,
        )
        sys.exit(int(ExitCode.INTERNAL))
