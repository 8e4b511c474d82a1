"""Command line: thin adapters over the library (one library call per command)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from clausekit import clickfr, render
from clausekit.errors import ClausekitError, ExitCode

clickfr.install()  # Click's help and usage messages in French

app = typer.Typer(
    name="clausekit",
    help="Consolider les exports ABC Clauses et produire le bilan des clauses d'insertion.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

InputPaths = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Exports (.xlsx, .xls, .ods, .csv) ou dossiers ; sans chemin : les territoires de "
        "clausekit.toml."
    ),
]
Debug = Annotated[bool, typer.Option("--debug", help="Afficher la trace complète des erreurs.")]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Toute ligne rejetée ou tout fichier illisible est bloquant : aucun rapport écrit.",
    ),
]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # logs and pipes: no wrapping of the tables at 80 columns
        console = Console(stderr=stderr, highlight=False, width=160)
    # rich's own answer to a closed pipe is a silent exit 1
    hook = _stderr_closed if stderr else _pipe_closed
    console.on_broken_pipe = hook  # type: ignore[method-assign]
    return console


def _stderr_closed() -> None:
    """Nobody reads the messages any more: the run goes on, its exit code unchanged."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stderr.fileno())
    os.close(devnull)


PIPE_CLOSED = (
    "Erreur : sortie coupée (le programme qui la lisait, par exemple head, s'est arrêté avant "
    "la fin) : seul l'affichage est incomplet, les fichiers écrits sont entiers.\n"
)


def _pipe_closed() -> NoReturn:
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


class Interrupted(BaseException):
    """Ctrl-C (SIGINT), raised past click (which would print « Aborted! » and exit 1)."""


INTERRUPTED_EXIT = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


@contextlib.contextmanager
def _printing() -> Iterator[None]:
    """Print a command's results to stdout, flushed, a closed pipe handled as above."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _pipe_closed()


def _fail(exc: ClausekitError, debug: bool) -> None:
    if debug:
        raise exc
    _console(stderr=True).print(f"Erreur : {exc}", markup=False)
    raise typer.Exit(int(exc.exit_code))


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Fichier de configuration (par défaut : $CLAUSEKIT_CONFIG, puis ./clausekit.toml).",
    ),
]


def _config_warnings(config: Any, quiet: bool = False) -> None:
    """The config's warnings (old English keys), on stderr so that stdout stays the result."""
    if not quiet:
        _warn(config.path, config.warnings)


def _warn(path: Path, warnings: Any) -> None:
    for warning in warnings:  # one line each, never wrapped: logs are searched by line
        sys.stderr.write(f"Avertissement ({path.name}) : {warning}\n")
    sys.stderr.flush()


@app.command()
def consolidate(
    paths: InputPaths = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Dossier du rapport (par défaut : celui de la configuration, sinon ./rapport).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Période AAAA-MM:AAAA-MM (par défaut : la configuration, sinon les données).",
        ),
    ] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="Sorties à écrire, répétable : xlsx, json, csv (un fichier par tableau), "
            "markdown, pdf (bilan.pdf, avec Chromium, Chrome ou Edge). Par défaut : xlsx et "
            "json ; bilan.html et rejets.csv sont toujours écrits.",
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
    config: ConfigOption = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="Secondes d'attente si un autre traitement écrit déjà dans le même dossier "
            "(par défaut : abandon immédiat, code 2).",
        ),
    ] = 0.0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="N'afficher que les erreurs.")
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="json : une ligne de journal JSON par exécution, sur la sortie d'erreur (cron).",
        ),
    ] = "text",
    debug: Debug = False,
) -> None:
    """Consolider les exports et écrire le rapport (bilan.html, xlsx, json, rejets.csv).

    Exemple : clausekit consolidate exports/ -o rapport
    """
    import os
    import time

    from clausekit.pipeline.read import start_reading
    from clausekit.routine import plan as routine
    from clausekit.routine.lock import run_lock

    started = time.monotonic()
    console = _console()
    try:
        if log_format not in ("text", "json"):
            raise _usage(f"Format de journal « {log_format} » inconnu : choisissez text ou json.")
        conf = routine.load(config, Path.cwd(), os.environ)
        _config_warnings(conf, quiet)
        todo = routine.plan(
            paths or [],
            config=conf,
            output=output,
            period=period,
            formats=_parse_formats(formats),
            mask_below=mask_below,
            strict=strict,
        )
        with run_lock(todo.out_dir, wait=wait), _progress(console, quiet) as on_file:
            inputs = replace(todo.inputs, on_file=on_file)
            reading = start_reading(todo.paths, inputs=inputs)  # the files are read while...
            from clausekit.consolidate import consolidate as run  # ...the heavy modules load

            result = run(todo.paths, todo.out_dir, todo.options, inputs=inputs, reading=reading)
    except ClausekitError as exc:
        _log(
            log_format,
            {
                "command": "consolidate",
                "outcome": "error",
                "exit_code": int(exc.exit_code),
                "message": str(exc),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        _fail(exc, debug)
        return
    errors = [i for i in result.checked.issues if i.severity == "error"]
    code = result.exit_code  # --strict with nothing written: already 1 or 3
    with _printing():
        if not quiet:
            console.print(render.summary_table(result.report))
            console.print(render.sources_table(result.report["sources"]))
            if result.checked.issues:
                console.print(render.issue_table(errors or result.checked.issues))
        if strict and not result.outputs:
            _console(stderr=True).print(
                f"Mode strict : {result.checked.rows_rejected} ligne(s) rejetée(s), "
                f"{len(result.checked.unreadable)} fichier(s) illisible(s) ; aucun rapport écrit.",
                markup=False,
            )
        elif not quiet:
            for path in result.outputs:
                console.print(f"Écrit : {path}", markup=False)
        if not quiet:
            for text in render.closing_summary(result, todo.out_dir):
                console.print(text, markup=False)
    _log(log_format, render.log_record(result, code, time.monotonic() - started, todo.out_dir))
    raise typer.Exit(int(code))


def _log(log_format: str, record: dict[str, Any]) -> None:
    """One machine-readable line per run (cron): on stderr, so stdout stays the report."""
    if log_format == "json":
        sys.stderr.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        sys.stderr.flush()


@contextlib.contextmanager
def _progress(console: Any, quiet: bool) -> Iterator[Any]:
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


def _parse_formats(formats: list[str] | None) -> tuple[str, ...]:
    from clausekit.errors import UsageError
    from clausekit.options import FORMATS

    if not formats:
        return ("xlsx", "json")
    chosen = [f.strip().lower() for item in formats for f in item.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise UsageError(
            f"Format « {unknown[0]} » inconnu : choisissez parmi {', '.join(FORMATS)}."
        )
    return tuple(dict.fromkeys(chosen))


@app.command()
def validate(
    paths: InputPaths = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Sortie : table (lisible) ou json (programmes).")
    ] = "table",
    config: ConfigOption = None,
    debug: Debug = False,
) -> None:
    """Vérifier les exports sans produire de rapport.

    Exemple : clausekit validate exports/ --format json
    """
    import os

    from clausekit.pipeline.read import start_reading
    from clausekit.routine import plan as routine

    if format not in ("table", "json"):
        _fail(_usage(f"Format « {format} » inconnu : choisissez table ou json."), debug)
    try:
        conf = routine.load(config, Path.cwd(), os.environ)
        _config_warnings(conf, quiet=format == "json")
        todo = routine.plan(paths or [], config=conf)
        reading = start_reading(todo.paths, inputs=todo.inputs)  # the files are read while...
        from clausekit.consolidate import check  # ...the heavy modules load

        result = check(todo.paths, inputs=todo.inputs, reading=reading)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    code = result.exit_code()
    with _printing():
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
            console.print(render.sources_table(result.sources))
            if result.issues:
                console.print(render.issue_table(result.issues))
            else:
                console.print("Aucune anomalie.")
    raise typer.Exit(int(code))


@app.command()
def inspect(
    paths: Annotated[
        list[Path], typer.Argument(help="Exports (.xlsx, .xls, .ods, .csv) ou dossiers.")
    ],
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            "-m",
            help='Associer un en-tête à un champ, répétable : --map "Ref bénéf.=participant" '
            "(champ par son nom ou en français).",
        ),
    ] = None,
    snippet: Annotated[
        bool,
        typer.Option(
            "--config-snippet",
            help="Écrire le bloc [colonnes] de clausekit.toml : les colonnes de --map, et les "
            "colonnes non reconnues avec le champ le plus proche, en commentaire.",
        ),
    ] = False,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Sortie : texte (lisible) ou json (programmes).")
    ] = "texte",
    config: ConfigOption = None,
    debug: Debug = False,
) -> None:
    """Expliquer ce que clausekit comprend de chaque feuille et de chaque colonne.

    Exemple : clausekit inspect export.xlsx --map "Ref bénéf.=participant" --config-snippet
    """
    import os

    from clausekit import inspect as explain
    from clausekit.routine import plan as routine

    try:
        if format not in ("texte", "json"):
            raise _usage(f"Format « {format} » inconnu : choisissez texte ou json.")
        conf = routine.load(config, Path.cwd(), os.environ)
        _config_warnings(conf, quiet=format == "json")
        mapping = explain.parse_maps(maps or [])
        reports = explain.inspect_files(paths, config=conf, maps=mapping)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    with _printing():
        if format == "json":
            payload = [r.to_dict() for r in reports]
            sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write("".join(f"{line}\n" for line in explain.render_text(reports)))
        if snippet:
            if format != "json":
                sys.stdout.write("\nÀ copier dans clausekit.toml :\n\n")
            sys.stdout.write(explain.config_snippet(reports, mapping))
    code = ExitCode.UNREADABLE if any(r.unreadable for r in reports) else ExitCode.OK
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


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Fichier à créer.")] = Path("clausekit.toml"),
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Fichier à créer (comme l'argument path)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Remplacer un fichier existant.")] = False,
    debug: Debug = False,
) -> None:
    """Écrire un clausekit.toml de départ, entièrement commenté.

    Exemple : clausekit init
    """
    from clausekit.routine.config import write_init

    try:
        written = write_init(config or path, force=force)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    _console().print(f"Écrit : {written} — vérifiez-le avec : clausekit config check", markup=False)


config_app = typer.Typer(help="Vérifier la configuration (clausekit.toml).", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(
    path: Annotated[
        Path | None,
        typer.Argument(help="Fichier à vérifier (par défaut : celui que consolidate utiliserait)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Vérifier clausekit.toml et lister tous les problèmes d'un coup.

    Exemple : clausekit config check -c clausekit.toml
    """
    import os

    from clausekit.routine.config import find_config, review_config

    try:
        found = find_config(config or path, Path.cwd(), os.environ)
    except ClausekitError as exc:
        _fail(exc, False)
        return
    if found is None:
        _fail(_usage("Aucun clausekit.toml trouvé : créez-en un avec clausekit init."), False)
        return
    problems, warnings = review_config(found)
    console = _console()
    _warn(found, warnings)
    if not problems:
        console.print(f"{found} : configuration valide.", markup=False)
        return
    err = _console(stderr=True)
    err.print(f"{found} : {len(problems)} problème(s).", markup=False)
    for problem in problems:
        err.print(f"- {problem}", markup=False)
    raise typer.Exit(int(ExitCode.USAGE))


history_app = typer.Typer(
    help="Historique mensuel des agrégats (base SQLite de clausekit.toml ou --base).",
    invoke_without_command=True,
)
app.add_typer(history_app, name="history")

HistoryBase = Annotated[
    Path | None,
    typer.Option("--base", help="Base SQLite (par défaut : [historique] base de clausekit.toml)."),
]


def _history_path(base: Path | None, config: Path | None) -> Path:
    import os

    from clausekit.routine import plan as routine

    if base is not None:
        if not base.is_file():
            raise _usage(f"Base d'historique introuvable : {base}.")
        return base
    conf = routine.load(config, Path.cwd(), os.environ)
    _config_warnings(conf)
    if conf.history is None:
        raise _usage(
            "Aucune base d'historique : indiquez --base ou renseignez [historique] base dans "
            "clausekit.toml."
        )
    return conf.history


@history_app.callback()
def history(
    ctx: typer.Context,
    base: HistoryBase = None,
    config: ConfigOption = None,
) -> None:
    """Lister les périodes enregistrées (heures, participants).

    Exemple : clausekit history --base historique.sqlite
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = (base, config)
        return
    from rich.table import Table

    from clausekit.routine.history import History
    from clausekit.rules.metrics import HISTORY

    try:
        path = _history_path(base, config)
        with History(path) as store:
            months = store.months()
    except ClausekitError as exc:
        _fail(exc, False)
        return
    table = Table(title=f"Historique {path}", title_justify="left")
    table.add_column("Période")
    table.add_column("Enregistrée le")
    for metric in HISTORY:
        table.add_column(metric.short, justify="right")
    for m in months:
        t = m["totals"]
        table.add_row(
            m["period"], m["recorded_at"], *(render.fmt(t.get(metric.key)) for metric in HISTORY)
        )
    _console().print(table)


@history_app.command("diff")
def history_diff(
    ctx: typer.Context,
    before: Annotated[str, typer.Argument(help="Période de départ, ex. 2025-05.")],
    after: Annotated[str, typer.Argument(help="Période d'arrivée, ex. 2025-06.")],
    base: HistoryBase = None,
    config: ConfigOption = None,
) -> None:
    """Montrer ce qui a changé entre deux périodes, par territoire et par opération.

    Exemple : clausekit history diff 2025-05 2025-06
    """
    from rich.table import Table

    from clausekit.routine.history import DIFF_HEADER, History, diff_rows

    above = ctx.obj or (None, None)
    base, config = base or above[0], config or above[1]
    try:
        with History(_history_path(base, config)) as store:
            rows = diff_rows(store.diff(before, after))
    except ClausekitError as exc:
        _fail(exc, False)
        return
    if not rows:
        _console().print(f"Aucun changement entre {before} et {after}.", markup=False)
        return
    table = Table(title=f"Évolution {before} → {after}", title_justify="left")
    for name in DIFF_HEADER:
        table.add_column(name, justify="right" if name in ("Avant", "Après", "Écart") else "left")
    for row in rows:
        table.add_row(*row)
    _console().print(table)


def main() -> None:
    """Entry point: exit codes are the documented ones, tracebacks only with --debug."""
    # pandera loads hypothesis (for its data-synthesis strategies, never used here) whenever it
    # is installed, as in a development environment: about 0.1 s of start-up saved.
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    try:
        app()
    except ClausekitError as exc:  # raised under --debug only when asked
        if "--debug" in sys.argv:
            raise
        _console(stderr=True).print(f"Erreur : {exc}", markup=False)
        sys.exit(int(exc.exit_code))
    except Interrupted:
        _console(stderr=True).print(
            "Interrompu (Ctrl-C) : clausekit s'est arrêté. Un rapport interrompu en cours "
            "d'écriture laisse le précédent intact.",
            markup=False,
        )
        sys.exit(INTERRUPTED_EXIT)
    except Exception as exc:  # a bug, not a user mistake: say so without a traceback
        if "--debug" in sys.argv:
            raise
        _console(stderr=True).print(
            f"Erreur interne de clausekit ({type(exc).__name__}). Relancez avec --debug pour "
            "le détail et signalez-la.",
            markup=False,
        )
        sys.exit(int(ExitCode.INTERNAL))


def run() -> None:
    """The ``clausekit`` command: :func:`main`, then exit at once.

    Once the outputs are written, the exit handlers run (multiprocessing's clean-up of the
    readers' process server and its temporary folder) but not the interpreter's teardown,
    which frees pandas' and pyarrow's objects one by one for ~0.15 s of nothing."""
    import atexit
    import os
    import signal
    import threading

    from clausekit.pipeline.worker import shutdown

    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupted

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, interrupt)
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): what the interpreter would do
            print(exc.code, file=sys.stderr)
            code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up is not interrupted
        shutdown()  # the readers: killed if still running, and reaped
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (clausekit … | head): nothing more to say
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
